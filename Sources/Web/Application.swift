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
    let metrics: PrometheusCollectorRegistry

    /// Today in Europe/Paris, or the day `ESMS_TODAY` names (trials, replays, tests).
    public let today: @Sendable () -> CalendarDate

    public init(store: Store, engine: Engine = Engine(), today: CalendarDate? = nil) {
        self.store = store
        self.engine = engine
        if let today {
            self.today = { today }
        } else {
            self.today = { CalendarDate(parisDayOf: Date()) }
        }
        self.finess = FinessRepository(store: store)
        self.grappes = GrappeRepository(store: store)
        self.metrics = PrometheusCollectorRegistry()
    }

    /// A project in the contract of `simulation.md`, completed from the registry when it gives
    /// establishments by FINESS ET alone, and assessed.
    func assess(_ json: JSON) async throws -> (project: Project, assessment: Assessment) {
        let project = try await ProjectCompletion.project(json) { complete in try await complete(finess) }
        return (project, try evaluate(project))
    }

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

public func buildRouter(site: Site, logger: Logger) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routes = Routes(router: router, table: RouteTable())
    router.add(middleware: SecurityMiddleware(routes: routes.table, logger: logger))
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
    return router
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
        make(status, .object([("error", .object([
            ("status", .int(status.code)), ("path", path.map(JSON.string) ?? .null), ("message", .string(message)),
        ]))]))
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
