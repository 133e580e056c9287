import Foundation
import Hummingbird
import MultipartKit
import Rules
import Store

/// The dossiers' JSON API (`shared/spec/dossiers.md`): filing, instruction, score, messages,
/// annotations, documents. Outside the caller's scopes a dossier answers 404; every change of the
/// project, state or score takes `If-Match` (428 without, 412 when stale, nothing written).
struct DossierAPI: Sendable {
    let site: Site
    var dossiers: DossierRepository { site.dossiers }

    func register(on routes: Routes) {
        let id = SiteURL.id
        routes.post(SiteURL.apiDossiers.path) { request, context in try await create(request, context) }
        routes.get(SiteURL.apiDossiers.path) { request, context in try await list(request, context) }
        routes.get(SiteURL.apiDossier(id).path) { _, context in
            try await withDossier(context) { d, principal in Self.tagged(.ok, try await view(d, for: principal), d) }
        }
        routes.put(SiteURL.apiDossierProject(id).path) { request, context in
            try await changing(request, context) { d, version, principal in
                guard DossierRepository.sides(principal, d).contains(.porteur) else { throw DossierError.forbidden("seul le porteur modifie le projet") }
                let body = try await API.readJSON(request)
                return try await dossiers.updateProject(d.id, from: version, project: body, by: principal.email)
            }
        }
        routes.post(SiteURL.apiDossierTransitions(id).path) { request, context in
            try await changing(request, context) { d, version, principal in
                let body = try await API.readJSON(request)
                guard case let .string(to)? = body["to"], let target = DossierState(rawValue: to) else {
                    throw DossierError.invalid(InputError(path: "to", reason: "état attendu : \(DossierState.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
                let request = DossierRepository.TransitionRequest(to: target, message: Self.text(body["message"]), reason: Self.text(body["reason"]), granted: body["granted"])
                return try await dossiers.transition(d.id, from: version, request, sides: DossierRepository.sides(principal, d), by: principal.email)
            }
        }
        routes.put(SiteURL.apiDossierScore(id).path) { request, context in
            try await changing(request, context) { d, version, principal in
                guard DossierRepository.sides(principal, d).contains(.instructeur) else { throw DossierError.forbidden("seul l'instructeur du dossier le note") }
                let score: DossierScore
                do { score = try DossierScore(json: try await API.readJSON(request)) } catch let e as InputError { throw DossierError.invalid(e) }
                return try await dossiers.setScore(d.id, from: version, score, by: principal.email)
            }
        }
        for (url, kind) in [(SiteURL.apiDossierMessages(id), "message"), (SiteURL.apiDossierAnnotations(id), "annotation")] {
            routes.post(url.path) { request, context in
                try await withDossier(context) { d, principal in
                    let sides = DossierRepository.sides(principal, d)
                    guard kind == "message" ? !sides.isEmpty : sides.contains(.instructeur) else {
                        throw DossierError.forbidden(kind == "message" ? "messagerie réservée au porteur et à l'instructeur du dossier" : "annotations réservées à l'instructeur du dossier")
                    }
                    guard case let .string(body)? = try await API.readJSON(request)["body"] else { throw DossierError.invalid(InputError(path: "body", reason: "texte attendu")) }
                    let note = try await dossiers.addNote(d.id, kind: kind, body: body, by: principal.email)
                    return JSONResponse.make(.created, note.json)
                }
            }
        }
        routes.post(SiteURL.apiDossierDocuments(id).path) { request, context in try await upload(request, context) }
        routes.get(SiteURL.apiRanking.path) { request, context in try await ranking(request, context) }
        routes.post(SiteURL.apiDossierAvis(id).path) { request, context in
            try await withDossier(context) { d, principal in
                guard DossierRepository.sides(principal, d).contains(.instructeur) else { throw DossierError.forbidden("seul l'instructeur du dossier demande un avis") }
                let body = try await API.readJSON(request)
                guard case let .string(expert)? = body["expert"] else { throw DossierError.invalid(InputError(path: "expert", reason: "adresse du compte expert attendue")) }
                guard case let .string(question)? = body["question"] else { throw DossierError.invalid(InputError(path: "question", reason: "question attendue")) }
                let avis = try await dossiers.askAvis(d.id, expert: expert, question: question, dueDate: Self.text(body["dueDate"]), by: principal.email)
                return JSONResponse.make(.created, avis.json)
            }
        }
        routes.get(SiteURL.apiAvis.path) { _, context -> Response in
            guard let principal = context.principal else { throw HTTPError(.unauthorized) }
            return JSONResponse.make(.ok, .array(try await dossiers.avis(expert: principal.email).map(\.json)))
        }
        routes.put(SiteURL.apiAvisAnswer(id).path) { request, context -> Response in
            guard let principal = context.principal else { throw HTTPError(.unauthorized) }
            let avisID = try context.parameters.require("id")
            do {
                let body = try await API.readJSON(request)
                guard case let .string(answer)? = body["answer"] else { throw DossierError.invalid(InputError(path: "answer", reason: "avis attendu : \(DossierRepository.answers.joined(separator: ", "))")) }
                guard let avis = try await dossiers.answerAvis(avisID, expert: principal.email, answer: answer, comment: Self.text(body["comment"])) else {
                    return JSONResponse.error(.notFound, path: "id", "demande d'avis inconnue « \(Limits.quote(avisID)) »")
                }
                return JSONResponse.make(.ok, avis.json)
            } catch let e as DossierError { return Self.response(e) } catch let e as API.ErrorResponse { return e.response }
        }
        routes.get(SiteURL.decisionsCSV.path) { _, _ in try await decisions() }
        routes.get(SiteURL.apiDossiersExportCSV.path) { _, context in try await exportCSV(context) }
        routes.get(SiteURL.apiDossiersExportXLSX.path) { _, context in try await exportXLSX(context) }
        routes.get(SiteURL.apiDossierDocument(id, document: ":document").path) { _, context in
            try await withDossier(context) { d, principal in
                let documentID = try context.parameters.require("document")
                guard let (document, bytes) = try await dossiers.document(d.id, documentID, by: principal.email) else {
                    return JSONResponse.error(.notFound, path: "document", "pièce inconnue « \(Limits.quote(documentID)) »")
                }
                return DocumentKind.download(document, bytes)
            }
        }
    }

    // MARK: Helpers

    static func text(_ json: JSON?) -> String? {
        if case let .string(s)? = json { return s }
        return nil
    }

    static func tagged(_ status: HTTPResponse.Status, _ json: JSON, _ d: Dossier) -> Response {
        var response = JSONResponse.make(status, json)
        response.headers[.eTag] = "\"\(d.version)\""
        return response
    }

    /// The dossier of the path, if the caller sees it; refusals as JSON errors.
    func withDossier(_ context: SiteContext, _ body: (Dossier, Principal) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let id = try context.parameters.require("id")
        guard let d = try await dossiers.find(id, for: principal) else {
            return JSONResponse.error(.notFound, path: "id", "dossier inconnu « \(Limits.quote(id)) »")
        }
        do { return try await body(d, principal) } catch let e as DossierError { return Self.response(e) } catch let e as API.ErrorResponse { return e.response }
    }

    /// A change against the version of `If-Match`: 428 without it, 412 when stale; the answer is
    /// the dossier (`view`) or what `answer` makes of it, with its new `ETag`.
    func changing(_ request: Request, _ context: SiteContext, answer: ((Dossier, Principal) async throws -> JSON)? = nil,
                  _ change: (Dossier, Int, Principal) async throws -> DossierChange) async throws -> Response {
        try await withDossier(context) { d, principal in
            let version: Int
            switch API.ifMatch(request.headers[.ifMatch]) {
            case let .failure(e): return e.response
            case let .success(v): version = v
            }
            switch try await change(d, version, principal) {
            case .notFound: return JSONResponse.error(.notFound, path: "id", "dossier inconnu")
            case let .stale(current):
                return Self.tagged(.preconditionFailed, JSONResponse.errorJSON(.preconditionFailed, path: "If-Match",
                    "le dossier a été modifié depuis la version \(version) que vous aviez : il est à la version \(current.version), modifié le \(FrenchTime.dateTime(current.updatedAt)) par \(current.updatedBy) ; rien n'a été enregistré"), current)
            case let .changed(changed):
                let json = if let answer { try await answer(changed, principal) } else { try await view(changed, for: principal) }
                return Self.tagged(.ok, json, changed)
            }
        }
    }

    static func response(_ e: DossierError) -> Response {
        switch e {
        case .conflict: return JSONResponse.error(.conflict, path: nil, e.description)
        case .forbidden: return JSONResponse.error(.forbidden, path: nil, e.description)
        case let .invalid(input): return JSONResponse.error(.unprocessableContent, path: input.path.isEmpty ? nil : input.path, input.reason)
        case let .unmet(list):
            return JSONResponse.make(.unprocessableContent, .object([("error", .object([
                ("status", .int(422)), ("path", .null), ("message", .string(e.description)), ("unmet", .array(list.map(JSON.string))),
            ]))]))
        }
    }

    // MARK: Creating, listing

    func create(_ request: Request, _ context: SiteContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        do {
            let body = try await API.readJSON(request)
            guard case let .string(title)? = body["title"] else { throw DossierError.invalid(InputError(path: "title", reason: "intitulé attendu")) }
            var project: JSON
            if case let .string(grappeID)? = body["grappe"] {
                guard let grappe = try await site.visibleGrappe(grappeID) else { return JSONResponse.error(.notFound, path: "grappe", "grappe inconnue « \(Limits.quote(grappeID)) »") }
                project = grappe.project
            } else if let p = body["project"], case .object = p {
                project = p
            } else {
                throw DossierError.invalid(InputError(path: "project", reason: "projet (contrat de simulation) ou grappe attendu"))
            }
            guard case let .string(porteur)? = project["porteur"] else { throw DossierError.invalid(InputError(path: "project.porteur", reason: "porteur (FINESS EJ) attendu")) }
            guard principal.scopes(.porteur).contains(porteur) else {
                return JSONResponse.error(.forbidden, path: "project.porteur", "porteur « \(Limits.quote(porteur)) » : vous êtes porteur pour \(principal.scopes(.porteur).joined(separator: ", ")) seulement")
            }
            project = project.removing("filingDate")
            let d = try await dossiers.create(title: title, project: project, porteur: porteur, by: principal.email)
            var response = Self.tagged(.created, try await view(d, for: principal), d)
            response.headers[.location] = SiteURL.apiDossier(d.id).path
            return response
        } catch let e as DossierError { return Self.response(e) } catch let e as API.ErrorResponse { return e.response }
    }

    func list(_ request: Request, _ context: SiteContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let query = Form.query(request)
        var state: DossierState? = nil
        if let s = query["state"] {
            guard let value = DossierState(rawValue: s) else { return JSONResponse.error(.badRequest, path: "state", "état inconnu « \(Limits.quote(s)) »") }
            state = value
        }
        let list = try await dossiers.list(for: principal, state: state, campaign: query["campaign"].flatMap { $0.isEmpty ? nil : $0 },
                                           region: query["region"].flatMap { $0.isEmpty ? nil : $0 })
        return JSONResponse.make(.ok, InstructionWork.json(list))
    }

    static func summary(_ d: DossierSummary) -> JSON {
        let requested = d.requested.map(JSON.euros) ?? .null
        return .object([("id", .string(d.id)), ("title", .string(d.title)), ("state", .string(d.state.rawValue)), ("campaign", .string(d.campaign)),
                        ("porteur", .string(d.porteur)), ("instruction", d.instruction.map(JSON.string) ?? .null), ("region", d.region.map(JSON.string) ?? .null),
                        ("amountRequested", requested), ("amountGranted", d.granted?["total"] ?? .null),
                        ("filedAt", d.filedAt.map(JSON.string) ?? .null), ("updatedAt", .string(d.updatedAt)), ("version", .int(d.version))])
    }

    /// The dossier as its caller may read it: annotations only for instructors; the assessment
    /// live while the porteur edits, frozen otherwise.
    func view(_ d: Dossier, for principal: Principal) async throws -> JSON {
        var assessment: JSON = d.frozen?["assessment"] ?? .null
        var problem: JSON = .null
        var checklist: [ChecklistLine] = []
        let documents = try await dossiers.documents(d.id)
        do {
            let (project, live) = try await dossiers.current(d)
            if d.state.editable { assessment = live.json }
            checklist = Checklist.lines(project, live)
        } catch let e as InputError {
            problem = .string(e.description)
        } catch let e as DossierError {
            problem = .string(e.description)
        }
        let items = checklist.map(\.item.rawValue) + ChecklistItem.allCases.filter(\.byInstructor).map(\.rawValue)
        let lines: [JSON] = items.map { item in
            let line = checklist.first { $0.item.rawValue == item }
            return .object([("item", .string(item)), ("label", .string(ChecklistItem(rawValue: item)?.french ?? item)),
                            ("required", .bool(line?.required ?? false)), ("why", line.map { .string($0.why) } ?? .null),
                            ("documents", .array(documents.filter { $0.item == item }.map(\.json)))])
        }
        let instructor = DossierRepository.sides(principal, d).contains(.instructeur)
        var fields: [(String, JSON)] = [
            ("id", .string(d.id)), ("version", .int(d.version)), ("title", .string(d.title)), ("state", .string(d.state.rawValue)),
            ("campaign", .string(d.campaign)), ("porteur", .string(d.porteur)),
            ("routing", d.instruction.map { .object([("instruction", .string($0)), ("region", d.region.map(JSON.string) ?? .null)]) } ?? .null),
            ("project", d.project), ("assessment", assessment), ("assessmentProblem", problem),
            ("frozenAt", d.frozen?["at"] ?? .null), ("ruleSetVersion", d.frozen?["ruleSetVersion"] ?? .null),
            ("filedAt", d.filedAt.map(JSON.string) ?? .null), ("instructor", d.instructor.map(JSON.string) ?? .null),
            ("checklist", .array(lines)), ("score", d.score ?? .null),
            ("priorities", .array(dossiers.priorities(d).map { .string($0.rawValue) })), ("granted", d.granted ?? .null), ("decision", d.decision.map(JSON.string) ?? .null),
            ("allowedTransitions", .array(DossierTransition.targets(from: d.state).map { .string($0.rawValue) })),
            ("history", .array(try await dossiers.history(d.id))),
            ("messages", .array(try await dossiers.notes(d.id, kind: "message").map(\.json))),
        ]
        // Opinions: all of them for the instructors, its own for an expert.
        let avis = try await dossiers.avis(dossier: d.id).filter { instructor || $0.expert == principal.email }
        fields.append(("avis", .array(avis.map(\.json))))
        if instructor { fields.append(("annotations", .array(try await dossiers.notes(d.id, kind: "annotation").map(\.json)))) }
        return .object(fields)
    }

    // MARK: Open data

    /// The accepted dossiers in the open-data schema of subsidy conventions (SCDL « Subventions »,
    /// décret 2017-779): comma-separated, UTF-8, amounts with a decimal point. The columns that
    /// depend on the conventions and payments (`payments.md`) stay empty until they are recorded.
    func decisions() async throws -> Response {
        let header = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire", "idBeneficiaire", "objet",
                      "montant", "nature", "conditionsVersement", "datesPeriodeVersement", "notificationUE", "pourcentageSubvention"]
        var lines = [header.joined(separator: ",")]
        for (d, decided) in try await dossiers.accepted() {
            let entity = try await site.finess.legalEntity(d.porteur)
            let count: Int = { if case let .array(items)? = d.project["establishments"] { return items.count } else { return 0 } }()
            let attribuant = d.instruction == "CNSA" ? "CNSA" : (d.region.flatMap { Territory.region(code: $0) }.map { "ARS \($0.name)" } ?? "ARS")
            let amount = d.granted?["total"].map { $0.rendered(indent: false) } ?? ""
            let row = [attribuant, "", "", "\(d.id) du \(decided)", entity?.longName ?? entity?.name ?? d.porteur, entity?.siren ?? "",
                       "ESMS numérique (Ségur du numérique) : \(d.title) — \(count) ESSMS, campagne \(d.campaign)", amount,
                       "aide en numéraire", "échelonné", "", "non", "1"]
            lines.append(row.map(Self.commaCell).joined(separator: ","))
        }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"decisions-esms-numerique.csv\""],
                        body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n")))
    }

    /// `GET /dossiers/export.csv`: the `Dossiers` sheet of the scope's export, as French Excel opens it.
    func exportCSV(_ context: SiteContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let workbook = try await DossierExport(dossiers: dossiers).workbook(for: principal, sheets: 1)
        try await DossierExport.audit(dossiers, principal, context, format: "csv", count: workbook.sheets[0].rows.count)
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"dossiers.csv\""],
                        body: .init(byteBuffer: ByteBuffer(string: workbook.csv())))
    }

    /// `GET /dossiers/export.xlsx`: the sheets `Dossiers`, `Etablissements` and `Avis` of the scope.
    func exportXLSX(_ context: SiteContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let (workbook, bytes) = try await InstructionWork(dossiers: dossiers).xlsx(for: principal)
        try await DossierExport.audit(dossiers, principal, context, format: "xlsx", count: workbook.sheets[0].rows.count)
        return Response(status: .ok, headers: [.contentType: DocumentKind.xlsx.contentType, .contentDisposition: "attachment; filename=\"dossiers.xlsx\""],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A comma-separated cell: neutralised against formulas, quoted when it holds `,`, `"` or a line end.
    static func commaCell(_ text: String) -> String {
        let s = Spreadsheet.neutralised(text)
        return s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    // MARK: Ranking

    /// `GET /instruction/ranking?campaign=ID[&scope=76|national]`: the scope defaults to the
    /// caller's first instructeur scope, else its lecteur scope; a national lecteur may name any.
    func ranking(_ request: Request, _ context: SiteContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let query = Form.query(request)
        guard let campaign = query["campaign"], site.engine.catalogue.campaign(campaign) != nil else {
            return JSONResponse.error(.badRequest, path: "campaign", "campagne attendue : \(site.engine.catalogue.campaigns.map(\.id).joined(separator: ", "))")
        }
        let own = principal.scopes(.instructeur) + principal.scopes(.lecteur)
        let scope = query["scope"] ?? own.first ?? ""
        guard own.contains(scope) || (principal.scopes(.lecteur).contains("national") && Territory.region(code: scope) != nil) else {
            return JSONResponse.error(.notFound, path: "scope", "portée « \(Limits.quote(scope)) » hors des vôtres (\(own.joined(separator: ", ")))")
        }
        return JSONResponse.make(.ok, try await InstructionWork(dossiers: dossiers).ranking(campaign: campaign, scope: scope))
    }

    // MARK: Documents

    func upload(_ request: Request, _ context: SiteContext) async throws -> Response {
        try await withDossier(context) { d, principal in
            let sides = DossierRepository.sides(principal, d)
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: DocumentKind.maximumSize + (64 << 10)) } catch {
                return JSONResponse.error(.contentTooLarge, path: "file", "pièce trop volumineuse : 20 Mio au plus")
            }
            guard let parts = Multipart.parts(buffer, contentType: request.headers[.contentType] ?? "") else {
                return JSONResponse.error(.badRequest, path: nil, "corps multipart/form-data attendu (champs item et file)")
            }
            guard let itemText = parts.firstPart(named: "item").map({ String(buffer: $0.body) }), let item = ChecklistItem(rawValue: itemText) else {
                throw DossierError.invalid(InputError(path: "item", reason: "pièce attendue : \(ChecklistItem.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            if item.byInstructor {
                guard sides.contains(.instructeur) else { throw DossierError.forbidden("les conventions sont déposées par l'instructeur") }
                guard d.state == .accepte else { throw DossierError.conflict("les conventions se déposent une fois le dossier accepté") }
            } else {
                guard sides.contains(.porteur) else { throw DossierError.forbidden("les pièces du dossier sont déposées par le porteur") }
                guard d.state.editable else { throw DossierError.conflict("dossier \(d.state.french) : les pièces se déposent en brouillon ou en correction demandée") }
            }
            guard let file = parts.firstPart(named: "file"), file.body.readableBytes > 0 else {
                throw DossierError.invalid(InputError(path: "file", reason: "fichier attendu"))
            }
            let bytes = Array(file.body.readableBytesView)
            guard bytes.count <= DocumentKind.maximumSize else { return JSONResponse.error(.contentTooLarge, path: "file", "pièce trop volumineuse : 20 Mio au plus") }
            let filename = Multipart.filename(file) ?? "\(item.rawValue)"
            guard let kind = DocumentKind.recognise(bytes, filename: filename) else {
                return JSONResponse.error(.unsupportedMediaType, path: "file", "type de fichier refusé : PDF, ODT, ODS, DOCX, XLSX, CSV, PNG ou JPEG, reconnus par leur contenu")
            }
            let document = try await dossiers.addDocument(d.id, item: item, filename: filename, contentType: kind.contentType, bytes: bytes, by: principal.email)
            return JSONResponse.make(.created, document.json)
        }
    }
}

/// The files a dossier accepts, recognised by their content (magic bytes), never by their name alone.
enum DocumentKind: String {
    case pdf, odt, ods, docx, xlsx, csv, png, jpeg

    static let maximumSize = 20 << 20

    /// A stored document as an attachment, with its recognised type and a file name kept to
    /// letters, digits and `.-_ `.
    static func download(_ document: DossierRepository.Document, _ bytes: [UInt8]) -> Response {
        let name = document.filename.filter { $0.isLetter || $0.isNumber || ".-_ ".contains($0) }
        return Response(status: .ok, headers: [.contentType: document.contentType, .contentDisposition: "attachment; filename=\"\(name.isEmpty ? "piece" : name)\""],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    var contentType: String {
        switch self {
        case .pdf: return "application/pdf"
        case .odt: return "application/vnd.oasis.opendocument.text"
        case .ods: return "application/vnd.oasis.opendocument.spreadsheet"
        case .docx: return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .xlsx: return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case .csv: return "text/csv; charset=utf-8"
        case .png: return "image/png"
        case .jpeg: return "image/jpeg"
        }
    }

    static func recognise(_ b: [UInt8], filename: String) -> DocumentKind? {
        func starts(_ prefix: [UInt8]) -> Bool { b.count >= prefix.count && Array(b[0..<prefix.count]) == prefix }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x50, 0x4B, 0x03, 0x04]) {
            // OpenDocument: a first entry `mimetype`, stored, naming the type; Office Open XML: `[Content_Types].xml` and its part.
            let head = String(decoding: b.prefix(4096), as: UTF8.self)
            if head.contains("mimetypeapplication/vnd.oasis.opendocument.text") { return .odt }
            if head.contains("mimetypeapplication/vnd.oasis.opendocument.spreadsheet") { return .ods }
            let all = String(decoding: b.prefix(1 << 20), as: UTF8.self)
            if all.contains("[Content_Types].xml") {
                if all.contains("word/") { return .docx }
                if all.contains("xl/") { return .xlsx }
            }
            return nil
        }
        // CSV: UTF-8 text without control characters other than tab and line breaks, named .csv.
        if filename.lowercased().hasSuffix(".csv"), String(validating: b, as: UTF8.self) != nil,
           !b.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) {
            return .csv
        }
        return nil
    }
}
