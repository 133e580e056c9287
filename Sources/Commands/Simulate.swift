import ArgumentParser
import Foundation
import Rules

/// `esms simulate FILE|-`: one project in, its assessment out (`shared/spec/simulation.md`).
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Évalue un projet (JSON) selon les règles de sa campagne.",
        discussion: """
        Lit un projet au format JSON (fichier, ou - pour l'entrée standard) et imprime son évaluation :
        recevabilité, instruction, montants, versements, Prestation Ségur et explication, chaque règle
        citant sa source. Code de sortie 0 quand le projet est évalué, même non recevable ; 1 quand
        l'entrée ne peut pas être évaluée, avec un message qui nomme le champ.
        """
    )

    @Argument(help: "Fichier JSON du projet, ou - pour l'entrée standard.")
    var file: String

    @Option(help: "Format de sortie : json ou text.")
    var format: OutputFormat = .json

    func run() throws {
        try reporting {
            let text = try readInput(file)
            print(try SimulationRunner().simulate(text, format: format), terminator: "")
        }
    }
}

/// The evaluation behind the command, the API and the pages: text in, rendered assessment out.
public struct SimulationRunner: Sendable {
    public let engine: Engine

    public init(engine: Engine = Engine()) { self.engine = engine }

    public func assess(_ text: String) throws(UserFacingError) -> Assessment {
        do {
            let project = try Project.decode(json: text)
            return try engine.assess(project)
        } catch let error as InputError {
            throw UserFacingError(error.description)
        } catch let error as AssessmentError {
            throw UserFacingError("\(error.path) : \(error.description)")
        } catch {
            throw UserFacingError("\(error)")
        }
    }

    public func simulate(_ text: String, format: OutputFormat) throws(UserFacingError) -> String {
        let assessment = try assess(text)
        switch format {
        case .json: return assessment.json.rendered() + "\n"
        case .text: return assessment.text
        }
    }
}
