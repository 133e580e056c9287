import Commands
import Foundation
import SQLKit
import Store

/// The stores a bench measures: a fresh SQLite file, then with `--postgres URL` a fresh schema of
/// that database, dropped afterwards whatever happens.
enum BenchStores {
    /// Rows written by multi-row inserts, as many per statement as the placeholders allow.
    static func insert(_ store: Store, _ table: String, _ columns: [String], _ rows: ArraySlice<[any SQLExpression]>) async throws {
        let perStatement = max(1, 6_000 / columns.count)
        for start in stride(from: rows.startIndex, to: rows.endIndex, by: perStatement) {
            var insert = store.sql.insert(into: table).columns(columns)
            for row in rows[start..<min(start + perStatement, rows.endIndex)] { insert = insert.values(row) }
            try await insert.run()
        }
    }

    static func each(_ name: String, postgres: String?, sqlite measureSQLite: Bool = true, _ measure: (Store, String) async throws -> Void) async throws {
        if measureSQLite {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("esms-bench-\(name)-\(UUID().uuidString.prefix(8)).sqlite").path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            let sqlite = try await Store.open(.sqlite(path: path))
            do { try await measure(sqlite, "SQLite") } catch { try? await sqlite.close(); throw error }
            try await sqlite.close()
        }
        guard let postgres else { return }
        let base = try DatabaseLocation.parse(postgres)
        guard case let .postgres(host, port, user, password, database, _) = base else { throw UserFacingError("--postgres : adresse postgres:// attendue") }
        let schema = "esms_bench_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await Store.open(base, migrate: false)
        try await admin.sql.raw("CREATE SCHEMA \(unsafeRaw: schema)").run()
        do {
            let store = try await Store.open(.postgres(host: host, port: port, user: user, password: password, database: database, schema: schema))
            do { try await measure(store, "PostgreSQL") } catch { try? await store.close(); throw error }
            try await store.close()
        } catch {
            try? await admin.sql.raw("DROP SCHEMA \(unsafeRaw: schema) CASCADE").run()
            try? await admin.close()
            throw error
        }
        try await admin.sql.raw("DROP SCHEMA \(unsafeRaw: schema) CASCADE").run()
        try await admin.close()
    }
}
