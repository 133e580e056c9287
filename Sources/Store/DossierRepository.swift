import Foundation
import Rules
import SQLKit

/// A dossier of `dossiers.md`: a project filed by its porteur, instructed by the ARS or the CNSA.
public struct Dossier: Sendable, Equatable {
    public let id: String
    public var title: String
    public let porteur: String
    public var campaign: String
    public var state: DossierState
    /// Starts at 1, raised by every change: the `ETag`.
    public var version: Int
    public var project: JSON
    /// The assessment frozen at the last filing: `{at, campaign, ruleSetVersion, project, assessment}`.
    public var frozen: JSON?
    /// `ARS` or `CNSA`, and the region of an ARS; set at filing.
    public var instruction: String?
    public var region: String?
    public var instructor: String?
    public var filedAt: String?
    public var granted: JSON?
    public var score: JSON?
    public var decision: String?
    public let createdAt: String
    public var updatedAt: String
    public var updatedBy: String

    /// The routing scope: `national` for the CNSA, else the region.
    public var scope: String? { Self.scope(instruction: instruction, region: region) }

    /// The routing scope of a dossier's row: `national` for the CNSA, else its region.
    public static func scope(instruction: String?, region: String?) -> String? { instruction == "CNSA" ? "national" : region }
}

/// Why a change to a dossier is refused: the state does not allow it (409), conditions are
/// unmet (422, each named), the input is wrong (422, the field named), or the caller may not (403).
public enum DossierError: Error, Sendable, Equatable, CustomStringConvertible {
    case conflict(String)
    case unmet([String])
    case invalid(InputError)
    case forbidden(String)

    public var description: String {
        switch self {
        case let .conflict(m), let .forbidden(m): return m
        case let .unmet(list): return "conditions non remplies : " + list.joined(separator: " ; ")
        case let .invalid(e): return e.description
        }
    }
}

/// A change made against a version: done, refused as stale (nothing written), or no such dossier.
public enum DossierChange: Sendable, Equatable {
    case changed(Dossier)
    case stale(current: Dossier)
    case notFound
}

/// The dossiers, their instruction and their documents; every change is an audit event written in
/// its transaction, and checked against the dossier's version.
public struct DossierRepository: Sendable {
    public let store: Store
    public let engine: Engine
    let finess: FinessRepository
    let today: @Sendable () -> CalendarDate

    public init(store: Store, engine: Engine, today: @escaping @Sendable () -> CalendarDate) {
        self.store = store
        self.engine = engine
        self.finess = FinessRepository(store: store)
        self.today = today
    }

    var audit: AuditLog { AuditLog(store: store) }

    /// The row of `dossiers`; the project and the frozen assessment live in `dossier_json` (one row
    /// each), so that reading a list never walks their pages.
    static let columns = ["id", "title", "porteur", "campaign", "state", "version", "instruction", "region",
                          "instructor", "filed_at", "granted", "score", "decision", "created_at", "updated_at", "updated_by"]

    /// Derived from the JSON at every write (`derived`), read by the list, the ranking and the exports.
    static let derivedColumns = ["requested", "computed_priorities", "kind", "establishment_count"]
    static var writtenColumns: [String] { columns + derivedColumns }

    /// A whole dossier: its row and its JSON.
    func selectDossiers() -> SQLSelectBuilder {
        store.sql.select().columns(Self.columns.map { SQLColumn($0, table: "d") } + [SQLColumn("project", table: "j"), SQLColumn("frozen", table: "j")])
            .from(SQLAlias(SQLIdentifier("dossiers"), as: SQLIdentifier("d")))
            .join(SQLAlias(SQLIdentifier("dossier_json"), as: SQLIdentifier("j")), on: SQLColumn("id", table: "j"), .equal, SQLColumn("id", table: "d"))
    }

    /// What a list shows of a dossier, without its project or frozen assessment.
    static let summaryColumns = ["id", "title", "porteur", "campaign", "state", "version", "instruction", "region", "instructor", "filed_at",
                                 "granted", "score", "decision", "created_at", "updated_at"] + derivedColumns

    /// PostgreSQL serialises the dossiers' transitions (E3 across dossiers, the envelope) with this
    /// advisory lock; SQLite with its write transaction.
    static let lockKey = 0x646F_7373

    // MARK: Reading

    public func find(_ id: String) async throws -> Dossier? {
        try await selectDossiers().where(SQLColumn("id", table: "d"), .equal, SQLBind(id)).first().map(Self.dossier)
    }

    /// The dossier if the principal may see it; nil — a 404, as for one that does not exist — otherwise.
    public func find(_ id: String, for principal: Principal) async throws -> Dossier? {
        guard let d = try await find(id), try await visible(principal, d) else { return nil }
        return d
    }

    /// Whether a principal may see a dossier, an expert's asked opinions included.
    public func visible(_ principal: Principal, _ d: Dossier) async throws -> Bool {
        if Self.sees(principal, d) { return true }
        guard principal.has(.expert) else { return false }
        return try await store.sql.select().column("id").from("dossier_avis").where("dossier", .equal, SQLBind(d.id))
            .where("expert", .equal, SQLBind(principal.email)).first() != nil
    }

    /// Whether a principal may see a dossier by its scopes: outside, a dossier answers 404 as if it did not exist.
    public static func sees(_ principal: Principal, _ d: Dossier) -> Bool {
        sees(principal, porteur: d.porteur, state: d.state, scope: d.scope)
    }

    static func sees(_ principal: Principal, porteur: String, state: DossierState, scope: String?) -> Bool {
        if principal.scopes(.porteur).contains(porteur) { return true }
        guard state != .brouillon, let scope else { return false }
        if principal.scopes(.instructeur).contains(scope) { return true }
        let readers = principal.scopes(.lecteur)
        return readers.contains("national") || readers.contains(scope)
    }

    /// The side a principal takes on a dossier it sees: its porteur, or an instructor of its scope.
    public static func sides(_ principal: Principal, _ d: Dossier) -> Set<DossierSide> {
        var sides: Set<DossierSide> = []
        if principal.scopes(.porteur).contains(d.porteur) { sides.insert(.porteur) }
        if d.state != .brouillon, let scope = d.scope, principal.scopes(.instructeur).contains(scope) { sides.insert(.instructeur) }
        return sides
    }

    // MARK: Assessment

    /// The project's assessment, with the establishments another dossier applies for excluded (E3
    /// across the store), on `date`.
    public func assess(_ json: JSON, excluding id: String?, on date: CalendarDate) async throws -> (project: Project, assessment: Assessment) {
        var project = try await ProjectCompletion.project(json) { complete in try await complete(finess) }
        let ets = project.establishments.compactMap(\.finessET)
        if !ets.isEmpty {
            var query = store.sql.select().column(SQLColumn("finess_et", table: "e")).column(SQLColumn("id", table: "d"))
                .from(SQLAlias(SQLIdentifier("dossier_establishments"), as: SQLIdentifier("e")))
                .join(SQLAlias(SQLIdentifier("dossiers"), as: SQLIdentifier("d")), on: SQLColumn("dossier", table: "e"), .equal, SQLColumn("id", table: "d"))
                .where(SQLColumn("finess_et", table: "e"), .in, SQLBind.group(ets))
                .where(SQLColumn("state", table: "d"), .in, SQLBind.group(DossierState.holding.map(\.rawValue).sorted()))
            if let id { query = query.where(SQLColumn("id", table: "d"), .notEqual, SQLBind(id)) }
            var held: [String: String] = [:]
            for row in try await query.all() {
                held[try row.decode(column: "finess_et", as: String.self)] = try row.decode(column: "id", as: String.self)
            }
            for i in project.establishments.indices {
                if let et = project.establishments[i].finessET, let other = held[et] { project.establishments[i].otherApplication = other }
            }
        }
        do { return (project, try engine.assess(project, on: date)) } catch { throw DossierError.invalid(InputError(path: error.path, reason: error.description)) }
    }

    /// The dossier that holds an establishment (filed, in instruction or accepted; the accepted one
    /// first, then the latest): its identifier, title and campaign. Nil when no dossier holds it.
    public func holding(finessET: String) async throws -> (id: String, title: String, campaign: String)? {
        guard let row = try await store.sql.select().column(SQLColumn("id", table: "d")).column(SQLColumn("title", table: "d")).column(SQLColumn("campaign", table: "d"))
            .from(SQLAlias(SQLIdentifier("dossier_establishments"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("dossiers"), as: SQLIdentifier("d")), on: SQLColumn("dossier", table: "e"), .equal, SQLColumn("id", table: "d"))
            .where(SQLColumn("finess_et", table: "e"), .equal, SQLBind(finessET))
            .where(SQLColumn("state", table: "d"), .in, SQLBind.group(DossierState.holding.map(\.rawValue).sorted()))
            .orderBy(SQLRaw("CASE WHEN d.state = '\(DossierState.accepte.rawValue)' THEN 0 ELSE 1 END"))
            .orderBy(SQLOrderBy(expression: SQLColumn("updated_at", table: "d"), direction: SQLDirection.descending))
            .limit(1).first() else { return nil }
        return (try row.decode(column: "id", as: String.self), try row.decode(column: "title", as: String.self), try row.decode(column: "campaign", as: String.self))
    }

    /// The project and assessment a reader sees: live while the porteur edits, of the frozen
    /// project once filed (its checklist too).
    public func current(_ d: Dossier) async throws -> (project: Project, assessment: Assessment) {
        try await assess(d.state.editable ? d.project : (d.frozen?["project"] ?? d.project), excluding: d.id, on: today())
    }

    // MARK: Creating and editing

    /// A new dossier in `brouillon`; the project must read (errors name the field under `project`).
    public func create(title: String, project: JSON, porteur: String, by actor: String) async throws -> Dossier {
        let title = title.trimmingCharacters(in: .whitespaces)
        guard !title.isEmpty, title.count <= 200 else { throw DossierError.invalid(InputError(path: "title", reason: "intitulé attendu, 200 caractères au plus")) }
        let (typed, _) = try await checked(project)
        let now = Timestamp.now()
        let dossier = Dossier(id: GrappeRepository.newID(), title: title, porteur: porteur, campaign: typed.campaign, state: .brouillon, version: 1,
                              project: project, frozen: nil, instruction: nil, region: nil, instructor: nil, filedAt: nil, granted: nil,
                              score: nil, decision: nil, createdAt: now, updatedAt: now, updatedBy: actor)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dossiers").columns(Self.writtenColumns).values(Self.values(dossier)).run()
            try await store.sql.insert(into: "dossier_json").columns("id", "project", "frozen").values(Self.jsonValues(dossier)).run()
            try await setEstablishments(dossier.id, typed)
            try await store.sql.insert(into: "dossier_history").columns("dossier", "at", "actor", "from_state", "to_state")
                .values(SQLBind(dossier.id), SQLBind(now), SQLBind(actor), SQLLiteral.null, SQLBind(DossierState.brouillon.rawValue)).run()
            try await audit.record(actor: actor, action: "dossier.creation", object: "dossier:\(dossier.id)",
                                   details: .object([("porteur", .string(porteur)), ("campagne", .string(typed.campaign))]))
        }
        return dossier
    }

    /// A project that reads and names a known campaign, or the error naming the field under `project`.
    func checked(_ project: JSON) async throws -> (Project, Assessment) {
        do {
            return try await assess(project, excluding: nil, on: today())
        } catch let e as InputError {
            throw DossierError.invalid(InputError(path: e.path.isEmpty ? "project" : "project.\(e.path)", reason: e.reason))
        } catch let DossierError.invalid(e) {
            throw DossierError.invalid(InputError(path: e.path.isEmpty ? "project" : "project.\(e.path)", reason: e.reason))
        }
    }

    func setEstablishments(_ id: String, _ project: Project) async throws {
        try await store.sql.delete(from: "dossier_establishments").where("dossier", .equal, SQLBind(id)).run()
        for et in Set(project.establishments.compactMap(\.finessET)).sorted() {
            try await store.sql.insert(into: "dossier_establishments").columns("dossier", "finess_et").values(SQLBind(id), SQLBind(et)).run()
        }
    }

    /// Replaces the project while the porteur may edit it (`brouillon`, `correctionDemandee`).
    public func updateProject(_ id: String, from version: Int, project: JSON, by actor: String) async throws -> DossierChange {
        let (typed, _) = try await checked(project)
        return try await changing(id, from: version, by: actor) { d in
            guard d.state.editable else {
                throw DossierError.conflict("dossier \(d.state.french) : le projet ne se modifie qu'en brouillon ou en correction demandée")
            }
            if case let .string(porteur)? = project["porteur"], porteur != d.porteur {
                throw DossierError.invalid(InputError(path: "project.porteur", reason: "le porteur d'un dossier ne change pas (\(d.porteur))"))
            }
            d.project = project
            d.campaign = typed.campaign
            try await setEstablishments(d.id, typed)
            try await audit.record(actor: actor, action: "dossier.projet", object: "dossier:\(d.id)")
        }
    }

    /// Runs `change` on the dossier at `version` inside one transaction (serialised with the other
    /// dossiers' changes), writes it with the next version, or answers stale / not found.
    func changing(_ id: String, from version: Int, by actor: String, _ change: (inout Dossier) async throws -> Void) async throws -> DossierChange {
        try await store.transaction(immediate: true) {
            if store.dialect == .postgres { try await store.sql.raw("SELECT pg_advisory_xact_lock(\(literal: Self.lockKey))").run() }
            guard var d = try await find(id) else { return .notFound }
            guard d.version == version else { return .stale(current: d) }
            let before = d
            try await change(&d)
            d.version += 1
            d.updatedAt = Timestamp.now()
            d.updatedBy = actor
            let values = Self.values(d)
            var update = store.sql.update("dossiers")
            for (column, value) in zip(Self.writtenColumns, values) where column != "id" && column != "created_at" { update = update.set(SQLColumn(column), to: value) }
            try await update.where("id", .equal, SQLBind(id)).run()
            if d.project != before.project || d.frozen != before.frozen {
                let json = Self.jsonValues(d)
                try await store.sql.update("dossier_json").set("project", to: json[1]).set("frozen", to: json[2]).where("id", .equal, SQLBind(id)).run()
            }
            return .changed(d)
        }
    }

    // MARK: Transitions

    public struct TransitionRequest: Sendable {
        public let to: DossierState
        public let message: String?
        public let reason: String?
        public let granted: JSON?

        public init(to: DossierState, message: String?, reason: String?, granted: JSON?) {
            self.to = to; self.message = message; self.reason = reason; self.granted = granted
        }
    }

    /// Moves a dossier along the table of `dossiers.md`, if its side may and its conditions hold.
    public func transition(_ id: String, from version: Int, _ request: TransitionRequest, sides: Set<DossierSide>, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            let from = d.state, to = request.to
            guard let line = DossierTransition.line(from: from, to: to) else {
                let targets = DossierTransition.targets(from: from)
                throw DossierError.conflict("transition \(from.rawValue) → \(to.rawValue) impossible ; depuis « \(from.french) » : "
                    + (targets.isEmpty ? "aucune" : targets.map(\.rawValue).joined(separator: ", ")))
            }
            guard !line.by.isDisjoint(with: sides) else {
                throw DossierError.forbidden("\(from.rawValue) → \(to.rawValue) : réservé \(line.by.map { $0 == .porteur ? "au porteur" : "à l'instructeur" }.sorted().joined(separator: " ou "))")
            }
            let message = request.message?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
            if let message, message.count > 10_000 { throw DossierError.invalid(InputError(path: "message", reason: "10 000 caractères au plus")) }
            var unmet: [String] = []
            var frozen: JSON? = nil
            var reason: String? = nil
            switch to {
            case .depose:
                let filed = try await freeze(d, unmet: &unmet)
                frozen = filed.frozen
                d.instruction = filed.instruction
                d.region = filed.region
                d.filedAt = Timestamp.now()
                d.frozen = filed.frozen
            case .enInstruction:
                if from == .depose { d.instructor = actor } else {
                    if message == nil { unmet.append("une motivation (message) est requise pour revenir sur une décision") }
                    if from == .accepte, try await !orders(d.id).orders.isEmpty {
                        unmet.append("un ordre de paiement a déjà été proposé : on ne revient sur la décision qu'avant tout paiement")
                    }
                    d.granted = nil
                    d.decision = nil
                }
            case .correctionDemandee:
                if message == nil { unmet.append("un message disant quoi corriger est requis") }
                guard let r = request.reason, CorrectionReason(rawValue: r) != nil else {
                    throw DossierError.invalid(InputError(path: "reason", reason: "motif attendu : \(CorrectionReason.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
                reason = r
            case .accepte:
                if d.score == nil { unmet.append("une note doit être enregistrée (PUT …/score) avant l'acceptation") }
                let granted = try grant(d, request.granted)
                try await envelope(d, adding: granted.total, unmet: &unmet)
                d.granted = Grant.json(granted)
                d.decision = message
            case .refuse, .classeSansSuite:
                if message == nil { unmet.append("une motivation (message) est requise") }
                d.decision = message
            case .brouillon:
                break
            }
            guard unmet.isEmpty else { throw DossierError.unmet(unmet) }
            d.state = to
            try await store.sql.insert(into: "dossier_history").columns("dossier", "at", "actor", "from_state", "to_state", "message", "reason", "frozen")
                .values(SQLBind(d.id), SQLBind(Timestamp.now()), SQLBind(actor), SQLBind(from.rawValue), SQLBind(to.rawValue),
                        SQLBind(message), SQLBind(reason), SQLBind(frozen?.rendered(indent: false))).run()
            var details: [(String, JSON)] = [("de", .string(from.rawValue)), ("vers", .string(to.rawValue))]
            if let reason { details.append(("motif", .string(reason))) }
            if let granted = d.granted, to == .accepte { details.append(("accorde", granted["total"] ?? .null)) }
            try await audit.record(actor: actor, action: "dossier.transition", object: "dossier:\(d.id)", details: .object(details))
        }
    }

    /// Filing: the assessment on today's date is frozen with the project; the unmet conditions of
    /// filing (receivability, documents, windows) are appended to `unmet`.
    func freeze(_ d: Dossier, unmet: inout [String]) async throws -> (frozen: JSON, instruction: String, region: String?) {
        let day = today()
        let project = d.project.setting("filingDate", .string(day.description))
        let (typed, assessment): (Project, Assessment)
        do { (typed, assessment) = try await assess(project, excluding: d.id, on: day) } catch let e as InputError {
            throw DossierError.unmet(["le projet ne se lit pas : \(e.description)"])
        }
        if assessment.outcome == .nonRecevable {
            unmet.append("projet non recevable : " + assessment.refusals.map { "\($0.text) (\($0.rule.rawValue))" }.joined(separator: " ; "))
        }
        let present = Set(try await documents(d.id).map(\.item))
        for line in Checklist.lines(typed, assessment) where line.required && !present.contains(line.item.rawValue) {
            unmet.append("pièce manquante : \(line.item.french) (\(line.item.rawValue), \(RuleID.W4.rawValue))")
        }
        for flag in assessment.flags {
            if case .filedOutsideWindows = flag.fact { unmet.append("aucune fenêtre de dépôt ouverte : \(flag.text) (\(flag.rule.rawValue))") }
        }
        let instruction = assessment.instruction == .CNSA ? "CNSA" : "ARS"
        var computed: [Priority] = []
        if let campaign = engine.catalogue.campaign(typed.campaign) {
            let porteurPublic = Priority.isPublic(legalStatus: try await finess.legalEntity(typed.porteur)?.legalStatus)
            let met = Priority.computed(typed, assessment, campaign: campaign, porteurPublic: porteurPublic)
            computed = Priority.allCases.filter(met.contains)
        }
        let frozen = JSON.object([
            ("at", .string(Timestamp.now())), ("date", .string(day.description)), ("campaign", .string(assessment.campaign)),
            ("ruleSetVersion", .string(assessment.ruleSetVersion)), ("project", project), ("assessment", assessment.json),
            ("priorities", .array(computed.map { .string($0.rawValue) })),
        ])
        return (frozen, instruction, instruction == "CNSA" ? nil : assessment.pivotRegion?.code)
    }

    /// The granted amounts, checked against the frozen assessment.
    func grant(_ d: Dossier, _ json: JSON?) throws -> Assessment.Funding {
        guard let funding = d.frozen?["assessment"]?["funding"] else { throw DossierError.unmet(["aucune évaluation figée : le dossier n'a pas été déposé"]) }
        var frozen = Assessment.Funding()
        for item in Grant.items {
            guard let cents = funding[item.rawValue]?.cents else { continue }
            frozen[item] = cents
        }
        do { return try Grant.read(json, frozen: frozen) } catch let e { throw DossierError.invalid(e) }
    }

    /// The campaign's envelope for the dossier's scope: the accepted dossiers' granted totals plus
    /// this one may not exceed it.
    func envelope(_ d: Dossier, adding amount: Cents, unmet: inout [String]) async throws {
        guard let campaign = engine.catalogue.campaign(d.campaign), let envelope = campaign.rules(on: today()).grid.envelope else { return }
        var query = store.sql.select().column("granted").from("dossiers").where("campaign", .equal, SQLBind(d.campaign))
            .where("state", .equal, SQLBind(DossierState.accepte.rawValue)).where("id", .notEqual, SQLBind(d.id))
            .where("instruction", .equal, SQLBind(d.instruction ?? "ARS"))
        if let region = d.region { query = query.where("region", .equal, SQLBind(region)) }
        var committed: Cents = 0
        for row in try await query.all() {
            guard let text = try row.decode(column: "granted", as: String?.self), let json = try? JSON.parse(text),
                  let cents = json["total"]?.cents else { continue }
            committed += cents
        }
        if committed + amount > envelope {
            unmet.append("enveloppe de la campagne dépassée (\(RuleID.envelope.rawValue)) : \(Money.format(envelope)), dont \(Money.format(committed)) déjà engagés ; reste \(Money.format(max(0, envelope - committed))) pour \(Money.format(amount)) demandés")
        }
    }

    // MARK: Open data

    /// Every accepted dossier with the day of its acceptance, oldest first (`GET /decisions.csv`).
    public func accepted() async throws -> [(dossier: Dossier, decidedOn: String)] {
        let rows = try await selectDossiers().where(SQLColumn("state", table: "d"), .equal, SQLBind(DossierState.accepte.rawValue))
            .orderBy(SQLColumn("id", table: "d")).all().map(Self.dossier)
        let times = try await decisionTimes(rows.map(\.id))
        let result = rows.map { d in (d, String((times[d.id] ?? d.updatedAt).prefix(10))) }
        return result.sorted { ($0.1, $0.0.id) < ($1.1, $1.0.id) }
    }

    // MARK: Rows

    static func values(_ d: Dossier) -> [any SQLExpression] {
        func text(_ json: JSON?) -> any SQLExpression { SQLBind(json?.rendered(indent: false)) }
        return [SQLBind(d.id), SQLBind(d.title), SQLBind(d.porteur), SQLBind(d.campaign), SQLBind(d.state.rawValue), SQLBind(d.version),
                SQLBind(d.instruction), SQLBind(d.region), SQLBind(d.instructor),
                SQLBind(d.filedAt), text(d.granted), text(d.score), SQLBind(d.decision), SQLBind(d.createdAt), SQLBind(d.updatedAt), SQLBind(d.updatedBy)]
            + derived(d)
    }

    static func jsonValues(_ d: Dossier) -> [any SQLExpression] {
        [SQLBind(d.id), SQLBind(d.project.rendered(indent: false)), SQLBind(d.frozen?.rendered(indent: false))]
    }

    /// The summary columns of a dossier: the frozen total, the priorities computed at filing, the
    /// kind and the number of establishments of the project read.
    static func derived(_ d: Dossier) -> [any SQLExpression] {
        let project = d.frozen?["project"] ?? d.project
        let count: Int = if case let .array(items)? = project["establishments"] { items.count } else { 0 }
        let kind: String? = if case let .string(k)? = project["kind"] { k } else { nil }
        return [SQLBind(d.frozen?["assessment"]?["funding"]?["total"]?.cents), SQLBind(d.frozen?["priorities"]?.rendered(indent: false)),
                SQLBind(kind), SQLBind(count)]
    }

    static func dossier(_ row: any SQLRow) throws -> Dossier {
        func json(_ column: String) throws -> JSON? {
            guard let text = try row.decode(column: column, as: String?.self) else { return nil }
            do { return try JSON.parse(text) } catch { throw StoreError("dossier : colonne \(column) illisible (\(error.description))") }
        }
        let id = try row.decode(column: "id", as: String.self)
        let stateText = try row.decode(column: "state", as: String.self)
        guard let state = DossierState(rawValue: stateText) else { throw StoreError("dossier \(id) : état inconnu « \(stateText) »") }
        return Dossier(id: id, title: try row.decode(column: "title", as: String.self), porteur: try row.decode(column: "porteur", as: String.self),
                       campaign: try row.decode(column: "campaign", as: String.self), state: state, version: try row.decode(column: "version", as: Int.self),
                       project: try json("project") ?? .null, frozen: try json("frozen"), instruction: try row.decode(column: "instruction", as: String?.self),
                       region: try row.decode(column: "region", as: String?.self), instructor: try row.decode(column: "instructor", as: String?.self),
                       filedAt: try row.decode(column: "filed_at", as: String?.self), granted: try json("granted"), score: try json("score"),
                       decision: try row.decode(column: "decision", as: String?.self), createdAt: try row.decode(column: "created_at", as: String.self),
                       updatedAt: try row.decode(column: "updated_at", as: String.self), updatedBy: try row.decode(column: "updated_by", as: String.self))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
