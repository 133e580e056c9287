import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes
import Rules
import Store
import Synchronization

/// The routes the server declares, each with its methods: one list, filled as routes are added,
/// read to answer 405 with `Allow` for a known path asked with another method.
final class RouteTable: Sendable {
    struct Route: Sendable {
        let method: HTTPRequest.Method
        let segments: [String]
    }

    /// Every route in declaration order, and the same by number of segments (what a path is
    /// compared with: a few routes, not all of them, on every request).
    private let routes = Mutex<(all: [Route], bySize: [Int: [Route]])>(([], [:]))

    /// Every route declared, in the order it was.
    var all: [Route] { routes.withLock { $0.all } }

    func add(_ method: HTTPRequest.Method, _ path: String) {
        let route = Route(method: method, segments: path.split(separator: "/").map(String.init))
        routes.withLock { table in
            table.all.append(route)
            table.bySize[route.segments.count, default: []].append(route)
        }
    }

    /// The methods the router answers for a path (`HEAD` wherever `GET` is). As in the router, a
    /// literal segment wins over a parameter: `/grappes/ajouter` is not `/grappes/:id`.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/")
        var candidates = routes.withLock { table in (table.bySize[parts.count] ?? []).filter { Self.matches($0.segments, parts) } }
        for (i, part) in parts.enumerated() where candidates.contains(where: { $0.segments[i] == part }) {
            candidates.removeAll { $0.segments[i] != part }
        }
        var found = candidates.map(\.method)
        if found.contains(.get) { found.append(.head) }
        let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]
        return order.filter { found.contains($0) }
    }

    static func matches(_ pattern: [String], _ path: [Substring]) -> Bool {
        guard pattern.count == path.count else { return false }
        return zip(pattern, path).allSatisfy { p, s in p.hasPrefix(":") || p == s }
    }
}

/// Declares a route on the router and in the table, once, behind its line of the access matrix
/// (`AccessMatrix`): a route without a line is refused to everyone.
struct Routes {
    let router: Router<SiteContext>
    let table: RouteTable

    func on(_ method: HTTPRequest.Method, _ path: String,
            _ handler: @Sendable @escaping (Request, SiteContext) async throws -> some ResponseGenerator) {
        table.add(method, path)
        let access = AccessMatrix.access(method, path)
        router.on(RouterPath(path), method: method) { request, context -> Response in
            if let refusal = Gate.refusal(access, request, context) { return refusal }
            return try await handler(request, context).response(from: request, context: context)
        }
    }

    func get(_ path: String, _ handler: @Sendable @escaping (Request, SiteContext) async throws -> some ResponseGenerator) { on(.get, path, handler) }
    func post(_ path: String, _ handler: @Sendable @escaping (Request, SiteContext) async throws -> some ResponseGenerator) { on(.post, path, handler) }
    func put(_ path: String, _ handler: @Sendable @escaping (Request, SiteContext) async throws -> some ResponseGenerator) { on(.put, path, handler) }
    func delete(_ path: String, _ handler: @Sendable @escaping (Request, SiteContext) async throws -> some ResponseGenerator) { on(.delete, path, handler) }
}

/// The anti-CSRF token of the page being built, set by `SecurityMiddleware` for the time of one
/// request: the session's own token when someone is signed in (bound to the session), else the
/// value of the `esms_csrf` cookie (double-submit pattern, `SameSite=Strict`: the sign-in form).
enum CSRF {
    static let cookie = "esms_csrf"
    static let field = "csrf"

    @TaskLocal static var token = ""

    /// 32 random bytes in hexadecimal.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Compares in time independent of where the first difference is.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}

/// Request bodies: what each kind of route reads at most.
enum BodyLimit {
    /// The JSON API (`openapi.yaml`): a project of 10 000 establishments fits.
    static let api = 2 << 20
    /// A page form (`application/x-www-form-urlencoded`).
    static let form = 64 << 10
    /// A page upload (`multipart/form-data`): a measures file of 1 000 ESSMS × 36 months is 2.2 Mio.
    static let upload = 8 << 20
    /// A dossier's document (`dossiers.md`: 20 Mio), with the form around it.
    static let document = (20 << 20) + (64 << 10)
}

/// Deny what does not come from our own pages, and say so in every response:
/// - a known path asked with another method: 405 with `Allow`;
/// - a change (`POST`, `PUT`, `PATCH`, `DELETE`) from another site (`Sec-Fetch-Site`, `Origin`): 403;
/// - an API change whose body is not `application/json`: 415;
/// - who is calling: the session cookie or the bearer token, resolved once (`SiteContext.principal`);
/// - a page form without the CSRF token of its session (or, signed out, of its cookie): 403, nothing changed;
/// - the security headers of `shared/spec/access.md` on every response, errors included;
/// - an error no handler answered becomes a French 500 (a page or JSON), never a dropped connection.
struct SecurityMiddleware: RouterMiddleware {
    typealias Context = SiteContext
    let routes: RouteTable
    let sessions: SessionRepository
    /// The session cookie is `Secure` when the public URL is https.
    let secureCookies: Bool
    let logger: Logger

    static let sessionCookie = "esms_session"

    /// The session cookie of a sign-in (`token`), or the one that ends it (nil).
    static func sessionCookie(_ token: String?, secure: Bool) -> Cookie {
        Cookie(name: sessionCookie, value: token ?? "", maxAge: token == nil ? 0 : SessionRepository.absoluteLimit, path: "/",
               secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// `Authorization: Bearer X` → X.
    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    static let headers: [(HTTPField.Name, String)] = [
        (.contentSecurityPolicy, "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("Referrer-Policy")!, "same-origin"),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
        (HTTPField.Name("Cross-Origin-Opener-Policy")!, "same-origin"),
    ]

    static let unsafe: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await guarded(request, context: context, next: next)
        } catch let error as HTTPError {
            // The router's own refusals (an unknown page) in French, as a page or JSON.
            let message = error.body ?? (error.status == .notFound ? "page introuvable : \(Limits.quote(request.uri.path))" : "demande refusée (\(error.status.code))")
            response = Self.failure(request, status: error.status, message)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            logger.error("erreur non traitée", metadata: ["path": .string(request.uri.path), "error": .string(String(describing: type(of: error)))])
            response = Self.failure(request, status: .internalServerError, Self.message(error))
        }
        for (name, value) in Self.headers where response.headers[name] == nil { response.headers[name] = value }
        if response.headers[.contentType]?.hasPrefix("text/html") == true, response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }

    /// What a person may read of an unexpected error: the store's and the input's own French
    /// messages; anything else stays in the log.
    static func message(_ error: any Error) -> String {
        switch error {
        case let e as StoreError: return e.message
        case let e as InputError: return e.description
        default: return "erreur interne : la demande n'a pas pu être traitée"
        }
    }

    /// `Application/JSON; charset=utf-8` → `application/json`.
    /// `Application/JSON ; charset=utf-8` → `application/json`: before the parameters, trimmed,
    /// in lower case (read byte by byte: it is on every request's path).
    static func mediaType(_ header: String?) -> String? {
        guard let header else { return nil }
        let utf8 = header.utf8
        var type = utf8[utf8.startIndex..<(utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex)]
        while let b = type.first, b == 0x20 || b == 0x09 { type = type.dropFirst() }
        while let b = type.last, b == 0x20 || b == 0x09 { type = type.dropLast() }
        let text = String(Substring(type))
        return type.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? text.lowercased() : text
    }

    static func isAPI(_ request: Request) -> Bool { request.uri.path.hasPrefix("/api/") }

    static func failure(_ request: Request, status: HTTPResponse.Status, _ message: String) -> Response {
        if isAPI(request) { return JSONResponse.error(status, path: nil, message) }
        return ErrorPage(heading: status == .notFound ? "Introuvable" : "Demande refusée", sentence: Show.sentenceCase(message)).response(status: status)
    }

    func guarded(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let allowed = routes.methods(for: request.uri.path)
        if !allowed.isEmpty, !allowed.contains(request.method) {
            var response = Self.failure(request, status: .methodNotAllowed, "méthode \(request.method.rawValue) non admise ici ; admises : \(allowed.map(\.rawValue).joined(separator: ", "))")
            response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return response
        }
        // Who is calling: a bearer token (API, systems, tests), else the session cookie.
        var context = context
        let bearer = Self.bearer(request)
        let cookie = request.cookies[Self.sessionCookie]?.value
        var endedSession = false
        if let credential = bearer ?? cookie, !credential.isEmpty {
            if let principal = try await sessions.principal(token: credential) {
                context.principal = principal
                context.token = credential
            } else {
                endedSession = bearer == nil
            }
        }
        var response = try await Viewer.$current.withValue(context.principal) {
            try await checked(request, context: context, allowed: allowed, viaBearer: bearer != nil, next: next)
        }
        if endedSession, response.headers[.setCookie] == nil {
            response.setCookie(Self.sessionCookie(nil, secure: secureCookies))
        }
        return response
    }

    /// The CSRF check of page forms, and the token of the page being built.
    func checked(_ request: Request, context: Context, allowed: [HTTPRequest.Method], viaBearer: Bool,
                 next: (Request, Context) async throws -> Response) async throws -> Response {
        let sessionToken = viaBearer ? nil : context.principal?.csrf
        var request = request
        if Self.unsafe.contains(request.method) {
            if let refusal = Self.crossSite(request) { return Self.failure(request, status: .forbidden, refusal) }
            if Self.isAPI(request) {
                guard !allowed.isEmpty, request.method != .delete else { return try await next(request, context) }
                let type = Self.mediaType(request.headers[.contentType])
                // A dossier's documents are files: multipart/form-data (dossiers.md).
                if type == "multipart/form-data", request.uri.path.hasSuffix("/documents") { return try await next(request, context) }
                // A dossier's measures are a CSV file, as the body or in a multipart form (payments.md).
                if type == "text/csv" || type == "multipart/form-data", request.uri.path.hasSuffix("/measures") { return try await next(request, context) }
                guard type == "application/json" else {
                    return Self.failure(request, status: .unsupportedMediaType, "corps attendu en JSON, envoyé avec Content-Type: application/json")
                }
                return try await next(request, context)
            }
            // A system calling the pages with a bearer token: no cookie, so no cross-site forgery.
            if viaBearer { return try await next(request, context) }
            // A page form: its token must be its session's, or (signed out) its cookie's.
            let type = request.headers[.contentType]?.lowercased() ?? ""
            let limit = type.hasPrefix("multipart/form-data") ? (request.uri.path.hasSuffix("/pieces") ? BodyLimit.document : BodyLimit.upload) : BodyLimit.form
            guard type.hasPrefix("multipart/form-data") || type.hasPrefix("application/x-www-form-urlencoded") else {
                return Self.failure(request, status: .unsupportedMediaType, "formulaire attendu (application/x-www-form-urlencoded ou multipart/form-data)")
            }
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: limit) } catch {
                return Self.failure(request, status: .contentTooLarge, "envoi trop volumineux : \(limit >> 20 > 0 ? "\(limit >> 20) Mio" : "\(limit >> 10) Kio") au plus")
            }
            let sent = type.hasPrefix("multipart/form-data")
                ? Multipart.upload(body, contentType: request.headers[.contentType] ?? "")?.csrf
                : Form.parse(String(buffer: body))[CSRF.field]
            let expected = sessionToken ?? request.cookies[CSRF.cookie]?.value
            guard let expected, CSRF.isWellFormed(expected), let sent, CSRF.same(sent, expected) else {
                return Self.failure(request, status: .forbidden, "formulaire refusé : son jeton de sécurité est absent ou périmé. Revenez à la page du formulaire, rechargez-la, puis recommencez ; rien n'a été modifié.")
            }
            return try await CSRF.$token.withValue(expected) { try await next(request, context) }
        }
        if Self.isAPI(request) { return try await next(request, context) }
        // A page: the token its forms carry — its session's, or the cookie's, or a new cookie's.
        if let sessionToken { return try await CSRF.$token.withValue(sessionToken) { try await next(request, context) } }
        if let cookie = request.cookies[CSRF.cookie]?.value, CSRF.isWellFormed(cookie) {
            return try await CSRF.$token.withValue(cookie) { try await next(request, context) }
        }
        let token = CSRF.newToken()
        var response = try await CSRF.$token.withValue(token) { try await next(request, context) }
        response.setCookie(Cookie(name: CSRF.cookie, value: token, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// A change asked from another site: `Sec-Fetch-Site` says so (browsers send it), or `Origin`
    /// names another host than the one asked.
    static func crossSite(_ request: Request) -> String? {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return "demande venue d'un autre site (Sec-Fetch-Site: \(Limits.quote(site))) : refusée"
        }
        if let origin = request.headers[HTTPField.Name("Origin")!] {
            let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!] ?? ""
            let stripped = origin.hasPrefix("https://") ? origin.dropFirst(8) : (origin.hasPrefix("http://") ? origin.dropFirst(7) : Substring(""))
            if stripped.isEmpty || stripped.lowercased() != host.lowercased() {
                return "demande venue d'une autre origine (\(Limits.quote(origin))) : refusée"
            }
        }
        return nil
    }
}

/// Closes a connection whose request head has not fully arrived `headerTimeout` after it opened
/// (or after the previous response), or whose body has not ended `bodyTimeout` after its head:
/// a client sending a byte now and then holds no connection for long.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let headerTimeout: TimeAmount
    let bodyTimeout: TimeAmount
    /// When the connection is closed unless it moves on; nil while a request is being answered.
    private var deadline: NIODeadline?
    /// One timer per connection at a time: moving the deadline does not reschedule it (two
    /// reschedulings per request cost more than the request); when it fires early it waits again.
    private var timer: Scheduled<Void>?

    init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, headerTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { stop() }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, headerTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, bodyTimeout)
        case .body: break
        case .end: deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, headerTimeout) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, _ delay: TimeAmount) {
        let due = NIODeadline.now() + delay
        deadline = due
        if timer == nil { schedule(context, at: due) }
    }

    private func schedule(_ context: ChannelHandlerContext, at due: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: due) { bound.value.0.fire(bound.value.1) }
    }

    private func fire(_ context: ChannelHandlerContext) {
        timer = nil
        guard let deadline else { return } // a request is being answered: no limit until its end
        if deadline <= NIODeadline.now() {
            context.close(promise: nil)
        } else {
            schedule(context, at: deadline)
        }
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        deadline = nil
    }
}
