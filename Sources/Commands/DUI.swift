import ArgumentParser
import Foundation
import Rules
import Store

/// `esms dui measures`: an establishment's monthly measures computed from its DUI records
/// (`shared/spec/dui.md`), as the `usage.md` CSV that `esms usage report` reads.
struct DUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dui",
        abstract: "Dossier usager informatisé : mesures calculées depuis les dossiers.",
        subcommands: [DUIMeasuresCommand.self]
    )
}

struct DUIMeasuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measures",
        abstract: "Imprime les mesures mensuelles d'un établissement au format CSV de usage.md (les définitions sur la sortie d'erreur).",
        discussion: "Seules les lignes CSV vont sur la sortie standard, pour être lues telles quelles par esms usage report --measures."
    )

    @Option(help: "Numéro FINESS ET de l'établissement.")
    var essms: String

    @Option(help: "Premier mois, AAAA-MM.")
    var from: String

    @Option(help: "Dernier mois, AAAA-MM (240 mois au plus après le premier).")
    var to: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            guard FinessNumber.isValid(essms) else { throw UserFacingError("--essms : numéro FINESS ET invalide « \(Limits.quote(essms)) »") }
            guard let first = YearMonth(iso: from) else { throw UserFacingError("--from : mois attendu au format AAAA-MM") }
            guard let last = YearMonth(iso: to) else { throw UserFacingError("--to : mois attendu au format AAAA-MM") }
            guard first <= last, last < first.adding(240) else { throw UserFacingError("--from … --to : de 1 à 240 mois") }
            let today = try UsageReportCommand.today()
            let rows = try await store.with(mustExist: true, missing: "aucune base : rien à mesurer") { store in
                try await DUIRepository(store: store, today: { today }).measures(finessET: essms, from: first, to: last)
            }
            for (column, definition) in DUIMeasures.definitions { FileHandle.standardError.write(Data("\(column) : \(definition)\n".utf8)) }
            print(MeasuresFile.csv(rows), terminator: "")
        }
    }
}
