import Rules
import Foundation
import Logging
import Store

/// The server's configuration: flags, then environment, then defaults; validated at start, every
/// problem reported at once.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    public var logLevel: Logger.Level
    /// Import the bundled demo registry when the registry is empty.
    public var demo: Bool
    /// A connection whose request head has not arrived after this long is closed (slow headers).
    public var headerTimeout: Duration = .seconds(10)
    /// A request whose body has not ended this long after its head is dropped (slow uploads).
    public var bodyTimeout: Duration = .seconds(120)
    /// A connection that carries nothing for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// `ESMS_TODAY`: the day the server takes as today (trials, replays); nil for the real day.
    public var today: CalendarDate?
    /// `ESMS_REQUIRE_TOTP`: roles that must have a second factor, besides `admin`.
    public var requireSecondFactor: Set<Role> = []
    /// `ESMS_PUBLIC_URL`: the address people reach the site at; https makes the session cookie `Secure`.
    public var publicURL: String?
    /// `ESMS_DMP_OUTBOX`: the directory the DMP connector writes its CDA documents to (`dui.md`).
    public var dmpOutbox: String?
    /// `ESMS_MSSANTE_SMTP_URL` and its certificates: where MSSanté messages leave (`dui.md`).
    public var mssante: MSSanteSettings?

    public init(host: String = "127.0.0.1", port: Int = 8080, database: DatabaseLocation = .defaultFile, logLevel: Logger.Level = .info, demo: Bool = true) {
        self.host = host; self.port = port; self.database = database; self.logLevel = logLevel; self.demo = demo
    }

    /// `flags` win over `ESMS_HOST`, `ESMS_PORT`, `ESMS_DATABASE_URL`, `ESMS_LOG_LEVEL`.
    public static func resolve(host: String?, port: String?, database: String?, logLevel: String?, demo: Bool,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfiguration {
        var problems: [String] = []
        var configuration = ServerConfiguration(demo: demo)
        if let h = host ?? environment["ESMS_HOST"] {
            if h.isEmpty { problems.append("hôte vide (--host ou ESMS_HOST)") } else { configuration.host = h }
        }
        if let p = port ?? environment["ESMS_PORT"] {
            if let n = Int(p), (1...65535).contains(n) { configuration.port = n } else { problems.append("port invalide « \(Limits.quote(p)) » (--port ou ESMS_PORT : 1 à 65535)") }
        }
        do {
            configuration.database = try DatabaseLocation.resolve(flag: database, environment: environment)
        } catch {
            problems.append("base de données : \(error)")
        }
        if let l = logLevel ?? environment["ESMS_LOG_LEVEL"] {
            if let level = Logger.Level(rawValue: l.lowercased()) { configuration.logLevel = level } else {
                problems.append("niveau de journal inconnu « \(Limits.quote(l)) » (--log-level ou ESMS_LOG_LEVEL : \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        if let t = environment["ESMS_TODAY"], !t.isEmpty {
            if let day = CalendarDate(iso: t) { configuration.today = day } else { problems.append("ESMS_TODAY invalide « \(Limits.quote(t)) » (attendu AAAA-MM-JJ)") }
        }
        do {
            configuration.requireSecondFactor = try SessionRepository.requiredRoles(environment["ESMS_REQUIRE_TOTP"])
        } catch {
            problems.append(error.description)
        }
        if let url = environment["ESMS_PUBLIC_URL"], !url.isEmpty {
            if url.hasPrefix("https://") || url.hasPrefix("http://") { configuration.publicURL = url } else {
                problems.append("ESMS_PUBLIC_URL invalide « \(Limits.quote(url)) » (attendu https://… ou http://…)")
            }
        }
        if let outbox = environment["ESMS_DMP_OUTBOX"], !outbox.isEmpty {
            var directory: ObjCBool = false
            if FileManager.default.fileExists(atPath: outbox, isDirectory: &directory), directory.boolValue { configuration.dmpOutbox = outbox } else {
                problems.append("ESMS_DMP_OUTBOX « \(Limits.quote(outbox)) » : répertoire absent")
            }
        }
        configuration.mssante = MSSanteSettings.resolve(environment, problems: &problems)
        if !problems.isEmpty { throw StoreError("configuration invalide :\n  " + problems.joined(separator: "\n  ")) }
        return configuration
    }
}
