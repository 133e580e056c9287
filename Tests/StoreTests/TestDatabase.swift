import Foundation
import Registry
import Rules
import SQLKit
import Store
import Testing
import TestSupport

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
@Suite("Serveur PostgreSQL des tests")
struct PostgresAvailabilityTests {
    @Test(.disabled(if: postgresURL == nil, "ESMS_TEST_POSTGRES_URL absent : les cas PostgreSQL sont sautés, seuls les cas SQLite ont tourné (.ci/start-postgres en démarre un)"))
    func postgresServerAnswers() async throws {
        try await TestDatabase.postgres.withStore { store in
            #expect(store.dialect == .postgres)
        }
    }

    /// CI sets ESMS_REQUIRE_POSTGRES=1: there, skipping the PostgreSQL cases is a failure.
    @Test func postgresIsThereWhenRequired() {
        if ProcessInfo.processInfo.environment["ESMS_REQUIRE_POSTGRES"] == "1" {
            #expect(postgresURL != nil, "ESMS_REQUIRE_POSTGRES=1 mais ESMS_TEST_POSTGRES_URL est absent")
        }
    }
}

let demoFiles: [(name: String, bytes: [UInt8])] = {
    let directory = packageRoot.appendingPathComponent("Sources/Web/Demo")
    let names = try! FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".csv") }.sorted()
    return names.map { ($0, [UInt8](try! Data(contentsOf: directory.appendingPathComponent($0)))) }
}()

var demoEstablishments: String { String(decoding: demoFiles.first { $0.name.contains("cs1100507") }!.bytes, as: UTF8.self) }

func read(_ files: [(name: String, bytes: [UInt8])]) -> [FinessExtraction] {
    files.map { FinessFile.read($0.bytes, file: $0.name) }
}

func read(_ text: String, _ name: String = "extraction.csv") -> FinessExtraction {
    FinessFile.read(Array(text.utf8), file: name)
}

/// Everything the registry holds, as text, to compare a store before and after.
func snapshot(_ store: Store) async throws -> String {
    var out = ""
    for (table, key) in [("finess_establishment", "nofinesset"), ("finess_legal_entity", "nofiness"), ("finess_import", "id")] {
        let rows = try await store.sql.raw("SELECT * FROM \(unsafeRaw: table) ORDER BY \(unsafeRaw: key)").all()
        for row in rows {
            out += row.allColumns.sorted().map { c in
                (try? row.decodeNil(column: c)) == true ? "\(c)=∅" : "\(c)=\((try? row.decode(column: c, as: String.self)) ?? (try? row.decode(column: c, as: Int64.self)).map { String($0) } ?? (try? row.decode(column: c, as: Double.self)).map { String($0) } ?? "?")"
            }.joined(separator: "|") + "\n"
        }
    }
    return out
}
