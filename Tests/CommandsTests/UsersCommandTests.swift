import Foundation
import Rules
import Testing

/// `esms users …` through the built binary, with the outputs and exit codes of `access.md`.
@Suite("esms users")
struct UsersCommandTests {
    @Test func accountsFromTheCommandLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("esms-users-\(UUID().uuidString).sqlite").path
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let db = ["--database", path]

        // A generated password is printed once; one read from standard input is not printed.
        let generated = try runESMS(["users", "add", "ars@example.fr", "--name", "Agent ARS", "--role", "instructeur:76"] + db)
        #expect(generated.status == 0)
        let line = try #require(generated.stdout.split(separator: "\n").last)
        #expect(line.hasPrefix("Mot de passe, affiché une seule fois : ") && line.count == "Mot de passe, affiché une seule fois : ".count + 20)
        let read = try runESMS(["users", "add", "og@example.fr", "--name", "Porteur", "--role", "porteur:310000013", "--password-stdin"] + db,
                               stdin: "un mot de passe sûr\nligne ignorée\n")
        #expect(read.status == 0 && read.stdout == "Compte og@example.fr créé (porteur:310000013).\n")
        let short = try runESMS(["users", "add", "x@example.fr", "--name", "X", "--password-stdin"] + db, stdin: "trop court\n")
        #expect(short.status == 1 && short.stderr.contains("mot de passe trop court : 12 caractères au moins"))
        let scope = try runESMS(["users", "grant", "og@example.fr", "instructeur:99"] + db)
        #expect(scope.status == 1 && scope.stderr.contains("portée « 99 » invalide pour le rôle instructeur"))
        #expect(try runESMS(["users", "disable", "personne@example.fr"] + db).stderr.contains("compte inconnu : personne@example.fr"))

        // The token alone on the last line.
        let token = try runESMS(["users", "token", "og@example.fr", "--label", "import nocturne", "--days", "30"] + db)
        #expect(token.status == 0)
        let last = try #require(token.stdout.split(separator: "\n").last)
        #expect(last.hasPrefix("esms_") && last.count == 69)

        let list = try runESMS(["users", "list", "--format", "json"] + db)
        guard case let .array(accounts) = try JSON.parse(list.stdout) else { Issue.record("tableau attendu"); return }
        #expect(accounts.map { $0["email"] } == [.string("ars@example.fr"), .string("og@example.fr")])
        #expect(accounts[1]["roles"] == .array([.string("porteur:310000013")]))
        #expect(!list.stdout.contains(String(last)))
        #expect(try runESMS(["audit", "verify"] + db).stdout == "3 événements, chaîne intègre\n")
    }
}
