import Foundation
import Logging
import NIOCore
import PostgresKit
import Registry
import Rules
import SQLKit
import SQLiteKit

/// A value of a row, for the bulk writers.
enum Cell: Sendable {
    case text(String), real(Double), int(Int64), bool(Bool), null
}

/// What an import did, per kind of record.
public struct ImportReport: Sendable, Equatable {
    public struct Counts: Sendable, Equatable {
        public var added = 0, updated = 0, closed = 0, unchanged = 0
        public init() {}
    }
    public var establishments = Counts()
    public var legalEntities = Counts()
    /// Warnings (doubtful data, imported anyway) by kind.
    public var warnings: [LineProblem.Kind: Int] = [:]
    public var extractionDate: CalendarDate?
}

/// An import refused: nothing was changed; every problem is listed with its file, line and field.
public struct ImportRefused: Error, Sendable, CustomStringConvertible {
    public let problems: [LineProblem]
    public let reason: String
    public var description: String {
        ([reason] + problems.map { "  \($0.description)" }).joined(separator: "\n")
    }
}

/// An establishment as the registry holds it, with what the programme derives from it.
public struct RegistryEstablishment: Sendable, Equatable {
    public let finessET: String
    public let finessEJ: String
    public let name: String
    public let longName: String?
    public let category: String
    public let categoryLabel: String?
    public let aggregate: String
    public let essms: Bool
    public let sector: Sector?
    public let sectorDecision: Category.Decision
    public let finessDepartment: String
    public let department: String?
    public let region: String?
    public let town: String?
    public let extractionDate: String
    public let closedOn: String?

    public var overseasOrCorsica: Bool { region.flatMap(Territory.region(code:))?.isOverseasOrCorsica ?? false }
}

public struct RegistryLegalEntity: Sendable, Equatable {
    public let finessEJ: String
    public let name: String
    public let longName: String?
    public let finessDepartment: String
    public let department: String?
    public let town: String?
    public let legalStatus: String?
    public let legalStatusLabel: String?
    public let extractionDate: String
    public let closedOn: String?
}

/// The FINESS registry in the store: import, look-up, search, counts.
public struct FinessRepository: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    // MARK: Import

    /// Imports extraction files in one transaction. A malformed line (or, with `strict`, a warning)
    /// refuses the whole import and changes nothing.
    public func importExtractions(_ extractions: [FinessExtraction], strict: Bool = false) async throws -> ImportReport {
        var refusing: [LineProblem] = []
        for e in extractions {
            refusing += strict ? e.problems : e.malformed
        }
        if !refusing.isEmpty {
            throw ImportRefused(problems: refusing, reason: strict
                ? "import refusé (--strict) : \(refusing.count) ligne(s) en cause, rien n'a été modifié"
                : "import refusé : \(refusing.count) ligne(s) mal formée(s), rien n'a été modifié")
        }
        var report = ImportReport()
        for e in extractions {
            for w in e.warnings { report.warnings[w.kind, default: 0] += 1 }
        }
        let newest = try await latestExtraction()
        for e in extractions {
            if let newest, e.extractionDate.description < newest {
                throw ImportRefused(problems: [], reason: "import refusé : \(e.file) est une extraction du \(e.extractionDate.french), plus ancienne que la dernière importée (\(newest)) ; rien n'a été modifié")
            }
        }
        let establishmentFiles = extractions.filter { $0.kind != .legalEntities }
        let legalEntityFiles = extractions.filter { $0.kind == .legalEntities }
        report.extractionDate = extractions.map(\.extractionDate).max()
        return try await store.transaction {
            if !establishmentFiles.isEmpty {
                report.establishments = try await importEstablishments(establishmentFiles)
            }
            if !legalEntityFiles.isEmpty {
                report.legalEntities = try await importLegalEntities(legalEntityFiles)
            }
            for e in extractions {
                let counts = e.kind == .legalEntities ? report.legalEntities : report.establishments
                try await store.sql.insert(into: "finess_import")
                    .columns("file", "kind", "extraction_date", "encoding", "lines", "added", "updated", "closed", "warnings", "imported_at")
                    .values(SQLBind(e.file), SQLBind(e.kind.rawValue), SQLBind(e.extractionDate.description), SQLBind(e.encoding),
                            SQLBind(e.lines), SQLBind(counts.added), SQLBind(counts.updated), SQLBind(counts.closed),
                            SQLBind(e.warnings.count), SQLBind(ISO8601DateFormatter().string(from: Date())))
                    .run()
            }
            return report
        }
    }

    /// The date of the newest extraction imported, `AAAA-MM-JJ`.
    public func latestExtraction() async throws -> String? {
        let row = try await store.sql.raw("SELECT MAX(extraction_date) AS d FROM finess_import").first()
        return try row?.decodeNil(column: "d") == false ? row?.decode(column: "d", as: String.self) : nil
    }

    private func existing(_ table: String, key: String) async throws -> [String: (hash: Int64, closed: Bool)] {
        var map: [String: (Int64, Bool)] = [:]
        let rows = try await store.sql.raw(SQLQueryString("SELECT \(unsafeRaw: key) AS k, row_hash AS h, closed_on AS c FROM \(unsafeRaw: table)")).all()
        map.reserveCapacity(rows.count)
        for row in rows {
            map[try row.decode(column: "k", as: String.self)] = (try row.decode(column: "h", as: Int64.self), try !row.decodeNil(column: "c"))
        }
        return map
    }

    private func importEstablishments(_ files: [FinessExtraction]) async throws -> ImportReport.Counts {
        // Later files win; geolocation joins its establishment by FINESS ET.
        var records: [String: (FinessRecord, FinessRecord?, CalendarDate)] = [:]
        var order: [String] = []
        for file in files {
            var geo: [String: FinessRecord] = [:]
            for g in file.geolocations { geo[g[0]] = g }
            for r in file.establishments {
                if records[r[0]] == nil { order.append(r[0]) }
                records[r[0]] = (r, geo[r[0]], file.extractionDate)
            }
        }
        let before = try await existing("finess_establishment", key: "nofinesset")
        var counts = ImportReport.Counts()
        var rows: [[Cell]] = []
        rows.reserveCapacity(order.count)
        for key in order {
            let (record, geo, date) = records[key]!
            let row = EstablishmentRow(record: record, geolocation: geo, extractionDate: date)
            if let old = before[key] {
                if old.hash == row.hash && !old.closed { counts.unchanged += 1; continue }
                counts.updated += 1
            } else {
                counts.added += 1
            }
            rows.append(row.cells)
        }
        try await upsert("finess_establishment", key: "nofinesset", columns: Migrations.establishmentColumns, rows: rows)
        let date = files.map(\.extractionDate).max()!.description
        let missing = before.filter { !$0.value.closed && records[$0.key] == nil }.map(\.key)
        counts.closed = missing.count
        try await close("finess_establishment", key: "nofinesset", keys: missing, on: date)
        try await store.sql.raw("UPDATE finess_establishment SET extraction_date = \(bind: date) WHERE closed_on IS NULL AND extraction_date <> \(bind: date)").run()
        return counts
    }

    private func importLegalEntities(_ files: [FinessExtraction]) async throws -> ImportReport.Counts {
        var records: [String: (FinessRecord, CalendarDate)] = [:]
        var order: [String] = []
        for file in files {
            for r in file.legalEntities {
                if records[r[0]] == nil { order.append(r[0]) }
                records[r[0]] = (r, file.extractionDate)
            }
        }
        let before = try await existing("finess_legal_entity", key: "nofiness")
        var counts = ImportReport.Counts()
        var rows: [[Cell]] = []
        for key in order {
            let (record, date) = records[key]!
            let hash = rowHash(record.fields)
            if let old = before[key] {
                if old.hash == hash && !old.closed { counts.unchanged += 1; continue }
                counts.updated += 1
            } else {
                counts.added += 1
            }
            var cells = record.fields.map { $0.isEmpty ? Cell.null : Cell.text($0) }
            cells.append(FinessDepartment.insee(record[12]).map(Cell.text) ?? .null)
            cells.append(.text(searchText([record[1], record[2], record[11], record[0]])))
            cells.append(.int(hash))
            cells.append(.text(date.description))
            cells.append(.null)
            rows.append(cells)
        }
        try await upsert("finess_legal_entity", key: "nofiness", columns: Migrations.legalEntityColumns, rows: rows)
        let date = files.map(\.extractionDate).max()!.description
        let missing = before.filter { !$0.value.closed && records[$0.key] == nil }.map(\.key)
        counts.closed = missing.count
        try await close("finess_legal_entity", key: "nofiness", keys: missing, on: date)
        try await store.sql.raw("UPDATE finess_legal_entity SET extraction_date = \(bind: date) WHERE closed_on IS NULL AND extraction_date <> \(bind: date)").run()
        return counts
    }

    private func close(_ table: String, key: String, keys: [String], on date: String) async throws {
        for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
            try await store.sql.update(table)
                .set("closed_on", to: SQLBind(date))
                .set("extraction_date", to: SQLBind(date))
                .where(SQLIdentifier(key), .in, SQLBind.group(chunk))
                .run()
        }
    }

    /// Inserts or replaces rows by key: multi-row statements on SQLite, `COPY` into a staging table on PostgreSQL.
    private func upsert(_ table: String, key: String, columns: [String], rows: [[Cell]]) async throws {
        guard !rows.isEmpty else { return }
        let updates = columns.filter { $0 != key }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let columnList = columns.joined(separator: ", ")
        switch store.connection {
        case let .sqlite(connection):
            let perStatement = max(1, 32_000 / columns.count)
            let group = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
            var start = 0
            while start < rows.count {
                let end = min(start + perStatement, rows.count)
                let placeholders = Array(repeating: group, count: end - start).joined(separator: ",")
                var binds: [SQLiteData] = []
                binds.reserveCapacity((end - start) * columns.count)
                for row in rows[start..<end] {
                    for cell in row {
                        switch cell {
                        case let .text(s): binds.append(.text(s))
                        case let .real(d): binds.append(.float(d))
                        case let .int(i): binds.append(.integer(Int(i)))
                        case let .bool(b): binds.append(.integer(b ? 1 : 0))
                        case .null: binds.append(.null)
                        }
                    }
                }
                try await connection.query("INSERT INTO \(table) (\(columnList)) VALUES \(placeholders) ON CONFLICT (\(key)) DO UPDATE SET \(updates)", binds) { _ in }
                start = end
            }
        case let .postgres(connection):
            let stage = "stage_\(table)"
            try await store.sql.raw(SQLQueryString("CREATE TEMP TABLE \(unsafeRaw: stage) (LIKE \(unsafeRaw: table)) ON COMMIT DROP")).run()
            try await connection.copyFrom(table: stage, columns: columns, logger: Logger(label: "esms.store.copy")) { writer in
                var buffer = ByteBuffer()
                buffer.reserveCapacity(1 << 20)
                for row in rows {
                    for (i, cell) in row.enumerated() {
                        if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                        switch cell {
                        case let .text(s): writeCopyText(s, to: &buffer)
                        case let .real(d): buffer.writeString(String(d))
                        case let .int(n): buffer.writeString(String(n))
                        case let .bool(b): buffer.writeString(b ? "t" : "f")
                        case .null: buffer.writeString("\\N")
                        }
                    }
                    buffer.writeInteger(UInt8(ascii: "\n"))
                    if buffer.readableBytes > 1 << 20 {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            try await store.sql.raw(SQLQueryString("INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columnList)) SELECT \(unsafeRaw: columnList) FROM \(unsafeRaw: stage) ON CONFLICT (\(unsafeRaw: key)) DO UPDATE SET \(unsafeRaw: updates)")).run()
            try await store.sql.raw(SQLQueryString("DROP TABLE \(unsafeRaw: stage)")).run()
        }
    }

    // MARK: Look-up

    public func establishment(_ finessET: String) async throws -> RegistryEstablishment? {
        try await store.sql.select().columns(SQLLiteral.all).from("finess_establishment")
            .where("nofinesset", .equal, SQLBind(finessET)).first().map(Self.establishment)
    }

    public func legalEntity(_ finessEJ: String) async throws -> RegistryLegalEntity? {
        try await store.sql.select().columns(SQLLiteral.all).from("finess_legal_entity")
            .where("nofiness", .equal, SQLBind(finessEJ)).first().map(Self.legalEntity)
    }

    /// The number of open ESSMS of a legal entity in the registry: what decides "petit OG".
    public func essmsCount(ofLegalEntity finessEJ: String) async throws -> Int {
        let row = try await store.sql.raw("SELECT COUNT(*) AS n FROM finess_establishment WHERE nofinessej = \(bind: finessEJ) AND essms = \(bind: true) AND closed_on IS NULL").first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Establishments by name, town, FINESS number or postcode, best matches first.
    public func search(_ text: String, department: String? = nil, sector: Sector? = nil, limit: Int = 20) async throws -> [RegistryEstablishment] {
        let tokens = searchText([text]).split(separator: " ").map(String.init).filter { !$0.isEmpty }
        guard !tokens.isEmpty else { return [] }
        var query = store.sql.select().columns(SQLLiteral.all).from("finess_establishment").where("closed_on", .is, SQLLiteral.null)
        for token in tokens {
            query = query.where("search_text", .like, SQLBind("%\(token)%"))
        }
        if let department { query = query.where("department_insee", .equal, SQLBind(department)) }
        if let sector { query = query.where("sector", .equal, SQLBind(sector.rawValue)) }
        let candidates = try await query.limit(max(limit * 20, 200)).all().map(Self.establishment)
        let needle = tokens.joined(separator: " ")
        func score(_ e: RegistryEstablishment) -> Int {
            let name = searchText([e.name])
            if e.finessET == text || e.finessEJ == text { return 0 }
            if name == needle { return 1 }
            if name.hasPrefix(needle) { return 2 }
            if name.contains(needle) { return 3 }
            if tokens.allSatisfy({ name.contains($0) }) { return 4 }
            return 5
        }
        let scored: [(establishment: RegistryEstablishment, score: Int)] = candidates.map { ($0, score($0)) }
        let ranked = scored.sorted { a, b in
            if a.score != b.score { return a.score < b.score }
            if a.establishment.name != b.establishment.name { return a.establishment.name < b.establishment.name }
            return a.establishment.finessET < b.establishment.finessET
        }
        return ranked.prefix(limit).map(\.establishment)
    }

    static func establishment(_ row: any SQLRow) throws -> RegistryEstablishment {
        func text(_ c: String) throws -> String? { try row.decodeNil(column: c) ? nil : row.decode(column: c, as: String.self) }
        let essms: Bool
        if (try? row.decode(column: "essms", as: Bool.self)) != nil {
            essms = try row.decode(column: "essms", as: Bool.self)
        } else {
            essms = try row.decode(column: "essms", as: Int.self) != 0
        }
        return RegistryEstablishment(
            finessET: try text("nofinesset") ?? "", finessEJ: try text("nofinessej") ?? "", name: try text("rs") ?? "",
            longName: try text("rslongue"), category: try text("categetab") ?? "", categoryLabel: try text("libcategetab"),
            aggregate: try text("categagretab") ?? "", essms: essms, sector: try text("sector").flatMap(Sector.init(rawValue:)),
            sectorDecision: Category.Decision(rawValue: try text("sector_decision") ?? "review") ?? .review,
            finessDepartment: try text("departement") ?? "", department: try text("department_insee"), region: try text("region"),
            town: try text("ligneacheminement"), extractionDate: try text("extraction_date") ?? "", closedOn: try text("closed_on"))
    }

    static func legalEntity(_ row: any SQLRow) throws -> RegistryLegalEntity {
        func text(_ c: String) throws -> String? { try row.decodeNil(column: c) ? nil : row.decode(column: c, as: String.self) }
        return RegistryLegalEntity(
            finessEJ: try text("nofiness") ?? "", name: try text("rs") ?? "", longName: try text("rslongue"),
            finessDepartment: try text("departement") ?? "", department: try text("department_insee"),
            town: try text("ligneacheminement"), legalStatus: try text("statutjuridique"),
            legalStatusLabel: try text("libstatutjuridique"), extractionDate: try text("extraction_date") ?? "",
            closedOn: try text("closed_on"))
    }
}

/// One `structureet` line (with its geolocation) as stored, with the derived columns.
struct EstablishmentRow {
    let cells: [Cell]
    let hash: Int64

    init(record: FinessRecord, geolocation: FinessRecord?, extractionDate: CalendarDate) {
        let f = record.fields
        var cells: [Cell] = []
        cells.reserveCapacity(Migrations.establishmentColumns.count)
        for value in f { cells.append(value.isEmpty ? .null : .text(value)) }
        if let g = geolocation {
            cells.append(Double(g[1]).map(Cell.real) ?? .null)
            cells.append(Double(g[2]).map(Cell.real) ?? .null)
            cells.append(g[3].isEmpty ? .null : .text(g[3]))
            cells.append(g[4].isEmpty ? .null : .text(g[4]))
        } else {
            cells += [.null, .null, .null, .null]
        }
        let reading = Nomenclature.reading(category: f[17], aggregate: f[19])
        let insee = FinessDepartment.insee(f[12])
        cells.append(.bool(reading.essms))
        cells.append(reading.sector.map { .text($0.rawValue) } ?? .null)
        cells.append(.text(reading.decision.rawValue))
        cells.append(insee.map(Cell.text) ?? .null)
        cells.append(insee.flatMap { Territory.department($0) }.map { .text($0.region.code) } ?? .null)
        cells.append(.text(searchText([f[2], f[3], f[14], f[0]])))
        hash = rowHash(f + (geolocation?.fields ?? []))
        cells.append(.int(hash))
        cells.append(.text(extractionDate.description))
        cells.append(.null)
        self.cells = cells
    }
}

/// FNV-1a over the fields, to tell a changed line from an unchanged one on re-import.
func rowHash(_ fields: [String]) -> Int64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for field in fields {
        for b in field.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h = (h ^ 0x1F) &* 0x100_0000_01b3
    }
    return Int64(bitPattern: h)
}

/// Upper case without accents, words separated by one space: what `search` compares.
func searchText(_ parts: [String]) -> String {
    var out = String.UnicodeScalarView()
    var space = true
    for part in parts {
        for scalar in part.unicodeScalars {
            let v = scalar.value
            var c: Unicode.Scalar
            if v < 0x80 {
                c = scalar
                if v >= 0x61 && v <= 0x7A { c = Unicode.Scalar(v - 32)! }
            } else {
                c = foldAccent(scalar)
            }
            let letterOrDigit = (c.value >= 0x30 && c.value <= 0x39) || (c.value >= 0x41 && c.value <= 0x5A) || c.value >= 0x80
            if letterOrDigit {
                out.append(c); space = false
            } else if !space {
                out.append(" "); space = true
            }
        }
        if !space { out.append(" "); space = true }
    }
    var s = String(out)
    if s.hasSuffix(" ") { s.removeLast() }
    return s
}

private func foldAccent(_ s: Unicode.Scalar) -> Unicode.Scalar {
    switch s {
    case "à", "â", "ä", "á", "ã", "À", "Â", "Ä", "Á", "Ã": return "A"
    case "é", "è", "ê", "ë", "É", "È", "Ê", "Ë": return "E"
    case "î", "ï", "í", "Î", "Ï", "Í": return "I"
    case "ô", "ö", "ó", "õ", "Ô", "Ö", "Ó", "Õ": return "O"
    case "ù", "û", "ü", "ú", "Ù", "Û", "Ü", "Ú": return "U"
    case "ç", "Ç": return "C"
    case "ÿ", "Ÿ": return "Y"
    case "ñ", "Ñ": return "N"
    case "œ", "Œ": return "O"
    default: return s
    }
}

/// PostgreSQL COPY text format: backslash, tab, newline and carriage return escaped.
private func writeCopyText(_ s: String, to buffer: inout ByteBuffer) {
    var plain = true
    for b in s.utf8 where b == UInt8(ascii: "\\") || b == 0x09 || b == 0x0A || b == 0x0D { plain = false; break }
    if plain { buffer.writeString(s); return }
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "\\"): buffer.writeString("\\\\")
        case 0x09: buffer.writeString("\\t")
        case 0x0A: buffer.writeString("\\n")
        case 0x0D: buffer.writeString("\\r")
        default: buffer.writeInteger(b)
        }
    }
}
