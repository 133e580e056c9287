import ArgumentParser
import Foundation
import Rules
import Store

/// `esms users add|grant|revoke|disable|list|token` (`access.md`, « Accounts, from the command line »).
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Les comptes : créer, attribuer ou retirer un rôle, désactiver, lister, créer un jeton d'API.",
        subcommands: [UsersAdd.self, UsersGrant.self, UsersRevoke.self, UsersDisable.self, UsersList.self, UsersToken.self]
    )
}

func assignment(_ text: String) throws(UserFacingError) -> Assignment {
    do { return try Assignment(parsing: text) } catch { throw UserFacingError(error.description) }
}

/// Account errors become the command's message (exit 1).
func accounts<T>(_ store: StoreOptions, _ body: (AccountRepository) async throws -> T) async throws -> T {
    do {
        return try await store.with { try await body(AccountRepository(store: $0)) }
    } catch let error as AccountError {
        throw UserFacingError(error.description)
    }
}

struct UsersAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Crée un compte ; sans --password-stdin, un mot de passe est généré et affiché une seule fois."
    )

    @Argument(help: "Adresse électronique du compte.")
    var email: String

    @Option(help: "Nom et prénom, ou nom du service.")
    var name: String

    @Option(help: "Rôle et portée (ROLE[:PORTÉE]), répétable : admin, porteur:EJ, instructeur:REGION|national, expert, lecteur:REGION|national, professionnel:ET, direction:ET|EJ.")
    var role: [String] = []

    @Flag(help: "Lire le mot de passe sur la première ligne de l'entrée standard.")
    var passwordStdin = false

    @Flag(help: "Enrôler un second facteur (TOTP) : l'URL otpauth à saisir dans l'application d'authentification est affichée une seule fois.")
    var totp = false

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            let assignments = try role.map(assignment)
            var password = AccountRepository.generatedPassword()
            if passwordStdin {
                guard let line = readLine(strippingNewline: true) else { throw UserFacingError("mot de passe attendu sur l'entrée standard") }
                password = line
            }
            let account = try await accounts(store) { try await $0.add(email: email, name: name, password: password, assignments: assignments, secondFactor: totp) }
            print("Compte \(account.email) créé\(account.assignments.isEmpty ? "" : " (\(account.assignments.joined(separator: ", ")))").")
            if let url = account.otpauthURL { print("Second facteur (TOTP), à saisir une seule fois dans l'application d'authentification : \(url)") }
            if !passwordStdin { print("Mot de passe, affiché une seule fois : \(password)") }
        }
    }
}

struct UsersGrant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grant", abstract: "Attribue un rôle (ROLE[:PORTÉE]) à un compte.")

    @Argument(help: "Adresse électronique du compte.") var email: String
    @Argument(help: "Rôle et portée.") var role: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            let a = try assignment(role)
            try await accounts(store) { try await $0.grant(email, a) }
            print("Rôle \(a) attribué à \(email.lowercased()).")
        }
    }
}

struct UsersRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Retire un rôle (ROLE[:PORTÉE]) à un compte.")

    @Argument(help: "Adresse électronique du compte.") var email: String
    @Argument(help: "Rôle et portée.") var role: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            let a = try assignment(role)
            try await accounts(store) { try await $0.revoke(email, a) }
            print("Rôle \(a) retiré à \(email.lowercased()).")
        }
    }
}

struct UsersDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Désactive un compte.")

    @Argument(help: "Adresse électronique du compte.") var email: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            try await accounts(store) { try await $0.disable(email) }
            print("Compte \(email.lowercased()) désactivé.")
        }
    }
}

struct UsersList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Liste les comptes et leurs rôles.")

    @Option(help: "Format de sortie : json ou text.") var format: OutputFormat = .text
    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            let list = try await accounts(store) { try await $0.list() }
            switch format {
            case .json:
                print(JSON.array(list.map { a in
                    .object([("email", .string(a.email)), ("name", .string(a.name)), ("disabled", .bool(a.disabled)),
                             ("roles", .array(a.assignments.map(JSON.string))), ("createdAt", .string(a.createdAt))])
                }).rendered())
            case .text:
                for a in list {
                    print("\(a.email)  \(a.name)  \(a.assignments.isEmpty ? "aucun rôle" : a.assignments.joined(separator: ", "))\(a.disabled ? "  (désactivé)" : "")")
                }
                if list.isEmpty { print("aucun compte") }
            }
        }
    }
}

struct UsersToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Crée un jeton d'API, affiché une seule fois sur la dernière ligne (seule son empreinte est gardée)."
    )

    @Argument(help: "Adresse électronique du compte.") var email: String
    @Option(help: "Libellé du jeton (à quoi il sert).") var label: String = "jeton d'API"
    @Option(help: "Durée de validité, en jours.") var days: Int = 90
    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            let token = try await accounts(store) { try await $0.token(email, label: label, days: days) }
            print("Jeton d'API de \(email.lowercased()), valable \(days) jours, affiché une seule fois :")
            print(token)
        }
    }
}
