import ArgumentParser
import Foundation
import Rules
import Store

/// `esms simulate FILE|-`: one project in, its assessment out (`shared/spec/simulation.md`).
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Évalue un projet (JSON) selon les règles de sa campagne.",
        discussion: """
        Lit un projet au format JSON (fichier, ou - pour l'entrée standard) et imprime son évaluation :
        recevabilité, instruction, montants, versements, Prestation Ségur et explication, chaque règle
        citant sa source. Les établissements donnés par leur seul numéro FINESS ET sont complétés depuis
        le registre (esms finess import). Code de sortie 0 quand le projet est évalué, même non
        recevable ; 1 quand l'entrée ne peut pas être évaluée, avec un message qui nomme le champ.
        """
    )

    @Argument(help: "Fichier JSON du projet, ou - pour l'entrée standard.")
    var file: String

    @Option(help: "Format de sortie : json ou text.")
    var format: OutputFormat = .json

    @OptionGroup var store: StoreOptions
    @OptionGroup var campaigns: CampaignOptions

    func run() async throws {
        try await reporting {
            let text = try readInput(file)
            let runner = SimulationRunner(engine: Engine(catalogue: try campaigns.catalogue()))
            let project = try await store.project(try runner.parse(text))
            print(runner.render(try runner.evaluate(project, on: try UsageReportCommand.today()), format: format), terminator: "")
        }
    }
}

/// The evaluation behind the command, the API and the pages: text in, rendered assessment out.
public struct SimulationRunner: Sendable {
    public let engine: Engine

    public init(engine: Engine = Engine()) { self.engine = engine }

    public func parse(_ text: String) throws(UserFacingError) -> JSON {
        do { return try JSON.parse(text) } catch { throw UserFacingError(error.description) }
    }

    public func assess(_ json: JSON) throws(UserFacingError) -> Assessment {
        let project: Project
        do { project = try Project.decode(json) } catch { throw UserFacingError(error.description) }
        return try evaluate(project)
    }

    /// `date`: the day of the simulation, whose campaign values apply unless the project has a filing date.
    func evaluate(_ project: Project, on date: CalendarDate? = nil) throws(UserFacingError) -> Assessment {
        do { return try engine.assess(project, on: date) } catch { throw UserFacingError("\(error.path) : \(error.description)") }
    }

    public func render(_ assessment: Assessment, format: OutputFormat) -> String {
        switch format {
        case .json: return assessment.json.rendered() + "\n"
        case .text: return assessment.text
        }
    }

    public func simulate(_ text: String, format: OutputFormat) throws(UserFacingError) -> String {
        render(try assess(try parse(text)), format: format)
    }
}
