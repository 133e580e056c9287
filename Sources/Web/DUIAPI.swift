import Foundation
import Hummingbird
import Rules
import SQLKit
import Store

/// The DUI's JSON API (`shared/spec/dui.md`): an establishment's persons and their records for
/// its `professionnel` and `direction` (or its OG's `direction`) only; the measures, counts only,
/// also for the instructor or reader of a dossier containing the establishment. Outside, a person
/// or an establishment answers 404, as if it did not exist.
struct DUIAPI: Sendable {
    let site: Site
    var records: DUIRepository { DUIRepository(store: site.store, today: { [site] in site.today() }) }

    /// The path segment of each kind of entry (`POST /persons/{id}/stays`…).
    static let segments: [(segment: String, kind: DUIInput.Kind)] = [
        ("contacts", .contact), ("stays", .stay), ("projets", .projet), ("events", .event), ("notes", .note), ("documents", .document),
    ]

    func register(on routes: Routes) {
        let id = SiteURL.id
        routes.post(SiteURL.apiEssmsPersons(":et").path) { request, context in
            try await withEstablishment(context) { et, principal in
                let person = try await records.createPerson(finessET: et, try await API.readJSON(request), by: principal.email)
                return Self.tagged(.created, Self.json(person, entries: []), person)
            }
        }
        routes.get(SiteURL.apiEssmsPersons(":et").path) { _, context in
            try await withEstablishment(context) { et, principal in
                let list = try await records.persons(finessET: et, by: principal.email)
                return JSONResponse.make(.ok, .array(list.map { item in
                    .object([("id", .string(item.person.id)), ("version", .int(item.person.version))] + (item.person.identity.objectPairs ?? []) + [("stay", item.stay ?? .null)])
                }))
            }
        }
        routes.get(SiteURL.apiPerson(id).path) { _, context in
            try await withPerson(context) { person, principal in
                guard let (p, entries) = try await records.record(person.id, by: principal.email) else { return Self.unknownPerson(person.id) }
                return Self.tagged(.ok, Self.json(p, entries: entries, sendings: try await records.sendings(person: p.id)), p)
            }
        }
        routes.put(SiteURL.apiPerson(id).path) { request, context in
            try await withPerson(context) { person, principal in
                let version: Int
                switch API.ifMatch(request.headers[.ifMatch]) {
                case let .failure(e): return e.response
                case let .success(v): version = v
                }
                switch try await records.replaceIdentity(person.id, from: version, try await API.readJSON(request), by: principal.email) {
                case .notFound: return Self.unknownPerson(person.id)
                case let .stale(current):
                    return Self.tagged(.preconditionFailed, JSONResponse.errorJSON(.preconditionFailed, path: "If-Match",
                        "la personne a été modifiée depuis la version \(version) : elle est à la version \(current.version), modifiée le \(FrenchTime.dateTime(current.updatedAt)) par \(current.updatedBy) ; rien n'a été enregistré"), current)
                case let .changed(changed): return Self.tagged(.ok, Self.json(changed, entries: []), changed)
                }
            }
        }
        for (segment, kind) in Self.segments {
            routes.post(SiteURL.apiPersonEntries(id, segment: segment).path) { request, context in
                try await withPerson(context) { person, principal in
                    let entry = try await records.addEntry(person.id, kind, try await API.readJSON(request), by: principal.email)
                    return JSONResponse.make(.created, entry.json)
                }
            }
        }
        routes.get(SiteURL.apiEssmsMeasures(":et").path) { request, context in try await measures(request, context) }
        routes.post(SiteURL.apiEssmsAdmissions(":et").path) { request, context in
            try await withEstablishment(context) { et, principal in
                JSONResponse.make(.created, try await records.addAdmission(finessET: et, try await API.readJSON(request), by: principal.email).json)
            }
        }
        routes.get(SiteURL.apiEssmsAdmissions(":et").path) { _, context in
            try await withEstablishment(context) { et, principal in
                JSONResponse.make(.ok, .array(try await records.admissions(finessET: et, by: principal.email).map(\.json)))
            }
        }
        for (url, kind) in [(SiteURL.apiAdmission(id), DUIInput.Kind.admission), (SiteURL.apiStay(id), .stay), (SiteURL.apiProjet(id), .projet)] {
            routes.put(url.path) { request, context in try await replacing(request, context, kind) }
        }
        routes.post(SiteURL.apiDocumentDMP(id).path) { _, context in try await submitToDMP(context) }
        routes.post(SiteURL.apiDocumentMSSante(id).path) { request, context in try await sendByMSSante(request, context) }
        routes.put(SiteURL.apiEssmsMSSante(":et").path) { request, context in
            try await withEstablishment(context) { et, principal in
                let ej = try await site.finess.establishment(et)?.finessEJ ?? ""
                guard principal.scopes(.direction).contains(et) || principal.scopes(.direction).contains(ej) else {
                    return JSONResponse.error(.forbidden, path: nil, "seule la direction de l'établissement ou de son organisme gestionnaire fixe son adresse MSSanté")
                }
                guard case let .string(address)? = try await API.readJSON(request)["address"], MSSanteSettings.isMSSanteAddress(address) else {
                    return JSONResponse.error(.unprocessableContent, path: "address", "adresse MSSanté attendue (…@…mssante.fr)")
                }
                try await records.setMSSanteAddress(finessET: et, address, by: principal.email)
                return JSONResponse.make(.ok, .object([("finessET", .string(et)), ("address", .string(address))]))
            }
        }
    }

    /// MSSanté through the API: the sending's outcome (`ok`, `echec`, or `enAttente` with its next
    /// attempt), 201 or 202.
    func sendByMSSante(_ request: Request, _ context: SiteContext) async throws -> Response {
        let (entry, principal): (DUIRepository.Entry, Principal)
        switch try await document(context) {
        case let .failure(e): return e.response
        case let .success(found): (entry, principal) = found
        }
        let body: JSON
        do { body = try await API.readJSON(request) } catch { if let r = refused(error) { return r }; throw error }
        var recipient: String? = nil
        if case let .string(r)? = body["recipient"] { recipient = r }
        switch try await send(entry, to: recipient, by: principal.email) {
        case let .failure(refusal): return JSONResponse.error(refusal.status, path: refusal.path, refusal.message)
        case let .success(sending): return JSONResponse.make(sending.outcome == .enAttente ? .accepted : .created, sending.json)
        }
    }

    /// The document the path names, if the one calling keeps its establishment's records (404 otherwise).
    func document(_ context: SiteContext) async throws -> Result<(DUIRepository.Entry, Principal), API.ErrorResponse> {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let id = try context.parameters.require("id")
        guard let (entry, et) = try await records.findEntry(id), entry.kind == .document, try await keepsRecords(principal, et) else {
            return .failure(API.ErrorResponse(JSONResponse.error(.notFound, path: "id", "document inconnu « \(Limits.quote(id)) »")))
        }
        return .success((entry, principal))
    }

    /// Why a document was not handed to MSSanté or the DMP: nothing recorded.
    struct Refusal: Error {
        let status: HTTPResponse.Status
        let path: String?
        let message: String
    }

    /// A document sent by MSSanté, for the API and the pages: the recipient checked, the sending
    /// queued then tried at once, its outcome recorded.
    func send(_ document: DUIRepository.Entry, to recipient: String?, by actor: String) async throws -> Result<DUIRepository.Sending, Refusal> {
        guard let recipient, MSSanteSettings.isMSSanteAddress(recipient) else {
            return .failure(Refusal(status: .unprocessableContent, path: "recipient", message: "adresse MSSanté du destinataire attendue (…@…mssante.fr)"))
        }
        guard let sender = site.mssanteSender else {
            return .failure(Refusal(status: .serviceUnavailable, path: nil, message: "messagerie MSSanté non configurée : ESMS_MSSANTE_SMTP_URL nomme le serveur SMTP de l'opérateur"))
        }
        let queued = try await records.queueMSSante(document: document, recipient: recipient, by: actor)
        return .success(try await sender.attempt(queued, by: actor) ?? queued)
    }

    /// The DMP connector through the API: 201 with the submission, 503 when the outbox cannot be
    /// written (the failure recorded).
    func submitToDMP(_ context: SiteContext) async throws -> Response {
        let (entry, principal): (DUIRepository.Entry, Principal)
        switch try await document(context) {
        case let .failure(e): return e.response
        case let .success(found): (entry, principal) = found
        }
        switch try await submit(entry, by: principal.email) {
        case let .failure(refusal): return JSONResponse.error(refusal.status, path: refusal.path, refusal.message)
        case let .success(sending): return JSONResponse.make(sending.outcome == .ok ? .created : .serviceUnavailable, sending.json)
        }
    }

    /// The DMP connector, for the API and the pages: a CDA R2 level 1 document of a `qualifiee`
    /// identity and its metadata, each written to the outbox then renamed (never half-written);
    /// the submission recorded, `ok` or `echec` when the outbox cannot be written.
    func submit(_ entry: DUIRepository.Entry, by actor: String) async throws -> Result<DUIRepository.Sending, Refusal> {
        guard let (document, person, pdf) = try await records.document(entry.id) else {
            return .failure(Refusal(status: .notFound, path: "id", message: "document inconnu « \(Limits.quote(entry.id)) »"))
        }
        guard let outbox = site.dmpOutbox else {
            return .failure(Refusal(status: .serviceUnavailable, path: nil, message: "connecteur DMP non configuré : ESMS_DMP_OUTBOX nomme le répertoire que lit la passerelle DMP de l'établissement"))
        }
        let identity = person.identity
        guard identity["identityStatus"] == .string(IdentityStatus.qualifiee.rawValue), case let .string(nir)? = identity["ins"]?["nir"],
              case let .string(oid)? = identity["ins"]?["oid"] else {
            return .failure(Refusal(status: .unprocessableContent, path: "identityStatus", message: "le DMP demande l'INS d'une identité qualifiée (RNIV) : qualifiez d'abord l'identité de la personne"))
        }
        let text = PersonName.text, firstNames = PersonName.firstNames(identity)
        let establishment = try await site.finess.establishment(person.finessET)?.name ?? person.finessET
        let cda = CDA.Document(id: document.id, title: text(document.body["title"]), date: CalendarDate(iso: text(document.body["date"])) ?? site.today(),
                               nir: nir, insOID: oid, birthName: text(identity["birthName"]), firstNames: firstNames,
                               birthDate: CalendarDate(iso: text(identity["birthDate"])) ?? site.today(), sex: text(identity["sex"]),
                               author: document.createdBy, finessET: person.finessET, establishment: establishment, pdf: pdf)
        let name = "dmp-\(document.id)-\(site.today().description)"
        let metadata = JSON.object([("document", .string(document.id)), ("person", .string(person.id)), ("finessET", .string(person.finessET)), ("ins", .string(nir)),
                                    ("title", .string(cda.title)), ("date", .string(cda.date.description)), ("cda", .string(name + ".xml"))])
        do {
            try Self.writeAtomically(Data(metadata.rendered(indent: true).utf8), to: "\(outbox)/\(name).json")
            try Self.writeAtomically(Data(CDA.xml(cda).utf8), to: "\(outbox)/\(name).xml")
        } catch {
            return .success(try await records.recordSending(document: document, channel: .dmp, recipient: nil, outcome: .echec, detail: "écriture dans la boîte d'envoi impossible", by: actor))
        }
        return .success(try await records.recordSending(document: document, channel: .dmp, recipient: nil, outcome: .ok, detail: name + ".xml", by: actor))
    }

    /// Written beside the target, then renamed onto it: a reader never sees half a file.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".part"
        try data.write(to: URL(fileURLWithPath: temporary))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    /// A stay, a projet or an admission replaced against its version (`If-Match`).
    func replacing(_ request: Request, _ context: SiteContext, _ kind: DUIInput.Kind) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let id = try context.parameters.require("id")
        guard let (entry, et) = try await records.findEntry(id), entry.kind == kind, try await keepsRecords(principal, et) else {
            return JSONResponse.error(.notFound, path: "id", "entrée inconnue « \(Limits.quote(id)) »")
        }
        let version: Int
        switch API.ifMatch(request.headers[.ifMatch]) {
        case let .failure(e): return e.response
        case let .success(v): version = v
        }
        do {
            switch try await records.replaceEntry(entry.id, kind, from: version, try await API.readJSON(request), by: principal.email) {
            case .notFound: return JSONResponse.error(.notFound, path: "id", "entrée inconnue")
            case let .stale(current):
                var response = JSONResponse.error(.preconditionFailed, path: "If-Match", "l'entrée a été modifiée depuis la version \(version) : elle est à la version \(current.version) ; rien n'a été enregistré")
                response.headers[.eTag] = "\"\(current.version)\""
                return response
            case let .changed(changed):
                var response = JSONResponse.make(.ok, changed.json)
                response.headers[.eTag] = "\"\(changed.version)\""
                return response
            }
        } catch { if let r = refused(error) { return r }; throw error }
    }

    /// The whole record; each document with its sendings (MSSanté) and submissions (DMP).
    static func json(_ p: DUIRepository.Person, entries: [DUIRepository.Entry], sendings: [DUIRepository.Sending] = []) -> JSON {
        var fields: [(String, JSON)] = [("id", .string(p.id)), ("finessET", .string(p.finessET)), ("version", .int(p.version))]
        fields += p.identity.objectPairs ?? []
        for (segment, kind) in segments + [("admissions", .admission)] {
            fields.append((segment, .array(entries.filter { $0.kind == kind }.map { entry in
                guard kind == .document, case let .object(pairs) = entry.json else { return entry.json }
                return .object(pairs + [("sendings", .array(sendings.filter { $0.document == entry.id }.map(\.json)))])
            })))
        }
        return .object(fields)
    }

    static func tagged(_ status: HTTPResponse.Status, _ json: JSON, _ p: DUIRepository.Person) -> Response {
        var response = JSONResponse.make(status, json)
        response.headers[.eTag] = "\"\(p.version)\""
        return response
    }

    static func unknownPerson(_ id: String) -> Response { JSONResponse.error(.notFound, path: "id", "personne inconnue « \(Limits.quote(id)) »") }

    /// Whether the principal keeps the records of this establishment: its `professionnel` or
    /// `direction`, or the `direction` of its OG.
    func keepsRecords(_ principal: Principal, _ et: String) async throws -> Bool {
        if principal.scopes(.professionnel).contains(et) || principal.scopes(.direction).contains(et) { return true }
        let directions = principal.scopes(.direction)
        guard !directions.isEmpty, let ej = try await site.finess.establishment(et)?.finessEJ else { return false }
        return directions.contains(ej)
    }

    func refused(_ error: Error) -> Response? {
        if let e = error as? InputError { return JSONResponse.error(.unprocessableContent, path: e.path.isEmpty ? nil : e.path, e.reason) }
        if let e = error as? API.ErrorResponse { return e.response }
        return nil
    }

    func withEstablishment(_ context: SiteContext, _ body: (String, Principal) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let et = try context.parameters.require("et")
        guard FinessNumber.isValid(et), try await keepsRecords(principal, et) else {
            return JSONResponse.error(.notFound, path: "finessET", "établissement « \(Limits.quote(et)) » inconnu ou hors de vos établissements")
        }
        do { return try await body(et, principal) } catch { if let r = refused(error) { return r }; throw error }
    }

    func withPerson(_ context: SiteContext, _ body: (DUIRepository.Person, Principal) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let id = try context.parameters.require("id")
        guard let person = try await records.find(id), try await keepsRecords(principal, person.finessET) else { return Self.unknownPerson(id) }
        do { return try await body(person, principal) } catch { if let r = refused(error) { return r }; throw error }
    }

    /// The measures: for whoever keeps the records, and for the instructor or reader of a dossier
    /// (filed) that contains the establishment — counts only.
    func measures(_ request: Request, _ context: SiteContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let et = try context.parameters.require("et")
        guard FinessNumber.isValid(et) else { return JSONResponse.error(.notFound, path: "finessET", "établissement « \(Limits.quote(et)) » inconnu") }
        var allowed = try await keepsRecords(principal, et)
        if !allowed {
            let rows = try await site.store.sql.select().column(SQLColumn("instruction", table: "d")).column(SQLColumn("region", table: "d"))
                .from(SQLAlias(SQLIdentifier("dossier_establishments"), as: SQLIdentifier("e")))
                .join(SQLAlias(SQLIdentifier("dossiers"), as: SQLIdentifier("d")), on: SQLColumn("id", table: "d"), .equal, SQLColumn("dossier", table: "e"))
                .where(SQLColumn("finess_et", table: "e"), .equal, SQLBind(et)).where(SQLColumn("state", table: "d"), .notEqual, SQLBind(DossierState.brouillon.rawValue)).all()
            let scopes = Set(principal.scopes(.instructeur) + principal.scopes(.lecteur))
            for row in rows {
                let instruction = try row.decode(column: "instruction", as: String?.self), region = try row.decode(column: "region", as: String?.self)
                let scope = Dossier.scope(instruction: instruction, region: region)
                if principal.scopes(.lecteur).contains("national") || scope.map(scopes.contains) == true { allowed = true }
            }
        }
        guard allowed else { return JSONResponse.error(.notFound, path: "finessET", "établissement « \(Limits.quote(et)) » inconnu ou hors de vos périmètres") }
        let query = Form.query(request)
        let today = YearMonth(site.today())
        guard let from = YearMonth(iso: query["from"] ?? today.adding(-11).description) else {
            return JSONResponse.error(.badRequest, path: "from", "mois attendu au format AAAA-MM")
        }
        guard let to = YearMonth(iso: query["to"] ?? today.description) else { return JSONResponse.error(.badRequest, path: "to", "mois attendu au format AAAA-MM") }
        guard from <= to, to < from.adding(240) else { return JSONResponse.error(.badRequest, path: "to", "de « from » à « to » : 1 à 240 mois") }
        let rows = try await records.measures(finessET: et, from: from, to: to)
        return JSONResponse.make(.ok, .array(rows.map { m in
            .object([("finessET", .string(m.finessET)), ("month", .string(m.month.description)), ("persons", .int(m.persons)), ("activeRecords", .int(m.activeRecords)),
                     ("activeWithProjet", .int(m.activeWithProjet)), ("activeWithEvent", .int(m.activeWithEvent)), ("mssMessagesSent", .int(m.mssMessagesSent)),
                     ("dmpFedPersons", .int(m.dmpFedPersons))])
        }))
    }
}
