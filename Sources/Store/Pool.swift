import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization

/// One open database, migrated on open, shared by the server's requests:
/// - PostgreSQL through a pool (postgres-nio's `PostgresClient`): each statement outside a unit of
///   work runs on a connection of the pool, each unit of work holds one connection to itself;
/// - SQLite in WAL mode: one writer connection, taken by one unit of work (or one writing statement)
///   at a time, and reading connections used in parallel.
/// A statement never runs inside another request's transaction.
public final class Store: Sendable {
    public enum Dialect: String, Sendable { case sqlite, postgres }

    enum Backend: Sendable {
        case sqlite(writer: SQLiteConnection, readers: [SQLiteConnection])
        case postgres(client: PostgresClient, running: Task<Void, Never>)
    }

    let backend: Backend
    /// What statements outside a unit of work use: the pool, or SQLite's readers and writer.
    private let shared: any SQLDatabase
    /// SQLite's writer, one unit of work at a time.
    private let gate = TransactionGate()
    public let location: DatabaseLocation

    /// The connection a unit of work holds, for the task running it.
    struct Session: Sendable {
        let store: ObjectIdentifier
        let database: any SQLDatabase
        let postgres: PostgresConnection?
    }

    @TaskLocal static var session: Session?

    /// The database as the repositories use it: the session's connection inside a unit of work of
    /// this store, else the shared pool.
    public var sql: any SQLDatabase {
        if let session = Store.session, session.store == ObjectIdentifier(self) { return session.database }
        return shared
    }

    /// The PostgreSQL connection of the current unit of work (`COPY` needs it).
    var sessionPostgresConnection: PostgresConnection? {
        guard let session = Store.session, session.store == ObjectIdentifier(self) else { return nil }
        return session.postgres
    }

    public var dialect: Dialect {
        switch backend {
        case .sqlite: return .sqlite
        case .postgres: return .postgres
        }
    }

    /// Reading connections of an SQLite store; connections of a PostgreSQL pool at most.
    static let sqliteReaders = 4
    static let postgresConnections = 8

    private init(backend: Backend, location: DatabaseLocation) {
        self.backend = backend
        self.location = location
        switch backend {
        case let .sqlite(writer, readers):
            shared = SQLiteRouter(writer: writer.sql(), readers: readers.map { $0.sql() }, gate: gate)
        case let .postgres(client, _):
            shared = PostgresPoolDatabase(client: client)
        }
    }

    /// Opens the database and brings its schema to the latest migration.
    /// Opens the store and brings its schema to the latest migration; `migrate: false` only
    /// connects (an administration connection, as the tests' one that creates their schemas).
    public static func open(_ location: DatabaseLocation, migrate: Bool = true, logger: Logger = Logger(label: "esms.store")) async throws -> Store {
        var quiet = logger
        quiet.logLevel = .warning
        let store: Store
        switch location {
        case let .sqlite(path):
            var connections: [SQLiteConnection] = []
            do {
                for _ in 0...sqliteReaders {
                    let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: quiet)
                    connections.append(connection)
                    if connections.count == 1 {
                        // Larger pages for the wide FINESS rows (only on a new file); WAL: readers
                        // never wait for the writer.
                        try await connection.sql().raw("PRAGMA page_size = 16384").run()
                        try await connection.sql().raw("PRAGMA journal_mode = WAL").run()
                        // In WAL mode NORMAL stays consistent after a crash; only the last commits may be lost on power loss.
                        try await connection.sql().raw("PRAGMA synchronous = NORMAL").run()
                    }
                    try await connection.sql().raw("PRAGMA foreign_keys = ON").run()
                    try await connection.sql().raw("PRAGMA busy_timeout = 5000").run()
                    try await connection.sql().raw("PRAGMA cache_size = -16384").run()
                }
            } catch {
                for c in connections { try? await c.close() }
                throw StoreError("impossible d'ouvrir la base SQLite \(path) : \(error)")
            }
            store = Store(backend: .sqlite(writer: connections[0], readers: Array(connections.dropFirst())), location: location)
        case let .postgres(host, port, user, password, database, schema):
            var configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
            if let schema { configuration.options.additionalStartupParameters = [("search_path", schema)] }
            configuration.options.maximumConnections = postgresConnections
            configuration.options.keepAliveBehavior = nil
            let client = PostgresClient(configuration: configuration, backgroundLogger: quiet)
            let running = Task { await client.run() }
            store = Store(backend: .postgres(client: client, running: running), location: location)
            do {
                _ = try await store.sql.raw("SELECT 1 AS ok").first()
            } catch {
                try? await store.close()
                throw StoreError("impossible de joindre PostgreSQL (\(location)) : \(String(reflecting: error))")
            }
        }
        do {
            if migrate { try await Migrations.run(on: store) }
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    public func close() async throws {
        switch backend {
        case let .sqlite(writer, readers):
            for r in readers { try await r.close() }
            try await writer.close()
        case let .postgres(_, running):
            running.cancel()
            await running.value
        }
    }

    /// Runs `body` on one connection held for it alone (PostgreSQL session locks need it), without
    /// a transaction. On SQLite it holds the writer.
    public func session<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if let session = Store.session, session.store == ObjectIdentifier(self) { return try await body() }
        switch backend {
        case let .sqlite(writer, _):
            await gate.enter()
            do {
                let result = try await Store.$session.withValue(Session(store: ObjectIdentifier(self), database: writer.sql(), postgres: nil)) { try await body() }
                await gate.leave()
                return result
            } catch {
                await gate.leave()
                throw error
            }
        case let .postgres(client, _):
            return try await withoutActuallyEscaping(body) { body in
                try await client.withConnection { connection in
                    try await Store.$session.withValue(Session(store: ObjectIdentifier(self), database: connection.sql(queryLogLevel: nil), postgres: connection)) {
                        try await body()
                    }
                }
            }
        }
    }

    /// Runs `body` in one transaction on its own connection: all of it is committed, or none of it.
    /// `immediate` takes SQLite's write lock at once (PostgreSQL locks rows as it goes).
    public func transaction<T: Sendable>(immediate: Bool = false, _ body: () async throws -> T) async throws -> T {
        try await session {
            try await sql.raw(immediate && dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            do {
                let result = try await body()
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }
}

/// SQLite outside a unit of work: a reading statement on one of the reading connections (in
/// turn), any other on the writer, waiting for the unit of work that holds it.
struct SQLiteRouter: SQLDatabase {
    let writer: any SQLDatabase
    let readers: [any SQLDatabase]
    let gate: TransactionGate
    private let turn = Turn()

    final class Turn: Sendable {
        private let value = Mutex(0)
        func next(_ count: Int) -> Int { value.withLock { $0 = ($0 + 1) % count; return $0 } }
    }

    init(writer: any SQLDatabase, readers: [any SQLDatabase], gate: TransactionGate) {
        self.writer = writer; self.readers = readers; self.gate = gate
    }

    var logger: Logger { writer.logger }
    var eventLoop: any EventLoop { writer.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { writer.version }
    var dialect: any SQLDialect { writer.dialect }
    var queryLogLevel: Logger.Level? { writer.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        if !readers.isEmpty, Self.isRead(query, in: writer) {
            return try await readers[turn.next(readers.count)].execute(sql: query, onRow)
        }
        await gate.enter()
        do {
            try await writer.execute(sql: query, onRow)
            await gate.leave()
        } catch {
            await gate.leave()
            throw error
        }
    }

    /// A statement that only reads: a `select()` builder, or raw SQL that begins with `SELECT`
    /// (only raw text is serialised here; the driver serialises the statement it runs).
    static func isRead(_ query: any SQLExpression, in database: any SQLDatabase) -> Bool {
        if query is SQLSelect { return true }
        guard query is SQLQueryString else { return false }
        let sql = database.serialize(query).sql
        return sql.drop { $0.isWhitespace }.prefix(6).uppercased() == "SELECT"
    }
}

/// PostgreSQL outside a unit of work: each statement on a connection of the pool.
struct PostgresPoolDatabase: SQLDatabase {
    let client: PostgresClient
    let logger = Logger(label: "esms.store.postgres")
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await client.withConnection { connection in
            try await connection.sql(queryLogLevel: nil).execute(sql: query, onRow)
        }
    }
}
