import Rules
import SQLKit
import Store
import Synchronization
import Testing
import TestSupport

/// A clock the test moves by hand: seconds since 1970.
final class TestClock: Sendable {
    let now = Mutex(1_790_000_000)
    func advance(_ seconds: Int) { now.withLock { $0 += seconds } }
    var read: @Sendable () -> Int { { self.now.withLock { $0 } } }
}

/// Signing in (`access.md`, « Signing in »): one message whatever was wrong, lockout after five
/// failures, TOTP accepted once, idle and absolute expiry, a disabled account stopped at once,
/// every outcome in the audit log — on both databases.
@Suite("Connexion et sessions")
struct SessionTests {
    static let password = "motdepasse-de-test-0001"

    func account(_ store: Store, _ email: String = "porteur@example.fr", roles: [String] = ["porteur:310000013"], totp: Bool = false) async throws -> AccountRepository.Account {
        try await AccountRepository(store: store).add(email: email, name: "Test", password: Self.password,
                                                      assignments: try roles.map { try Assignment(parsing: $0) }, secondFactor: totp)
    }

    @Test(arguments: TestDatabase.available)
    func signInSessionAndSignOut(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            _ = try await account(store)
            let clock = TestClock()
            let sessions = SessionRepository(store: store, clock: clock.read)
            guard case let .signedIn(token, expiresAt, principal) = try await sessions.signIn(email: " Porteur@Example.fr", password: Self.password, code: nil, remote: "127.0.0.1") else {
                Issue.record("connexion refusée"); return
            }
            #expect(token.hasPrefix("esmss_") && token.count == 70)
            #expect(expiresAt == "2026-09-22T02:13:20Z")
            #expect(principal.email == "porteur@example.fr")
            #expect(principal.scopes(.porteur) == ["310000013"])
            #expect(principal.csrf?.count == 64)
            // Only the hash is stored.
            let stored = try await store.sql.raw("SELECT hash FROM sessions").all().map { try $0.decode(column: "hash", as: String.self) }
            #expect(stored.count == 1 && !stored.contains(token))
            // A second sign-in is a new session with a new identifier.
            guard case let .signedIn(second, _, _) = try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil) else {
                Issue.record("seconde connexion refusée"); return
            }
            #expect(second != token)
            // Idle expiry: 30 minutes without a request.
            clock.advance(29 * 60)
            #expect(try await sessions.principal(token: token) != nil)
            clock.advance(29 * 60)
            #expect(try await sessions.principal(token: token) != nil)
            #expect(try await sessions.principal(token: second) == nil)
            // Absolute expiry: 12 hours in all, however active.
            for _ in 0..<25 {
                clock.advance(29 * 60)
                _ = try await sessions.principal(token: token)
            }
            #expect(try await sessions.principal(token: token) == nil)
            guard case let .signedIn(third, _, _) = try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil) else {
                Issue.record("troisième connexion refusée"); return
            }
            try await sessions.signOut(token: third, remote: nil)
            #expect(try await sessions.principal(token: third) == nil)
            let actions = try await AuditLog(store: store).events().map { "\($0.action) \($0.outcome.rawValue)" }
            #expect(actions == ["compte.creation success", "connexion success", "connexion success", "connexion success", "deconnexion success"])
            #expect(try await AuditLog(store: store).verify().broken == nil)
        }
    }

    @Test(arguments: TestDatabase.available)
    func wrongCredentialsAndLockout(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            _ = try await account(store)
            let clock = TestClock()
            let sessions = SessionRepository(store: store, clock: clock.read)
            #expect(try await sessions.signIn(email: "inconnu@example.fr", password: Self.password, code: nil, remote: nil) == .refused)
            for _ in 0..<5 {
                #expect(try await sessions.signIn(email: "porteur@example.fr", password: "mauvais mot de passe", code: nil, remote: nil) == .refused)
            }
            // Locked for 15 minutes, even with the right password.
            #expect(try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil) == .locked)
            clock.advance(15 * 60 + 1)
            guard case .signedIn = try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil) else {
                Issue.record("toujours verrouillé après 15 minutes"); return
            }
            let failures = try await AuditLog(store: store).events().filter { $0.outcome == .failure }
            #expect(failures.count == 7)
            #expect(failures.first?.details == .object([("motif", .string("compte inconnu"))]))
            #expect(failures.last?.details == .object([("motif", .string("compte verrouillé après 5 échecs"))]))
            // A disabled account stops at once: its session and its API token.
            guard case let .signedIn(token, _, _) = try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil) else { return }
            let apiToken = try await AccountRepository(store: store).token("porteur@example.fr", label: "test", days: 1)
            #expect(try await sessions.principal(token: apiToken)?.csrf == nil)
            try await AccountRepository(store: store).disable("porteur@example.fr")
            #expect(try await sessions.principal(token: token) == nil)
            #expect(try await sessions.principal(token: apiToken) == nil)
            #expect(try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil) == .refused)
        }
    }

    @Test(arguments: TestDatabase.available)
    func secondFactor(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let created = try await account(store, "admin@example.fr", roles: ["admin"], totp: true)
            let url = try #require(created.otpauthURL)
            #expect(url.hasPrefix("otpauth://totp/esms:admin@example.fr?secret="))
            let secret = try #require(try await store.sql.raw("SELECT totp_secret FROM users").first()?.decode(column: "totp_secret", as: String.self))
            let clock = TestClock()
            let sessions = SessionRepository(store: store, clock: clock.read)
            #expect(try await sessions.signIn(email: "admin@example.fr", password: Self.password, code: nil, remote: nil) == .codeRequired)
            #expect(try await sessions.signIn(email: "admin@example.fr", password: Self.password, code: "000000", remote: nil) == .refused)
            let code = SessionRepository.code(secret: secret, at: clock.read())
            guard case let .signedIn(_, _, principal) = try await sessions.signIn(email: "admin@example.fr", password: Self.password, code: code, remote: nil) else {
                Issue.record("code refusé"); return
            }
            #expect(principal.hasSecondFactor && !principal.mustEnrolSecondFactor)
            // A code is accepted once.
            #expect(try await sessions.signIn(email: "admin@example.fr", password: Self.password, code: code, remote: nil) == .refused)
            // An instructor without a second factor, when ESMS_REQUIRE_TOTP names the role: enrol first.
            _ = try await account(store, "agent@example.fr", roles: ["instructeur:76"])
            let strict = SessionRepository(store: store, requireSecondFactor: try SessionRepository.requiredRoles("instructeur"), clock: clock.read)
            guard case let .signedIn(token, _, agent) = try await strict.signIn(email: "agent@example.fr", password: Self.password, code: nil, remote: nil) else { return }
            #expect(agent.mustEnrolSecondFactor)
            let (pending, _) = try await strict.beginSecondFactor(email: "agent@example.fr")
            #expect(try await strict.confirmSecondFactor(email: "agent@example.fr", code: "123456", remote: nil) == false)
            #expect(try await strict.confirmSecondFactor(email: "agent@example.fr", code: SessionRepository.code(secret: pending, at: clock.read()), remote: nil))
            #expect(try await strict.principal(token: token)?.mustEnrolSecondFactor == false)
            #expect(throws: AccountError.self) { try SessionRepository.requiredRoles("instructeur, chef") }
        }
    }

    @Test(arguments: TestDatabase.available)
    func changingThePasswordEndsOtherSessions(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            _ = try await account(store)
            let sessions = SessionRepository(store: store)
            guard case let .signedIn(a, _, _) = try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil),
                  case let .signedIn(b, _, _) = try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil) else { return }
            await #expect(throws: AccountError("mot de passe actuel incorrect")) {
                try await sessions.changePassword(email: "porteur@example.fr", current: "faux", new: "nouveau-mot-de-passe", keeping: a, remote: nil)
            }
            await #expect(throws: AccountError("nouveau mot de passe trop court : 12 caractères au moins")) {
                try await sessions.changePassword(email: "porteur@example.fr", current: Self.password, new: "court", keeping: a, remote: nil)
            }
            try await sessions.changePassword(email: "porteur@example.fr", current: Self.password, new: "nouveau-mot-de-passe", keeping: a, remote: nil)
            #expect(try await sessions.principal(token: a) != nil)
            #expect(try await sessions.principal(token: b) == nil)
            #expect(try await sessions.signIn(email: "porteur@example.fr", password: Self.password, code: nil, remote: nil) == .refused)
        }
    }
}
