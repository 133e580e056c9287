import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Registry
import Rules
import Store

/// What the handlers share: the store and its repositories, the engine, the metrics.
public struct Site: Sendable {
    public let store: Store
    public let engine: Engine
    public let finess: FinessRepository
    public let grappes: GrappeRepository
    public let sessions: SessionRepository
    public let dossiers: DossierRepository
    /// The address people reach the site at (`ESMS_PUBLIC_URL`); https makes the session cookie `Secure`.
    public let publicURL: String?
    /// Where the DMP connector writes (`ESMS_DMP_OUTBOX`); nil: no submission is possible.
    public let dmpOutbox: String?
    /// Where MSSanté messages leave (`ESMS_MSSANTE_SMTP_URL`); nil: no sending is possible.
    public let mssante: MSSanteSettings?
    let metrics: PrometheusCollectorRegistry

    /// Today in Europe/Paris, or the day `ESMS_TODAY` names (trials, replays, tests).
    public let today: @Sendable () -> CalendarDate

    public init(store: Store, engine: Engine = Engine(), today: CalendarDate? = nil, requireSecondFactor: Set<Role> = [],
                publicURL: String? = nil, dmpOutbox: String? = nil, mssante: MSSanteSettings? = nil) {
        self.store = store
        self.dmpOutbox = dmpOutbox
        self.mssante = mssante
        self.sessions = SessionRepository(store: store, requireSecondFactor: requireSecondFactor)
        self.publicURL = publicURL
        self.engine = engine
        if let today {
            self.today = { today }
        } else {
            self.today = { CalendarDate(parisDayOf: Date()) }
        }
        self.finess = FinessRepository(store: store)
        self.grappes = GrappeRepository(store: store)
        self.dossiers = DossierRepository(store: store, engine: engine, today: self.today)
        self.metrics = PrometheusCollectorRegistry()
    }

    /// The MSSanté sender and its queue, when a server is configured.
    public var mssanteSender: MSSanteSender? {
        mssante.map { MSSanteSender(settings: $0, records: DUIRepository(store: store, today: today), finess: finess) }
    }

    /// A project in the contract of `simulation.md`, completed from the registry when it gives
    /// establishments by FINESS ET alone, and assessed.
    func assess(_ json: JSON) async throws -> (project: Project, assessment: Assessment) {
        let project = try await ProjectCompletion.project(json) { complete in try await complete(finess) }
        return (project, try evaluate(project))
    }

    /// A grappe the one calling may see: one its porteur scopes own (`Viewer.current`, set for the
    /// request by `SecurityMiddleware`); nil — a 404 — for any other, as for one that does not exist.
    func visibleGrappe(_ id: String) async throws -> SavedGrappe? {
        guard let grappe = try await grappes.find(id), let owner = grappe.owner, porteurScopes.contains(owner) else { return nil }
        return grappe
    }

    /// The latest grappes the one calling may see.
    func visibleGrappes(limit: Int = 100) async throws -> [SavedGrappe] {
        try await grappes.list(owners: porteurScopes, limit: limit)
    }

    /// The organismes (FINESS EJ) the one calling is porteur for.
    var porteurScopes: [String] { Viewer.current?.scopes(.porteur) ?? [] }

    /// Who a change is recorded as: the signed-in account.
    var author: String { Viewer.current?.email ?? "anonyme" }

    /// The assessment of a typed project, with the campaign values in force today (dated parameters).
    func evaluate(_ project: Project) throws(AssessmentError) -> Assessment {
        try engine.assess(project, on: today())
    }
}

/// The whole application, as `esms serve` runs it and as the tests call it.
public func buildApplication(site: Site, configuration: ServerConfiguration, logger: Logger) -> some ApplicationProtocol {
    let header = TimeAmount(configuration.headerTimeout), body = TimeAmount(configuration.bodyTimeout)
    return Application(
        router: buildRouter(site: site, logger: logger),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [RequestTimeoutHandler(headerTimeout: header, bodyTimeout: body)],
            idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "esms"),
        logger: logger
    )
}

public func buildRouter(site: Site, logger: Logger) -> Router<SiteContext> { buildRoutes(site: site, logger: logger).router }

/// The router and the table of the routes it declares (each with its line of `AccessMatrix`).
func buildRoutes(site: Site, logger: Logger) -> Routes {
    let router = Router(context: SiteContext.self, options: .autoGenerateHeadEndpoints)
    let routes = Routes(router: router, table: RouteTable())
    router.add(middleware: SecurityMiddleware(routes: routes.table, sessions: site.sessions,
                                              secureCookies: site.publicURL?.lowercased().hasPrefix("https://") == true, logger: logger))
    router.add(middleware: RequestMetrics(registry: site.metrics))
    router.add(middleware: LogRequestsMiddleware(.info))
    routes.get(SiteURL.health.path) { _, _ -> Response in
        do {
            _ = try await site.store.sql.raw("SELECT 1 AS ok").first()
            return JSONResponse.make(.ok, .object([("status", .string("ok")), ("database", .string(site.store.dialect.rawValue))]))
        } catch {
            return JSONResponse.make(.serviceUnavailable, .object([("status", .string("indisponible")), ("message", .string("la base ne répond pas"))]))
        }
    }
    routes.get(SiteURL.metrics.path) { _, _ -> Response in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: site.metrics.emitToString())))
    }
    routes.get(SiteURL.openAPI.path) { _, _ -> Response in
        try StaticFile.response("openapi.yaml", contentType: "application/yaml; charset=utf-8")
    }
    routes.get(SiteURL.asset(":file").path) { _, context -> Response in
        let file = try context.parameters.require("file")
        switch file {
        case "site.css": return try StaticFile.response("Assets/site.css", contentType: "text/css; charset=utf-8")
        case "site.js": return try StaticFile.response("Assets/site.js", contentType: "text/javascript; charset=utf-8")
        default: throw HTTPError(.notFound)
        }
    }
    API(site: site).register(on: routes)
    let pages = Pages(site: site)
    pages.register(on: routes)
    UsagePages(site: site, pages: pages).register(on: routes)
    AccountPages(site: site).register(on: routes)
    DossierAPI(site: site).register(on: routes)
    PaymentsAPI(site: site).register(on: routes)
    DUIAPI(site: site).register(on: routes)
    DUIPages(site: site).register(on: routes)
    DossierPages(site: site).register(on: routes)
    PaymentPages(site: site).register(on: routes)
    return routes
}

/// Files shipped with the server (`Sources/Web`), read once.
enum StaticFile {
    static let cache: [String: Data] = {
        var files: [String: Data] = [:]
        for name in ["openapi.yaml", "Assets/site.css", "Assets/site.js"] {
            let parts = name.split(separator: ".")
            if let url = Bundle.module.url(forResource: String(parts[0]), withExtension: String(parts[1])),
               let data = try? Data(contentsOf: url) {
                files[name] = data
            }
        }
        return files
    }()

    static func response(_ name: String, contentType: String) throws -> Response {
        guard let data = cache[name] else { throw HTTPError(.notFound) }
        return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "public, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ json: JSON) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: json.utf8(indent: false))))
    }

    /// `{"error": {"status": 422, "path": "establishments[3].finessET", "message": "…"}}`
    static func error(_ status: HTTPResponse.Status, path: String?, _ message: String) -> Response {
        make(status, errorJSON(status, path: path, message))
    }

    static func errorJSON(_ status: HTTPResponse.Status, path: String?, _ message: String) -> JSON {
        .object([("error", .object([
            ("status", .int(status.code)), ("path", path.map(JSON.string) ?? .null), ("message", .string(message)),
        ]))])
    }
}

/// The demo registry shipped with the server: imported when the registry is empty, so that a
/// fresh machine shows a working site.
public enum DemoRegistry {
    public static var files: [(name: String, bytes: [UInt8])] {
        guard let directory = Bundle.module.url(forResource: "Demo", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.hasSuffix(".csv") }.sorted().compactMap { name in
            (try? Data(contentsOf: directory.appendingPathComponent(name))).map { (name, [UInt8]($0)) }
        }
    }

    /// Imports the demo extraction when the registry holds no establishment; true when it did.
    @discardableResult
    public static func importIfEmpty(into store: Store) async throws -> Bool {
        let row = try await store.sql.raw("SELECT COUNT(*) AS n FROM finess_establishment").first()
        guard try row?.decode(column: "n", as: Int.self) == 0 else { return false }
        let extractions = files.map { FinessFile.read($0.bytes, file: "démo/\($0.name)") }
        _ = try await FinessRepository(store: store).importExtractions(extractions)
        return true
    }
}

/// The demo accounts of `access.md` (« Demo »): on a database without any account, one account
/// per role on the demo registry's scopes (the OG 310100011 in Toulouse, Occitanie: region 76),
/// with generated passwords that `esms serve` prints once.
public enum DemoAccounts {
    public struct Created: Sendable {
        public let email: String
        public let password: String
        public let roles: String
        /// The admin's second factor (required for admin): its otpauth URL.
        public let otpauthURL: String?
    }

    static let accounts: [(email: String, name: String, roles: [String])] = [
        ("admin@esms.invalid", "Administration (démo)", ["admin"]),
        ("porteur@esms.invalid", "Association Occitane Autonomie (démo)", ["porteur:310100011"]),
        ("instructeur@esms.invalid", "ARS Occitanie (démo)", ["instructeur:76"]),
        ("cnsa@esms.invalid", "CNSA (démo)", ["instructeur:national"]),
        ("expert@esms.invalid", "Expert (démo)", ["expert"]),
        ("lecteur@esms.invalid", "Lecteur national (démo)", ["lecteur:national"]),
        ("professionnel@esms.invalid", "EHPAD Les Acacias, soignant (démo)", ["professionnel:315000018"]),
        ("direction@esms.invalid", "Direction de l'association (démo)", ["direction:310100011"]),
    ]

    /// Creates the demo accounts when the database has none; what was created (empty otherwise).
    public static func createIfNone(in store: Store) async throws -> [Created] {
        let row = try await store.sql.raw("SELECT COUNT(*) AS n FROM users").first()
        guard try row?.decode(column: "n", as: Int.self) == 0 else { return [] }
        let repository = AccountRepository(store: store)
        var created: [Created] = []
        for account in accounts {
            let password = AccountRepository.generatedPassword()
            let assignments = try account.roles.map { try Assignment(parsing: $0) }
            let saved = try await repository.add(email: account.email, name: account.name, password: password, assignments: assignments,
                                                 secondFactor: assignments.contains { $0.role == .admin }, actor: "system")
            created.append(Created(email: saved.email, password: password, roles: account.roles.joined(separator: ", "), otpauthURL: saved.otpauthURL))
        }
        return created
    }
}
