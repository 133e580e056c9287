import Foundation
import Rules
import SQLKit

/// A dossier as a list, the ranking and the exports show it: no project, no frozen assessment.
public struct DossierSummary: Sendable, Equatable {
    public let id: String
    public let title: String
    public let porteur: String
    public let campaign: String
    public let state: DossierState
    public let version: Int
    public let instruction: String?
    public let region: String?
    public let instructor: String?
    public let filedAt: String?
    /// The frozen assessment's total, once filed.
    public let requested: Cents?
    public let granted: JSON?
    public let score: JSON?
    public let decision: String?
    public let kind: String?
    public let establishments: Int
    /// The priorities computed at filing (W5), before `mature` and the instructor's.
    public let computedPriorities: [Priority]
    public let createdAt: String
    public let updatedAt: String

    public var scope: String? { Dossier.scope(instruction: instruction, region: region) }
    public var scoreTotal: Int? { score?["total"].flatMap { json -> Int? in if case let .number(n) = json { return Int(n) } else { return nil } } }
}

/// The dossiers as lists show them (`GET /dossiers`, the pages, the ranking, the exports): the
/// caller's scope is a condition of the query, and only the columns a list shows are read.
extension DossierRepository {
    /// The dossiers a principal may see (`access.md`), newest change first: its porteur scopes'
    /// own, the filed ones routed to its instructeur or lecteur scopes (a national lecteur sees
    /// every filed dossier), and those an expert is asked about. The scope is a condition of the
    /// query; `limit` nil reads them all (the exports).
    public func list(for principal: Principal, state: DossierState? = nil, campaign: String? = nil, region: String? = nil,
                     department: String? = nil, limit: Int? = 1000, shape: Shape = .list) async throws -> [DossierSummary] {
        var query = store.sql.select().columns(shape.columns).from("dossiers")
        if let department {
            // The dossiers with an establishment of that department (FINESS registry).
            let ids = try await store.sql.select().distinct().column(SQLColumn("dossier", table: "e"))
                .from(SQLAlias(SQLIdentifier("dossier_establishments"), as: SQLIdentifier("e")))
                .join(SQLAlias(SQLIdentifier("finess_establishment"), as: SQLIdentifier("f")), on: SQLColumn("nofinesset", table: "f"), .equal, SQLColumn("finess_et", table: "e"))
                .where(SQLColumn("department_insee", table: "f"), .equal, SQLBind(department)).all()
                .map { try $0.decode(column: "dossier", as: String.self) }
            guard !ids.isEmpty else { return [] }
            query = query.where("id", .in, SQLBind.group(ids))
        }
        if let state { query = query.where("state", .equal, SQLBind(state.rawValue)) }
        if let campaign { query = query.where("campaign", .equal, SQLBind(campaign)) }
        if let region { query = query.where("region", .equal, SQLBind(region)) }
        let porteurs = principal.scopes(.porteur)
        let routed = principal.scopes(.instructeur) + principal.scopes(.lecteur)
        let everyFiled = principal.scopes(.lecteur).contains("national")
        let national = principal.scopes(.instructeur).contains("national")
        let regions = Array(Set(routed).subtracting(["national"])).sorted()
        var asked: Set<String> = []
        if principal.has(.expert) {
            asked = Set(try await store.sql.select().column("dossier").from("dossier_avis").where("expert", .equal, SQLBind(principal.email))
                .all().map { try $0.decode(column: "dossier", as: String.self) })
        }
        guard !porteurs.isEmpty || !routed.isEmpty || !asked.isEmpty else { return [] }
        query = query.where { group in
            var g = group
            if !porteurs.isEmpty { g = g.orWhere("porteur", .in, SQLBind.group(porteurs)) }
            if everyFiled {
                g = g.orWhere("state", .notEqual, SQLBind(DossierState.brouillon.rawValue))
            } else if national || !regions.isEmpty {
                g = g.orWhere { filed in
                    filed.where("state", .notEqual, SQLBind(DossierState.brouillon.rawValue)).where { routing in
                        var r = routing
                        if national { r = r.orWhere("instruction", .equal, SQLBind("CNSA")) }
                        if !regions.isEmpty {
                            r = r.orWhere { ars in ars.where("instruction", .equal, SQLBind("ARS")).where("region", .in, SQLBind.group(regions)) }
                        }
                        return r
                    }
                }
            }
            if !asked.isEmpty { g = g.orWhere("id", .in, SQLBind.group(Array(asked).sorted())) }
            return g
        }.orderBy("updated_at", .descending).orderBy("id")
        if let limit { query = query.limit(limit) }
        // The aggregate keeps the subquery's order in practice; the order is said again here.
        return try await summaries(query, shape).sorted { ($0.updatedAt, $1.id) > ($1.updatedAt, $0.id) }
    }

    /// The ranking of a scope's dossiers of a campaign (`national` for the CNSA, else a region).
    public func ranking(campaign: String, scope: String) async throws -> (envelope: Cents?, committed: Cents, lines: [Ranking.Line]) {
        var query = store.sql.select().columns(Shape.ranking.columns).from("dossiers").where("campaign", .equal, SQLBind(campaign))
            .where("state", .in, SQLBind.group(Ranking.states.map(\.rawValue).sorted()))
        query = scope == "national" ? query.where("instruction", .equal, SQLBind("CNSA"))
            : query.where("instruction", .equal, SQLBind("ARS")).where("region", .equal, SQLBind(scope))
        let grid = engine.catalogue.campaign(campaign)?.rules(on: today()).grid
        let listed = grid?.priorities ?? []
        let candidates = try await summaries(query, .ranking).map { d -> Ranking.Candidate in
            let amount = (d.state == .accepte ? d.granted?["total"]?.cents : d.requested) ?? 0
            return Ranking.Candidate(id: d.id, title: d.title, state: d.state, priorities: Self.priorities(d, listed: listed).map(\.rawValue),
                                     score: d.scoreTotal, amount: amount, filedAt: d.filedAt ?? "", decidedAt: d.updatedAt)
        }
        let lines = Ranking.rank(candidates, envelope: grid?.envelope, priorityOrder: listed.map(\.rawValue))
        let committed = lines.filter { $0.candidate.state == .accepte }.reduce(0) { $0 + $1.candidate.amount }
        return (grid?.envelope, committed, lines)
    }

    /// The priorities a dossier holds (W5), in its campaign's order: computed at filing (frozen),
    /// `mature` from the score, and those its instructor set with the score.
    public func priorities(_ d: DossierSummary) -> [Priority] {
        Self.priorities(d, listed: engine.catalogue.campaign(d.campaign)?.rules(on: today()).grid.priorities ?? [])
    }

    public func priorities(_ d: Dossier) -> [Priority] {
        let listed = engine.catalogue.campaign(d.campaign)?.rules(on: today()).grid.priorities ?? []
        let total = d.score?["total"].flatMap { json -> Int? in if case let .number(n) = json { return Int(n) } else { return nil } }
        return Priority.held(listed: listed, computed: Self.codes(d.frozen?["priorities"]), score: total, instructor: Self.codes(d.score?["priorities"]))
    }

    static func priorities(_ d: DossierSummary, listed: [Priority]) -> [Priority] {
        Priority.held(listed: listed, computed: Set(d.computedPriorities), score: d.scoreTotal, instructor: codes(d.score?["priorities"]))
    }

    static func codes(_ json: JSON?) -> Set<Priority> {
        guard case let .array(items)? = json else { return [] }
        return Set(items.compactMap { if case let .string(code) = $0 { return Priority(rawValue: code) } else { return nil } })
    }

    /// The columns a read needs: each costs a decoding per row, so a list reads only what it shows.
    public enum Shape: Sendable {
        /// Every summary column (the exports).
        case full
        /// `GET /dossiers` and the list page.
        case list
        /// The ranking.
        case ranking

        var columns: [String] {
            switch self {
            case .full: return DossierRepository.summaryColumns
            case .list: return ["id", "title", "porteur", "campaign", "state", "version", "instruction", "region", "filed_at", "granted", "requested", "updated_at", "created_at"]
            case .ranking: return ["id", "title", "porteur", "campaign", "state", "version", "filed_at", "granted", "score", "requested", "computed_priorities", "updated_at", "created_at"]
            }
        }

    }

    /// The summaries of `query` (a select of `shape.columns` from `dossiers`), in its order. The
    /// database writes them as one JSON array (`json_group_array` / `json_agg`), read in one
    /// parse: decoding each column of each row through the drivers costs more than the query.
    func summaries(_ query: SQLSelectBuilder, _ shape: Shape) async throws -> [DossierSummary] {
        let fields = shape.columns.map { "'\($0)', s.\($0)" }.joined(separator: ", ")
        let aggregate = store.dialect == .sqlite
            ? "json_group_array(json_object(\(fields)))"
            : "COALESCE(json_agg(json_build_object(\(fields))), '[]'::json)::text"
        let sql: SQLQueryString = "SELECT \(unsafeRaw: aggregate) AS rows FROM (\(query.query)) AS s"
        guard let text = try await store.sql.raw(sql).first()?.decode(column: "rows", as: String?.self) else { return [] }
        guard case let .array(items) = try JSON.parse(text) else { throw StoreError("dossiers : synthèse illisible") }
        return try items.map(Self.summary)
    }

    static func summary(_ o: JSON) throws -> DossierSummary {
        func text(_ key: String) -> String? { if case let .string(s)? = o[key] { return s } else { return nil } }
        func int(_ key: String) -> Int? { if case let .number(n)? = o[key] { return Int(n) } else { return nil } }
        func json(_ key: String) throws -> JSON? {
            guard let t = text(key) else { return nil }
            do { return try JSON.parse(t) } catch { throw StoreError("dossier : colonne \(key) illisible (\(error.description))") }
        }
        guard let id = text("id"), let stateText = text("state") else { throw StoreError("dossier sans identifiant ou sans état") }
        guard let state = DossierState(rawValue: stateText) else { throw StoreError("dossier \(id) : état inconnu « \(stateText) »") }
        var computed: [Priority] = []
        if let codes = text("computed_priorities"), codes != "[]", case let .array(items) = try JSON.parse(codes) {
            computed = items.compactMap { if case let .string(code) = $0 { return Priority(rawValue: code) } else { return nil } }
        }
        return DossierSummary(
            id: id, title: text("title") ?? "", porteur: text("porteur") ?? "", campaign: text("campaign") ?? "", state: state,
            version: int("version") ?? 1, instruction: text("instruction"), region: text("region"), instructor: text("instructor"),
            filedAt: text("filed_at"), requested: int("requested"), granted: try json("granted"), score: try json("score"),
            decision: text("decision"), kind: text("kind"), establishments: int("establishment_count") ?? 0, computedPriorities: computed,
            createdAt: text("created_at") ?? "", updatedAt: text("updated_at") ?? "")
    }
}
