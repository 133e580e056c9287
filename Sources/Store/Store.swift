import Rules
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// Where the data lives: an SQLite file (embedded, the default) or a PostgreSQL server (shared).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    /// `schema`: the PostgreSQL schema to work in (`?schema=` in the URL), default `public`.
    case postgres(host: String, port: Int, user: String, password: String?, database: String, schema: String? = nil)

    /// The file `esms.sqlite` in the working directory.
    public static let defaultFile = DatabaseLocation.sqlite(path: "esms.sqlite")

    /// `--database URL`, else `ESMS_DATABASE_URL`, else the default file (`shared/spec/registry.md`).
    public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseLocation {
        if let flag { return try parse(flag) }
        if let url = environment["ESMS_DATABASE_URL"], !url.isEmpty { return try parse(url) }
        return defaultFile
    }

    /// A file path, `sqlite:///abs/path.sqlite`, or `postgres://user:pass@host:port/db`.
    public static func parse(_ text: String) throws -> DatabaseLocation {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            guard let url = URL(string: text), let host = url.host, !host.isEmpty else {
                throw StoreError("adresse PostgreSQL invalide « \(Limits.quote(text)) » (attendu postgres://utilisateur:motdepasse@hôte:port/base)")
            }
            let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
            guard !database.isEmpty else { throw StoreError("adresse PostgreSQL sans nom de base : « \(Limits.quote(text)) »") }
            var schema: String? = nil
            if let query = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems {
                for item in query {
                    guard item.name == "schema", let value = item.value,
                          value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !value.isEmpty else {
                        throw StoreError("paramètre « \(Limits.quote(item.name)) » inconnu ou invalide dans « \(Limits.quote(text)) » (seul schema=nom est admis)")
                    }
                    schema = value
                }
            }
            return .postgres(host: host, port: url.port ?? 5432, user: url.user ?? "postgres",
                             password: url.password?.removingPercentEncoding, database: database, schema: schema)
        }
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw StoreError("adresse SQLite sans chemin : « \(Limits.quote(text)) »") }
            return .sqlite(path: path)
        }
        if text.contains("://") { throw StoreError("type de base inconnu « \(Limits.quote(text)) » (attendu un chemin de fichier, sqlite:// ou postgres://)") }
        guard !text.isEmpty else { throw StoreError("chemin de base vide") }
        return .sqlite(path: text)
    }

    public var description: String {
        switch self {
        case let .sqlite(path): return "SQLite \(path)"
        case let .postgres(host, port, user, _, database, schema):
            return "PostgreSQL \(user)@\(host):\(port)/\(database)\(schema.map { " (schéma \($0))" } ?? "")"
        }
    }
}

public struct StoreError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A first-come, first-served lock: SQLite's one writer.
actor TransactionGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
