import Foundation
import Rules
import SQLKit
import Store
import Testing

/// `esms audit verify|show`, through the built binary, with the messages and exit codes of `access.md`.
@Suite("esms audit")
struct AuditCommandTests {
    @Test func verifyNamesTheFirstBrokenEventAndShowPrintsTheEvents() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("esms-audit-\(UUID().uuidString).sqlite").path
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let store = try await Store.open(.sqlite(path: path))
        let log = AuditLog(store: store)
        try await log.append(actor: "system", action: "demarrage", object: "serveur")
        try await log.append(actor: "ars@example.fr", action: "connexion", object: "user:ars@example.fr", outcome: .failure)
        try await log.append(actor: "ars@example.fr", action: "connexion", object: "user:ars@example.fr", details: .object([("methode", .string("mot de passe"))]))
        try await store.close()

        let ok = try runESMS(["audit", "verify", "--database", path])
        #expect(ok.status == 0)
        #expect(ok.stdout == "3 événements, chaîne intègre\n")

        let shown = try runESMS(["audit", "show", "--actor", "ars@example.fr", "--format", "json", "--database", path])
        #expect(shown.status == 0)
        guard case let .array(events) = try JSON.parse(shown.stdout) else { Issue.record("tableau attendu"); return }
        #expect(events.count == 2)
        for key in ["at", "actor", "action", "object", "outcome", "details"] { #expect(events[0][key] != nil, "\(key)") }
        #expect(events[0]["outcome"] == .string("failure"))
        #expect(events[1]["details"] == .object([("methode", .string("mot de passe"))]))
        let text = try runESMS(["audit", "show", "--object", "serveur", "--database", path])
        #expect(text.stdout.hasPrefix("1  ") && text.stdout.contains("  system  demarrage  serveur  succès"))
        #expect(try runESMS(["audit", "show", "--since", "hier", "--database", path]).stderr.contains("--since : date attendue au format AAAA-MM-JJ"))

        // Someone with the database in hand edits an event around the triggers.
        let again = try await Store.open(.sqlite(path: path))
        try await again.sql.raw("DROP TRIGGER audit_events_no_update").run()
        try await again.sql.raw("UPDATE audit_events SET outcome = 'success' WHERE id = 2").run()
        try await again.close()
        let broken = try runESMS(["audit", "verify", "--database", path])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("chaîne rompue à l'événement 2 : contenu modifié (son empreinte ne correspond plus)"))
    }
}
