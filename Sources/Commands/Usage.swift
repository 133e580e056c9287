import ArgumentParser
import Foundation
import Rules
import Store

/// `esms usage report`: the five indicators and the solde decision (`shared/spec/usage.md`).
struct Usage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Indicateurs d'usage et décision sur le solde.",
        subcommands: [UsageReportCommand.self, UsageImportCommand.self]
    )
}

public enum UsageFormat: String, ExpressibleByArgument, CaseIterable { case json, text, csv }

struct UsageReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Calcule les taux mois par mois, établissement par établissement, et la décision sur le solde.",
        discussion: "Le fichier projet est celui de esms simulate, avec commitmentDate, et en option vsrDate et expenses. Un fichier de mesures dont une ligne est mauvaise est refusé entier, chaque ligne en cause listée avec son numéro, sa colonne et la raison."
    )

    @Option(help: "Fichier JSON du projet (contrat de simulation + dates).")
    var project: String

    @Option(help: "Fichier CSV des mesures mensuelles.")
    var measures: String

    @Option(help: "Date de référence AAAA-MM-JJ (défaut : ESMS_TODAY, sinon aujourd'hui, Europe/Paris).")
    var asOf: String?

    @Option(help: "Format de sortie : json, text ou csv.")
    var format: UsageFormat = .json

    @OptionGroup var store: StoreOptions
    @OptionGroup var campaigns: CampaignOptions

    /// Today in Europe/Paris, or the day `ESMS_TODAY` names (trials, replays).
    static func today() throws(UserFacingError) -> CalendarDate {
        guard let text = ProcessInfo.processInfo.environment["ESMS_TODAY"], !text.isEmpty else { return CalendarDate(parisDayOf: Date()) }
        guard let day = CalendarDate(iso: text) else { throw UserFacingError("ESMS_TODAY : date attendue au format AAAA-MM-JJ, trouvé « \(Limits.quote(text)) »") }
        return day
    }

    func run() async throws {
        try await reporting {
            let date: CalendarDate
            if let asOf {
                guard let d = CalendarDate(iso: asOf) else { throw UserFacingError("--as-of : date attendue au format AAAA-MM-JJ") }
                date = d
            } else {
                date = try Self.today()
            }
            let runner = UsageRunner(engine: Engine(catalogue: try campaigns.catalogue()))
            let projectJSON = try SimulationRunner().parse(try readInput(project))
            let report = try runner.report(projectJSON: projectJSON, project: try await store.project(projectJSON), measures: try readInput(measures), measuresFile: measures, asOf: date)
            print(runner.render(report, format), terminator: "")
        }
    }
}

struct UsageImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Enregistre les mesures mensuelles d'un projet dans la base, en une transaction.",
        discussion: "Les mêmes valeurs pour le même ESSMS et le même mois ne changent rien ; une correction remplace la valeur précédente, et l'historique garde qui a changé quoi, quand, et depuis quel fichier."
    )

    @Option(help: "Fichier JSON du projet : les mesures doivent porter sur ses établissements.")
    var project: String

    @Option(help: "Fichier CSV des mesures mensuelles.")
    var measures: String

    @Option(help: "Auteur de l'import (défaut : l'utilisateur du système).")
    var by: String?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            let json = try SimulationRunner().parse(try readInput(project))
            let author = by ?? ProcessInfo.processInfo.environment["USER"] ?? "inconnu"
            let counts = try await store.with { store -> UsageRepository.ImportCounts in
                let project: Project
                do {
                    project = try await ProjectCompletion.project(json) { complete in try await complete(FinessRepository(store: store)) }
                } catch let e as InputError { throw UserFacingError(e.description) }
                let rows: [MonthlyMeasure]
                do {
                    rows = try MeasuresFile.parse(try readInput(measures), file: measures, establishments: Set(project.establishments.compactMap(\.finessET)))
                } catch let e as MeasuresFile.Refused { throw UserFacingError(e.description) }
                return try await UsageRepository(store: store).importMeasures(rows, by: author, source: measures)
            }
            print("Mesures enregistrées par \(author) : \(counts.added) ajoutées, \(counts.replaced) corrigées (historique conservé), \(counts.unchanged) inchangées")
        }
    }
}

/// Reads a project and its measures and computes the report: the command, the benchmark and the
/// web page share it.
public struct UsageRunner: Sendable {
    public let engine: Engine

    public init(engine: Engine = Engine()) { self.engine = engine }

    /// `project` is the typed project of `projectJSON` (`StoreOptions.project`); the dates are read from the JSON.
    public func report(projectJSON: JSON, project: Project, measures: String, measuresFile: String, asOf: CalendarDate) throws(UserFacingError) -> UsageReport {
        let usage: UsageProject
        do { usage = try UsageProject.dates(projectJSON, project: project) } catch { throw UserFacingError(error.description) }
        let ets = Set(usage.project.establishments.compactMap(\.finessET))
        let rows: [MonthlyMeasure]
        do { rows = try MeasuresFile.parse(measures, file: measuresFile, establishments: ets) } catch { throw UserFacingError(error.description) }
        do { return try engine.usageReport(usage, measures: rows, asOf: asOf) } catch { throw UserFacingError(error.description) }
    }

    public func render(_ report: UsageReport, _ format: UsageFormat) -> String {
        switch format {
        case .json: return report.json.rendered() + "\n"
        case .text: return report.text
        case .csv: return report.csv
        }
    }
}
