import Crypto
import Foundation
import HummingbirdOTP
import Rules
import SQLKit

/// Who is calling: an account, its role assignments, and how it proved it.
public struct Principal: Sendable, Equatable {
    public let email: String
    public let name: String
    public let assignments: [Assignment]
    /// The session's anti-CSRF token (pages); nil for an API token from `esms users token`.
    public let csrf: String?
    /// Its roles require a second factor (admin, `ESMS_REQUIRE_TOTP`) it has not enrolled yet: it
    /// may only reach its account page, to enrol one.
    public let mustEnrolSecondFactor: Bool
    public let hasSecondFactor: Bool

    public func has(_ role: Role) -> Bool { assignments.contains { $0.role == role } }

    /// The scopes this account holds for a role (`porteur:310001003` → `310001003`).
    public func scopes(_ role: Role) -> [String] { assignments.compactMap { $0.role == role ? $0.scope : nil } }
}

/// The outcome of a sign-in (access.md, « Signing in »).
public enum SignIn: Sendable, Equatable {
    case signedIn(token: String, expiresAt: String, principal: Principal)
    /// Wrong email, password or code, or a disabled account: one message whatever was wrong.
    case refused
    /// The password was right and the account has a second factor: a code is needed.
    case codeRequired
    /// Five failures within 15 minutes: refused for 15 minutes, even with the right password.
    case locked
}

/// Sign-in, sessions and bearer tokens, in the database: several server processes share them.
/// Session tokens are 32 random bytes given once; the store keeps their SHA-256 only.
public struct SessionRepository: Sendable {
    public let store: Store
    /// Roles that must have a second factor besides `admin` (`ESMS_REQUIRE_TOTP=instructeur,lecteur`).
    public let requireSecondFactor: Set<Role>
    /// Seconds since 1970; replaced by the tests to walk through the expiries.
    let clock: @Sendable () -> Int

    public static let idleLimit = 30 * 60
    public static let absoluteLimit = 12 * 3600
    public static let failureWindow = 15 * 60
    public static let failureLimit = 5
    /// A session's last activity is written at most this often (not at every request).
    static let touchInterval = 60
    public static let sessionPrefix = "esmss_"
    public static let apiTokenPrefix = "esms_"

    public init(store: Store, requireSecondFactor: Set<Role> = [], clock: (@Sendable () -> Int)? = nil) {
        self.store = store
        self.requireSecondFactor = requireSecondFactor.union([.admin])
        self.clock = clock ?? { Int(Date().timeIntervalSince1970) }
    }

    /// Reads `ESMS_REQUIRE_TOTP` (roles separated by commas); unknown names are an error naming them.
    public static func requiredRoles(_ text: String?) throws(AccountError) -> Set<Role> {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        var roles: Set<Role> = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let role = Role(rawValue: name) else { throw AccountError("ESMS_REQUIRE_TOTP : rôle inconnu « \(Limits.quote(name)) »") }
            roles.insert(role)
        }
        return roles
    }

    var audit: AuditLog { AuditLog(store: store) }

    static func randomHex(_ bytes: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
    }

    static func iso(_ seconds: Int) -> String {
        Timestamp.string(Date(timeIntervalSince1970: Double(seconds)))
    }

    /// Checks an email, a password and, for an account with a second factor, a TOTP code; opens a
    /// new session (a new identifier at every sign-in). Both outcomes are audit events.
    public func signIn(email rawEmail: String, password: String, code: String?, remote: String?) async throws -> SignIn {
        let email = String(rawEmail.trimmingCharacters(in: .whitespaces).lowercased().prefix(254))
        let now = clock()
        let object = "user:\(email)"
        let failures = try await store.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("sign_in_failures")
            .where("email", .equal, SQLBind(email)).where("at", .greaterThan, SQLBind(now - Self.failureWindow))
            .first()?.decode(column: "n", as: Int.self) ?? 0
        if failures >= Self.failureLimit {
            try await audit.append(actor: email, action: "connexion", object: object, outcome: .failure, remote: remote,
                                   details: .object([("motif", .string("compte verrouillé après \(Self.failureLimit) échecs"))]))
            return .locked
        }
        let row = try await store.sql.select().columns("password_hash", "disabled", "totp_secret", "totp_last_step").from("users")
            .where("email", .equal, SQLBind(email)).first()
        let passwordRight = try await Passwords.verify(password, hash: row?.decode(column: "password_hash", as: String.self)) && row != nil
        let disabled = try row?.decode(column: "disabled", as: Bool.self) ?? true
        func fail(_ reason: String) async throws -> SignIn {
            try await store.transaction(immediate: true) {
                try await store.sql.insert(into: "sign_in_failures").columns("email", "at").values(SQLBind(email), SQLBind(now)).run()
                try await audit.record(actor: email, action: "connexion", object: object, outcome: .failure, remote: remote,
                                       details: .object([("motif", .string(reason))]))
            }
            return .refused
        }
        guard let row, passwordRight else { return try await fail(row == nil ? "compte inconnu" : "mot de passe incorrect") }
        guard !disabled else { return try await fail("compte désactivé") }
        if let secret = try row.decode(column: "totp_secret", as: String?.self) {
            guard let code = code?.trimmingCharacters(in: .whitespaces), !code.isEmpty else { return .codeRequired }
            let last = try row.decode(column: "totp_last_step", as: Int.self)
            guard let step = Self.step(of: code, secret: secret, at: now), step > last else {
                return try await fail("code à usage unique incorrect ou déjà utilisé")
            }
            // Accepted once: the step is written only if no other sign-in used it meanwhile.
            let used = try await store.sql.update("users").set("totp_last_step", to: SQLBind(step))
                .where("email", .equal, SQLBind(email)).where("totp_last_step", .lessThan, SQLBind(step))
                .returning("email").all()
            guard !used.isEmpty else { return try await fail("code à usage unique déjà utilisé") }
        }
        let token = Self.sessionPrefix + Self.randomHex(32)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "sessions").columns("hash", "email", "csrf", "created_at", "last_seen")
                .values(SQLBind(AccountRepository.tokenHash(token)), SQLBind(email), SQLBind(Self.randomHex(32)), SQLBind(now), SQLBind(now)).run()
            try await audit.record(actor: email, action: "connexion", object: object, outcome: .success, remote: remote)
        }
        guard let principal = try await principal(token: token) else { return .refused }
        return .signedIn(token: token, expiresAt: Self.iso(now + Self.absoluteLimit), principal: principal)
    }

    /// The TOTP step (RFC 6238, 30 s) a code belongs to, one step of drift either side; nil if wrong.
    static func step(of code: String, secret: String, at now: Int) -> Int? {
        guard code.count == 6, let value = Int(code) else { return nil }
        let totp = TOTP(secret: secret)
        for drift in [0, -1, 1] {
            let step = now / 30 + drift
            if totp.compute(date: Date(timeIntervalSince1970: Double(step * 30))) == value { return step }
        }
        return nil
    }

    /// The account behind a bearer or cookie token: a live session of an enabled account, or an
    /// unexpired API token of one. An idle or too old session is ended here.
    public func principal(token: String) async throws -> Principal? {
        guard token.utf8.count <= 100 else { return nil }
        let hash = AccountRepository.tokenHash(token)
        let now = clock()
        let email: String
        var csrf: String? = nil
        if token.hasPrefix(Self.sessionPrefix) {
            guard let row = try await store.sql.select().columns("email", "csrf", "created_at", "last_seen").from("sessions")
                .where("hash", .equal, SQLBind(hash)).first() else { return nil }
            let created = try row.decode(column: "created_at", as: Int.self), seen = try row.decode(column: "last_seen", as: Int.self)
            if now - seen > Self.idleLimit || now - created > Self.absoluteLimit {
                try await store.sql.delete(from: "sessions").where("hash", .equal, SQLBind(hash)).run()
                return nil
            }
            if now - seen >= Self.touchInterval {
                try await store.sql.update("sessions").set("last_seen", to: SQLBind(now)).where("hash", .equal, SQLBind(hash)).run()
            }
            email = try row.decode(column: "email", as: String.self)
            csrf = try row.decode(column: "csrf", as: String.self)
        } else if token.hasPrefix(Self.apiTokenPrefix) {
            guard let row = try await store.sql.select().columns("email", "expires_at").from("api_tokens")
                .where("hash", .equal, SQLBind(hash)).first(),
                  let expires = Timestamp.date(try row.decode(column: "expires_at", as: String.self)),
                  Int(expires.timeIntervalSince1970) > now else { return nil }
            email = try row.decode(column: "email", as: String.self)
        } else {
            return nil
        }
        guard let user = try await store.sql.select().columns("name", "disabled", "totp_secret").from("users")
            .where("email", .equal, SQLBind(email)).first(),
              try user.decode(column: "disabled", as: Bool.self) == false else { return nil }
        let assignments = try await store.sql.select().columns("role", "scope").from("user_roles").where("email", .equal, SQLBind(email))
            .orderBy("role").orderBy("scope").all().compactMap { row -> Assignment? in
                let scope = try row.decode(column: "scope", as: String.self)
                return try? Assignment(parsing: try row.decode(column: "role", as: String.self) + (scope.isEmpty ? "" : ":\(scope)"))
            }
        let enrolled = try user.decode(column: "totp_secret", as: String?.self) != nil
        return Principal(email: email, name: try user.decode(column: "name", as: String.self), assignments: assignments, csrf: csrf,
                         mustEnrolSecondFactor: !enrolled && assignments.contains { requireSecondFactor.contains($0.role) },
                         hasSecondFactor: enrolled)
    }

    /// Ends a session (sign-out); an API token is not a session and stays.
    public func signOut(token: String, remote: String?) async throws {
        guard token.hasPrefix(Self.sessionPrefix) else { return }
        let hash = AccountRepository.tokenHash(token)
        try await store.transaction(immediate: true) {
            let rows = try await store.sql.delete(from: "sessions").where("hash", .equal, SQLBind(hash)).returning("email").all()
            if let email = try rows.first?.decode(column: "email", as: String.self) {
                try await audit.record(actor: email, action: "deconnexion", object: "user:\(email)", remote: remote)
            }
        }
    }

    /// Changes a password, the current one checked; every other session of the account ends.
    public func changePassword(email: String, current: String, new: String, keeping token: String?, remote: String?) async throws {
        guard new.count >= AccountRepository.minimumPasswordLength else {
            throw AccountError("nouveau mot de passe trop court : \(AccountRepository.minimumPasswordLength) caractères au moins")
        }
        guard let row = try await store.sql.select().column("password_hash").from("users").where("email", .equal, SQLBind(email)).first(),
              try await Passwords.verify(current, hash: row.decode(column: "password_hash", as: String.self)) else {
            try await audit.append(actor: email, action: "compte.mot-de-passe", object: "user:\(email)", outcome: .failure, remote: remote,
                                   details: .object([("motif", .string("mot de passe actuel incorrect"))]))
            throw AccountError("mot de passe actuel incorrect")
        }
        let hash = try await Passwords.hash(new)
        try await store.transaction(immediate: true) {
            try await store.sql.update("users").set("password_hash", to: SQLBind(hash)).where("email", .equal, SQLBind(email)).run()
            var others = store.sql.delete(from: "sessions").where("email", .equal, SQLBind(email))
            if let token { others = others.where("hash", .notEqual, SQLBind(AccountRepository.tokenHash(token))) }
            try await others.run()
            try await audit.record(actor: email, action: "compte.mot-de-passe", object: "user:\(email)", remote: remote)
        }
    }

    /// A new TOTP secret, pending until a code from it is confirmed: the otpauth URL to show.
    public func beginSecondFactor(email: String) async throws -> (secret: String, url: String) {
        let secret = Self.newSecret()
        try await store.sql.update("users").set("totp_pending", to: SQLBind(secret)).where("email", .equal, SQLBind(email)).run()
        return (secret, Self.otpauthURL(email: email, secret: secret))
    }

    /// Enrols the pending secret once a code from it is right; false (nothing changed) otherwise.
    public func confirmSecondFactor(email: String, code: String, remote: String?) async throws -> Bool {
        guard let row = try await store.sql.select().column("totp_pending").from("users").where("email", .equal, SQLBind(email)).first(),
              let secret = try row.decode(column: "totp_pending", as: String?.self),
              let step = Self.step(of: code.trimmingCharacters(in: .whitespaces), secret: secret, at: clock()) else { return false }
        try await store.transaction(immediate: true) {
            try await store.sql.update("users").set("totp_secret", to: SQLBind(secret)).set("totp_pending", to: SQLLiteral.null)
                .set("totp_last_step", to: SQLBind(step)).where("email", .equal, SQLBind(email)).run()
            try await audit.record(actor: email, action: "compte.second-facteur", object: "user:\(email)", remote: remote)
        }
        return true
    }

    /// 20 characters from the base-32 alphabet: the HMAC key of the TOTP (160 bits of entropy
    /// in ASCII; authenticator apps receive its base-32 encoding in the otpauth URL).
    static func newSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var rng = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &rng)! })
    }

    public static func otpauthURL(email: String, secret: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "esms:\(email)", issuer: "esms")
    }

    /// The code of a secret now (tests, and `esms users add --totp` shows none: the app computes it).
    public static func code(secret: String, at seconds: Int) -> String {
        let value = TOTP(secret: secret).compute(date: Date(timeIntervalSince1970: Double(seconds)))
        let text = String(value)
        return String(repeating: "0", count: max(0, 6 - text.count)) + text
    }
}
