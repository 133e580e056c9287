import Foundation
import Hummingbird
import Rules
import Store

/// The dossiers' pages (`dossiers.md`, « Pages »): the list, and one dossier with its checklist,
/// uploads, transitions, score, messages, annotations and history. Every form carries the version
/// it was built from: a stale one changes nothing and says who changed the dossier meanwhile.
struct DossierPages: Sendable {
    let site: Site
    var dossiers: DossierRepository { site.dossiers }

    func register(on routes: Routes) {
        let id = SiteURL.id
        routes.get(SiteURL.dossiers.path) { request, context in try await list(request, context) }
        routes.post(SiteURL.dossiers.path) { request, context in try await create(request, context) }
        routes.get(SiteURL.dossier(id).path) { _, context in
            try await withDossier(context) { d, principal in try await page(d, principal) }
        }
        routes.get(SiteURL.dossierDecision(id).path) { _, context in
            try await withDossier(context) { d, _ in try await decision(d)?.response() ?? noDecision(d) }
        }
        routes.get(SiteURL.dossierDecisionPDF(id).path) { _, context in
            try await withDossier(context) { d, _ in
                guard let view = try await decision(d) else { return noDecision(d) }
                return await PDF.response(view.html, filename: "decision-\(d.id).pdf")
            }
        }
        routes.get(SiteURL.ranking.path) { request, context in try await ranking(request, context) }
        routes.get(SiteURL.dossierConvention(id).path) { _, context in
            try await withDossier(context) { d, _ in try await convention(d)?.response() ?? noConvention(d) }
        }
        routes.get(SiteURL.dossierConventionPDF(id).path) { _, context in
            try await withDossier(context) { d, _ in
                guard let view = try await convention(d) else { return noConvention(d) }
                return await PDF.response(view.html, filename: "convention-\(d.id).pdf")
            }
        }
        routes.post(SiteURL.dossierTransitions(id).path) { request, context in
            try await changing(request, context) { d, version, form, principal in
                guard let target = form["to"].flatMap(DossierState.init(rawValue:)) else { throw DossierError.invalid(InputError(path: "to", reason: "état inconnu")) }
                let message = form["message"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
                // The small-OG items the instructor modulates (D3); the forfaits stay as frozen.
                var granted: [(String, JSON)] = []
                for item in [Assessment.FundingItem.equipment, .amoaMarche, .amoaProjet] {
                    guard target == .accepte, let raw = form["granted.\(item.rawValue)"] else { continue }
                    switch Amount.formEuros(raw, limit: Limits.expensesCents) {
                    case let .success(cents): granted.append((item.rawValue, JSON.euros(cents)))
                    case let .failure(e): throw DossierError.invalid(InputError(path: "granted.\(item.rawValue)", reason: "\(item.french) : \(e.description)"))
                    }
                }
                return try await dossiers.transition(d.id, from: version, .init(to: target, message: message, reason: form["reason"], granted: granted.isEmpty ? nil : .object(granted)),
                                                     sides: DossierRepository.sides(principal, d), by: principal.email)
            }
        }
        routes.post(SiteURL.dossierScore(id).path) { request, context in
            try await changing(request, context) { d, version, form, principal in
                guard DossierRepository.sides(principal, d).contains(.instructeur) else { throw DossierError.forbidden("seul l'instructeur du dossier le note") }
                let criteria = JSON.object(DossierScore.criteria.map { ($0, form[$0].flatMap(Int.init).map(JSON.int) ?? .null) })
                let score: DossierScore
                let set = Priority.allCases.filter { $0.setByInstructor && form["priority.\($0.rawValue)"] == "on" }.map { JSON.string($0.rawValue) }
                do { score = try DossierScore(json: .object([("criteria", criteria), ("comment", .string(form["comment"] ?? "")), ("priorities", .array(set))])) } catch let e as InputError { throw DossierError.invalid(e) }
                return try await dossiers.setScore(d.id, from: version, score, by: principal.email)
            }
        }
        for (url, kind) in [(SiteURL.dossierMessages(id), "message"), (SiteURL.dossierAnnotations(id), "annotation")] {
            routes.post(url.path) { request, context in
                try await withDossier(context) { d, principal in
                    let sides = DossierRepository.sides(principal, d)
                    guard kind == "message" ? !sides.isEmpty : sides.contains(.instructeur) else {
                        return try await page(d, principal, message: Message(text: "Action réservée au porteur et à l'instructeur du dossier.", refused: true), status: .forbidden)
                    }
                    let form = try await Form.read(request)
                    do { _ = try await dossiers.addNote(d.id, kind: kind, body: form["body"] ?? "", by: principal.email) } catch let e as DossierError {
                        return try await page(d, principal, message: Message(text: Show.sentenceCase(e.description) + ".", refused: true), status: .unprocessableContent)
                    }
                    return redirect(.dossier(d.id))
                }
            }
        }
        routes.post(SiteURL.dossierAvis(id).path) { request, context in
            try await withDossier(context) { d, principal in
                guard DossierRepository.sides(principal, d).contains(.instructeur), d.state != .brouillon else {
                    return try await page(d, principal, message: Message(text: "Seul l'instructeur du dossier demande un avis.", refused: true), status: .forbidden)
                }
                let form = try await Form.read(request)
                do {
                    _ = try await dossiers.askAvis(d.id, expert: form["expert"] ?? "", question: form["question"] ?? "",
                                                   dueDate: form["dueDate"].flatMap { $0.isEmpty ? nil : $0 }, by: principal.email)
                } catch let e as DossierError {
                    return try await page(d, principal, message: Message(text: "Avis non demandé : \(e.description).", refused: true), status: .unprocessableContent)
                }
                return redirect(.dossier(d.id))
            }
        }
        routes.post(SiteURL.avisAnswer(id).path) { request, context in
            guard let principal = context.principal else { throw HTTPError(.unauthorized) }
            let avisID = try context.parameters.require("id")
            let form = try await Form.read(request)
            guard let asked = try await dossiers.avis(expert: principal.email).first(where: { $0.id == avisID }),
                  let d = try await dossiers.find(asked.dossier, for: principal) else {
                return ErrorPage(heading: "Introuvable", sentence: "Demande d'avis inconnue.").response(status: .notFound)
            }
            do {
                _ = try await dossiers.answerAvis(avisID, expert: principal.email, answer: form["answer"] ?? "", comment: form["comment"].flatMap { $0.isEmpty ? nil : $0 })
            } catch let e as DossierError {
                return try await page(d, principal, message: Message(text: "Avis non enregistré : \(e.description).", refused: true), status: .unprocessableContent)
            }
            return redirect(.dossier(d.id))
        }
        routes.post(SiteURL.dossierDocuments(id).path) { request, context in try await upload(request, context) }
        routes.get(SiteURL.dossierDocument(id, document: ":document").path) { _, context in
            try await withDossier(context) { d, principal in
                let documentID = try context.parameters.require("document")
                guard let (document, bytes) = try await dossiers.document(d.id, documentID, by: principal.email) else {
                    return ErrorPage(heading: "Introuvable", sentence: "Pièce inconnue.").response(status: .notFound)
                }
                return DocumentKind.download(document, bytes)
            }
        }
    }

    /// The decision letter of an accepted or refused dossier; nil before a decision.
    func decision(_ d: Dossier) async throws -> DecisionView? {
        guard d.state == .accepte || d.state == .refuse else { return nil }
        let (on, terms) = try await grantTerms(d)
        return DecisionView(dossier: d, decidedOn: on, terms: terms)
    }

    /// The funding convention of an accepted dossier; nil otherwise.
    func convention(_ d: Dossier) async throws -> ConventionView? {
        guard d.state == .accepte else { return nil }
        let (on, terms) = try await grantTerms(d)
        return ConventionView(dossier: d, decidedOn: on, terms: terms)
    }

    /// The day of the dossier's decision and what it grants, read with the registry and the campaign.
    func grantTerms(_ d: Dossier) async throws -> (decidedOn: String, terms: GrantTerms) {
        let at = try await dossiers.decisionTimes([d.id])[d.id] ?? d.updatedAt
        let on = FrenchTime.day(at)?.description ?? String(at.prefix(10))
        let entity = try await site.finess.legalEntity(d.porteur)
        var members: [(finessET: String, name: String)] = []
        if let frozen = d.frozen?["project"], let project = try? await ProjectCompletion.project(frozen, registry: { complete in try await complete(site.finess) }) {
            members = project.establishments.compactMap { e in e.finessET.map { ($0, e.name) } }
        }
        let campaign = site.engine.catalogue.campaign(d.campaign)
        return (on, GrantTerms(dossier: d, beneficiary: entity?.longName ?? entity?.name ?? d.porteur, members: members, campaign: campaign,
                               grid: campaign?.rules(on: CalendarDate(iso: on)).grid))
    }

    /// The ranking page: the caller's scopes (a national lecteur may take any region), the campaign
    /// chosen or the first one of the catalogue; an unknown value is said, never guessed silently.
    func ranking(_ request: Request, _ context: SiteContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let query = Form.query(request)
        let catalogue = site.engine.catalogue
        let own = principal.scopes(.instructeur) + principal.scopes(.lecteur)
        var scopes = Array(Set(own)).sorted()
        if principal.scopes(.lecteur).contains("national") { scopes = ["national"] + Territory.regions.map(\.code).filter { !scopes.contains($0) } + scopes.filter { $0 != "national" } }
        let chosen = query["campaign"].flatMap { id in catalogue.campaign(id) }
            ?? catalogue.campaigns.first { c in c.region.map(scopes.contains) ?? false } ?? catalogue.campaigns.first
        guard let campaign = chosen else { return ErrorPage(heading: "Aucune campagne", sentence: "Le catalogue des campagnes est vide.").response(status: .notFound) }
        if let id = query["campaign"], !id.isEmpty, catalogue.campaign(id) == nil {
            return ErrorPage(heading: "Campagne inconnue", sentence: "Campagne « \(Limits.quote(id)) » inconnue ; campagnes : \(catalogue.campaigns.map(\.id).joined(separator: ", ")).").response(status: .notFound)
        }
        let scope = query["scope"].flatMap { $0.isEmpty ? nil : $0 } ?? campaign.region.flatMap { scopes.contains($0) ? $0 : nil } ?? scopes.first ?? ""
        guard scopes.contains(scope) else {
            return ErrorPage(heading: "Portée hors des vôtres", sentence: "Portée « \(Limits.quote(scope)) » : vous instruisez ou lisez \(own.joined(separator: ", ")).").response(status: .notFound)
        }
        let (envelope, committed, lines) = try await dossiers.ranking(campaign: campaign.id, scope: scope)
        return RankingView(campaign: campaign, scope: scope, scopes: scopes, catalogue: catalogue, envelope: envelope, committed: committed, lines: lines,
                           listed: campaign.rules(on: site.today()).grid.priorities).response()
    }

    func noConvention(_ d: Dossier) -> Response {
        ErrorPage(heading: "Pas de convention", sentence: "Le dossier est « \(d.state.french) » : la convention de financement existe une fois le dossier accepté.").response(status: .conflict)
    }

    func noDecision(_ d: Dossier) -> Response {
        ErrorPage(heading: "Pas de décision", sentence: "Le dossier est « \(d.state.french) » : la lettre de décision existe une fois le dossier accepté ou refusé.").response(status: .conflict)
    }

    func redirect(_ url: SiteURL) -> Response { Response(status: .seeOther, headers: [.location: url.path]) }

    func withDossier(_ context: SiteContext, _ body: (Dossier, Principal) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let id = try context.parameters.require("id")
        guard let d = try await dossiers.find(id, for: principal) else {
            return ErrorPage(heading: "Introuvable", sentence: "Dossier inconnu : « \(Limits.quote(id)) ».").response(status: .notFound)
        }
        return try await body(d, principal)
    }

    /// A form's change against its `version` field; refusals shown on the dossier's page.
    func changing(_ request: Request, _ context: SiteContext,
                  _ change: (Dossier, Int, [String: String], Principal) async throws -> DossierChange) async throws -> Response {
        try await changing(form: try await Form.read(request), context, change)
    }

    /// The same, for a form already read (a multipart one).
    func changing(form: [String: String], _ context: SiteContext,
                  _ change: (Dossier, Int, [String: String], Principal) async throws -> DossierChange) async throws -> Response {
        try await withDossier(context) { d, principal in
            guard let version = form["version"].flatMap(Int.init) else {
                return try await page(d, principal, message: Message(text: "Formulaire incomplet (version du dossier absente) : rien n'a été modifié.", refused: true), status: .badRequest)
            }
            do {
                switch try await change(d, version, form, principal) {
                case .notFound: return ErrorPage(heading: "Introuvable", sentence: "Dossier inconnu.").response(status: .notFound)
                case let .stale(current):
                    return try await page(current, principal, message: Message(text: "Le dossier a été modifié depuis la version \(version) de votre page : il est à la version \(current.version), modifié le \(FrenchTime.dateTime(current.updatedAt)) par \(current.updatedBy). Rien n'a été enregistré ; relisez-le puis recommencez.", refused: true), status: .conflict)
                case .changed: return redirect(.dossier(d.id))
                }
            } catch let e as DossierError {
                switch e {
                case let .unmet(list): return try await page(d, principal, unmet: list, status: .unprocessableContent)
                case .conflict: return try await page(d, principal, message: Message(text: Show.sentenceCase(e.description) + ".", refused: true), status: .conflict)
                case .forbidden: return try await page(d, principal, message: Message(text: Show.sentenceCase(e.description) + ".", refused: true), status: .forbidden)
                case let .invalid(input): return try await page(d, principal, message: Message(text: "\(input.description) : rien n'a été modifié.", refused: true), status: .unprocessableContent)
                }
            }
        }
    }

    func page(_ d: Dossier, _ principal: Principal, message: Message? = nil, unmet: [String] = [], status: HTTPResponse.Status = .ok) async throws -> Response {
        var live: Assessment? = nil, project: Project? = nil, checklist: [ChecklistLine] = [], problem: String? = nil
        do {
            let current = try await dossiers.current(d)
            live = current.assessment
            project = current.project
            checklist = Checklist.lines(current.project, current.assessment)
        } catch let e as InputError { problem = e.description } catch let e as DossierError { problem = e.description }
        let sides = DossierRepository.sides(principal, d)
        let expert = principal.has(.expert)
        let context = DossierView.Context(
            sides: sides, viewer: principal.email, expert: expert, checklist: checklist, documents: try await dossiers.documents(d.id),
            project: project, live: live, problem: problem, messages: try await dossiers.notes(d.id, kind: "message"),
            annotations: sides.contains(.instructeur) ? try await dossiers.notes(d.id, kind: "annotation") : [],
            avis: sides.contains(.instructeur) || expert ? try await dossiers.avis(dossier: d.id) : [],
            history: try await dossiers.history(d.id), priorities: dossiers.priorities(d),
            listedPriorities: site.engine.catalogue.campaign(d.campaign)?.rules(on: site.today()).grid.priorities ?? [],
            payments: d.state == .accepte ? try await dossiers.payments(d) : nil, deadlineHistory: try await dossiers.deadlineHistory(d.id))
        return DossierView(dossier: d, context, message: message, unmet: unmet).response(status: status)
    }

    func list(_ request: Request, _ context: SiteContext, message: Message? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let query = Form.query(request)
        let state = query["state"].flatMap(DossierState.init(rawValue:))
        let campaign = query["campaign"].flatMap { site.engine.catalogue.campaign($0) != nil ? $0 : nil }
        let department = query["department"].flatMap { Territory.department($0) != nil ? $0 : nil }
        // Counts by state of the other filters; the table shows the chosen state.
        let all = try await dossiers.list(for: principal, campaign: campaign, department: department)
        var filter = DossierListView.Filter(state: state, campaign: campaign, department: department, catalogue: site.engine.catalogue)
        if let d = query["department"], !d.isEmpty, department == nil { filter.unknownDepartment = "Département « \(Limits.quote(d)) » inconnu : filtre ignoré." }
        return DossierListView(dossiers: state.map { s in all.filter { $0.state == s } } ?? all, all: all, filter: filter,
                               grappes: try await site.visibleGrappes(), porteur: principal.has(.porteur),
                               instructs: principal.has(.instructeur) || principal.has(.lecteur), message: message)
            .response(status: status)
    }

    func create(_ request: Request, _ context: SiteContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let form = try await Form.read(request)
        guard let grappe = try await site.visibleGrappe(form["grappe"] ?? "") else {
            return try await list(request, context, message: Message(text: "Grappe inconnue.", refused: true), status: .notFound)
        }
        guard case let .string(porteur)? = grappe.project["porteur"], principal.scopes(.porteur).contains(porteur) else {
            return try await list(request, context, message: Message(text: "La grappe n'a pas de porteur parmi vos organismes.", refused: true), status: .unprocessableContent)
        }
        if let pending = Pages.pendingSentence(Pages.missingChoices(grappe.project)) {
            return try await list(request, context, message: Message(text: "Dossier non créé : la grappe « \(grappe.name) » n'est pas complète. \(pending)", refused: true), status: .unprocessableContent)
        }
        do {
            let d = try await dossiers.create(title: form["title"] ?? "", project: grappe.project.removing("filingDate"), porteur: porteur, by: principal.email)
            return redirect(.dossier(d.id))
        } catch let e as DossierError {
            return try await list(request, context, message: Message(text: "Dossier non créé : \(e.description).", refused: true), status: .unprocessableContent)
        }
    }

    func upload(_ request: Request, _ context: SiteContext) async throws -> Response {
        try await withDossier(context) { d, principal in
            let body = try await request.body.collect(upTo: BodyLimit.document)
            func refuse(_ text: String, _ status: HTTPResponse.Status) async throws -> Response {
                try await page(d, principal, message: Message(text: text, refused: true), status: status)
            }
            guard DossierRepository.sides(principal, d).contains(.porteur), d.state.editable else {
                return try await refuse("Les pièces se déposent par le porteur, en brouillon ou en correction demandée.", .conflict)
            }
            guard let parts = Multipart.parts(body, contentType: request.headers[.contentType] ?? ""),
                  let item = parts.firstPart(named: "item").map({ String(buffer: $0.body) }).flatMap(ChecklistItem.init(rawValue:)), !item.byInstructor else {
                return try await refuse("Pièce inconnue : choisissez-la dans la liste.", .unprocessableContent)
            }
            guard let file = parts.firstPart(named: "file"), file.body.readableBytes > 0 else { return try await refuse("Aucun fichier reçu.", .unprocessableContent) }
            let bytes = Array(file.body.readableBytesView)
            guard bytes.count <= DocumentKind.maximumSize else { return try await refuse("Fichier trop volumineux : 20 Mio au plus.", .contentTooLarge) }
            let filename = Multipart.filename(file) ?? item.rawValue
            guard let kind = DocumentKind.recognise(bytes, filename: filename) else {
                return try await refuse("Fichier « \(Limits.quote(filename)) » refusé : son contenu n'est ni PDF, ni ODT, ODS, DOCX, XLSX, CSV, PNG ou JPEG.", .unsupportedMediaType)
            }
            _ = try await dossiers.addDocument(d.id, item: item, filename: filename, contentType: kind.contentType, bytes: bytes, by: principal.email)
            return redirect(.dossier(d.id))
        }
    }
}
