import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Rules
import Commands
import Store
import Web

/// `esms serve`: the JSON API and the French pages.
struct Serve: AsyncParsableCommand, ServesHTTP {
    static let configuration = CommandConfiguration(
        abstract: "Démarre le serveur : API JSON (openapi.yaml) et pages web en français.",
        discussion: "Par défaut sur 127.0.0.1:8080 avec la base SQLite esms.sqlite ; importe le registre FINESS de démonstration si le registre est vide et crée un compte de démonstration par rôle si la base n'en a aucun (identifiants affichés une fois). Arrêt propre sur SIGINT ou SIGTERM."
    )

    @Option(help: "Adresse d'écoute (défaut : ESMS_HOST, sinon 127.0.0.1).")
    var host: String?

    @Option(help: "Port (défaut : ESMS_PORT, sinon 8080).")
    var port: String?

    @Option(help: "Base de données (défaut : ESMS_DATABASE_URL, sinon esms.sqlite).")
    var database: String?

    @Option(help: "Niveau de journal : trace, debug, info, notice, warning, error, critical (défaut : ESMS_LOG_LEVEL, sinon info).")
    var logLevel: String?

    @OptionGroup var campaigns: CampaignOptions

    @Flag(help: "Ne pas importer le registre de démonstration ni créer les comptes de démonstration, même si la base est vide.")
    var noDemo = false

    func run() async throws {
        try await reporting {
            let configuration: ServerConfiguration
            do {
                configuration = try ServerConfiguration.resolve(host: host, port: port, database: database, logLevel: logLevel, demo: !noDemo)
            } catch { throw UserFacingError("\(error)") }
            if let problem = ShippedTemplates.problem { throw UserFacingError("gabarits des pages illisibles : \(problem)") }
            let catalogue = try campaigns.catalogue()
            var logger = Logger(label: "esms")
            logger.logLevel = configuration.logLevel
            let store: Store
            do { store = try await Store.open(configuration.database) } catch { throw UserFacingError("\(error)") }
            if configuration.demo, try await DemoRegistry.importIfEmpty(into: store) {
                logger.info("registre FINESS vide : registre de démonstration importé")
            }
            if configuration.demo, try await DemoDUI.createIfEmpty(in: store, today: configuration.today ?? CalendarDate(parisDayOf: Date())) > 0 {
                logger.info("DUI de démonstration créé : 40 personnes fictives accompagnées à l'EHPAD \(DemoDUI.establishment) (une année de dossiers) et 3 demandes d'admission en attente")
            }
            if configuration.demo {
                let accounts = try await DemoAccounts.createIfNone(in: store)
                if !accounts.isEmpty {
                    // On standard output, once, never in the log (written at once, not buffered).
                    var text = "Comptes de démonstration créés (mots de passe affichés une seule fois) :\n"
                    for a in accounts {
                        text += "  \(a.email)  \(a.password)  \(a.roles)\n"
                        if let url = a.otpauthURL { text += "    second facteur (TOTP) : \(url)\n" }
                    }
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            }
            if let today = configuration.today {
                logger.warning("ESMS_TODAY=\(today) : le serveur prend cette date pour aujourd'hui (essai ou rejeu), pas la date réelle")
            }
            logger.info("esms sur http://\(configuration.host):\(configuration.port) — base \(configuration.database)")
            let site = Site(store: store, engine: Engine(catalogue: catalogue), today: configuration.today, requireSecondFactor: configuration.requireSecondFactor,
                                                         publicURL: configuration.publicURL, dmpOutbox: configuration.dmpOutbox, mssante: configuration.mssante)
            let app = buildApplication(site: site, configuration: configuration, logger: logger)
            // The MSSanté queue: the sendings to retry, at start and every 30 seconds.
            let queue = Task { [logger] in await site.mssanteSender?.run(logger: logger) }
            do {
                try await app.runService()
            } catch {
                queue.cancel()
                try? await store.close()
                throw UserFacingError("le serveur s'est arrêté : \(error)")
            }
            queue.cancel()
            await queue.value
            try? await store.close()
        }
    }
}
