import VaporCSQLite

/// A direct libsqlite3 connection for bulk imports: one prepared statement reused for every row,
/// as `sqlite3 .import` does (SQLiteNIO prepares each query anew, and a 100,000-line FINESS
/// extraction spent more time preparing than inserting). It is opened beside the store's
/// connection on the same file, holds the import's single transaction, and is closed after it.
final class SQLiteBulk {
    private var handle: OpaquePointer?
    private let path: String

    init(path: String) throws {
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        guard sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK else {
            defer { sqlite_nio_sqlite3_close(handle) }
            throw StoreError("impossible d'ouvrir \(path) pour l'import : \(message)")
        }
        sqlite_nio_sqlite3_busy_timeout(handle, 5000)
        try execute("PRAGMA synchronous = NORMAL")
        try execute("PRAGMA cache_size = -65536")
    }

    deinit { sqlite_nio_sqlite3_close(handle) }

    var message: String { sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "erreur SQLite" }

    func execute(_ sql: String) throws {
        guard sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else {
            throw StoreError("SQLite (\(path)) : \(message) — \(sql.prefix(80))")
        }
    }

    /// Runs `sql` with `binds` once per row; every value is bound as it is, text without a copy.
    func run(_ sql: String, rows: [[Cell]]) throws {
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw StoreError("SQLite (\(path)) : \(message) — \(sql.prefix(80))")
        }
        defer { sqlite_nio_sqlite3_finalize(statement) }
        for row in rows {
            for (i, cell) in row.enumerated() {
                let index = Int32(i + 1)
                switch cell {
                case let .text(s):
                    var s = s
                    s.withUTF8 { bytes in
                        _ = sqlite_nio_sqlite3_bind_text(statement, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(bytes.count), sqliteTransient)
                    }
                case let .real(d): sqlite_nio_sqlite3_bind_double(statement, index, d)
                case let .int(n): sqlite_nio_sqlite3_bind_int64(statement, index, n)
                case let .bool(b): sqlite_nio_sqlite3_bind_int64(statement, index, b ? 1 : 0)
                case .null: sqlite_nio_sqlite3_bind_null(statement, index)
                }
            }
            guard sqlite_nio_sqlite3_step(statement) == SQLITE_DONE else {
                throw StoreError("SQLite (\(path)) : \(message)")
            }
            sqlite_nio_sqlite3_reset(statement)
        }
    }

    /// The first two columns of a query, as text.
    func texts(_ sql: String) throws -> [(String, String)] {
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw StoreError("SQLite (\(path)) : \(message)")
        }
        defer { sqlite_nio_sqlite3_finalize(statement) }
        var out: [(String, String)] = []
        while sqlite_nio_sqlite3_step(statement) == SQLITE_ROW {
            out.append((String(cString: sqlite_nio_sqlite3_column_text(statement, 0)), String(cString: sqlite_nio_sqlite3_column_text(statement, 1))))
        }
        return out
    }

    /// The first two columns of a query: a text key and an integer, and whether the third is non-null.
    func keyed(_ sql: String) throws -> [String: (hash: Int64, closed: Bool)] {
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw StoreError("SQLite (\(path)) : \(message)")
        }
        defer { sqlite_nio_sqlite3_finalize(statement) }
        var out: [String: (Int64, Bool)] = [:]
        while true {
            let step = sqlite_nio_sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw StoreError("SQLite (\(path)) : \(message)") }
            let key = String(cString: sqlite_nio_sqlite3_column_text(statement, 0))
            out[key] = (sqlite_nio_sqlite3_column_int64(statement, 1), sqlite_nio_sqlite3_column_type(statement, 2) != SQLITE_NULL)
        }
        return out
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bound text before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
