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
    /// Street address (number, type and name of the way), when the extraction gives it.
    public var address: String? = nil

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
    /// The SIREN of the organisme, when the extraction gives it.
    public var siren: String? = nil
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
        let establishmentFiles = extractions.filter { $0.kind.hasEstablishments }
        let legalEntityFiles = extractions.filter { $0.kind.hasLegalEntities }
        report.extractionDate = extractions.map(\.extractionDate).max()
        return try await inTransaction { writer in
            if !establishmentFiles.isEmpty {
                report.establishments = try await importEstablishments(establishmentFiles, writer)
            }
            if !legalEntityFiles.isEmpty {
                report.legalEntities = try await importLegalEntities(legalEntityFiles, writer)
            }
            let now = Timestamp.now()
            for e in extractions {
                let counts = e.kind.hasEstablishments ? report.establishments : report.legalEntities
                try await writer.record([
                    .text(e.file), .text(e.kind.rawValue), .text(e.extractionDate.description), .text(e.encoding),
                    .int(Int64(e.lines)), .int(Int64(counts.added)), .int(Int64(counts.updated)), .int(Int64(counts.closed)),
                    .int(Int64(e.warnings.count)), .text(now),
                ])
            }
            return report
        }
    }

    /// Runs the writes of one import in a single transaction: on SQLite through a direct
    /// connection with reused prepared statements, on PostgreSQL through `COPY` and SQLKit.
    private func inTransaction<T: Sendable>(_ body: (any ImportWriter) async throws -> T) async throws -> T {
        switch store.backend {
        case .sqlite:
            guard case let .sqlite(path) = store.location else { throw StoreError("base SQLite sans chemin") }
            let bulk = try SQLiteBulk(path: path)
            try bulk.execute("BEGIN IMMEDIATE")
            do {
                let result = try await body(SQLiteImportWriter(bulk: bulk))
                try bulk.execute("COMMIT")
                return result
            } catch {
                try? bulk.execute("ROLLBACK")
                throw error
            }
        case .postgres:
            return try await store.transaction {
                guard let connection = store.sessionPostgresConnection else { throw StoreError("import PostgreSQL hors d'une connexion de session") }
                return try await body(PostgresImportWriter(store: store, connection: connection))
            }
        }
    }

    /// The date of the newest extraction imported, `AAAA-MM-JJ`.
    public func latestExtraction() async throws -> String? {
        let row = try await store.sql.raw("SELECT MAX(extraction_date) AS d FROM finess_import").first()
        return try row?.decodeNil(column: "d") == false ? row?.decode(column: "d", as: String.self) : nil
    }

    private func importEstablishments(_ files: [FinessExtraction], _ writer: any ImportWriter) async throws -> ImportReport.Counts {
        // Later files win; geolocation joins its establishment by FINESS ET.
        var entries: [(record: FinessRecord, geolocation: FinessRecord?, date: CalendarDate)] = []
        var position: [String: Int] = [:]
        for file in files {
            var geo: [String: FinessRecord] = [:]
            for g in file.geolocations { geo[g[.nofinesset as GeolocationField]] = g }
            entries.reserveCapacity(entries.count + file.establishments.count)
            position.reserveCapacity(position.count + file.establishments.count)
            for r in file.establishments {
                let entry = (r, geo[r[.nofinesset as EstablishmentField]], file.extractionDate)
                let et = r[.nofinesset as EstablishmentField]
                if let i = position[et] { entries[i] = entry } else { position[et] = entries.count; entries.append(entry) }
            }
        }
        let before = try await writer.existing("finess_establishment", key: "nofinesset")
        var counts = ImportReport.Counts()
        // Rows are built a chunk ahead while the previous chunk is written: two cores, two jobs.
        let snapshot = entries
        func build(_ range: Range<Int>) -> Task<(EncodedRows, ImportReport.Counts), Never> {
            Task {
                var derived = DerivedColumns()
                var counts = ImportReport.Counts()
                var rows: [[Cell]] = []
                rows.reserveCapacity(range.count)
                for (record, geo, date) in snapshot[range] {
                    let hash = rowHash(record.fields, geo?.fields)
                    if let old = before[record[.nofinesset as EstablishmentField]] {
                        if old.hash == hash && !old.closed { counts.unchanged += 1; continue }
                        counts.updated += 1
                    } else {
                        counts.added += 1
                    }
                    rows.append(derived.establishmentRow(record, geolocation: geo, hash: hash, extractionDate: date))
                }
                return (writer.encode(rows), counts)
            }
        }
        let indexes = before.isEmpty ? try await writer.dropSecondaryIndexes("finess_establishment") : []
        let chunk = 8_192
        var next: Task<(EncodedRows, ImportReport.Counts), Never>? = entries.isEmpty ? nil : build(0..<min(chunk, entries.count))
        var start = 0
        while let pending = next {
            let (rows, chunkCounts) = await pending.value
            start += chunk
            next = start < entries.count ? build(start..<min(start + chunk, entries.count)) : nil
            counts.added += chunkCounts.added
            counts.updated += chunkCounts.updated
            counts.unchanged += chunkCounts.unchanged
            try await writer.upsert("finess_establishment", key: "nofinesset", columns: Migrations.establishmentColumns, rows: rows, fresh: before.isEmpty)
        }
        try await writer.createIndexes(indexes)
        let date = files.map(\.extractionDate).max()!.description
        let missing = before.filter { !$0.value.closed && position[$0.key] == nil }.map(\.key)
        counts.closed = missing.count
        try await writer.close("finess_establishment", key: "nofinesset", keys: missing, on: date)
        if !before.isEmpty { try await writer.touch("finess_establishment", on: date) }
        return counts
    }

    private func importLegalEntities(_ files: [FinessExtraction], _ writer: any ImportWriter) async throws -> ImportReport.Counts {
        var records: [String: (FinessRecord, CalendarDate)] = [:]
        var order: [String] = []
        for file in files {
            for r in file.legalEntities {
                let ej = r[.nofiness as LegalEntityField]
                if records.updateValue((r, file.extractionDate), forKey: ej) == nil { order.append(ej) }
            }
        }
        let before = try await writer.existing("finess_legal_entity", key: "nofiness")
        var counts = ImportReport.Counts()
        var rows: [[Cell]] = []
        for key in order {
            let (record, date) = records[key]!
            let hash = rowHash(record.fields, nil)
            if let old = before[key] {
                if old.hash == hash && !old.closed { counts.unchanged += 1; continue }
                counts.updated += 1
            } else {
                counts.added += 1
            }
            var cells = record.fields.map { $0.isEmpty ? Cell.null : Cell.text($0) }
            cells.append(FinessDepartment.insee(record[.departement as LegalEntityField]).map(Cell.text) ?? .null)
            cells.append(.text(searchText([record[.rs as LegalEntityField], record[.rslongue as LegalEntityField], record[.ligneacheminement as LegalEntityField], record[.nofiness as LegalEntityField]])))
            cells.append(.int(hash))
            cells.append(.text(date.description))
            cells.append(.null)
            rows.append(cells)
        }
        try await writer.upsert("finess_legal_entity", key: "nofiness", columns: Migrations.legalEntityColumns, rows: writer.encode(rows), fresh: before.isEmpty)
        let date = files.map(\.extractionDate).max()!.description
        let missing = before.filter { !$0.value.closed && records[$0.key] == nil }.map(\.key)
        counts.closed = missing.count
        try await writer.close("finess_legal_entity", key: "nofiness", keys: missing, on: date)
        if !before.isEmpty { try await writer.touch("finess_legal_entity", on: date) }
        return counts
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

    /// The open ESSMS of an organisme (FINESS EJ), by FINESS ET number.
    public func essms(ofLegalEntity finessEJ: String) async throws -> [RegistryEstablishment] {
        try await store.sql.select().columns(SQLLiteral.all).from("finess_establishment").where("nofinessej", .equal, SQLBind(finessEJ))
            .where("essms", .equal, SQLBind(true)).where("closed_on", .is, SQLLiteral.null).orderBy("nofinesset").all().map(Self.establishment)
    }

    /// The names of organismes (FINESS EJ) the registry knows.
    public func legalEntityNames(_ ejs: [String]) async throws -> [String: String] {
        guard !ejs.isEmpty else { return [:] }
        var names: [String: String] = [:]
        for row in try await store.sql.select().column("nofiness").column("rs").from("finess_legal_entity").where("nofiness", .in, SQLBind.group(Array(Set(ejs)).sorted())).all() {
            names[try row.decode(column: "nofiness", as: String.self)] = try row.decode(column: "rs", as: String.self)
        }
        return names
    }

    /// Establishments by name, town, FINESS number or postcode, best matches first; a FINESS EJ
    /// number gives the establishments of that organisme.
    public func search(_ text: String, department: String? = nil, sector: Sector? = nil, limit: Int = 20) async throws -> [RegistryEstablishment] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if FinessNumber.isValid(trimmed) {
            var query = store.sql.select().columns(SQLLiteral.all).from("finess_establishment").where("closed_on", .is, SQLLiteral.null)
                .where("nofinessej", .equal, SQLBind(trimmed))
            if let department { query = query.where("department_insee", .equal, SQLBind(department)) }
            if let sector { query = query.where("sector", .equal, SQLBind(sector.rawValue)) }
            let members = try await query.orderBy("rs").orderBy("nofinesset").limit(max(limit, 500)).all().map(Self.establishment)
            if !members.isEmpty { return members }
        }
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
        let street = [try text("numvoie"), try text("typvoie"), try text("voie")].compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var establishment = RegistryEstablishment(
            finessET: try text("nofinesset") ?? "", finessEJ: try text("nofinessej") ?? "", name: try text("rs") ?? "",
            longName: try text("rslongue"), category: try text("categetab") ?? "", categoryLabel: try text("libcategetab"),
            aggregate: try text("categagretab") ?? "", essms: essms, sector: try text("sector").flatMap(Sector.init(rawValue:)),
            sectorDecision: Category.Decision(rawValue: try text("sector_decision") ?? "review") ?? .review,
            finessDepartment: try text("departement") ?? "", department: try text("department_insee"), region: try text("region"),
            town: try text("ligneacheminement"), extractionDate: try text("extraction_date") ?? "", closedOn: try text("closed_on"))
        establishment.address = street.isEmpty ? nil : street.joined(separator: " ")
        return establishment
    }

    static func legalEntity(_ row: any SQLRow) throws -> RegistryLegalEntity {
        func text(_ c: String) throws -> String? { try row.decodeNil(column: c) ? nil : row.decode(column: c, as: String.self) }
        return RegistryLegalEntity(
            finessEJ: try text("nofiness") ?? "", name: try text("rs") ?? "", longName: try text("rslongue"),
            finessDepartment: try text("departement") ?? "", department: try text("department_insee"),
            town: try text("ligneacheminement"), legalStatus: try text("statutjuridique"),
            legalStatusLabel: try text("libstatutjuridique"), extractionDate: try text("extraction_date") ?? "",
            closedOn: try text("closed_on"), siren: try text("siren"))
    }
}

/// The derived columns of an establishment row ([finess.md] §3–§4), with the look-ups of one
/// import cached: a 100,000-line extraction has a few dozen categories and departments.
struct DerivedColumns {
    private var readings: [String: (essms: Cell, sector: Cell, decision: Cell)] = [:]
    private var departments: [String: (insee: Cell, region: Cell)] = [:]
    private var dates: [CalendarDate: Cell] = [:]

    mutating func establishmentRow(_ record: FinessRecord, geolocation: FinessRecord?, hash: Int64, extractionDate: CalendarDate) -> [Cell] {
        let f = record.fields
        var cells: [Cell] = []
        cells.reserveCapacity(Migrations.establishmentColumns.count)
        for value in f { cells.append(value.isEmpty ? .null : .text(value)) }
        if let g = geolocation {
            cells.append(Double(g[.coordxet as GeolocationField]).map(Cell.real) ?? .null)
            cells.append(Double(g[.coordyet as GeolocationField]).map(Cell.real) ?? .null)
            for field in [GeolocationField.sourcecoordet, .datemaj] { cells.append(g[field].isEmpty ? .null : .text(g[field])) }
        } else {
            cells += [.null, .null, .null, .null]
        }
        let category = record[.categetab as EstablishmentField], aggregate = record[.categagretab as EstablishmentField]
        let readingKey = category + "/" + aggregate
        let reading = readings[readingKey] ?? {
            let r = Nomenclature.reading(category: category, aggregate: aggregate)
            let value = (Cell.bool(r.essms), r.sector.map { Cell.text($0.rawValue) } ?? .null, Cell.text(r.decision.rawValue))
            readings[readingKey] = value
            return value
        }()
        let code = record[.departement as EstablishmentField]
        let department = departments[code] ?? {
            let insee = FinessDepartment.insee(code)
            let region = insee.flatMap { Territory.department($0) }?.region.code
            let value = (insee.map(Cell.text) ?? .null, region.map(Cell.text) ?? .null)
            departments[code] = value
            return value
        }()
        cells.append(reading.essms)
        cells.append(reading.sector)
        cells.append(reading.decision)
        cells.append(department.insee)
        cells.append(department.region)
        cells.append(.text(searchText([record[.rs as EstablishmentField], record[.rslongue as EstablishmentField],
                                       record[.ligneacheminement as EstablishmentField], record[.nofinesset as EstablishmentField]])))
        cells.append(.int(hash))
        cells.append(dates[extractionDate] ?? {
            let value = Cell.text(extractionDate.description)
            dates[extractionDate] = value
            return value
        }())
        cells.append(.null)
        return cells
    }
}

/// FNV-1a over the fields, to tell a changed line from an unchanged one on re-import.
func rowHash(_ fields: [String], _ more: [String]?) -> Int64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func add(_ field: String) {
        var field = field
        field.withUTF8 { bytes in
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        h = (h ^ 0x1F) &* 0x100_0000_01b3
    }
    for field in fields { add(field) }
    if let more { for field in more { add(field) } }
    return Int64(bitPattern: h)
}

/// Upper case without accents, words separated by one space: what `search` compares.
func searchText(_ parts: [String]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(96)
    for part in parts {
        var part = part
        part.withUTF8 { bytes in
            var i = 0
            while i < bytes.count {
                var b = bytes[i]
                var width = 1
                if b >= 0x80 {
                    // Two-byte Latin letters with accents (U+00C0…U+00FF) and œ/Œ fold to their base letter.
                    if b == 0xC3, i + 1 < bytes.count {
                        b = latinFold[Int(bytes[i + 1] & 0x3F)]
                        width = 2
                    } else if b == 0xC5, i + 1 < bytes.count, bytes[i + 1] == 0x92 || bytes[i + 1] == 0x93 {
                        b = UInt8(ascii: "O")
                        width = 2
                    } else {
                        // Any other character is kept as it is.
                        var end = i + 1
                        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
                        out.append(contentsOf: bytes[i..<end])
                        i = end
                        continue
                    }
                } else if b >= 0x61 && b <= 0x7A {
                    b -= 32
                }
                let letterOrDigit = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A)
                if letterOrDigit {
                    out.append(b)
                } else if let last = out.last, last != 0x20 {
                    out.append(0x20)
                }
                i += width
            }
        }
        if let last = out.last, last != 0x20 { out.append(0x20) }
    }
    if out.last == 0x20 { out.removeLast() }
    return String(decoding: out, as: UTF8.self)
}

/// U+00C0…U+00FF by their second UTF-8 byte's low six bits: the base letter, upper case.
private let latinFold: [UInt8] = Array("AAAAAAACEEEEIIIIDNOOOOO OUUUUY SAAAAAAACEEEEIIIIDNOOOOO OUUUUY Y".utf8)

