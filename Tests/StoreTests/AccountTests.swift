import Rules
import SQLKit
import Store
import Testing
import TestSupport

/// Accounts, roles and API tokens (`access.md`): checked scopes, hashed secrets, every change an
/// audit event in the same transaction.
@Suite("Comptes, rôles et jetons")
struct AccountTests {
    @Test(arguments: [
        ("admin", "admin"), ("porteur:310000013", "porteur:310000013"), ("instructeur:76", "instructeur:76"),
        ("instructeur:national", "instructeur:national"), ("lecteur:11", "lecteur:11"), ("expert", "expert"),
        ("professionnel:310001003", "professionnel:310001003"), ("direction:310000013", "direction:310000013"),
    ])
    func assignmentsAreRead(text: String, shown: String) throws {
        #expect(try Assignment(parsing: text).description == shown)
    }

    @Test(arguments: [
        ("chef", "rôle inconnu « chef »"), ("admin:76", "le rôle admin ne prend pas de portée (« 76 »)"),
        ("porteur", "le rôle porteur demande une portée"), ("porteur:310000014", "portée « 310000014 » invalide pour le rôle porteur"),
        ("instructeur:99", "portée « 99 » invalide pour le rôle instructeur"), ("lecteur:", "le rôle lecteur demande une portée"),
    ])
    func badAssignmentsAreNamed(text: String, message: String) {
        do {
            _ = try Assignment(parsing: text)
            Issue.record("« \(text) » accepté")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test(arguments: TestDatabase.available)
    func accountsRolesAndTokens(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let accounts = AccountRepository(store: store)
            let created = try await accounts.add(email: "Agent.ARS@Example.fr", name: "Agent ARS", password: "correct horse battery",
                                                 assignments: [try Assignment(parsing: "instructeur:76")])
            #expect(created.email == "agent.ars@example.fr")
            // The password is kept as a bcrypt hash of cost 12, never as given.
            let hash = try #require(try await store.sql.select().column("password_hash").from("users").first()?.decode(column: "password_hash", as: String.self))
            #expect(hash.hasPrefix("$2b$12$") && !hash.contains("correct horse"))
            await #expect(throws: AccountError("le compte agent.ars@example.fr existe déjà")) {
                _ = try await accounts.add(email: "agent.ars@example.fr", name: "Autre", password: "correct horse battery", assignments: [])
            }
            await #expect(throws: AccountError("mot de passe trop court : 12 caractères au moins")) {
                _ = try await accounts.add(email: "b@example.fr", name: "B", password: "onze caract", assignments: [])
            }
            try await accounts.grant("agent.ars@example.fr", try Assignment(parsing: "lecteur:national"))
            try await accounts.revoke("agent.ars@example.fr", try Assignment(parsing: "instructeur:76"))
            await #expect(throws: AccountError("le compte agent.ars@example.fr n'a pas le rôle instructeur:76")) {
                try await accounts.revoke("agent.ars@example.fr", try Assignment(parsing: "instructeur:76"))
            }
            let token = try await accounts.token("agent.ars@example.fr", label: "essai", days: 90)
            #expect(token.hasPrefix("esms_") && token.count == 69)
            let stored = try await store.sql.select().column("hash").from("api_tokens").all().map { try $0.decode(column: "hash", as: String.self) }
            #expect(stored.count == 1 && stored[0] != token && stored[0].count == 64)
            try await accounts.disable("agent.ars@example.fr")
            await #expect(throws: AccountError("le compte agent.ars@example.fr est désactivé")) {
                _ = try await accounts.token("agent.ars@example.fr", label: "essai", days: 90)
            }
            await #expect(throws: AccountError("compte inconnu : personne@example.fr")) { try await accounts.disable("personne@example.fr") }
            let account = try #require(try await accounts.find("agent.ars@example.fr"))
            #expect(account.disabled && account.assignments == ["lecteur:national"])
            // Every change is an event; the refused ones left nothing; no secret in the details.
            let log = AuditLog(store: store)
            let events = try await log.events(object: "user:agent.ars@example.fr")
            #expect(events.map(\.action) == ["compte.creation", "role.attribution", "role.retrait", "jeton.creation", "compte.desactivation"])
            let all = try await log.events().map { $0.json.rendered(indent: false) }.joined()
            #expect(!all.contains("correct horse") && !all.contains(token) && !all.contains(hash))
            #expect(try await log.verify().broken == nil)
        }
    }
}
