import Foundation
import Hummingbird
import Rules
import Store

/// The DUI's pages for a professional (`dui.md`): thin handlers that check the establishment (its
/// `professionnel` or `direction`, or its OG's `direction`; 404 for anyone else), read the
/// records (each reading an audit event) and build the view model.
struct DUIPages: Sendable {
    let site: Site
    var api: DUIAPI { DUIAPI(site: site) }
    var records: DUIRepository { api.records }

    func register(on routes: Routes) {
        routes.get(SiteURL.duiPersons(":et").path) { request, context in
            try await establishment(context, .persons) { et, nav, principal, _ in
                let query = String((Form.query(request)["q"] ?? "").prefix(200))
                return DUIPersonsView(nav: nav, query: query, persons: try await records.persons(finessET: et, by: principal.email),
                                      admissions: try await records.admissions(finessET: et, by: principal.email)).response()
            }
        }
        routes.get(SiteURL.duiAgenda(":et").path) { request, context in
            try await establishment(context, .agenda) { et, nav, principal, _ in
                let query = Form.query(request)
                let week = query["vue"] != "mois"
                let day = query["date"].flatMap(CalendarDate.init(iso:)) ?? site.today()
                let (from, to) = AgendaView.range(day, week: week)
                let events = try await records.agenda(finessET: et, from: from, to: to, by: principal.email)
                return AgendaView(nav: nav, day: day, week: week, today: site.today(), events: events).response()
            }
        }
        routes.get(SiteURL.duiIndicators(":et").path) { request, context in
            try await establishment(context, .indicators) { et, nav, _, record in
                let query = Form.query(request)
                let current = YearMonth(site.today())
                let to = query["a"].flatMap(YearMonth.init(iso:)) ?? current
                var from = query["de"].flatMap(YearMonth.init(iso:)) ?? to.adding(-11)
                if from > to || to >= from.adding(240) { from = to.adding(-11) }
                let rows = try await records.measures(finessET: et, from: from, to: to)
                if query["format"] == "csv" {
                    return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"mesures-\(et)-\(from)-\(to).csv\""],
                                    body: .init(byteBuffer: ByteBuffer(string: MeasuresFile.csv(rows))))
                }
                // The targets in force today of the campaign of the dossier that holds the establishment
                // (its regional overlay included), else of the national grid; without MSSanté and
                // DMP for a sector the campaign exempts (U4).
                let held = try await site.dossiers.holding(finessET: et)
                let catalogue = site.engine.catalogue
                guard let campaign = held.flatMap({ catalogue.campaign($0.campaign) }) ?? catalogue.nationalGrid else { throw HTTPError(.internalServerError) }
                let targets = campaign.rules(on: site.today()).grid.usageTargets(sector: record?.sector)
                return IndicatorsView(nav: nav, from: from, to: to, rows: rows, targets: targets,
                                      source: .init(campaign: campaign, dossier: held.map { ($0.id, $0.title) }, sector: record?.sector)).response()
            }
        }
        routes.get(SiteURL.duiPerson(SiteURL.id).path) { request, context in
            try await person(context) { person, principal in
                let query = Form.query(request)
                let done = query["fait"] ?? ""
                return try await page(person, tab: query["onglet"] ?? "identite", by: principal,
                                      message: Self.done[done].map { Message(text: $0, refused: done.hasSuffix("-echec")) })
            }
        }
        // A note added from the notes tab: a refusal names the field and keeps what was typed.
        routes.post(SiteURL.duiPersonNotes(SiteURL.id).path) { request, context in
            try await person(context) { person, principal in
                let form = try await Form.read(request)
                let note = JSON.object([("date", .string(form["date"] ?? "")), ("category", .string(form["category"] ?? "")), ("text", .string(form["text"] ?? ""))])
                do {
                    _ = try await records.addEntry(person.id, .note, note, by: principal.email)
                } catch let e as InputError {
                    return try await page(person, tab: "notes", by: principal, message: Message(text: "\(Self.fields[e.path] ?? e.path) : \(e.reason) ; rien n'a été enregistré.", refused: true),
                                          typed: form, status: .unprocessableContent)
                }
                return Response(status: .seeOther, headers: [.location: SiteURL.duiPerson(person.id).path + "?onglet=notes&fait=note"])
            }
        }
        // A document submitted to the DMP, or sent by MSSanté, from the documents tab: the same
        // connector and the same sending as the API.
        routes.post(SiteURL.duiPersonDMP(SiteURL.id).path) { request, context in
            try await documentForm(request, context, done: "dmp", nothing: "rien n'a été versé") { document, _, principal in
                try await api.submit(document, by: principal.email)
            }
        }
        routes.post(SiteURL.duiPersonMSSante(SiteURL.id).path) { request, context in
            try await documentForm(request, context, done: "envoi", nothing: "rien n'a été envoyé") { document, form, principal in
                try await api.send(document, to: form["recipient"], by: principal.email)
            }
        }
    }

    /// A form about one of the person's documents: the document checked, the action run, its
    /// outcome said on the documents tab (`fait=<done>-<outcome>`), a refusal with what was typed.
    func documentForm(_ request: Request, _ context: SiteContext, done: String, nothing: String,
                      _ act: (DUIRepository.Entry, [String: String], Principal) async throws -> Result<DUIRepository.Sending, DUIAPI.Refusal>) async throws -> Response {
        try await person(context) { person, principal in
            let form = try await Form.read(request)
            guard let id = form["document"], let (document, _) = try await records.findEntry(id), document.kind == .document, document.person == person.id else {
                return try await page(person, tab: "documents", by: principal, message: Message(text: "Document : choisissez un document de la personne ; \(nothing).", refused: true),
                                      typed: form, status: .unprocessableContent)
            }
            switch try await act(document, form, principal) {
            case let .failure(refusal):
                return try await page(person, tab: "documents", by: principal, message: Message(text: "\(Show.sentenceCase(refusal.message)) ; \(nothing).", refused: true),
                                      typed: form, status: refusal.status)
            case let .success(sending):
                return Response(status: .seeOther, headers: [.location: SiteURL.duiPerson(person.id).path + "?onglet=documents&fait=\(done)-\(sending.outcome.rawValue)"])
            }
        }
    }

    /// What the page says after a form, by the `fait` of its address.
    static let done = [
        "note": "Note ajoutée.",
        "envoi-ok": "Document envoyé par MSSanté : le serveur de l'opérateur l'a accepté.",
        "envoi-enAttente": "Le serveur MSSanté n'a pas pu prendre le document : il reste en file et sera renvoyé automatiquement (voir « Envois »).",
        "envoi-echec": "Le serveur MSSanté a refusé le document : voir sa réponse dans « Envois ».",
        "dmp-ok": "Document versé au DMP : il est dans la boîte d'envoi de la passerelle DMP de l'établissement.",
        "dmp-echec": "La boîte d'envoi du DMP est inaccessible : le versement a échoué (enregistré dans « Envois »).",
    ]

    /// The fields of the forms, as a refusal names them.
    static let fields = ["date": "Date", "category": "Catégorie", "text": "Note"]

    /// A person the one signed in may see; 404 for any other.
    func person(_ context: SiteContext, _ body: (DUIRepository.Person, Principal) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let id = try context.parameters.require("id")
        guard let person = try await records.find(id), try await api.keepsRecords(principal, person.finessET) else {
            return ErrorPage(heading: "Introuvable", sentence: "Personne inconnue ou hors de vos établissements.").response(status: .notFound)
        }
        return try await body(person, principal)
    }

    /// A person's record on one tab, read (an audit event naming the person).
    func page(_ person: DUIRepository.Person, tab: String, by principal: Principal, message: Message? = nil, typed: [String: String] = [:],
              status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (found, entries) = try await records.record(person.id, by: principal.email) else {
            return ErrorPage(heading: "Introuvable", sentence: "Personne inconnue ou hors de vos établissements.").response(status: .notFound)
        }
        let nav = DUINav(finessET: found.finessET, name: try await site.finess.establishment(found.finessET)?.name ?? found.finessET, current: .person)
        var view = PersonView(nav: nav, person: found, entries: entries, sendings: try await records.sendings(person: found.id), tab: tab, today: site.today(), typed: typed)
        view.message = message
        return view.response(status: status)
    }

    /// The establishments whose records the one signed in keeps: those named by their
    /// `professionnel` or `direction` roles, and, for the direction of an OG, its establishments
    /// whose DUI runs on the platform (at most 50).
    func establishmentsKept() async throws -> [HomeView.RecordsLink] {
        guard let principal = Viewer.current else { return [] }
        var links: [HomeView.RecordsLink] = [], seen: Set<String> = []
        for scope in principal.scopes(.professionnel) + principal.scopes(.direction) where links.count < 50 && !seen.contains(scope) {
            seen.insert(scope)
            if let et = try await site.finess.establishment(scope) {
                links.append(.init(finessET: scope, name: et.name))
            } else if principal.scopes(.direction).contains(scope) {
                let ets = try await site.finess.essms(ofLegalEntity: scope)
                let kept = try await records.establishmentsWithRecords(ets.map(\.finessET))
                for et in ets where kept.contains(et.finessET) && !seen.contains(et.finessET) && links.count < 50 {
                    seen.insert(et.finessET)
                    links.append(.init(finessET: et.finessET, name: et.name))
                }
            }
        }
        return links
    }

    /// An establishment's page for one who keeps its records: its FINESS ET, the navigation, the
    /// principal and the registry's record (nil outside the registry).
    func establishment(_ context: SiteContext, _ page: DUINav.Page, _ body: (String, DUINav, Principal, RegistryEstablishment?) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let et = try context.parameters.require("et")
        guard FinessNumber.isValid(et), try await api.keepsRecords(principal, et) else {
            return ErrorPage(heading: "Introuvable", sentence: "Établissement « \(Limits.quote(et)) » inconnu ou hors de vos établissements.").response(status: .notFound)
        }
        let record = try await site.finess.establishment(et)
        return try await body(et, DUINav(finessET: et, name: record?.name ?? et, current: page), principal, record)
    }
}
