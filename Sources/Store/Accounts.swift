import Crypto
import Foundation
import HummingbirdBcrypt
import Rules
import SQLKit

/// The roles of `access.md` and the scope each takes.
public enum Role: String, CaseIterable, Sendable {
    case admin, porteur, instructeur, expert, lecteur, professionnel, direction

    /// What the scope names, for the messages; nil for the roles without a scope.
    var scopeKind: String? {
        switch self {
        case .admin, .expert: return nil
        case .porteur: return "le numéro FINESS EJ de l'organisme gestionnaire"
        case .instructeur, .lecteur: return "un code de région INSEE (76, 11…) ou national"
        case .professionnel: return "le numéro FINESS ET de l'établissement"
        case .direction: return "le numéro FINESS ET de l'établissement ou EJ de l'organisme"
        }
    }
}

/// A role and its scope: `admin`, `porteur:310001003`, `instructeur:76`, `lecteur:national`…
public struct Assignment: Hashable, Sendable, CustomStringConvertible {
    public let role: Role
    public let scope: String?

    public var description: String { scope.map { "\(role.rawValue):\($0)" } ?? role.rawValue }

    /// Reads `ROLE[:SCOPE]`, checking the scope the role takes; the error names what is wrong.
    public init(parsing text: String) throws(AccountError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let role = Role(rawValue: parts[0]) else {
            throw AccountError("rôle inconnu « \(Limits.quote(parts[0])) » ; rôles : \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let scope = parts.count > 1 ? parts[1] : nil
        guard let kind = role.scopeKind else {
            if let scope { throw AccountError("le rôle \(role.rawValue) ne prend pas de portée (« \(Limits.quote(scope)) »)") }
            self.role = role; self.scope = nil
            return
        }
        guard let scope, !scope.isEmpty else { throw AccountError("le rôle \(role.rawValue) demande une portée : \(kind) (\(role.rawValue):PORTÉE)") }
        let valid: Bool
        switch role {
        case .instructeur, .lecteur: valid = scope == "national" || Territory.region(code: scope) != nil
        default: valid = FinessNumber.problem(scope) == nil
        }
        guard valid else { throw AccountError("portée « \(Limits.quote(scope)) » invalide pour le rôle \(role.rawValue) : \(kind) attendu") }
        self.role = role; self.scope = scope
    }
}

/// Why an account command or change is refused, in French.
public struct AccountError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Accounts, their role assignments and their API tokens; every change is an audit event written
/// in the same transaction.
public struct AccountRepository: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public struct Account: Sendable, Equatable {
        public let email: String
        public let name: String
        public let disabled: Bool
        public let assignments: [String]
        public let createdAt: String
        /// Only on the account just created with a second factor: the otpauth URL, shown once.
        public var otpauthURL: String? = nil
    }

    /// Passwords have at least this many characters (access.md).
    public static let minimumPasswordLength = 12
    /// bcrypt's cost (access.md: at least 12).
    static let bcryptCost: UInt8 = 12

    var audit: AuditLog { AuditLog(store: store) }

    static func normalised(_ email: String) throws(AccountError) -> String {
        let e = email.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        guard e.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !e.contains(where: \.isWhitespace) else {
            throw AccountError("adresse électronique invalide « \(Limits.quote(email)) »")
        }
        return e
    }

    /// A password of 20 characters from an alphabet without look-alikes (about 118 bits).
    public static func generatedPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &rng)! })
    }

    /// A new account; with `secondFactor`, a TOTP secret enrolled at once (its otpauth URL is in
    /// the returned account, to show once).
    public func add(email: String, name: String, password: String, assignments: [Assignment], secondFactor: Bool = false,
                    actor: String = "system") async throws -> Account {
        let email = try Self.normalised(email)
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 200 else { throw AccountError("nom attendu (--name), 200 caractères au plus") }
        guard password.count >= Self.minimumPasswordLength else {
            throw AccountError("mot de passe trop court : \(Self.minimumPasswordLength) caractères au moins")
        }
        let hash = try await Passwords.hash(password)
        let now = Timestamp.now()
        let unique = Array(Set(assignments)).sorted { $0.description < $1.description }
        return try await store.transaction(immediate: true) {
            guard try await find(email) == nil else { throw AccountError("le compte \(email) existe déjà") }
            let secret = secondFactor ? SessionRepository.newSecret() : nil
            try await store.sql.insert(into: "users").columns("email", "name", "password_hash", "disabled", "created_at", "totp_secret")
                .values(SQLBind(email), SQLBind(name), SQLBind(hash), SQLBind(false), SQLBind(now), SQLBind(secret)).run()
            for a in unique { try await insert(email, a) }
            try await audit.record(actor: actor, action: "compte.creation", object: "user:\(email)",
                                   details: .object([("roles", .array(unique.map { .string($0.description) })), ("secondFacteur", .bool(secondFactor))]))
            return Account(email: email, name: name, disabled: false, assignments: unique.map(\.description), createdAt: now,
                           otpauthURL: secret.map { SessionRepository.otpauthURL(email: email, secret: $0) })
        }
    }

    func insert(_ email: String, _ a: Assignment) async throws {
        try await store.sql.insert(into: "user_roles").columns("email", "role", "scope")
            .values(SQLBind(email), SQLBind(a.role.rawValue), SQLBind(a.scope ?? "")).run()
    }

    public func find(_ email: String) async throws -> Account? {
        try await accounts(where: email.lowercased()).first
    }

    public func list() async throws -> [Account] { try await accounts(where: nil) }

    /// The accounts (one, or all by email), with their assignments: two queries whatever the count.
    func accounts(where email: String?) async throws -> [Account] {
        var users = store.sql.select().columns("email", "name", "disabled", "created_at").from("users")
        var roles = store.sql.select().columns("email", "role", "scope").from("user_roles")
        if let email {
            users = users.where("email", .equal, SQLBind(email))
            roles = roles.where("email", .equal, SQLBind(email))
        }
        var assignments: [String: [String]] = [:]
        for r in try await roles.orderBy("role").orderBy("scope").all() {
            let scope = try r.decode(column: "scope", as: String.self)
            assignments[try r.decode(column: "email", as: String.self), default: []].append(try r.decode(column: "role", as: String.self) + (scope.isEmpty ? "" : ":\(scope)"))
        }
        return try await users.orderBy("email").all().map { row in
            let email = try row.decode(column: "email", as: String.self)
            return Account(email: email, name: try row.decode(column: "name", as: String.self), disabled: try row.decode(column: "disabled", as: Bool.self),
                           assignments: assignments[email] ?? [], createdAt: try row.decode(column: "created_at", as: String.self))
        }
    }

    /// Runs `change` on an existing account, with its audit event, in one transaction.
    func changing(_ email: String, action: String, details: JSON, actor: String, _ change: (Account) async throws -> Void) async throws {
        let email = try Self.normalised(email)
        try await store.transaction(immediate: true) {
            guard let account = try await find(email) else { throw AccountError("compte inconnu : \(email)") }
            try await change(account)
            try await audit.record(actor: actor, action: action, object: "user:\(email)", details: details)
        }
    }

    public func grant(_ email: String, _ a: Assignment, actor: String = "system") async throws {
        try await changing(email, action: "role.attribution", details: .object([("role", .string(a.description))]), actor: actor) { account in
            if account.assignments.contains(a.description) { return }
            try await insert(account.email, a)
        }
    }

    public func revoke(_ email: String, _ a: Assignment, actor: String = "system") async throws {
        try await changing(email, action: "role.retrait", details: .object([("role", .string(a.description))]), actor: actor) { account in
            guard account.assignments.contains(a.description) else {
                throw AccountError("le compte \(account.email) n'a pas le rôle \(a.description)")
            }
            try await store.sql.delete(from: "user_roles").where("email", .equal, SQLBind(account.email))
                .where("role", .equal, SQLBind(a.role.rawValue)).where("scope", .equal, SQLBind(a.scope ?? "")).run()
        }
    }

    public func disable(_ email: String, actor: String = "system") async throws {
        try await changing(email, action: "compte.desactivation", details: .object([]), actor: actor) { account in
            try await store.sql.update("users").set("disabled", to: SQLBind(true)).where("email", .equal, SQLBind(account.email)).run()
            try await store.sql.delete(from: "sessions").where("email", .equal, SQLBind(account.email)).run()
        }
    }

    /// A new API token: 32 random bytes, given once; only its SHA-256 is stored.
    public func token(_ email: String, label: String, days: Int, actor: String = "system") async throws -> String {
        guard (1...366).contains(days) else { throw AccountError("--days : durée de 1 à 366 jours") }
        var rng = SystemRandomNumberGenerator()
        let token = "esms_" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        let now = Date()
        let expires = Timestamp.string(now.addingTimeInterval(Double(days) * 86_400))
        let label = String(label.prefix(120))
        try await changing(email, action: "jeton.creation", details: .object([("libelle", .string(label)), ("expire", .string(expires))]), actor: actor) { account in
            guard !account.disabled else { throw AccountError("le compte \(account.email) est désactivé") }
            try await store.sql.insert(into: "api_tokens").columns("hash", "email", "label", "created_at", "expires_at")
                .values(SQLBind(Self.tokenHash(token)), SQLBind(account.email), SQLBind(label), SQLBind(Timestamp.string(now)), SQLBind(expires)).run()
        }
        return token
    }

    public static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// bcrypt off the event loops (`offEventLoop`): a hash costs about a quarter of a second of CPU.
enum Passwords {
    static func hash(_ password: String) async throws -> String {
        try await offEventLoop { Bcrypt.hash(password, cost: AccountRepository.bcryptCost) }
    }

    /// nil: an unknown account, checked against a decoy hash so that the answer takes as long.
    static func verify(_ password: String, hash: String?) async throws -> Bool {
        try await offEventLoop { Bcrypt.verify(password, hash: hash ?? decoy) }
    }

    static let decoy = Bcrypt.hash("esms-decoy-password", cost: AccountRepository.bcryptCost)
}
