import Foundation
import Hummingbird
import Registry
import Rules
import Store

/// The JSON API described by `openapi.yaml`. Errors are JSON with the field path and a French
/// message; malformed input is a 4xx, never a 5xx.
struct API: Sendable {
    let site: Site

    func register(on routes: Routes) {
        routes.post(SiteURL.apiSimulations.path) { request, context in try await simulate(request, context) }
        routes.get(SiteURL.apiCampaigns.path) { _, _ in JSONResponse.make(.ok, .array(site.engine.catalogue.campaigns.map(\.json))) }
        routes.get(SiteURL.apiCampaign(SiteURL.id).path) { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let campaign = site.engine.catalogue.campaign(id) else {
                return JSONResponse.error(.notFound, path: "id", "campagne inconnue « \(Limits.quote(id)) »")
            }
            return JSONResponse.make(.ok, campaign.json)
        }
        routes.get(SiteURL.apiFiness(":number").path) { _, context in try await finess(try context.parameters.require("number")) }
        routes.get(SiteURL.apiFinessSearch.path) { request, _ in try await search(request) }
        routes.get(SiteURL.apiGrappes.path) { _, _ -> Response in
            let list = try await site.visibleGrappes()
            return JSONResponse.make(.ok, .array(list.map { grappeSummary($0) }))
        }
        routes.post(SiteURL.apiGrappes.path) { request, context in try await saveGrappe(request, context, id: nil) }
        routes.put(SiteURL.apiGrappe(SiteURL.id).path) { request, context in try await saveGrappe(request, context, id: try context.parameters.require("id")) }
        routes.get(SiteURL.apiGrappe(SiteURL.id).path) { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let grappe = try await site.visibleGrappe(id) else { return JSONResponse.error(.notFound, path: "id", "grappe inconnue « \(Limits.quote(id)) »") }
            return Self.withETag(JSONResponse.make(.ok, grappeJSON(grappe)), grappe)
        }
        routes.post(SiteURL.apiSessions.path) { request, context in try await signIn(request, context) }
        routes.delete(SiteURL.apiCurrentSession.path) { _, context -> Response in
            if let token = context.token { try await site.sessions.signOut(token: token, remote: context.remote) }
            return Response(status: .noContent)
        }
        // Any other path of the API answers in JSON too.
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            routes.router.on(RouterPath(SiteURL.apiAll.path), method: method) { request, _ in
                JSONResponse.error(.notFound, path: nil, "aucune route \(request.method.rawValue) \(Limits.quote(request.uri.path)) dans l'API (voir /openapi.yaml)")
            }
        }
    }

    /// The version of a grappe as its entity tag: `"3"`.
    static func etag(_ grappe: SavedGrappe) -> String { "\"\(grappe.version)\"" }

    static func withETag(_ response: Response, _ grappe: SavedGrappe) -> Response {
        var response = response
        response.headers[.eTag] = etag(grappe)
        return response
    }

    /// Reads a JSON body, or answers the error response.
    func body(_ request: Request, _ context: SiteContext) async throws -> Result<JSON, ErrorResponse> {
        try await bytes(request).flatMap(Self.json)
    }

    func bytes(_ request: Request) async throws -> Result<ByteBuffer, ErrorResponse> {
        do {
            return .success(try await request.body.collect(upTo: BodyLimit.api))
        } catch {
            return .failure(ErrorResponse(JSONResponse.error(.contentTooLarge, path: nil, "corps de requête trop grand (2 Mio au plus)")))
        }
    }

    static func json(_ buffer: ByteBuffer) -> Result<JSON, ErrorResponse> {
        do {
            return .success(try JSON.parse(bytes: Array(buffer.readableBytesView)))
        } catch {
            return .failure(ErrorResponse(JSONResponse.error(.badRequest, path: nil, error.description)))
        }
    }

    struct ErrorResponse: Error { let response: Response; init(_ r: Response) { response = r } }

    /// A JSON body, or the error response thrown (400 malformed, 413 too large).
    static func readJSON(_ request: Request) async throws -> JSON {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: BodyLimit.api) } catch {
            throw ErrorResponse(JSONResponse.error(.contentTooLarge, path: nil, "corps de requête trop grand (2 Mio au plus)"))
        }
        switch json(buffer) {
        case let .success(j): return j
        case let .failure(e): throw e
        }
    }

    /// A project given in full takes the fast path (bytes → `Project`); any other input — to
    /// complete from the registry, or to refuse with the field named — the general one.
    func simulate(_ request: Request, _ context: SiteContext) async throws -> Response {
        let buffer: ByteBuffer
        switch try await bytes(request) {
        case let .failure(e): return e.response
        case let .success(b): buffer = b
        }
        do {
            if let project = buffer.withUnsafeReadableBytes({ Project.decodeFast($0) }) {
                return JSONResponse.make(.ok, try site.evaluate(project).json)
            }
            switch Self.json(buffer) {
            case let .failure(e): return e.response
            case let .success(json): return JSONResponse.make(.ok, try await site.assess(json).assessment.json)
            }
        } catch {
            return Self.problem(error)
        }
    }

    /// The response of an input the engine cannot evaluate.
    static func problem(_ error: any Error) -> Response {
        switch error {
        case let e as InputError: return JSONResponse.error(.unprocessableContent, path: e.path.isEmpty ? nil : e.path, e.reason)
        case let e as AssessmentError: return JSONResponse.error(.unprocessableContent, path: e.path, e.description)
        default: return JSONResponse.error(.internalServerError, path: nil, "erreur interne : la requête n'a pas pu être traitée")
        }
    }

    func finess(_ number: String) async throws -> Response {
        if let problem = FinessNumber.problem(number), problem != .key {
            return JSONResponse.error(.badRequest, path: "number", problem.french)
        }
        if let e = try await site.finess.establishment(number) { return JSONResponse.make(.ok, RegistryJSON.establishment(e)) }
        if let j = try await site.finess.legalEntity(number) {
            return JSONResponse.make(.ok, RegistryJSON.legalEntity(j, essmsCount: try await site.finess.essmsCount(ofLegalEntity: number)))
        }
        let note = FinessNumber.problem(number) == .key ? " ; sa clé de contrôle est invalide" : ""
        return JSONResponse.error(.notFound, path: "number", "FINESS \(number) inconnu du registre\(note)")
    }

    func search(_ request: Request) async throws -> Response {
        let query = Form.query(request)
        guard let text = query["q"], !text.allSatisfy(\.isWhitespace) else {
            return JSONResponse.error(.badRequest, path: "q", "texte de recherche attendu")
        }
        var sector: Sector? = nil
        if let s = query["sector"] {
            guard let value = Sector(rawValue: s) else { return JSONResponse.error(.badRequest, path: "sector", "secteur inconnu « \(Limits.quote(s)) »") }
            sector = value
        }
        let department = query["department"]
        if let department, Territory.department(department) == nil {
            return JSONResponse.error(.badRequest, path: "department", "département INSEE inconnu « \(Limits.quote(department)) »")
        }
        var limit = 20
        if let l = query["limit"] {
            guard let n = Int(l), (1...200).contains(n) else { return JSONResponse.error(.badRequest, path: "limit", "limit : entier de 1 à 200") }
            limit = n
        }
        let found = try await site.finess.search(text, department: department, sector: sector, limit: limit)
        return JSONResponse.make(.ok, .array(found.map(RegistryJSON.establishment)))
    }

    /// `POST /sessions`: `{"email", "password", "otp"?}` → 201 `{"token", "expiresAt"}`; one 401
    /// message whatever was wrong; 429 while the account is locked.
    func signIn(_ request: Request, _ context: SiteContext) async throws -> Response {
        switch try await body(request, context) {
        case let .failure(e): return e.response
        case let .success(json):
            guard case let .string(email)? = json["email"], email.utf8.count <= 254 else {
                return JSONResponse.error(.unprocessableContent, path: "email", "adresse électronique attendue (254 caractères au plus)")
            }
            guard case let .string(password)? = json["password"], password.utf8.count <= 200 else {
                return JSONResponse.error(.unprocessableContent, path: "password", "mot de passe attendu (200 caractères au plus)")
            }
            var code: String? = nil
            switch json["otp"] {
            case nil, .null?: break
            case let .string(text)?: code = text
            default: return JSONResponse.error(.unprocessableContent, path: "otp", "code à usage unique attendu en texte (6 chiffres)")
            }
            switch try await site.sessions.signIn(email: email, password: password, code: code, remote: context.remote) {
            case let .signedIn(token, expiresAt, _):
                return JSONResponse.make(.created, .object([("token", .string(token)), ("expiresAt", .string(expiresAt))]))
            case .refused: return JSONResponse.error(.unauthorized, path: nil, SignInMessage.refused)
            case .codeRequired: return JSONResponse.error(.unauthorized, path: "otp", SignInMessage.codeRequired)
            case .locked:
                var response = JSONResponse.error(.tooManyRequests, path: nil, SignInMessage.locked)
                response.headers[.retryAfter] = String(SessionRepository.failureWindow)
                return response
            }
        }
    }

    /// `POST /grappes` creates; `PUT /grappes/{id}` replaces only the version named by `If-Match`
    /// (428 without it, 412 when another change came first: nothing is written).
    func saveGrappe(_ request: Request, _ context: SiteContext, id: String?) async throws -> Response {
        // Outside the caller's scopes a grappe does not exist: 404 before anything else is looked at.
        if let id, try await site.visibleGrappe(id) == nil {
            return JSONResponse.error(.notFound, path: "id", "grappe inconnue « \(Limits.quote(id)) »")
        }
        var expected: Int? = nil
        if id != nil {
            switch Self.ifMatch(request.headers[.ifMatch]) {
            case let .failure(e): return e.response
            case let .success(version): expected = version
            }
        }
        switch try await body(request, context) {
        case let .failure(e): return e.response
        case let .success(json):
            guard case let .string(name)? = json["name"] else {
                return JSONResponse.error(.unprocessableContent, path: "name", "nom de la grappe attendu")
            }
            do { try GrappeRepository.checkName(name) } catch { return JSONResponse.error(.unprocessableContent, path: error.path, error.reason) }
            guard let project = json["project"], case .object = project else {
                return JSONResponse.error(.unprocessableContent, path: "project", "projet attendu (contrat de simulation)")
            }
            // The grappe belongs to a porteur scope of the caller: the project's porteur, or its first scope.
            let scopes = site.porteurScopes
            var owner = scopes.first
            if case let .string(porteur)? = project["porteur"] {
                guard scopes.contains(porteur) else {
                    return JSONResponse.error(.unprocessableContent, path: "project.porteur", "porteur « \(Limits.quote(porteur)) » : vous êtes porteur pour \(scopes.joined(separator: ", ")) seulement")
                }
                owner = porteur
            }
            do {
                _ = try await site.assess(project)
            } catch {
                let response = Self.problem(error)
                if response.status != .internalServerError, let e = error as? InputError {
                    return JSONResponse.error(.unprocessableContent, path: "project" + (e.path.isEmpty ? "" : "." + e.path), e.reason)
                }
                return response
            }
            do {
                if let id, let expected {
                    switch try await site.grappes.update(id, from: expected, name: name, project: project, by: site.author) {
                    case .notFound: return JSONResponse.error(.notFound, path: "id", "grappe inconnue « \(Limits.quote(id)) »")
                    case let .stale(current):
                        return Self.withETag(JSONResponse.error(.preconditionFailed, path: "If-Match", Self.staleMessage(current, sent: expected)), current)
                    case let .updated(grappe): return Self.withETag(JSONResponse.make(.ok, grappeJSON(grappe)), grappe)
                    }
                }
                guard let owner else { return JSONResponse.error(.forbidden, path: nil, "aucune portée de porteur") }
                let grappe = try await site.grappes.create(name: name, project: project, owner: owner, by: site.author)
                var response = Self.withETag(JSONResponse.make(.created, grappeJSON(grappe)), grappe)
                response.headers[.location] = SiteURL.apiGrappe(grappe.id).path
                return response
            } catch let e as InputError {
                return JSONResponse.error(.unprocessableContent, path: e.path, e.reason)
            }
        }
    }

    /// Who changed a grappe since the version a client or a form had.
    static func staleMessage(_ current: SavedGrappe, sent: Int) -> String {
        "la grappe a été modifiée depuis la version \(sent) que vous aviez : elle est à la version \(current.version), modifiée \(changedBy(current)) ; rien n'a été enregistré. Relisez-la puis refaites votre modification."
    }

    /// « le 25/11/2026 à 16:02 (heure de Paris) par la page web ».
    static func changedBy(_ g: SavedGrappe) -> String {
        var text = "le \(FrenchTime.dateTime(g.updatedAt))"
        if let by = g.updatedBy { text += " par \(by)" }
        return text
    }

    /// The version an `If-Match` header names: one strong entity tag, `"3"`.
    static func ifMatch(_ header: String?) -> Result<Int, ErrorResponse> {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .failure(ErrorResponse(JSONResponse.error(.preconditionRequired, path: "If-Match", "en-tête If-Match obligatoire : la version lue (ETag de GET /api/v1/grappes/{id})")))
        }
        let tag = header.trimmingCharacters(in: .whitespaces)
        guard tag.hasPrefix("\""), tag.hasSuffix("\""), tag.count > 2, let version = Int(tag.dropFirst().dropLast()), version > 0 else {
            return .failure(ErrorResponse(JSONResponse.error(.preconditionFailed, path: "If-Match", "If-Match « \(Limits.quote(tag)) » ne désigne pas une version de cette grappe (attendu l'ETag lu, par exemple \"3\")")))
        }
        return .success(version)
    }

    func grappeSummary(_ g: SavedGrappe) -> JSON {
        .object([("id", .string(g.id)), ("name", .string(g.name)), ("updatedAt", .string(g.updatedAt)), ("version", .int(g.version))])
    }

    func grappeJSON(_ g: SavedGrappe) -> JSON {
        .object([("id", .string(g.id)), ("name", .string(g.name)), ("project", g.project),
                 ("createdAt", .string(g.createdAt)), ("updatedAt", .string(g.updatedAt)), ("version", .int(g.version)),
                 ("updatedBy", g.updatedBy.map(JSON.string) ?? .null)])
    }
}
