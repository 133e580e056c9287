import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Rules
import SQLKit
import Store
import Testing
import TestSupport
import Web

/// Signing in through the pages and the API (`access.md`, « Signing in »), on both databases.
@Suite("Connexion : pages et API")
struct SignInTests {
    static let password = "mot-de-passe-de-test"

    static func app(_ store: Store, publicURL: String? = nil) -> some ApplicationProtocol {
        var logger = Logger(label: "esms.test")
        logger.logLevel = TestLogging.level
        return buildApplication(site: Site(store: store, today: CalendarDate(iso: "2025-12-31"), publicURL: publicURL),
                                configuration: ServerConfiguration(database: store.location), logger: logger)
    }

    /// `esms_session=…` from a `Set-Cookie` header.
    static func session(_ response: TestResponse) -> String? {
        guard let header = response.headers[.setCookie], header.hasPrefix("esms_session=") else { return nil }
        return String(header.dropFirst("esms_session=".count).prefix { $0 != ";" })
    }

    @Test(arguments: TestDatabase.available)
    func pagesSignInShowWhoAndSignOut(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await DemoRegistry.importIfEmpty(into: store)
            _ = try await AccountRepository(store: store).add(email: "porteur@example.fr", name: "Claire Porteuse", password: Self.password,
                                                              assignments: [try Assignment(parsing: "porteur:310100011")])
            try await Self.app(store).test(.router) { client in
                // A page for porteurs sends the signed-out visitor to the sign-in page, and back.
                let grappes = try await client.execute(uri: "/grappes", method: .get)
                #expect(grappes.status == .seeOther)
                #expect(grappes.headers[.location] == "/connexion?retour=%2Fgrappes")
                let page = try await client.execute(uri: "/connexion?retour=%2Fgrappes", method: .get)
                #expect(text(page).contains("name=\"retour\" value=\"/grappes\""))
                let cookie = "esms_csrf=\(testToken)"
                let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: cookie]
                let wrong = try await client.execute(uri: "/connexion", method: .post, headers: headers,
                                                     body: ByteBuffer(string: "email=porteur%40example.fr&password=faux&retour=%2Fgrappes&csrf=\(testToken)"))
                #expect(wrong.status == .unauthorized)
                #expect(text(wrong).contains("Identifiant ou mot de passe incorrect."))
                let unknown = try await client.execute(uri: "/connexion", method: .post, headers: headers,
                                                       body: ByteBuffer(string: "email=personne%40example.fr&password=\(Self.password)&csrf=\(testToken)"))
                #expect(text(unknown).contains("Identifiant ou mot de passe incorrect."))
                // Without the form's token: refused, nobody signed in.
                let forged = try await client.execute(uri: "/connexion", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                      body: ByteBuffer(string: "email=porteur%40example.fr&password=\(Self.password)"))
                #expect(forged.status == .forbidden)
                let right = try await client.execute(uri: "/connexion", method: .post, headers: headers,
                                                     body: ByteBuffer(string: "email=porteur%40example.fr&password=\(Self.password)&retour=%2Fgrappes&csrf=\(testToken)"))
                #expect(right.status == .seeOther)
                #expect(right.headers[.location] == "/grappes")
                let setCookie = right.headers[.setCookie] ?? ""
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && !setCookie.contains("Secure"))
                let session = try #require(Self.session(right))
                // Signed in: the header names the account and offers the sign-out button.
                let home = try await client.execute(uri: "/", method: .get, headers: [.cookie: "esms_session=\(session)"])
                #expect(text(home).contains("Claire Porteuse"))
                #expect(text(home).contains("Se déconnecter"))
                #expect(try await client.execute(uri: "/grappes", method: .get, headers: [.cookie: "esms_session=\(session)"]).status == .ok)
                // A second sign-in from the same browser is a new session; the one before ends.
                let again = try await client.execute(uri: "/connexion", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_session=\(session)"],
                                                     body: ByteBuffer(string: "email=porteur%40example.fr&password=\(Self.password)&csrf=\(Self.csrf(of: text(home)))"))
                let renewed = try #require(Self.session(again))
                #expect(renewed != session)
                #expect(try await client.execute(uri: "/grappes", method: .get, headers: [.cookie: "esms_session=\(session)"]).status == .seeOther)
                // Sign-out: the cookie is cleared and the session ends in the database.
                let account = try await client.execute(uri: "/compte", method: .get, headers: [.cookie: "esms_session=\(renewed)"])
                #expect(text(account).contains("porteur:310100011"))
                let out = try await client.execute(uri: "/deconnexion", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_session=\(renewed)"],
                                                   body: ByteBuffer(string: "csrf=\(Self.csrf(of: text(account)))"))
                #expect(out.status == .seeOther)
                #expect(out.headers[.setCookie]?.hasPrefix("esms_session=;") == true)
                #expect(try await client.execute(uri: "/grappes", method: .get, headers: [.cookie: "esms_session=\(renewed)"]).status == .seeOther)
            }
            let actions = try await AuditLog(store: store).events().map { "\($0.action) \($0.outcome.rawValue)" }
            #expect(actions == ["compte.creation success", "connexion failure", "connexion failure", "connexion success",
                                "connexion success", "deconnexion success", "deconnexion success"])
        }
    }

    /// The anti-CSRF token a page's forms carry.
    static func csrf(of page: String) -> String {
        guard let range = page.range(of: "name=\"csrf\" value=\"") else { return "" }
        return String(page[range.upperBound...].prefix(64))
    }

    @Test(arguments: TestDatabase.available)
    func apiSessionsLockoutAndSecondFactor(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let accounts = AccountRepository(store: store)
            _ = try await accounts.add(email: "porteur@example.fr", name: "Porteur", password: Self.password, assignments: [try Assignment(parsing: "porteur:310100011")])
            let admin = try await accounts.add(email: "admin@example.fr", name: "Admin", password: Self.password, assignments: [try Assignment(parsing: "admin")], secondFactor: true)
            #expect(admin.otpauthURL != nil)
            try await Self.app(store, publicURL: "https://esms.example.fr").test(.router) { client in
                func signIn(_ body: String) async throws -> TestResponse {
                    try await client.execute(uri: "/api/v1/sessions", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                }
                let created = try await signIn("{\"email\": \"porteur@example.fr\", \"password\": \"\(Self.password)\"}")
                #expect(created.status == .created)
                let session = try json(created)
                guard case let .string(token)? = session["token"], case let .string(expires)? = session["expiresAt"] else { Issue.record("jeton attendu"); return }
                #expect(token.hasPrefix("esmss_"))
                #expect(expires.hasSuffix("Z"))
                let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
                #expect(try await client.execute(uri: "/api/v1/grappes", method: .get, headers: bearer).status == .ok)
                let anonymous = try await client.execute(uri: "/api/v1/grappes", method: .get)
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer realm=\"esms\"")
                #expect(try await client.execute(uri: "/api/v1/grappes", method: .get, headers: [.authorization: "Bearer esmss_faux"]).status == .unauthorized)
                // The same answer whatever was wrong; five failures lock the account 15 minutes.
                for body in ["{\"email\": \"personne@example.fr\", \"password\": \"\(Self.password)\"}"] + Array(repeating: "{\"email\": \"porteur@example.fr\", \"password\": \"faux\"}", count: 5) {
                    let refused = try await signIn(body)
                    #expect(refused.status == .unauthorized)
                    #expect(try json(refused)["error"]?["message"] == .string("Identifiant ou mot de passe incorrect"))
                }
                let locked = try await signIn("{\"email\": \"porteur@example.fr\", \"password\": \"\(Self.password)\"}")
                #expect(locked.status == .tooManyRequests)
                #expect(locked.headers[.retryAfter] == "900")
                // The session signed in before the lockout still works; sign-out ends it.
                #expect(try await client.execute(uri: "/api/v1/sessions/current", method: .delete, headers: bearer).status == .noContent)
                #expect(try await client.execute(uri: "/api/v1/grappes", method: .get, headers: bearer).status == .unauthorized)
                // The admin's second factor: required, accepted once.
                let noCode = try await signIn("{\"email\": \"admin@example.fr\", \"password\": \"\(Self.password)\"}")
                #expect(noCode.status == .unauthorized)
                #expect(try json(noCode)["error"]?["path"] == .string("otp"))
                let secret = try #require(try await store.sql.raw("SELECT totp_secret FROM users WHERE email = 'admin@example.fr'").first()?.decode(column: "totp_secret", as: String.self))
                let code = SessionRepository.code(secret: secret, at: Int(Date().timeIntervalSince1970))
                let withCode = try await signIn("{\"email\": \"admin@example.fr\", \"password\": \"\(Self.password)\", \"otp\": \"\(code)\"}")
                #expect(withCode.status == .created)
                #expect(try await signIn("{\"email\": \"admin@example.fr\", \"password\": \"\(Self.password)\", \"otp\": \"\(code)\"}").status == .unauthorized)
                // An admin may not read grappes (no access to dossier contents).
                guard case let .string(adminToken)? = try json(withCode)["token"] else { return }
                #expect(try await client.execute(uri: "/api/v1/grappes", method: .get, headers: [.authorization: "Bearer \(adminToken)"]).status == .forbidden)
                // A page sign-in behind https sets a Secure cookie.
                let page = try await client.execute(uri: "/connexion", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_csrf=\(testToken)"],
                                                    body: ByteBuffer(string: "email=admin%40example.fr&password=\(Self.password)&otp=\(SessionRepository.code(secret: secret, at: Int(Date().timeIntervalSince1970) + 30))&csrf=\(testToken)"))
                #expect(page.status == .seeOther)
                #expect(page.headers[.setCookie]?.contains("Secure") == true)
            }
            // No secret in the audit log: no password, no token, no code.
            let details = try await AuditLog(store: store).events().map { $0.json.rendered(indent: false) }.joined()
            #expect(!details.contains(Self.password) && !details.contains("esmss_") && !details.contains("esms_"))
            #expect(try await AuditLog(store: store).verify().broken == nil)
        }
    }

    /// The account page: a role that requires a second factor leads there until one is enrolled;
    /// enrolment shows the otpauth URL and takes a code; the password changes with the current one.
    @Test func accountPageEnrolsTheSecondFactorAndChangesThePassword() async throws {
        try await TestDatabase.sqlite.withStore { store in
            _ = try await AccountRepository(store: store).add(email: "agent@example.fr", name: "Agent ARS", password: Self.password,
                                                              assignments: [try Assignment(parsing: "instructeur:76")])
            var logger = Logger(label: "esms.test")
            logger.logLevel = TestLogging.level
            let app = buildApplication(site: Site(store: store, requireSecondFactor: [.instructeur]), configuration: ServerConfiguration(database: store.location), logger: logger)
            try await app.test(.router) { client in
                let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_csrf=\(testToken)"]
                let signedIn = try await client.execute(uri: "/connexion", method: .post, headers: form,
                                                        body: ByteBuffer(string: "email=agent%40example.fr&password=\(Self.password)&retour=%2Fgrappes&csrf=\(testToken)"))
                #expect(signedIn.headers[.location] == "/compte")
                let session = try #require(Self.session(signedIn))
                let cookie: HTTPFields = [.cookie: "esms_session=\(session)"]
                // Every other page leads back to the account page; the API says why.
                #expect(try await client.execute(uri: "/grappes", method: .get, headers: cookie).headers[.location] == "/compte")
                let api = try await client.execute(uri: "/api/v1/grappes", method: .get, headers: [.authorization: "Bearer \(session)"])
                #expect(api.status == .forbidden)
                #expect(String(buffer: api.body).contains("second facteur requis"))
                let page = text(try await client.execute(uri: "/compte", method: .get, headers: cookie))
                #expect(page.contains("Vos rôles demandent un second facteur"))
                let csrf = Self.csrf(of: page)
                let post: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_session=\(session)"]
                let started = text(try await client.execute(uri: "/compte/second-facteur", method: .post, headers: post, body: ByteBuffer(string: "csrf=\(csrf)")))
                #expect(started.contains("otpauth://totp/esms:agent@example.fr?secret="))
                let pending = try #require(try await store.sql.raw("SELECT totp_pending FROM users").first()?.decode(column: "totp_pending", as: String.self))
                let wrong = try await client.execute(uri: "/compte/second-facteur/confirmation", method: .post, headers: post, body: ByteBuffer(string: "code=000000&csrf=\(csrf)"))
                #expect(wrong.status == .unprocessableContent)
                let code = SessionRepository.code(secret: pending, at: Int(Date().timeIntervalSince1970))
                let confirmed = try await client.execute(uri: "/compte/second-facteur/confirmation", method: .post, headers: post, body: ByteBuffer(string: "code=\(code)&csrf=\(csrf)"))
                #expect(confirmed.status == .seeOther)
                #expect(try await client.execute(uri: "/", method: .get, headers: cookie).status == .ok)
                #expect(text(try await client.execute(uri: "/compte", method: .get, headers: cookie)).contains("Activé : chaque connexion demande le code"))
                // The password: the current one is checked, the new one is long enough.
                let refused = try await client.execute(uri: "/compte/mot-de-passe", method: .post, headers: post, body: ByteBuffer(string: "current=faux&new=nouveau-mot-de-passe&csrf=\(csrf)"))
                #expect(refused.status == .unprocessableContent)
                #expect(text(refused).contains("Mot de passe actuel incorrect : rien n&#39;a été modifié."))
                let changed = try await client.execute(uri: "/compte/mot-de-passe", method: .post, headers: post,
                                                       body: ByteBuffer(string: "current=\(Self.password)&new=nouveau-mot-de-passe&csrf=\(csrf)"))
                #expect(text(changed).contains("Mot de passe changé"))
            }
            let actions = try await AuditLog(store: store).events().map(\.action)
            #expect(actions == ["compte.creation", "connexion", "compte.second-facteur", "compte.mot-de-passe", "compte.mot-de-passe"])
        }
    }

    /// Two server processes on one database share sessions: signed in on one, recognised by the
    /// other; a disabled account stops on both at once.
    @Test(arguments: TestDatabase.available)
    func twoServersShareSessions(_ db: TestDatabase) async throws {
        try await db.withStore { first in
            _ = try await AccountRepository(store: first).add(email: "porteur@example.fr", name: "Porteur", password: Self.password,
                                                              assignments: [try Assignment(parsing: "porteur:310100011")])
            let second = try await Store.open(first.location)
            do {
                let token = try await Self.app(first).test(.router) { client -> String in
                    let created = try await client.execute(uri: "/api/v1/sessions", method: .post, headers: [.contentType: "application/json"],
                                                           body: ByteBuffer(string: "{\"email\": \"porteur@example.fr\", \"password\": \"\(Self.password)\"}"))
                    guard case let .string(token)? = try json(created)["token"] else { return "" }
                    return token
                }
                try await Self.app(second).test(.router) { client in
                    let status = try await client.execute(uri: "/api/v1/grappes", method: .get, headers: [.authorization: "Bearer \(token)"]).status
                    #expect(status == .ok)
                }
                try await AccountRepository(store: first).disable("porteur@example.fr")
                try await Self.app(second).test(.router) { client in
                    let status = try await client.execute(uri: "/api/v1/grappes", method: .get, headers: [.authorization: "Bearer \(token)"]).status
                    #expect(status == .unauthorized)
                }
                try await second.close()
            } catch {
                try? await second.close()
                throw error
            }
        }
    }
}
