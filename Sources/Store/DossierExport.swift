import Foundation
import Rules
import SQLKit

/// What the exports of a scope read beside the dossiers' summaries (`dossiers.md`, sheets
/// `Etablissements` and `Avis`), each in one query for all the dossiers: the establishments of the
/// project filed (the live one for a draft) with their exclusion, the opinions, the decision dates.
extension DossierRepository {
    /// One establishment of a dossier, as filed, with the rule that excluded it if one did.
    public struct EstablishmentLine: Sendable, Equatable {
        public let dossier: String
        public let finessET: String?
        public let finessEJ: String?
        public let name: String?
        public let sector: String?
        public let department: String?
        public let kind: String?
        public let excludedRule: String?
        public let excludedReason: String?
    }

    /// The establishments of `ids`, in the order of the ids, then of each project. The database
    /// extracts the two arrays from the stored JSON, so the frozen assessment is never parsed here.
    public func establishmentLines(_ ids: [String]) async throws -> [EstablishmentLine] {
        guard !ids.isEmpty else { return [] }
        let select: SQLQueryString = store.dialect == .sqlite
            ? "SELECT id, json_extract(COALESCE(frozen, project), CASE WHEN frozen IS NULL THEN '$.establishments' ELSE '$.project.establishments' END) AS establishments, json_extract(frozen, '$.assessment.excluded') AS excluded FROM dossier_json WHERE id IN "
            : "SELECT id, COALESCE(frozen::jsonb #> '{project,establishments}', project::jsonb -> 'establishments')::text AS establishments, (frozen::jsonb #> '{assessment,excluded}')::text AS excluded FROM dossier_json WHERE id IN "
        var lines: [String: [EstablishmentLine]] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 5000).map({ Array(ids[$0..<min($0 + 5000, ids.count)]) }) {
            let rows = try await store.sql.raw(select + "\(SQLBind.group(chunk))").all()
            for row in rows {
                let id = try row.decode(column: "id", as: String.self)
                func json(_ column: String) throws -> JSON? {
                    guard let text = try row.decode(column: column, as: String?.self) else { return nil }
                    return try? JSON.parse(text)
                }
                var exclusions: [String: (String, String)] = [:]
                if case let .array(items)? = try json("excluded") {
                    for item in items {
                        if case let .string(et)? = item["finessET"], case let .string(rule)? = item["rule"] {
                            exclusions[et] = (rule, Self.string(item["reason"]) ?? "")
                        }
                    }
                }
                guard case let .array(items)? = try json("establishments") else { lines[id] = []; continue }
                lines[id] = items.map { e in
                    let et = Self.string(e["finessET"])
                    let excluded = et.flatMap { exclusions[$0] }
                    return EstablishmentLine(dossier: id, finessET: et, finessEJ: Self.string(e["finessEJ"]), name: Self.string(e["name"]),
                                             sector: Self.string(e["sector"]), department: Self.string(e["department"]), kind: Self.string(e["kind"]),
                                             excludedRule: excluded?.0, excludedReason: excluded?.1)
                }
            }
        }
        return ids.flatMap { lines[$0] ?? [] }
    }

    /// The opinions asked about `ids`, oldest first.
    public func avis(dossiers ids: [String]) async throws -> [Avis] {
        guard !ids.isEmpty else { return [] }
        var all: [Avis] = []
        for chunk in stride(from: 0, to: ids.count, by: 5000).map({ Array(ids[$0..<min($0 + 5000, ids.count)]) }) {
            all += try await store.sql.select().columns(Self.avisColumns).from("dossier_avis").where("dossier", .in, SQLBind.group(chunk))
                .all().map(Self.avisRow)
        }
        return all.sorted { ($0.askedAt, $0.id) < ($1.askedAt, $1.id) }
    }

    /// The time of the last decision (accepted, refused, closed) of each of `ids` that has one.
    public func decisionTimes(_ ids: [String]) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        var days: [String: String] = [:]
        let decided = [DossierState.accepte, .refuse, .classeSansSuite].map(\.rawValue)
        for chunk in stride(from: 0, to: ids.count, by: 5000).map({ Array(ids[$0..<min($0 + 5000, ids.count)]) }) {
            let rows = try await store.sql.select().column("dossier").column(SQLFunction("MAX", args: SQLColumn("at")), as: "at").from("dossier_history")
                .where("dossier", .in, SQLBind.group(chunk)).where("to_state", .in, SQLBind.group(decided)).groupBy("dossier").all()
            for row in rows { days[try row.decode(column: "dossier", as: String.self)] = try row.decode(column: "at", as: String.self) }
        }
        return days
    }

    static func string(_ json: JSON?) -> String? {
        if case let .string(s)? = json { return s }
        return nil
    }
}
