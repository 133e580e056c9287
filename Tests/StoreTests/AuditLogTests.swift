import Rules
import SQLKit
import Store
import Testing
import TestSupport

/// The sealed audit log (`access.md`): appended in order, read back, and any edit, deletion or
/// insertion made around the append-only triggers found by `verify`, which names the first
/// broken event.
@Suite("Journal d'audit scellé")
struct AuditLogTests {
    static func threeEvents(_ log: AuditLog) async throws {
        try await log.append(actor: "system", action: "demarrage", object: "serveur")
        try await log.append(actor: "ars@example.fr", action: "connexion", object: "user:ars@example.fr", outcome: .failure,
                             remote: "192.0.2.7", details: .object([("motif", .string("mot de passe incorrect"))]))
        try await log.append(actor: "ars@example.fr", action: "connexion", object: "user:ars@example.fr", remote: "192.0.2.7")
    }

    /// Goes around the triggers, as someone with direct access to the database would.
    static func tamper(_ store: Store, _ sql: SQLQueryString) async throws {
        if store.dialect == .postgres {
            try await store.sql.raw("ALTER TABLE audit_events DISABLE TRIGGER USER").run()
            try await store.sql.raw(sql).run()
            try await store.sql.raw("ALTER TABLE audit_events ENABLE TRIGGER USER").run()
        } else {
            try await store.sql.raw("DROP TRIGGER audit_events_no_update").run()
            try await store.sql.raw("DROP TRIGGER audit_events_no_delete").run()
            try await store.sql.raw(sql).run()
        }
    }

    @Test(arguments: TestDatabase.available)
    func eventsAreChainedAndReadBack(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let log = AuditLog(store: store)
            #expect(try await log.verify() == AuditLog.Verification(events: 0, broken: nil))
            try await Self.threeEvents(log)
            let events = try await log.events()
            #expect(events.map(\.id) == [1, 2, 3])
            #expect(events[0].previousHash == AuditLog.genesis)
            #expect(events[1].previousHash == events[0].hash && events[2].previousHash == events[1].hash)
            #expect(events[1].outcome == .failure && events[1].remote == "192.0.2.7")
            #expect(events[1].details == .object([("motif", .string("mot de passe incorrect"))]))
            #expect(try await log.events(actor: "ars@example.fr").count == 2)
            #expect(try await log.events(object: "serveur").map(\.action) == ["demarrage"])
            #expect(try await log.verify() == AuditLog.Verification(events: 3, broken: nil))
        }
    }

    @Test(arguments: TestDatabase.available)
    func theTableRefusesChanges(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await Self.threeEvents(AuditLog(store: store))
            await #expect(throws: (any Error).self) { try await store.sql.raw("UPDATE audit_events SET actor = 'x' WHERE id = 2").run() }
            await #expect(throws: (any Error).self) { try await store.sql.raw("DELETE FROM audit_events WHERE id = 3").run() }
            #expect(try await AuditLog(store: store).verify().broken == nil)
        }
    }

    @Test(arguments: TestDatabase.available)
    func anEditedEventIsNamed(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let log = AuditLog(store: store)
            try await Self.threeEvents(log)
            try await Self.tamper(store, "UPDATE audit_events SET outcome = 'success' WHERE id = 2")
            let result = try await log.verify()
            #expect(result.broken?.id == 2)
            #expect(result.broken?.reason == "contenu modifié (son empreinte ne correspond plus)")
        }
    }

    @Test(arguments: TestDatabase.available)
    func aDeletedEventIsNamed(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let log = AuditLog(store: store)
            try await Self.threeEvents(log)
            try await Self.tamper(store, "DELETE FROM audit_events WHERE id = 2")
            let result = try await log.verify()
            #expect(result.broken?.id == 3)
            #expect(result.broken?.reason == "événement 2 manquant avant l'événement 3")
        }
    }

    @Test(arguments: TestDatabase.available)
    func aRewrittenChainStillBreaksAtItsLink(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let log = AuditLog(store: store)
            try await Self.threeEvents(log)
            // A forged event 2 with a correct hash of its own, but not chained to event 1.
            try await Self.tamper(store, "UPDATE audit_events SET previous_hash = hash WHERE id = 2")
            #expect(try await log.verify().broken?.reason == "ne suit pas l'événement précédent (empreinte précédente différente)")
        }
    }

    @Test(arguments: TestDatabase.available)
    func concurrentAppendsStayInOneChain(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let log = AuditLog(store: store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask { try await log.append(actor: "system", action: "test", object: "n:\(i)") }
                }
                try await group.waitForAll()
            }
            #expect(try await log.verify() == AuditLog.Verification(events: 40, broken: nil))
        }
    }
}
