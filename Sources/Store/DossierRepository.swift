import Crypto
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
    public var scope: String? { instruction == "CNSA" ? "national" : region }
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

    static let columns = ["id", "title", "porteur", "campaign", "state", "version", "project", "frozen", "instruction", "region",
                          "instructor", "filed_at", "granted", "score", "decision", "created_at", "updated_at", "updated_by"]

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    /// PostgreSQL serialises the dossiers' transitions (E3 across dossiers, the envelope) with this
    /// advisory lock; SQLite with its write transaction.
    static let lockKey = 0x646F_7373

    // MARK: Reading

    public func find(_ id: String) async throws -> Dossier? {
        try await store.sql.select().columns(Self.columns).from("dossiers").where("id", .equal, SQLBind(id)).first().map(Self.dossier)
    }

    /// The dossiers a principal may see (`access.md`): its porteur scopes' own, and the filed ones
    /// routed to its instructeur or lecteur scopes (a national lecteur sees every filed dossier).
    public func list(for principal: Principal, state: DossierState? = nil, campaign: String? = nil, region: String? = nil,
                     department: String? = nil) async throws -> [Dossier] {
        var query = store.sql.select().columns(Self.columns).from("dossiers")
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
        var asked: Set<String> = []
        if principal.has(.expert) {
            asked = Set(try await store.sql.select().column("dossier").from("dossier_avis").where("expert", .equal, SQLBind(principal.email))
                .all().map { try $0.decode(column: "dossier", as: String.self) })
        }
        guard !porteurs.isEmpty || !routed.isEmpty || !asked.isEmpty else { return [] }
        let rows = try await query.where { group in
            var g = group
            if !porteurs.isEmpty { g = g.orWhere("porteur", .in, SQLBind.group(porteurs)) }
            if !routed.isEmpty { g = g.orWhere("state", .notEqual, SQLBind(DossierState.brouillon.rawValue)) }
            if !asked.isEmpty { g = g.orWhere("id", .in, SQLBind.group(Array(asked))) }
            return g
        }.orderBy("updated_at", .descending).limit(1000).all()
        return try rows.map(Self.dossier).filter { Self.sees(principal, $0) || asked.contains($0.id) }
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
        if principal.scopes(.porteur).contains(d.porteur) { return true }
        guard d.state != .brouillon, let scope = d.scope else { return false }
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

    // MARK: Creating and editing

    /// A new dossier in `brouillon`; the project must read (errors name the field under `project`).
    public func create(title: String, project: JSON, porteur: String, by actor: String) async throws -> Dossier {
        let title = title.trimmingCharacters(in: .whitespaces)
        guard !title.isEmpty, title.count <= 200 else { throw DossierError.invalid(InputError(path: "title", reason: "intitulé attendu, 200 caractères au plus")) }
        let (typed, _) = try await checked(project)
        let now = Self.now()
        let dossier = Dossier(id: GrappeRepository.newID(), title: title, porteur: porteur, campaign: typed.campaign, state: .brouillon, version: 1,
                              project: project, frozen: nil, instruction: nil, region: nil, instructor: nil, filedAt: nil, granted: nil,
                              score: nil, decision: nil, createdAt: now, updatedAt: now, updatedBy: actor)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dossiers").columns(Self.columns).values(Self.values(dossier)).run()
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
            try await change(&d)
            d.version += 1
            d.updatedAt = Self.now()
            d.updatedBy = actor
            let values = Self.values(d)
            var update = store.sql.update("dossiers")
            for (column, value) in zip(Self.columns, values) where column != "id" && column != "created_at" { update = update.set(SQLColumn(column), to: value) }
            try await update.where("id", .equal, SQLBind(id)).run()
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
                d.filedAt = Self.now()
                d.frozen = filed.frozen
            case .enInstruction:
                if from == .depose { d.instructor = actor } else {
                    if message == nil { unmet.append("une motivation (message) est requise pour revenir sur une décision") }
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
                .values(SQLBind(d.id), SQLBind(Self.now()), SQLBind(actor), SQLBind(from.rawValue), SQLBind(to.rawValue),
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
        let frozen = JSON.object([
            ("at", .string(Self.now())), ("date", .string(day.description)), ("campaign", .string(assessment.campaign)),
            ("ruleSetVersion", .string(assessment.ruleSetVersion)), ("project", project), ("assessment", assessment.json),
        ])
        return (frozen, instruction, instruction == "CNSA" ? nil : assessment.pivotRegion?.code)
    }

    /// The granted amounts, checked against the frozen assessment.
    func grant(_ d: Dossier, _ json: JSON?) throws -> Assessment.Funding {
        guard let funding = d.frozen?["assessment"]?["funding"] else { throw DossierError.unmet(["aucune évaluation figée : le dossier n'a pas été déposé"]) }
        var frozen = Assessment.Funding()
        for item in Grant.items {
            guard case let .number(text)? = funding[item.rawValue], let cents = Amount.cents(text, decimalSeparators: ["."], groupSeparators: []) else { continue }
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
                  case let .number(total)? = json["total"], let cents = Amount.cents(total, decimalSeparators: ["."], groupSeparators: []) else { continue }
            committed += cents
        }
        if committed + amount > envelope {
            unmet.append("enveloppe de la campagne dépassée (\(RuleID.envelope.rawValue)) : \(Money.format(envelope)), dont \(Money.format(committed)) déjà engagés ; reste \(Money.format(max(0, envelope - committed))) pour \(Money.format(amount)) demandés")
        }
    }

    // MARK: Avis

    public struct Avis: Sendable, Equatable {
        public let id: String
        public let dossier: String
        public let expert: String
        public let question: String
        public let dueDate: String?
        public let askedBy: String
        public let askedAt: String
        public let answer: String?
        public let comment: String?
        public let answeredAt: String?

        public var json: JSON {
            .object([("id", .string(id)), ("dossier", .string(dossier)), ("expert", .string(expert)), ("question", .string(question)),
                     ("dueDate", dueDate.map(JSON.string) ?? .null), ("askedBy", .string(askedBy)), ("askedAt", .string(askedAt)),
                     ("answer", answer.map(JSON.string) ?? .null), ("comment", comment.map(JSON.string) ?? .null),
                     ("answeredAt", answeredAt.map(JSON.string) ?? .null)])
        }
    }

    public static let answers = ["favorable", "defavorable", "reserve"]
    static let avisColumns = ["id", "dossier", "expert", "question", "due_date", "asked_by", "asked_at", "answer", "comment", "answered_at"]

    /// An instructor asks an expert's opinion: the expert must be an account with the `expert` role.
    public func askAvis(_ id: String, expert: String, question: String, dueDate: String?, by actor: String) async throws -> Avis {
        let expert = expert.trimmingCharacters(in: .whitespaces).lowercased()
        let question = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty, question.count <= 10_000 else { throw DossierError.invalid(InputError(path: "question", reason: "question de 1 à 10 000 caractères attendue")) }
        if let dueDate {
            guard let day = CalendarDate(iso: dueDate) else { throw DossierError.invalid(InputError(path: "dueDate", reason: "date attendue au format AAAA-MM-JJ")) }
            guard day >= today() else { throw DossierError.invalid(InputError(path: "dueDate", reason: "l'échéance (\(day.french)) est passée")) }
        }
        guard try await store.sql.select().column("email").from("user_roles").where("email", .equal, SQLBind(expert))
            .where("role", .equal, SQLBind(Role.expert.rawValue)).first() != nil else {
            throw DossierError.invalid(InputError(path: "expert", reason: "aucun compte expert « \(Limits.quote(expert)) »"))
        }
        let avis = Avis(id: GrappeRepository.newID(), dossier: id, expert: expert, question: question, dueDate: dueDate, askedBy: actor,
                        askedAt: Self.now(), answer: nil, comment: nil, answeredAt: nil)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dossier_avis").columns("id", "dossier", "expert", "question", "due_date", "asked_by", "asked_at")
                .values(SQLBind(avis.id), SQLBind(id), SQLBind(expert), SQLBind(question), SQLBind(dueDate), SQLBind(actor), SQLBind(avis.askedAt)).run()
            try await audit.record(actor: actor, action: "dossier.avis.demande", object: "dossier:\(id)", details: .object([("expert", .string(expert))]))
        }
        return avis
    }

    public func avis(dossier: String? = nil, expert: String? = nil) async throws -> [Avis] {
        var query = store.sql.select().columns(Self.avisColumns).from("dossier_avis")
        if let dossier { query = query.where("dossier", .equal, SQLBind(dossier)) }
        if let expert { query = query.where("expert", .equal, SQLBind(expert)) }
        return try await query.orderBy("asked_at").all().map(Self.avisRow)
    }

    /// The expert answers (once; a second answer replaces the first and both are in the audit log).
    public func answerAvis(_ avisID: String, expert: String, answer: String, comment: String?) async throws -> Avis? {
        guard Self.answers.contains(answer) else { throw DossierError.invalid(InputError(path: "answer", reason: "avis attendu : \(Self.answers.joined(separator: ", "))")) }
        if let comment, comment.count > 10_000 { throw DossierError.invalid(InputError(path: "comment", reason: "10 000 caractères au plus")) }
        return try await store.transaction(immediate: true) {
            guard let row = try await store.sql.select().columns(Self.avisColumns).from("dossier_avis").where("id", .equal, SQLBind(avisID))
                .where("expert", .equal, SQLBind(expert)).first() else { return nil }
            let before = try Self.avisRow(row)
            try await store.sql.update("dossier_avis").set("answer", to: SQLBind(answer)).set("comment", to: SQLBind(comment))
                .set("answered_at", to: SQLBind(Self.now())).where("id", .equal, SQLBind(avisID)).run()
            try await audit.record(actor: expert, action: "dossier.avis.reponse", object: "dossier:\(before.dossier)", details: .object([("avis", .string(answer))]))
            return try await store.sql.select().columns(Self.avisColumns).from("dossier_avis").where("id", .equal, SQLBind(avisID)).first().map(Self.avisRow)
        }
    }

    static func avisRow(_ row: any SQLRow) throws -> Avis {
        Avis(id: try row.decode(column: "id", as: String.self), dossier: try row.decode(column: "dossier", as: String.self),
             expert: try row.decode(column: "expert", as: String.self), question: try row.decode(column: "question", as: String.self),
             dueDate: try row.decode(column: "due_date", as: String?.self), askedBy: try row.decode(column: "asked_by", as: String.self),
             askedAt: try row.decode(column: "asked_at", as: String.self), answer: try row.decode(column: "answer", as: String?.self),
             comment: try row.decode(column: "comment", as: String?.self), answeredAt: try row.decode(column: "answered_at", as: String?.self))
    }

    // MARK: Open data

    /// Every accepted dossier with the day of its acceptance, oldest first (`GET /decisions.csv`).
    public func accepted() async throws -> [(dossier: Dossier, decidedOn: String)] {
        let rows = try await store.sql.select().columns(Self.columns).from("dossiers").where("state", .equal, SQLBind(DossierState.accepte.rawValue))
            .orderBy("id").all().map(Self.dossier)
        var result: [(Dossier, String)] = []
        for d in rows {
            let at = try await store.sql.select().column("at").from("dossier_history").where("dossier", .equal, SQLBind(d.id))
                .where("to_state", .equal, SQLBind(DossierState.accepte.rawValue)).orderBy("id", .descending).first()?
                .decode(column: "at", as: String.self) ?? d.updatedAt
            result.append((d, String(at.prefix(10))))
        }
        return result.sorted { ($0.1, $0.0.id) < ($1.1, $1.0.id) }
    }

    // MARK: Ranking

    /// The ranking of a scope's dossiers of a campaign (`national` for the CNSA, else a region).
    public func ranking(campaign: String, scope: String) async throws -> (envelope: Cents?, committed: Cents, lines: [Ranking.Line]) {
        var query = store.sql.select().columns(Self.columns).from("dossiers").where("campaign", .equal, SQLBind(campaign))
            .where("state", .in, SQLBind.group(Ranking.states.map(\.rawValue).sorted()))
        query = scope == "national" ? query.where("instruction", .equal, SQLBind("CNSA"))
            : query.where("instruction", .equal, SQLBind("ARS")).where("region", .equal, SQLBind(scope))
        let candidates = try await query.all().map(Self.dossier).map { d -> Ranking.Candidate in
            let score = d.score?["total"].flatMap { json -> Int? in if case let .number(n) = json { return Int(n) } else { return nil } }
            let amountJSON = d.state == .accepte ? d.granted?["total"] : d.frozen?["assessment"]?["funding"]?["total"]
            var amount: Cents = 0
            if case let .number(text)? = amountJSON { amount = Amount.cents(text, decimalSeparators: ["."], groupSeparators: []) ?? 0 }
            return Ranking.Candidate(id: d.id, title: d.title, state: d.state, priorities: (score ?? 0) >= DossierScore.matureFrom ? ["mature"] : [],
                                     score: score, amount: amount, filedAt: d.filedAt ?? "", decidedAt: d.updatedAt)
        }
        let envelope = engine.catalogue.campaign(campaign).flatMap { $0.rules(on: today()).grid.envelope }
        let lines = Ranking.rank(candidates, envelope: envelope, priorityOrder: ["mature"])
        let committed = lines.filter { $0.candidate.state == .accepte }.reduce(0) { $0 + $1.candidate.amount }
        return (envelope, committed, lines)
    }

    // MARK: Score, messages, annotations

    public func setScore(_ id: String, from version: Int, _ score: DossierScore, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            guard d.state == .enInstruction else { throw DossierError.conflict("la note se donne en instruction (dossier \(d.state.french))") }
            d.score = score.json
            try await audit.record(actor: actor, action: "dossier.note", object: "dossier:\(d.id)", details: .object([("total", .int(score.total))]))
        }
    }

    public struct Note: Sendable, Equatable {
        public let id: Int
        public let kind: String
        public let at: String
        public let author: String
        public let body: String
        public var json: JSON { .object([("id", .int(id)), ("at", .string(at)), ("author", .string(author)), ("body", .string(body))]) }
    }

    /// Appends a message (both sides see it) or a private annotation (instructors only).
    public func addNote(_ id: String, kind: String, body: String, by actor: String) async throws -> Note {
        let body = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty, body.count <= 10_000 else { throw DossierError.invalid(InputError(path: "body", reason: "texte de 1 à 10 000 caractères attendu")) }
        let at = Self.now()
        return try await store.transaction(immediate: true) {
            let rows = try await store.sql.insert(into: "dossier_notes").columns("dossier", "kind", "at", "author", "body")
                .values(SQLBind(id), SQLBind(kind), SQLBind(at), SQLBind(actor), SQLBind(body)).returning("id").all()
            try await audit.record(actor: actor, action: kind == "annotation" ? "dossier.annotation" : "dossier.message", object: "dossier:\(id)")
            return Note(id: try rows.first?.decode(column: "id", as: Int.self) ?? 0, kind: kind, at: at, author: actor, body: body)
        }
    }

    public func notes(_ id: String, kind: String) async throws -> [Note] {
        try await store.sql.select().columns("id", "kind", "at", "author", "body").from("dossier_notes").where("dossier", .equal, SQLBind(id))
            .where("kind", .equal, SQLBind(kind)).orderBy("id").all().map { row in
                Note(id: try row.decode(column: "id", as: Int.self), kind: try row.decode(column: "kind", as: String.self),
                     at: try row.decode(column: "at", as: String.self), author: try row.decode(column: "author", as: String.self),
                     body: try row.decode(column: "body", as: String.self))
            }
    }

    public func history(_ id: String) async throws -> [JSON] {
        try await store.sql.select().columns("at", "actor", "from_state", "to_state", "message", "reason").from("dossier_history")
            .where("dossier", .equal, SQLBind(id)).orderBy("id").all().map { row in
                .object([("at", .string(try row.decode(column: "at", as: String.self))), ("actor", .string(try row.decode(column: "actor", as: String.self))),
                         ("from", (try row.decode(column: "from_state", as: String?.self)).map(JSON.string) ?? .null),
                         ("to", .string(try row.decode(column: "to_state", as: String.self))),
                         ("message", (try row.decode(column: "message", as: String?.self)).map(JSON.string) ?? .null),
                         ("reason", (try row.decode(column: "reason", as: String?.self)).map(JSON.string) ?? .null)])
            }
    }

    // MARK: Documents

    public struct Document: Sendable, Equatable {
        public let id: String
        public let item: String
        public let filename: String
        public let size: Int
        public let sha256: String
        public let contentType: String
        public let uploadedAt: String
        public let uploadedBy: String

        public var json: JSON {
            .object([("id", .string(id)), ("item", .string(item)), ("filename", .string(filename)), ("size", .int(size)),
                     ("sha256", .string(sha256)), ("contentType", .string(contentType)), ("uploadedAt", .string(uploadedAt)),
                     ("uploadedBy", .string(uploadedBy))])
        }
    }

    static let documentColumns = ["id", "item", "filename", "size", "sha256", "content_type", "uploaded_at", "uploaded_by"]

    public func documents(_ id: String) async throws -> [Document] {
        try await store.sql.select().columns(Self.documentColumns).from("dossier_documents").where("dossier", .equal, SQLBind(id))
            .orderBy("uploaded_at").all().map(Self.document)
    }

    /// Stores a document and its record in one transaction, with its SHA-256; an audit event.
    public func addDocument(_ id: String, item: ChecklistItem, filename: String, contentType: String, bytes: [UInt8], by actor: String) async throws -> Document {
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let document = Document(id: GrappeRepository.newID(), item: item.rawValue, filename: String(filename.prefix(200)), size: bytes.count,
                                sha256: sha, contentType: contentType, uploadedAt: Self.now(), uploadedBy: actor)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dossier_documents")
                .columns("id", "dossier", "item", "filename", "size", "sha256", "content_type", "content", "uploaded_at", "uploaded_by")
                .values(SQLBind(document.id), SQLBind(id), SQLBind(document.item), SQLBind(document.filename), SQLBind(document.size),
                        SQLBind(sha), SQLBind(contentType), SQLBind(Data(bytes)), SQLBind(document.uploadedAt), SQLBind(actor)).run()
            try await audit.record(actor: actor, action: "dossier.document.depot", object: "dossier:\(id)",
                                   details: .object([("piece", .string(item.rawValue)), ("sha256", .string(sha)), ("taille", .int(bytes.count))]))
        }
        return document
    }

    /// A document's record and content; reading it is an audit event.
    public func document(_ id: String, _ documentID: String, by actor: String) async throws -> (Document, [UInt8])? {
        guard let row = try await store.sql.select().columns(Self.documentColumns + ["content"]).from("dossier_documents")
            .where("dossier", .equal, SQLBind(id)).where("id", .equal, SQLBind(documentID)).first() else { return nil }
        let document = try Self.document(row)
        let content = try row.decode(column: "content", as: Data.self)
        try await audit.append(actor: actor, action: "dossier.document.lecture", object: "dossier:\(id)", details: .object([("document", .string(documentID))]))
        return (document, [UInt8](content))
    }

    static func document(_ row: any SQLRow) throws -> Document {
        Document(id: try row.decode(column: "id", as: String.self), item: try row.decode(column: "item", as: String.self),
                 filename: try row.decode(column: "filename", as: String.self), size: try row.decode(column: "size", as: Int.self),
                 sha256: try row.decode(column: "sha256", as: String.self), contentType: try row.decode(column: "content_type", as: String.self),
                 uploadedAt: try row.decode(column: "uploaded_at", as: String.self), uploadedBy: try row.decode(column: "uploaded_by", as: String.self))
    }

    // MARK: Rows

    static func values(_ d: Dossier) -> [any SQLExpression] {
        func text(_ json: JSON?) -> any SQLExpression { SQLBind(json?.rendered(indent: false)) }
        return [SQLBind(d.id), SQLBind(d.title), SQLBind(d.porteur), SQLBind(d.campaign), SQLBind(d.state.rawValue), SQLBind(d.version),
                SQLBind(d.project.rendered(indent: false)), text(d.frozen), SQLBind(d.instruction), SQLBind(d.region), SQLBind(d.instructor),
                SQLBind(d.filedAt), text(d.granted), text(d.score), SQLBind(d.decision), SQLBind(d.createdAt), SQLBind(d.updatedAt), SQLBind(d.updatedBy)]
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
