import Foundation
import Rules
import SQLKit

/// After `accepte` (`shared/spec/payments.md`): the conventions, the payment orders proposed by one
/// instructor and validated by another, the usage follow-up of the solde (measures, VSR, expenses,
/// deadline) and the schedule they make (`Schedule`, pure). Every change goes through `changing`
/// (the dossier's version, one transaction) and is an audit event.
extension DossierRepository {
    public enum ConventionKind: String, CaseIterable, Sendable {
        case financement, partenariat

        public var item: ChecklistItem { self == .financement ? .conventionFinancement : .conventionPartenariat }
        public var condition: String { item.rawValue }
    }

    public struct Convention: Sendable, Equatable {
        public let kind: ConventionKind
        public let signedAt: CalendarDate
        public let document: String
        public let recordedBy: String
        public let recordedAt: String
    }

    /// What the follow-up of a dossier holds besides the measures.
    public struct FollowUp: Sendable, Equatable {
        public var vsrDate: CalendarDate?
        /// The deadline revised by the ARS; nil: the one computed (P3).
        public var deadline: CalendarDate?
        public var expenses: Cents?
        public var expensesAccepted = false
        public var expensesMotivation: String?
    }

    /// The schedule of a dossier and what it was computed from.
    public struct Payments: Sendable {
        public let schedule: Schedule
        public let conventions: [Convention]
        public let followUp: FollowUp
        /// The usage decision on the frozen project, once the funding convention is signed.
        public let usage: UsageReport?
        /// The measured ESSMS among the project's.
        public let measured: Int
        /// Where each measured ESSMS's rows come from: `records` (its DUI on the platform) or `upload`.
        public let origins: [String: String]
        public let cancellations: [Assessment.Instalment: String]
        /// The deadline in force is past and the solde is still to come.
        public let late: Bool
    }

    // MARK: Reading

    public func conventions(_ id: String) async throws -> [Convention] {
        try await store.sql.select().columns("kind", "signed_at", "document", "recorded_by", "recorded_at").from("dossier_conventions")
            .where("dossier", .equal, SQLBind(id)).orderBy("kind").all().compactMap { row in
                guard let kind = ConventionKind(rawValue: try row.decode(column: "kind", as: String.self)),
                      let signed = CalendarDate(iso: try row.decode(column: "signed_at", as: String.self)) else { return nil }
                return Convention(kind: kind, signedAt: signed, document: try row.decode(column: "document", as: String.self),
                                  recordedBy: try row.decode(column: "recorded_by", as: String.self), recordedAt: try row.decode(column: "recorded_at", as: String.self))
            }
    }

    func orders(_ id: String) async throws -> (orders: [Assessment.Instalment: Schedule.Order], cancelled: [Assessment.Instalment: String]) {
        var orders: [Assessment.Instalment: Schedule.Order] = [:]
        var cancelled: [Assessment.Instalment: String] = [:]
        let rows = try await store.sql.select().columns("instalment", "amount", "ordered_at", "reference", "proposed_by", "validated_by", "cancelled")
            .from("dossier_payments").where("dossier", .equal, SQLBind(id)).all()
        for row in rows {
            guard let instalment = Assessment.Instalment(rawValue: try row.decode(column: "instalment", as: String.self)) else { continue }
            let motivation = try row.decode(column: "cancelled", as: String?.self)
            if let motivation { cancelled[instalment] = motivation }
            guard let orderedText = try row.decode(column: "ordered_at", as: String?.self), let ordered = CalendarDate(iso: orderedText),
                  let amount = try row.decode(column: "amount", as: Int?.self) else { continue }
            orders[instalment] = Schedule.Order(amount: amount, orderedAt: ordered, reference: try row.decode(column: "reference", as: String?.self) ?? "",
                                                proposedBy: try row.decode(column: "proposed_by", as: String?.self) ?? "",
                                                validatedBy: try row.decode(column: "validated_by", as: String?.self), cancelled: motivation)
        }
        return (orders, cancelled)
    }

    public func followUp(_ id: String) async throws -> FollowUp {
        guard let row = try await store.sql.select().columns("vsr_date", "deadline", "expenses", "expenses_accepted", "expenses_motivation")
            .from("dossier_followup").where("dossier", .equal, SQLBind(id)).first() else { return FollowUp() }
        return FollowUp(vsrDate: try row.decode(column: "vsr_date", as: String?.self).flatMap(CalendarDate.init(iso:)),
                        deadline: try row.decode(column: "deadline", as: String?.self).flatMap(CalendarDate.init(iso:)),
                        expenses: try row.decode(column: "expenses", as: Int?.self),
                        expensesAccepted: try row.decode(column: "expenses_accepted", as: Bool?.self) ?? false,
                        expensesMotivation: try row.decode(column: "expenses_motivation", as: String?.self))
    }

    /// The revisions of the deadline, oldest first: `{at, by, previous, deadline, motivation}`.
    public func deadlineHistory(_ id: String) async throws -> [JSON] {
        try await store.sql.select().columns("previous", "deadline", "motivation", "changed_by", "changed_at").from("dossier_deadlines")
            .where("dossier", .equal, SQLBind(id)).orderBy("id").all().map { row in
                .object([("at", .string(try row.decode(column: "changed_at", as: String.self))), ("by", .string(try row.decode(column: "changed_by", as: String.self))),
                         ("previous", .string(try row.decode(column: "previous", as: String.self))), ("deadline", .string(try row.decode(column: "deadline", as: String.self))),
                         ("motivation", .string(try row.decode(column: "motivation", as: String.self)))])
            }
    }

    /// The schedule of an accepted dossier (payments.md): the amounts from its granted total, the
    /// conditions from what was recorded and from the usage decision on the frozen project.
    public func payments(_ d: Dossier) async throws -> Payments? {
        guard let grantedTotal = d.granted?["total"]?.cents, let campaign = engine.catalogue.campaign(d.campaign) else { return nil }
        let day = today()
        let grid = campaign.rules(on: day).grid
        let (project, _) = try await current(d)
        let conventions = try await conventions(d.id)
        let (orders, cancelled) = try await orders(d.id)
        let followUp = try await followUp(d.id)
        let funding = conventions.first { $0.kind == .financement }?.signedAt
        let organismes = Set(project.establishments.map(\.finessEJ))
        var input = Schedule.Input(granted: grantedTotal, advancePercent: grid.advancePercent, expensesThresholdPercent: grid.expensesThresholdPercent,
                                   accepted: d.state == .accepte, partnershipRequired: organismes.count > 1,
                                   fundingSignedAt: funding, partnershipSignedAt: conventions.first { $0.kind == .partenariat }?.signedAt, orders: orders,
                                   targets: [.mss: grid.targetMssante, .dmp: grid.targetDmp, .activeRecords: grid.targetDui, .withProjet: grid.targetDui, .withEvent: grid.targetDui],
                                   deadlineRevised: followUp.deadline != nil,
                                   expenses: followUp.expenses.map { Schedule.Expenses(amount: $0, accepted: followUp.expensesAccepted) })
        input.cancelled = Set(cancelled.keys)
        var report: UsageReport? = nil
        var measured = 0
        var origins: [String: String] = [:]
        if let funding {
            let ets = project.establishments.compactMap(\.finessET)
            var measures = try await UsageRepository(store: store).measures(for: ets)
            // An ESSMS whose DUI runs on the platform uploads nothing: its rows come from its
            // records (dui.md), from the commitment's month to the last month completed.
            let dui = DUIRepository(store: store, today: today)
            let onPlatform = try await dui.establishmentsWithRecords(ets)
            if !onPlatform.isEmpty {
                measures.removeAll { onPlatform.contains($0.finessET) }
                let last = YearMonth(day).adding(-1)
                if YearMonth(funding) <= last {
                    for et in onPlatform.sorted() { measures += try await dui.measures(finessET: et, from: YearMonth(funding), to: last) }
                }
            }
            measured = Set(measures.map(\.finessET)).count
            origins = Dictionary(uniqueKeysWithValues: Set(measures.map(\.finessET)).map { ($0, onPlatform.contains($0) ? "records" : "upload") })
            // The usage decision of usage.md on the frozen project; condition 3 is the schedule's.
            let usage = UsageProject(project: project, commitmentDate: funding, vsrDate: followUp.vsrDate, expenses: nil)
            do { report = try engine.usageReport(usage, measures: measures, asOf: day) } catch { throw StoreError("suivi des usages du dossier \(d.id) : \(error.description)") }
            if let report {
                let deadline = followUp.deadline ?? report.deadline
                input.deadline = deadline
                if !measures.isEmpty {
                    input.usage = Schedule.Usage(failing: report.solde.failing, month: report.solde.month, deadline: deadline, deadlineRevised: followUp.deadline != nil)
                }
            }
        }
        let schedule = Schedule(input)
        let solde = schedule[.solde]
        let late = solde.status == .aVenir && solde.deadline.map { $0 < day } == true
        return Payments(schedule: schedule, conventions: conventions, followUp: followUp, usage: report, measured: measured, origins: origins,
                        cancellations: cancelled, late: late)
    }

    // MARK: Changing

    /// An accepted dossier's money changes only with an instructor of its scope; the porteur's
    /// part (measures, VSR, expenses) is named where it is allowed.
    func requireAccepted(_ d: Dossier) throws {
        guard d.state == .accepte else { throw DossierError.conflict("dossier \(d.state.french) : le suivi des paiements commence à l'acceptation") }
    }

    func recordedDate(_ text: String?, path: String) throws -> CalendarDate {
        guard let text, let date = CalendarDate(iso: text) else { throw DossierError.invalid(InputError(path: path, reason: "date attendue au format AAAA-MM-JJ")) }
        guard date <= today() else { throw DossierError.invalid(InputError(path: path, reason: "date postérieure à aujourd'hui (\(today().french))")) }
        return date
    }

    /// Records a signed convention with its document (an upload of the dossier of the same item).
    public func recordConvention(_ id: String, from version: Int, kind: ConventionKind, signedAt: String?, document: String?, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            try requireAccepted(d)
            let signed = try recordedDate(signedAt, path: "signedAt")
            guard let document, let stored = try await documents(d.id).first(where: { $0.id == document }) else {
                throw DossierError.invalid(InputError(path: "document", reason: "pièce inconnue de ce dossier : déposez d'abord la convention signée (POST …/documents, item \(kind.item.rawValue))"))
            }
            guard stored.item == kind.item.rawValue else {
                throw DossierError.invalid(InputError(path: "document", reason: "la pièce \(document) est « \(stored.item) », pas « \(kind.item.rawValue) »"))
            }
            if kind == .partenariat {
                let (project, _) = try await current(d)
                guard Set(project.establishments.map(\.finessEJ)).count > 1 else {
                    throw DossierError.invalid(InputError(path: "kind", reason: "la grappe n'a qu'un organisme gestionnaire : pas de convention de partenariat"))
                }
            }
            let (orders, _) = try await orders(d.id)
            guard orders[.avance] == nil else { throw DossierError.conflict("l'avance est déjà proposée ou ordonnée : les conventions ne changent plus") }
            try await store.sql.delete(from: "dossier_conventions").where("dossier", .equal, SQLBind(d.id)).where("kind", .equal, SQLBind(kind.rawValue)).run()
            try await store.sql.insert(into: "dossier_conventions").columns("dossier", "kind", "signed_at", "document", "recorded_by", "recorded_at")
                .values(SQLBind(d.id), SQLBind(kind.rawValue), SQLBind(signed.description), SQLBind(document), SQLBind(actor), SQLBind(Timestamp.now())).run()
            try await audit.record(actor: actor, action: "dossier.convention", object: "dossier:\(d.id)",
                                   details: .object([("convention", .string(kind.rawValue)), ("signeeLe", .string(signed.description)), ("piece", .string(document))]))
        }
    }

    /// Proposes the payment order of an instalment: once, when due, for its amount to the cent.
    public func proposePayment(_ id: String, from version: Int, instalment: Assessment.Instalment, amount: JSON?, orderedAt: String?, reference: String?,
                               by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            try requireAccepted(d)
            guard let cents = amount?.cents else { throw DossierError.invalid(InputError(path: "amount", reason: "montant en euros attendu (nombre, au plus deux décimales)")) }
            let ordered = try recordedDate(orderedAt, path: "orderedAt")
            guard let reference = reference?.trimmingCharacters(in: .whitespaces), !reference.isEmpty, reference.count <= 100 else {
                throw DossierError.invalid(InputError(path: "reference", reason: "référence du mandat attendue, 100 caractères au plus"))
            }
            guard let payments = try await payments(d) else { throw DossierError.conflict("dossier sans montant accordé") }
            let line = payments.schedule[instalment]
            if line.order != nil || line.status == .annule {
                throw DossierError.conflict("\(instalment.french) déjà \(line.status.french) : un ordre de paiement ne se propose qu'une fois")
            }
            guard line.status == .exigible else {
                throw DossierError.unmet(line.conditions.filter { !$0.met }.map { "\($0.condition) (\($0.rule.rawValue)) : \($0.detail)" })
            }
            guard cents == line.amount else {
                throw DossierError.invalid(InputError(path: "amount", reason: "\(Money.format(cents)) au lieu de \(Money.format(line.amount)), le montant exact de l'\(instalment == .avance ? "avance" : "échéance du solde")"))
            }
            try await store.sql.insert(into: "dossier_payments").columns("dossier", "instalment", "amount", "ordered_at", "reference", "proposed_by", "proposed_at")
                .values(SQLBind(d.id), SQLBind(instalment.rawValue), SQLBind(cents), SQLBind(ordered.description), SQLBind(reference), SQLBind(actor), SQLBind(Timestamp.now())).run()
            try await audit.record(actor: actor, action: "paiement.proposition", object: "dossier:\(d.id)",
                                   details: .object([("echeance", .string(instalment.rawValue)), ("montant", .euros(cents)), ("reference", .string(reference))]))
        }
    }

    /// Validates a proposed order: another instructor than the one who proposed it.
    public func validatePayment(_ id: String, from version: Int, instalment: Assessment.Instalment, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            try requireAccepted(d)
            let (orders, _) = try await orders(d.id)
            guard let order = orders[instalment], order.cancelled == nil else {
                throw DossierError.conflict("\(instalment.french) : aucun ordre de paiement proposé à valider")
            }
            guard order.validatedBy == nil else { throw DossierError.conflict("\(instalment.french) : ordre déjà validé par \(order.validatedBy ?? "")") }
            guard order.proposedBy != actor else {
                throw DossierError.forbidden("deux personnes pour payer : l'ordre proposé par \(actor) se valide par un autre instructeur du même périmètre")
            }
            try await store.sql.update("dossier_payments").set("validated_by", to: SQLBind(actor)).set("validated_at", to: SQLBind(Timestamp.now()))
                .where("dossier", .equal, SQLBind(d.id)).where("instalment", .equal, SQLBind(instalment.rawValue)).run()
            try await audit.record(actor: actor, action: "paiement.validation", object: "dossier:\(d.id)",
                                   details: .object([("echeance", .string(instalment.rawValue)), ("montant", .euros(order.amount)), ("proposePar", .string(order.proposedBy))]))
        }
    }

    /// Cancels an instalment not yet ordered (a proposal included), with a motivation.
    public func cancelPayment(_ id: String, from version: Int, instalment: Assessment.Instalment, motivation: String?, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            try requireAccepted(d)
            guard let motivation = motivation?.trimmingCharacters(in: .whitespacesAndNewlines), !motivation.isEmpty, motivation.count <= 10_000 else {
                throw DossierError.invalid(InputError(path: "motivation", reason: "motivation requise, 10 000 caractères au plus"))
            }
            let (orders, cancelled) = try await orders(d.id)
            guard cancelled[instalment] == nil else { throw DossierError.conflict("\(instalment.french) déjà annulé") }
            if let order = orders[instalment], order.validatedBy != nil { throw DossierError.conflict("\(instalment.french) déjà ordonné : il ne s'annule plus") }
            if orders[instalment] != nil {
                try await store.sql.update("dossier_payments").set("cancelled", to: SQLBind(motivation)).set("cancelled_by", to: SQLBind(actor))
                    .set("cancelled_at", to: SQLBind(Timestamp.now())).where("dossier", .equal, SQLBind(d.id)).where("instalment", .equal, SQLBind(instalment.rawValue)).run()
            } else {
                try await store.sql.insert(into: "dossier_payments").columns("dossier", "instalment", "cancelled", "cancelled_by", "cancelled_at")
                    .values(SQLBind(d.id), SQLBind(instalment.rawValue), SQLBind(motivation), SQLBind(actor), SQLBind(Timestamp.now())).run()
            }
            try await audit.record(actor: actor, action: "paiement.annulation", object: "dossier:\(d.id)",
                                   details: .object([("echeance", .string(instalment.rawValue)), ("motivation", .string(motivation))]))
        }
    }

    /// Writes the follow-up row of a dossier.
    func saveFollowUp(_ id: String, _ f: FollowUp, declaredBy: String? = nil, acceptedBy: String? = nil) async throws {
        try await store.sql.delete(from: "dossier_followup").where("dossier", .equal, SQLBind(id)).run()
        try await store.sql.insert(into: "dossier_followup")
            .columns("dossier", "vsr_date", "deadline", "expenses", "expenses_declared_by", "expenses_accepted", "expenses_motivation", "expenses_accepted_by")
            .values(SQLBind(id), SQLBind(f.vsrDate?.description), SQLBind(f.deadline?.description), SQLBind(f.expenses), SQLBind(declaredBy),
                    SQLBind(f.expensesAccepted), SQLBind(f.expensesMotivation), SQLBind(acceptedBy)).run()
    }

    /// The VSR date (measures count from the month after it).
    public func setVSR(_ id: String, from version: Int, vsrDate: String?, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            try requireAccepted(d)
            let vsr = try recordedDate(vsrDate, path: "vsrDate")
            if let funding = try await conventions(d.id).first(where: { $0.kind == .financement })?.signedAt, vsr < funding {
                throw DossierError.invalid(InputError(path: "vsrDate", reason: "la VSR (\(vsr.french)) précède la convention de financement (\(funding.french))"))
            }
            var f = try await followUp(d.id)
            f.vsrDate = vsr
            try await saveFollowUp(d.id, f)
            try await audit.record(actor: actor, action: "dossier.vsr", object: "dossier:\(d.id)", details: .object([("vsr", .string(vsr.description))]))
        }
    }

    /// The porteur declares the expenses (`amount`); the instructor accepts them explicitly
    /// (`accepted`, with a motivation) when they are below the campaign's threshold.
    public func setExpenses(_ id: String, from version: Int, body: JSON, sides: Set<DossierSide>, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            try requireAccepted(d)
            var f = try await followUp(d.id)
            if let amount = body["amount"] {
                guard sides.contains(.porteur) else { throw DossierError.forbidden("les dépenses se déclarent par le porteur") }
                guard let cents = amount.cents, cents >= 0, cents <= Limits.expensesCents else {
                    throw DossierError.invalid(InputError(path: "amount", reason: "montant en euros positif attendu, au plus deux décimales, au plus \(Money.format(Limits.expensesCents))"))
                }
                f.expenses = cents
                f.expensesAccepted = false
                f.expensesMotivation = nil
                try await saveFollowUp(d.id, f, declaredBy: actor)
                try await audit.record(actor: actor, action: "depenses.declaration", object: "dossier:\(d.id)", details: .object([("montant", .euros(cents))]))
            } else if let accepted = body["accepted"] {
                guard sides.contains(.instructeur) else { throw DossierError.forbidden("seul l'instructeur accepte des dépenses sous le seuil") }
                guard accepted == .bool(true) else { throw DossierError.invalid(InputError(path: "accepted", reason: "true attendu : l'acceptation est explicite")) }
                guard case let .string(text)? = body["motivation"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, text.count <= 10_000 else {
                    throw DossierError.invalid(InputError(path: "motivation", reason: "motivation requise pour accepter des dépenses sous le seuil"))
                }
                guard f.expenses != nil else { throw DossierError.conflict("aucune dépense déclarée par le porteur") }
                f.expensesAccepted = true
                f.expensesMotivation = text
                try await saveFollowUp(d.id, f, acceptedBy: actor)
                try await audit.record(actor: actor, action: "depenses.acceptation", object: "dossier:\(d.id)", details: .object([("motivation", .string(text))]))
            } else {
                throw DossierError.invalid(InputError(path: "amount", reason: "« amount » (le porteur) ou « accepted » et « motivation » (l'instructeur) attendus"))
            }
        }
    }

    /// The ARS revises the deadline of the targets ([003] Q32), with a motivation; the history
    /// keeps the former date.
    public func reviseDeadline(_ id: String, from version: Int, deadline: String?, motivation: String?, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            try requireAccepted(d)
            guard let deadline, let date = CalendarDate(iso: deadline) else { throw DossierError.invalid(InputError(path: "deadline", reason: "date attendue au format AAAA-MM-JJ")) }
            guard let motivation = motivation?.trimmingCharacters(in: .whitespacesAndNewlines), !motivation.isEmpty, motivation.count <= 10_000 else {
                throw DossierError.invalid(InputError(path: "motivation", reason: "motivation requise, 10 000 caractères au plus"))
            }
            guard let payments = try await payments(d), let previous = payments.schedule[.solde].deadline else {
                throw DossierError.conflict("pas d'échéance avant la signature de la convention de financement")
            }
            var f = payments.followUp
            f.deadline = date
            try await saveFollowUp(d.id, f)
            try await store.sql.insert(into: "dossier_deadlines").columns("dossier", "previous", "deadline", "motivation", "changed_by", "changed_at")
                .values(SQLBind(d.id), SQLBind(previous.description), SQLBind(date.description), SQLBind(motivation), SQLBind(actor), SQLBind(Timestamp.now())).run()
            try await audit.record(actor: actor, action: "echeance.revision", object: "dossier:\(d.id)",
                                   details: .object([("avant", .string(previous.description)), ("apres", .string(date.description)), ("motivation", .string(motivation))]))
        }
    }

    /// The monthly measures of the dossier's establishments (`usage.md`), refused whole.
    public func importMeasures(_ id: String, from version: Int, text: String, by actor: String) async throws -> (DossierChange, UsageRepository.ImportCounts?) {
        var counts: UsageRepository.ImportCounts? = nil
        let change = try await changing(id, from: version, by: actor) { d in
            try requireAccepted(d)
            let (project, _) = try await current(d)
            let rows: [MonthlyMeasure]
            do { rows = try await MeasuresFile.parseOffEventLoop(text, file: "mesures", establishments: Set(project.establishments.compactMap(\.finessET))) } catch let refused as MeasuresFile.Refused {
                throw DossierError.unmet(refused.problems.map(\.description))
            }
            counts = try await UsageRepository(store: store).write(rows, by: actor, source: "dossier \(d.id)")
        }
        return (change, counts)
    }
}

extension DossierRepository {
    /// One scope's envelope of a campaign (`GET /envelopes`): what its accepted dossiers commit,
    /// what was ordered, what remains, and its dossiers by state.
    public struct Envelope: Sendable, Equatable {
        public let scope: String
        public let campaign: String
        public let envelope: Cents?
        public var committed: Cents = 0
        public var ordered: Cents = 0
        public var counts: [DossierState: Int] = [:]

        public init(scope: String, campaign: String, envelope: Cents?) {
            self.scope = scope; self.campaign = campaign; self.envelope = envelope
        }

        public var remaining: Cents? { envelope.map { $0 - committed } }

        public var json: JSON {
            .object([("scope", .string(scope)), ("campaign", .string(campaign)), ("envelope", envelope.map(JSON.euros) ?? .null),
                     ("committed", .euros(committed)), ("ordered", .euros(ordered)), ("remaining", remaining.map(JSON.euros) ?? .null),
                     ("counts", .object(DossierState.allCases.filter { $0 != .brouillon }.map { ($0.rawValue, .int(counts[$0] ?? 0)) }))])
        }
    }

    /// The envelopes of a campaign for these scopes (`national` for the CNSA's dossiers, else a
    /// region code); `every`: also each scope that has a filed dossier (a national reader).
    public func envelopes(campaign id: String, scopes: [String], every: Bool) async throws -> [Envelope] {
        guard let campaign = engine.catalogue.campaign(id) else { return [] }
        let amount = campaign.rules(on: today()).grid.envelope
        var byScope: [String: Envelope] = [:]
        func scope(_ instruction: String?, _ region: String?) -> String? { Dossier.scope(instruction: instruction, region: region) }
        for s in scopes { byScope[s] = Envelope(scope: s, campaign: id, envelope: amount) }
        if every, let region = campaign.region { byScope[region] = byScope[region] ?? Envelope(scope: region, campaign: id, envelope: amount) }
        let rows = try await store.sql.select().columns("state", "granted", "instruction", "region").from("dossiers")
            .where("campaign", .equal, SQLBind(id)).where("state", .notEqual, SQLBind(DossierState.brouillon.rawValue)).all()
        for row in rows {
            guard let s = scope(try row.decode(column: "instruction", as: String?.self), try row.decode(column: "region", as: String?.self)),
                  let state = DossierState(rawValue: try row.decode(column: "state", as: String.self)) else { continue }
            if byScope[s] == nil, every { byScope[s] = Envelope(scope: s, campaign: id, envelope: amount) }
            guard byScope[s] != nil else { continue }
            byScope[s]?.counts[state, default: 0] += 1
            if state == .accepte, let text = try row.decode(column: "granted", as: String?.self), let total = (try? JSON.parse(text))?["total"]?.cents {
                byScope[s]?.committed += total
            }
        }
        let orders = try await store.sql.select().column(SQLColumn("amount", table: "p")).column(SQLColumn("instruction", table: "d")).column(SQLColumn("region", table: "d"))
            .from(SQLAlias(SQLIdentifier("dossier_payments"), as: SQLIdentifier("p")))
            .join(SQLAlias(SQLIdentifier("dossiers"), as: SQLIdentifier("d")), on: SQLColumn("id", table: "d"), .equal, SQLColumn("dossier", table: "p"))
            .where(SQLColumn("campaign", table: "d"), .equal, SQLBind(id)).where(SQLColumn("validated_by", table: "p"), .isNot, SQLLiteral.null)
            .where(SQLColumn("cancelled", table: "p"), .is, SQLLiteral.null).all()
        for row in orders {
            guard let s = scope(try row.decode(column: "instruction", as: String?.self), try row.decode(column: "region", as: String?.self)), byScope[s] != nil else { continue }
            byScope[s]?.ordered += try row.decode(column: "amount", as: Int?.self) ?? 0
        }
        return byScope.values.sorted { $0.scope < $1.scope }
    }
}
