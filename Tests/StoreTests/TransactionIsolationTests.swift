import Rules
import SQLKit
import Store
import Testing
import TestSupport

/// The server's requests share one connection: a statement of one request must never become part
/// of another request's transaction, nor be rolled back with it.
@Suite("Transactions isolées")
struct TransactionIsolationTests {
    struct Refused: Error {}

    @Test(arguments: TestDatabase.available)
    func aStatementOutsideIsNeverRolledBackWithAnotherTransaction(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let grappes = GrappeRepository(store: store)
            let draft = JSON.object([("establishments", .array([]))])
            let started = AsyncStream<Void>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // A transaction that writes, lets others run, then fails and rolls back.
                group.addTask {
                    do {
                        try await store.transaction {
                            try await store.sql.raw("INSERT INTO grappe (id, name, project, created_at, updated_at) VALUES ('annulee', 'Annulée', '{}', 'x', 'x')").run()
                            started.continuation.yield()
                            try await Task.sleep(for: .milliseconds(300))
                            throw Refused()
                        }
                    } catch is Refused {}
                }
                // Meanwhile, other requests save grappes outside any transaction.
                group.addTask {
                    for await _ in started.stream { break }
                    for i in 0..<10 { _ = try await grappes.create(name: "Grappe \(i)", project: draft, owner: "310000013", by: "l'API") }
                }
                try await group.waitForAll()
            }
            let names = try await grappes.list(owners: ["310000013"]).map(\.name)
            #expect(names.count == 10)
            #expect(!names.contains("Annulée"))
        }
    }
}
