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

/// One open database: a single connection, migrated on open. Commands hold one for their run.
public final class Store: Sendable {
    public enum Dialect: String, Sendable { case sqlite, postgres }

    enum Connection: Sendable {
        case sqlite(SQLiteConnection)
        case postgres(PostgresConnection)
    }

    let connection: Connection
    /// The connection as the repositories use it: outside a transaction, a statement waits for the
    /// transaction in progress to end (`GatedDatabase`).
    public let sql: any SQLDatabase
    /// The connection itself: only `transaction` uses it, holding the gate.
    private let raw: any SQLDatabase
    /// One transaction at a time on the connection: the server's requests share it.
    private let gate = TransactionGate()
    public let location: DatabaseLocation

    public var dialect: Dialect {
        switch connection {
        case .sqlite: return .sqlite
        case .postgres: return .postgres
        }
    }

    private init(connection: Connection, location: DatabaseLocation) {
        self.connection = connection
        self.location = location
        switch connection {
        case let .sqlite(c): raw = c.sql()
        case let .postgres(c): raw = c.sql(queryLogLevel: nil)
        }
        sql = GatedDatabase(base: raw, gate: gate)
    }

    /// Opens the database and brings its schema to the latest migration.
    public static func open(_ location: DatabaseLocation, logger: Logger = Logger(label: "esms.store")) async throws -> Store {
        var quiet = logger
        quiet.logLevel = .warning
        let store: Store
        switch location {
        case let .sqlite(path):
            let connection: SQLiteConnection
            do {
                connection = try await SQLiteConnection.open(storage: .file(path: path), logger: quiet)
            } catch {
                throw StoreError("impossible d'ouvrir la base SQLite \(path) : \(error)")
            }
            store = Store(connection: .sqlite(connection), location: location)
            // Larger pages for the wide FINESS rows (only takes effect on a new file); WAL: readers
            // never wait for the importer; foreign keys on.
            try await store.sql.raw("PRAGMA page_size = 16384").run()
            try await store.sql.raw("PRAGMA journal_mode = WAL").run()
            try await store.sql.raw("PRAGMA foreign_keys = ON").run()
            try await store.sql.raw("PRAGMA busy_timeout = 5000").run()
            // In WAL mode NORMAL stays consistent after a crash; only the last commits may be lost on power loss.
            try await store.sql.raw("PRAGMA synchronous = NORMAL").run()
            try await store.sql.raw("PRAGMA cache_size = -65536").run()
        case let .postgres(host, port, user, password, database, schema):
            var configuration = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: .disable)
            if let schema { configuration.options.additionalStartupParameters = [("search_path", schema)] }
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: quiet)
            } catch {
                throw StoreError("impossible de joindre PostgreSQL (\(location)) : \(String(reflecting: error))")
            }
            store = Store(connection: .postgres(connection), location: location)
        }
        do {
            try await Migrations.run(on: store)
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    public func close() async throws {
        switch connection {
        case let .sqlite(c): try await c.close()
        case let .postgres(c): try await c.close()
        }
    }

    /// Runs `body` in one transaction: all of it is committed, or none of it.
    /// `immediate` takes SQLite's write lock at once (PostgreSQL locks rows as it goes).
    /// Statements of other tasks wait until it ends, so that none becomes part of it.
    public func transaction<T: Sendable>(immediate: Bool = false, _ body: () async throws -> T) async throws -> T {
        await gate.enter()
        do {
            try await raw.raw(immediate && dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
        } catch {
            await gate.leave()
            throw error
        }
        do {
            let result = try await TransactionGate.$holder.withValue(ObjectIdentifier(gate)) { try await body() }
            try await raw.raw("COMMIT").run()
            await gate.leave()
            return result
        } catch {
            try? await raw.raw("ROLLBACK").run()
            await gate.leave()
            throw error
        }
    }
}

/// The shared connection as statements outside a transaction use it: each waits for the gate, so
/// that it never runs inside the transaction another request has open (and is never rolled back
/// with it). Statements of the task that holds the gate (the transaction's body) go straight through.
struct GatedDatabase: SQLDatabase {
    let base: any SQLDatabase
    let gate: TransactionGate

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    var holdsGate: Bool { TransactionGate.holder == ObjectIdentifier(gate) }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        if holdsGate { return base.execute(sql: query, onRow) }
        return eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        if holdsGate { return try await base.execute(sql: query, onRow) }
        await gate.enter()
        do {
            try await base.execute(sql: query, onRow)
            await gate.leave()
        } catch {
            await gate.leave()
            throw error
        }
    }
}

/// A first-come, first-served lock for transactions.
actor TransactionGate {
    /// The gate the current task holds, inside `Store.transaction`.
    @TaskLocal static var holder: ObjectIdentifier?

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
