import ArgumentParser
import Foundation
import Rules
import Store

/// `esms audit verify|show` (`access.md`, « The audit log »).
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Le journal d'audit scellé : vérifier sa chaîne, lire ses événements.",
        subcommands: [AuditVerify.self, AuditShow.self]
    )
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recalcule l'empreinte de chaque événement : code 0 si la chaîne est intègre, 1 en nommant le premier événement rompu."
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            let result = try await store.with(mustExist: true, missing: "aucun journal à vérifier (vérifiez --database ou ESMS_DATABASE_URL)") { try await AuditLog(store: $0).verify() }
            if let broken = result.broken {
                throw UserFacingError("chaîne rompue à l'événement \(broken.id) : \(broken.reason)")
            }
            print("\(result.events) événement\(result.events > 1 ? "s" : ""), chaîne intègre")
        }
    }
}

struct AuditShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Les événements du journal, les plus anciens d'abord, filtrés par objet, auteur ou date."
    )

    @Option(help: "Objet (user:EMAIL, dossier:ID…).")
    var object: String?

    @Option(help: "Auteur de l'événement (email, ou system).")
    var actor: String?

    @Option(help: "Depuis ce jour (AAAA-MM-JJ, UTC).")
    var since: String?

    @Option(help: "Format de sortie : json ou text.")
    var format: OutputFormat = .text

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            var day: CalendarDate? = nil
            if let since {
                guard let d = CalendarDate(iso: since) else { throw UserFacingError("--since : date attendue au format AAAA-MM-JJ, trouvé « \(Limits.quote(since)) »") }
                day = d
            }
            let events = try await store.with(mustExist: true, missing: "aucun journal à lire (vérifiez --database ou ESMS_DATABASE_URL)") { try await AuditLog(store: $0).events(object: object, actor: actor, since: day) }
            switch format {
            case .json:
                print(JSON.array(events.map(\.json)).rendered())
            case .text:
                for e in events {
                    let details = e.details == .object([]) ? "" : " " + e.details.rendered(indent: false)
                    print("\(e.id)  \(e.at)  \(e.actor)  \(e.action)  \(e.object)  \(e.outcome == .success ? "succès" : "échec")\(e.remote.map { "  depuis \($0)" } ?? "")\(details)")
                }
                if events.isEmpty { print("aucun événement") }
            }
        }
    }
}
