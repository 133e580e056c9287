import Rules
import SQLKit
import Store
import Testing
import TestSupport

/// Saved grappes: versions against lost updates, and nothing saved that would not read back.
@Suite("Grappes dans la base")
struct GrappeRepositoryTests {
    static let draft = try! JSON.parse("{\"campaign\": \"2022\", \"kind\": \"acquisition\", \"porteur\": null, \"establishments\": [{\"finessET\": \"315000018\"}]}")

    @Test(arguments: TestDatabase.available)
    func aChangeFromAnOldVersionIsRefusedAndSaysWhoChanged(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let grappes = GrappeRepository(store: store)
            let created = try await grappes.create(name: "Grappe A", project: Self.draft, owner: "310000013", by: "l'API")
            #expect(created.version == 1)
            guard case let .updated(first) = try await grappes.update(created.id, from: 1, name: "Grappe B", project: Self.draft, by: "la page web") else {
                Issue.record("mise à jour attendue"); return
            }
            #expect(first.version == 2)
            #expect(first.updatedBy == "la page web")
            // A second person still holding version 1: nothing is written, the stored grappe is given back.
            guard case let .stale(current) = try await grappes.update(created.id, from: 1, name: "Grappe C", project: Self.draft, by: "l'API") else {
                Issue.record("refus attendu"); return
            }
            #expect(current.version == 2)
            #expect(current.name == "Grappe B")
            #expect(try await grappes.find(created.id)?.name == "Grappe B")
            #expect(try await grappes.update("inconnue", from: 1, name: "X", project: Self.draft, by: "l'API") == .notFound)
        }
    }

    @Test(arguments: TestDatabase.available)
    func aProjectThatWouldNotReadBackIsNeverSaved(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let grappes = GrappeRepository(store: store)
            let created = try await grappes.create(name: "Grappe", project: Self.draft, owner: "310000013", by: "l'API")
            // The probe's « Dépenses déclarées » values, had a caller passed them through.
            for odd in ["05", ".5", "+5", "5.", "inf", "0x1p3"] {
                var bad = Self.draft
                if case var .object(members) = bad { members.append(("expenses", .number(odd))); bad = .object(members) }
                await #expect(throws: InputError.self, "\(odd)") {
                    _ = try await grappes.update(created.id, from: 1, name: "Grappe", project: bad, by: "l'API")
                }
                await #expect(throws: InputError.self, "\(odd)") { _ = try await grappes.create(name: "Grappe", project: bad, owner: "310000013", by: "l'API") }
            }
            let stored = try await grappes.find(created.id)
            #expect(stored?.project == Self.draft)
            #expect(stored?.version == 1)
        }
    }

    /// A project already stored unreadable (before these checks) is an error, never an empty
    /// project that a later save would write over it.
    @Test(arguments: TestDatabase.available)
    func anUnreadableStoredProjectIsAnErrorNotAnEmptyProject(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let grappes = GrappeRepository(store: store)
            let created = try await grappes.create(name: "Grappe", project: Self.draft, owner: "310000013", by: "l'API")
            try await store.sql.update("grappe").set("project", to: SQLBind("{\"expenses\": 05}")).where("id", .equal, SQLBind(created.id)).run()
            await #expect(throws: StoreError.self) { _ = try await grappes.find(created.id) }
            let listed = try await grappes.list(owners: ["310000013"])
            #expect(listed.first?.project == .null)
            let row = try await store.sql.select().column("project").from("grappe").where("id", .equal, SQLBind(created.id)).first()
            #expect(try row?.decode(column: "project", as: String.self) == "{\"expenses\": 05}")
        }
    }

    /// Changes that do not depend on what was seen (adding from a search) all land, even at once.
    @Test(arguments: TestDatabase.available)
    func concurrentAdditionsFromTheSearchAreAllKept(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let grappes = GrappeRepository(store: store)
            let created = try await grappes.create(name: "Grappe", project: .object([("establishments", .array([]))]), owner: "310000013", by: "l'API")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        _ = try await grappes.modify(created.id, by: "la page web") { current in
                            guard case var .array(items)? = current.project["establishments"] else { return nil }
                            items.append(.object([("finessET", .null), ("name", .string("ESSMS \(i)"))]))
                            var next = current
                            next.project = .object([("establishments", .array(items))])
                            return next
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stored = try await grappes.find(created.id)
            guard case let .array(items)? = stored?.project["establishments"] else { Issue.record("établissements attendus"); return }
            #expect(items.count == 40)
            #expect(stored?.version == 41)
        }
    }
}
