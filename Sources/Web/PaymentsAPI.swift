import Foundation
import Hummingbird
import Rules
import Store

/// After the decision (`shared/spec/payments.md`): the schedule of a dossier, the conventions, the
/// payment orders (two instructors), the usage follow-up of the solde and the envelopes. Every
/// change takes `If-Match` and answers the dossier's schedule with its new `ETag`.
struct PaymentsAPI: Sendable {
    let site: Site
    var api: DossierAPI { DossierAPI(site: site) }
    var dossiers: DossierRepository { site.dossiers }

    func register(on routes: Routes) {
        let id = SiteURL.id, instalment = SiteURL.instalment
        routes.get(SiteURL.apiDossierPayments(id).path) { _, context in
            try await api.withDossier(context) { d, _ in
                guard let json = try await Self.schedule(d, dossiers) else { return Self.notAccepted(d) }
                return DossierAPI.tagged(.ok, json, d)
            }
        }
        routes.post(SiteURL.apiDossierPayments(id).path) { request, context in
            try await changing(request, context, side: .instructeur, "seul un instructeur du périmètre du dossier propose un paiement") { d, version, principal in
                let body = try await API.readJSON(request)
                return try await dossiers.proposePayment(d.id, from: version, instalment: try Self.instalment(DossierAPI.text(body["instalment"]), path: "instalment"),
                                                         amount: body["amount"], orderedAt: DossierAPI.text(body["orderedAt"]),
                                                         reference: DossierAPI.text(body["reference"]), by: principal.email)
            }
        }
        routes.post(SiteURL.apiPaymentValidation(id, instalment: instalment).path) { request, context in
            try await changing(request, context, side: .instructeur, "seul un instructeur du périmètre du dossier valide un paiement") { d, version, principal in
                try await dossiers.validatePayment(d.id, from: version, instalment: try Self.instalment(context.parameters.get("instalment"), path: "instalment"),
                                                   by: principal.email)
            }
        }
        routes.post(SiteURL.apiPaymentCancellation(id, instalment: instalment).path) { request, context in
            try await changing(request, context, side: .instructeur, "seul un instructeur du périmètre du dossier annule une échéance") { d, version, principal in
                let body = try await API.readJSON(request)
                return try await dossiers.cancelPayment(d.id, from: version, instalment: try Self.instalment(context.parameters.get("instalment"), path: "instalment"),
                                                        motivation: DossierAPI.text(body["motivation"]), by: principal.email)
            }
        }
        routes.post(SiteURL.apiDossierConventions(id).path) { request, context in
            try await changing(request, context, side: .instructeur, "les conventions sont enregistrées par l'instructeur du dossier") { d, version, principal in
                let body = try await API.readJSON(request)
                guard let text = DossierAPI.text(body["kind"]), let kind = DossierRepository.ConventionKind(rawValue: text) else {
                    throw DossierError.invalid(InputError(path: "kind", reason: "convention attendue : financement ou partenariat"))
                }
                return try await dossiers.recordConvention(d.id, from: version, kind: kind, signedAt: DossierAPI.text(body["signedAt"]),
                                                           document: DossierAPI.text(body["document"]), by: principal.email)
            }
        }
        routes.put(SiteURL.apiDossierVSR(id).path) { request, context in
            try await changing(request, context, side: nil, "") { d, version, principal in
                try await dossiers.setVSR(d.id, from: version, vsrDate: DossierAPI.text(try await API.readJSON(request)["vsrDate"]), by: principal.email)
            }
        }
        routes.put(SiteURL.apiDossierExpenses(id).path) { request, context in
            try await changing(request, context, side: nil, "") { d, version, principal in
                try await dossiers.setExpenses(d.id, from: version, body: try await API.readJSON(request), sides: DossierRepository.sides(principal, d), by: principal.email)
            }
        }
        routes.put(SiteURL.apiDossierDeadline(id).path) { request, context in
            try await changing(request, context, side: .instructeur, "seul l'instructeur révise l'échéance") { d, version, principal in
                let body = try await API.readJSON(request)
                return try await dossiers.reviseDeadline(d.id, from: version, deadline: DossierAPI.text(body["deadline"]),
                                                         motivation: DossierAPI.text(body["motivation"]), by: principal.email)
            }
        }
        routes.post(SiteURL.apiDossierMeasures(id).path) { request, context in
            try await changing(request, context, side: nil, "") { d, version, principal in
                let text = try await Self.measuresText(request)
                return try await dossiers.importMeasures(d.id, from: version, text: text, by: principal.email).0
            }
        }
        routes.get(SiteURL.apiEnvelopes.path) { request, context in
            guard let principal = context.principal else { throw HTTPError(.unauthorized) }
            guard let campaign = Form.query(request)["campaign"], site.engine.catalogue.campaign(campaign) != nil else {
                return JSONResponse.error(.badRequest, path: "campaign", "campagne attendue : \(site.engine.catalogue.campaigns.map(\.id).joined(separator: ", "))")
            }
            let scopes = Array(Set(principal.scopes(.instructeur) + principal.scopes(.lecteur)))
            let every = principal.scopes(.lecteur).contains("national")
            let list = try await dossiers.envelopes(campaign: campaign, scopes: scopes.filter { $0 != "national" || !every }, every: every)
            return JSONResponse.make(.ok, .array(list.map(\.json)))
        }
    }

    /// A change by one side of the dossier (`side`; nil: either), against `If-Match`; the answer
    /// is the schedule with the dossier's new `ETag`.
    func changing(_ request: Request, _ context: SiteContext, side: DossierSide?, _ refusal: String,
                  _ change: @escaping (Dossier, Int, Principal) async throws -> DossierChange) async throws -> Response {
        try await api.changing(request, context, answer: { d, _ in try await Self.schedule(d, dossiers) ?? .null }) { d, version, principal in
            let sides = DossierRepository.sides(principal, d)
            if let side { guard sides.contains(side) else { throw DossierError.forbidden(refusal) } } else {
                guard !sides.isEmpty else { throw DossierError.forbidden("réservé au porteur et à l'instructeur du dossier") }
            }
            return try await change(d, version, principal)
        }
    }

    static func instalment(_ text: String?, path: String) throws -> Assessment.Instalment {
        guard let text, let instalment = Assessment.Instalment(rawValue: text) else {
            throw DossierError.invalid(InputError(path: path, reason: "échéance attendue : avance ou solde"))
        }
        return instalment
    }

    static func notAccepted(_ d: Dossier) -> Response {
        JSONResponse.error(.conflict, path: nil, "dossier \(d.state.french) : pas d'échéancier avant l'acceptation")
    }

    /// The measures file: the body itself (`text/csv`) or the `file` part of a multipart form.
    static func measuresText(_ request: Request) async throws -> String {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: BodyLimit.upload) } catch {
            throw API.ErrorResponse(JSONResponse.error(.contentTooLarge, path: "file", "fichier de mesures trop grand : \(BodyLimit.upload >> 20) Mio au plus"))
        }
        let type = request.headers[.contentType] ?? ""
        guard type.lowercased().hasPrefix("multipart/form-data") else { return String(decoding: buffer.readableBytesView, as: UTF8.self) }
        guard let part = Multipart.parts(buffer, contentType: type)?.firstPart(named: "file") else {
            throw DossierError.invalid(InputError(path: "file", reason: "fichier de mesures attendu (partie « file »)"))
        }
        return String(decoding: part.body.readableBytesView, as: UTF8.self)
    }

    /// The schedule of `payments.md`, nil before the acceptance.
    static func schedule(_ d: Dossier, _ dossiers: DossierRepository) async throws -> JSON? {
        guard let p = try await dossiers.payments(d) else { return nil }
        let history = try await dossiers.deadlineHistory(d.id)
        func line(_ l: Schedule.Line) -> JSON {
            var fields: [(String, JSON)] = [
                ("instalment", .string(l.instalment.rawValue)), ("amount", .euros(l.amount)), ("status", .string(l.status.rawValue)),
                ("conditions", .array(l.conditions.map { c in
                    .object([("rule", .string(c.rule.rawValue)), ("condition", .string(c.condition)), ("met", .bool(c.met)), ("detail", .string(c.detail))])
                })),
            ]
            if let order = l.order {
                fields += [("orderedAt", .string(order.orderedAt.description)), ("reference", .string(order.reference)),
                           ("proposedBy", .string(order.proposedBy)), ("validatedBy", order.validatedBy.map(JSON.string) ?? .null)]
            }
            if let motivation = p.cancellations[l.instalment] { fields.append(("cancelled", .string(motivation))) }
            if l.instalment == .solde {
                fields += [("deadline", l.deadline.map { .string($0.description) } ?? .null), ("deadlineRevised", .bool(l.deadlineRevised)),
                           ("late", .bool(p.late))]
                if !history.isEmpty { fields.append(("deadlineHistory", .array(history))) }
            }
            return .object(fields)
        }
        let f = p.followUp
        return .object([
            ("granted", .euros(p.schedule.granted)),
            ("instalments", .array(p.schedule.lines.map(line))),
            ("conventions", .array(p.conventions.map { c in
                .object([("kind", .string(c.kind.rawValue)), ("signedAt", .string(c.signedAt.description)), ("document", .string(c.document)),
                         ("recordedBy", .string(c.recordedBy))])
            })),
            ("commitmentDate", p.conventions.first { $0.kind == .financement }.map { .string($0.signedAt.description) } ?? .null),
            ("vsrDate", f.vsrDate.map { .string($0.description) } ?? .null),
            ("expenses", f.expenses.map { .object([("amount", .euros($0)), ("accepted", .bool(f.expensesAccepted)),
                                                   ("motivation", f.expensesMotivation.map(JSON.string) ?? .null)]) } ?? .null),
            ("measuredEstablishments", .int(p.measured)),
            ("measures", .array(p.origins.keys.sorted().map { et in .object([("finessET", .string(et)), ("origin", .string(p.origins[et] ?? "upload"))]) })),
        ])
    }
}
