import Foundation
import SQLKit
import Store
import Testing

public let postgresURL = ProcessInfo.processInfo.environment["ESMS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

/// The two real databases every repository test runs against: an SQLite file, and a PostgreSQL
/// server when `ESMS_TEST_POSTGRES_URL` names one (`.ci/run` starts it).
public enum TestDatabase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    public var testDescription: String { rawValue }

    public static var available: [TestDatabase] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// A fresh, empty, migrated store: a new SQLite file, or a new PostgreSQL schema; removed afterwards.
    public func withStore<T>(_ body: (Store) async throws -> T) async throws -> T {
        _ = TestLogging.bootstrapped
        let name = "esms_test_\(UUID().uuidString.prefix(8).lowercased())"
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).sqlite").path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            let store = try await Store.open(.sqlite(path: path))
            do { let r = try await body(store); try await store.close(); return r } catch { try? await store.close(); throw error }
        case .postgres:
            let base = try DatabaseLocation.parse(postgresURL!)
            // Only to create and drop the test's schema: the database's own schema is left alone.
            let admin = try await Store.open(base, migrate: false)
            try await admin.sql.raw("CREATE SCHEMA \(unsafeRaw: name)").run()
            guard case let .postgres(host, port, user, password, database, _) = base else { fatalError() }
            let store = try await Store.open(.postgres(host: host, port: port, user: user, password: password, database: database, schema: name))
            do {
                let r = try await body(store)
                try await store.close()
                try await admin.sql.raw("DROP SCHEMA \(unsafeRaw: name) CASCADE").run()
                try await admin.close()
                return r
            } catch {
                try? await store.close()
                try? await admin.sql.raw("DROP SCHEMA \(unsafeRaw: name) CASCADE").run()
                try? await admin.close()
                throw error
            }
        }
    }
}

