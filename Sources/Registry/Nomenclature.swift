import Foundation
import Rules

/// One FINESS category (TRE_R66) as the programme reads it ([finess.md] §3.2).
public struct Category: Sendable {
    public enum Decision: String, Sendable { case rule, review }
    public let code: String
    public let label: String
    public let aggregate: String
    /// The proposed programme sector; nil outside art. L.312-1 CASF.
    public let sector: Sector?
    public let decision: Decision
    public let essms: Bool
    public let status: String
    public let source: String
    public let note: String
}

/// What the programme derives from a category and an aggregate.
public struct SectorReading: Sendable, Equatable {
    public let essms: Bool
    public let sector: Sector?
    public let decision: Category.Decision
    /// Why: the category table, or the aggregate rule of [finess.md] §3.3.
    public let basis: String
}

public struct NomenclatureError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// The nomenclatures as data: `Nomenclature/categories.json`, with their sources.
public enum Nomenclature {
    /// The table of `Nomenclature/categories.json`, read once; the reason when it cannot be read.
    public static let shipped: Result<[String: Category], NomenclatureError> = {
        guard let url = Bundle.module.url(forResource: "Nomenclature/categories", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              case let .array(rows)? = (try? JSON.parse(String(decoding: data, as: UTF8.self)))?["categories"] else {
            return .failure(NomenclatureError(reason: "Nomenclature/categories.json illisible"))
        }
        var table: [String: Category] = [:]
        for row in rows {
            guard case let .string(code)? = row["code"], case let .string(label)? = row["label"],
                  case let .string(aggregate)? = row["aggregate"], case let .string(decision)? = row["decision"],
                  case let .bool(essms)? = row["essms"], case let .string(status)? = row["status"],
                  case let .string(source)? = row["source"], case let .string(note)? = row["note"] else {
                return .failure(NomenclatureError(reason: "Nomenclature/categories.json : ligne mal formée \(row.rendered(indent: false))"))
            }
            var sector: Sector? = nil
            if case let .string(s)? = row["sector"] { sector = Sector(rawValue: s) }
            table[code] = Category(code: code, label: label, aggregate: aggregate, sector: sector,
                                   decision: Category.Decision(rawValue: decision) ?? .review, essms: essms,
                                   status: status, source: source, note: note)
        }
        return .success(table)
    }()

    /// The categories. `esms` checks `shipped` before running any command (`Entry`), and the
    /// registry tests read the file: a failure here is a broken build, never a request.
    public static var categories: [String: Category] {
        switch shipped {
        case let .success(table): return table
        case let .failure(error): preconditionFailure(error.reason)
        }
    }

    public static func category(_ code: String) -> Category? { categories[code] }

    /// The sector of an establishment from its category and its aggregate (`categagretab`), by the
    /// category table first, then by the aggregate rule of [finess.md] §3.3.
    public static func reading(category code: String, aggregate: String) -> SectorReading {
        if let c = categories[code] {
            return SectorReading(essms: c.essms, sector: c.sector, decision: c.decision, basis: "catégorie \(code) (\(c.source))")
        }
        let basis = "agrégat \(aggregate) (finess.md §3.3)"
        // Step 1 of §3.3, home-care categories, is in the table; steps 2 to 7 read the aggregate.
        let level2 = aggregate.count == 4 ? String(aggregate.prefix(2)) + "00" : ""
        let sector: Sector?
        switch (level2, aggregate) {
        case ("4400", _): sector = .PA
        case ("4100", _), ("4300", _), (_, "4609"): sector = .PH
        case ("4500", _): sector = .PDE
        case (_, "4604"): sector = .PDS
        case (_, "4608"): sector = .PJM
        case (_, "4601"), (_, "4602"), (_, "4603"), (_, "4607"): sector = .AHI
        default: sector = nil
        }
        if let sector { return SectorReading(essms: true, sector: sector, decision: .rule, basis: basis) }
        // Other social aggregates (4605, 4606…) need a person; health and training aggregates are out of scope.
        if aggregate.hasPrefix("4") {
            return SectorReading(essms: true, sector: nil, decision: .review, basis: basis)
        }
        return SectorReading(essms: false, sector: nil, decision: .rule, basis: basis)
    }
}

/// FINESS department codes ([finess.md] §4.1): `9A`…`9D`, `9F` are the overseas departments 971…974
/// and 976; `9E` (Saint-Pierre-et-Miquelon) and `9J` (Wallis-et-Futuna) have no ARS.
public enum FinessDepartment {
    static let overseas = ["9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976", "9J": "986"]

    /// The INSEE department code of a FINESS department code, or nil when unknown.
    public static func insee(_ code: String) -> String? {
        if let o = overseas[code] { return o }
        if Territory.department(code) != nil { return code }
        return nil
    }

    /// The department of the ARS that covers it; nil for territories without an ARS.
    public static func department(_ code: String) -> Department? {
        insee(code).flatMap { Territory.department($0) }
    }
}
