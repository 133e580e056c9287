import Foundation
import Logging
import NIOCore
import PostgresKit
import SQLKit

/// The writes of one import, inside its single transaction, per dialect: a direct SQLite
/// connection with reused prepared statements, or `COPY` and SQLKit on PostgreSQL.
/// Rows ready for a writer: cells to bind, or PostgreSQL COPY text already encoded.
enum EncodedRows: Sendable {
    case cells([[Cell]])
    case copy(ByteBuffer, count: Int)

    var isEmpty: Bool {
        switch self {
        case let .cells(rows): return rows.isEmpty
        case let .copy(_, count): return count == 0
        }
    }
}

protocol ImportWriter: Sendable {
    /// Prepares rows for `upsert`; called off the writing task, so that encoding overlaps writing.
    func encode(_ rows: [[Cell]]) -> EncodedRows

    /// Every key of `table` with its row hash and whether it is closed.
    func existing(_ table: String, key: String) async throws -> [String: (hash: Int64, closed: Bool)]
    /// Inserts the rows, or replaces those whose key exists; `fresh`: the table held no row of
    /// these keys when the import began, so plain inserts suffice (the first import of a registry).
    func upsert(_ table: String, key: String, columns: [String], rows: EncodedRows, fresh: Bool) async throws
    /// Marks the keys closed as of the extraction `date`.
    func close(_ table: String, key: String, keys: [String], on date: String) async throws
    /// Open rows of an older extraction were in this one, unchanged: they now date from it.
    func touch(_ table: String, on date: String) async throws
    /// One line of `finess_import`.
    func record(_ values: [Cell]) async throws
    /// Drops the secondary indexes of `table` and returns their definitions, read from the
    /// database's catalogue: loading an empty table and indexing it afterwards is faster.
    func dropSecondaryIndexes(_ table: String) async throws -> [String]
    /// Runs index definitions returned by `dropSecondaryIndexes`.
    func createIndexes(_ definitions: [String]) async throws
}

let importColumns = ["file", "kind", "extraction_date", "encoding", "lines", "added", "updated", "closed", "warnings", "imported_at"]

func upsertSQL(_ table: String, key: String, columns: [String], values: String, fresh: Bool = false) -> String {
    if fresh { return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) \(values)" }
    let updates = columns.filter { $0 != key }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
    return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) \(values) ON CONFLICT (\(key)) DO UPDATE SET \(updates)"
}

struct SQLiteImportWriter: ImportWriter, @unchecked Sendable {
    /// Used by the importing task only.
    let bulk: SQLiteBulk

    func encode(_ rows: [[Cell]]) -> EncodedRows { .cells(rows) }

    func existing(_ table: String, key: String) async throws -> [String: (hash: Int64, closed: Bool)] {
        try bulk.keyed("SELECT \(key), row_hash, closed_on FROM \(table)")
    }

    func upsert(_ table: String, key: String, columns: [String], rows: EncodedRows, fresh: Bool) async throws {
        guard case let .cells(cells) = rows else { preconditionFailure("rows encoded for another writer") }
        let placeholders = "VALUES (" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        try bulk.run(upsertSQL(table, key: key, columns: columns, values: placeholders, fresh: fresh), rows: cells)
    }

    func close(_ table: String, key: String, keys: [String], on date: String) async throws {
        try bulk.run("UPDATE \(table) SET closed_on = ?, extraction_date = ? WHERE \(key) = ?",
                     rows: keys.map { [.text(date), .text(date), .text($0)] })
    }

    func touch(_ table: String, on date: String) async throws {
        try bulk.run("UPDATE \(table) SET extraction_date = ? WHERE closed_on IS NULL AND extraction_date <> ?", rows: [[.text(date), .text(date)]])
    }

    func dropSecondaryIndexes(_ table: String) async throws -> [String] {
        let indexes = try bulk.texts("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '\(table)' AND sql IS NOT NULL")
        for (name, _) in indexes { try bulk.execute("DROP INDEX \(name)") }
        return indexes.map(\.1)
    }

    func createIndexes(_ definitions: [String]) async throws {
        for definition in definitions { try bulk.execute(definition) }
    }

    func record(_ values: [Cell]) async throws {
        try bulk.run("INSERT INTO finess_import (\(importColumns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: importColumns.count).joined(separator: ", ")))", rows: [values])
    }
}

struct PostgresImportWriter: ImportWriter {
    let store: Store
    let connection: PostgresConnection

    func existing(_ table: String, key: String) async throws -> [String: (hash: Int64, closed: Bool)] {
        var map: [String: (Int64, Bool)] = [:]
        let rows = try await store.sql.raw("SELECT \(unsafeRaw: key) AS k, row_hash AS h, closed_on AS c FROM \(unsafeRaw: table)").all()
        map.reserveCapacity(rows.count)
        for row in rows {
            map[try row.decode(column: "k", as: String.self)] = (try row.decode(column: "h", as: Int64.self), try !row.decodeNil(column: "c"))
        }
        return map
    }

    /// `COPY` straight into the table when it is fresh; otherwise into a staging table, then one
    /// `INSERT … SELECT … ON CONFLICT`.
    /// COPY text format: tab-separated, `\\N` for null, one line a row.
    func encode(_ rows: [[Cell]]) -> EncodedRows {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(rows.count * 400)
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                switch cell {
                case let .text(s): writeCopyText(s, to: &buffer)
                case let .real(d): buffer.writeString(String(d))
                case let .int(n): buffer.writeString(String(n))
                case let .bool(b): buffer.writeString(b ? "t" : "f")
                case .null: buffer.writeString("\\N")
                }
            }
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        return .copy(buffer, count: rows.count)
    }

    /// `COPY` straight into the table when it is fresh; otherwise into a staging table, then one
    /// `INSERT … SELECT … ON CONFLICT`.
    func upsert(_ table: String, key: String, columns: [String], rows: EncodedRows, fresh: Bool) async throws {
        guard case let .copy(buffer, count) = rows else { preconditionFailure("rows encoded for another writer") }
        guard count > 0 else { return }
        let stage = "stage_\(table)"
        if !fresh {
            try await store.sql.raw("CREATE TEMP TABLE \(unsafeRaw: stage) (LIKE \(unsafeRaw: table)) ON COMMIT DROP").run()
        }
        try await connection.copyFrom(table: fresh ? table : stage, columns: columns, logger: Logger(label: "esms.store.copy")) { writer in
            try await writer.write(buffer)
        }
        guard !fresh else { return }
        let columnList = columns.joined(separator: ", ")
        try await store.sql.raw(SQLQueryString(upsertSQL(table, key: key, columns: columns, values: "SELECT \(columnList) FROM \(stage)"))).run()
        try await store.sql.raw("DROP TABLE \(unsafeRaw: stage)").run()
    }

    func close(_ table: String, key: String, keys: [String], on date: String) async throws {
        for start in stride(from: 0, to: keys.count, by: 500) {
            let chunk = Array(keys[start..<min(start + 500, keys.count)])
            try await store.sql.update(table)
                .set("closed_on", to: SQLBind(date))
                .set("extraction_date", to: SQLBind(date))
                .where(SQLIdentifier(key), .in, SQLBind.group(chunk))
                .run()
        }
    }

    func touch(_ table: String, on date: String) async throws {
        try await store.sql.raw("UPDATE \(unsafeRaw: table) SET extraction_date = \(bind: date) WHERE closed_on IS NULL AND extraction_date <> \(bind: date)").run()
    }

    /// On PostgreSQL the primary key goes too (it is re-added afterwards, as a bulk load does);
    /// the file's keys were made unique before loading.
    func dropSecondaryIndexes(_ table: String) async throws -> [String] {
        let rows = try await store.sql.raw("""
            SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = \(bind: table)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """).all()
        var definitions: [String] = []
        for row in rows {
            let name = try row.decode(column: "name", as: String.self)
            definitions.append(try row.decode(column: "definition", as: String.self))
            try await store.sql.raw("DROP INDEX \(ident: name)").run()
        }
        let keys = try await store.sql.raw("""
            SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE t.relname = \(bind: table) AND n.nspname = current_schema() AND c.contype = 'p'
            """).all()
        for key in keys {
            let name = try key.decode(column: "name", as: String.self)
            let definition = try key.decode(column: "definition", as: String.self)
            try await store.sql.raw("ALTER TABLE \(ident: table) DROP CONSTRAINT \(ident: name)").run()
            // The key first: it is what the other indexes' users rely on most.
            definitions.insert("ALTER TABLE \(table) ADD CONSTRAINT \(name) \(definition)", at: 0)
        }
        return definitions
    }

    func createIndexes(_ definitions: [String]) async throws {
        for definition in definitions { try await store.sql.raw(SQLQueryString(definition)).run() }
    }

    func record(_ values: [Cell]) async throws {
        let binds: [any SQLExpression] = values.map { cell -> any SQLExpression in
            switch cell {
            case let .text(s): return SQLBind(s)
            case let .int(n): return SQLBind(Int(n))
            case let .real(d): return SQLBind(d)
            case let .bool(b): return SQLBind(b)
            case .null: return SQLLiteral.null
            }
        }
        try await store.sql.insert(into: "finess_import").columns(importColumns).values(binds).run()
    }
}

/// PostgreSQL COPY text format: backslash, tab, newline and carriage return escaped.
private func writeCopyText(_ s: String, to buffer: inout ByteBuffer) {
    var plain = true
    for b in s.utf8 where b == UInt8(ascii: "\\") || b == 0x09 || b == 0x0A || b == 0x0D { plain = false; break }
    if plain { buffer.writeString(s); return }
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "\\"): buffer.writeString("\\\\")
        case 0x09: buffer.writeString("\\t")
        case 0x0A: buffer.writeString("\\n")
        case 0x0D: buffer.writeString("\\r")
        default: buffer.writeInteger(b)
        }
    }
}
