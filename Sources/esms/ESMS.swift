import ArgumentParser
import Commands

/// `esms`: the command line of the ESMS numérique platform.
struct ESMS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "esms",
        abstract: "Programme ESMS numérique : règles, simulation et suivi des projets.",
        subcommands: [Serve.self] + CommandList.commands + [Bench.self]
    )
}

/// `esms bench`: the performance figures the issues ask for, printed, never asserted by tests.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mesures de performance (à lancer en build release).",
        subcommands: CommandList.benchmarks + [BenchServe.self, BenchInstruction.self, BenchDashboard.self, BenchDUI.self]
    )
}
