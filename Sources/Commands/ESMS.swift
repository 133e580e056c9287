import ArgumentParser
import Foundation
import Rules

/// `esms`: the command line of the ESMS numérique platform.
public struct ESMS: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "esms",
        abstract: "Programme ESMS numérique : règles, simulation et suivi des projets.",
        subcommands: [Simulate.self, Campaigns.self, Bench.self]
    )

    public init() {}
}

public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case json, text
}

/// A failure the user can act on: one French message on standard error, a non-zero exit.
public struct UserFacingError: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32
    public init(_ message: String, exitCode: Int32 = 1) { self.message = message; self.exitCode = exitCode }
    public var description: String { message }
}

/// Runs a command body; a `UserFacingError` prints its message to standard error and exits with its code.
func reporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as UserFacingError {
        FileHandle.standardError.write(Data("esms : \(error.message)\n".utf8))
        throw ExitCode(error.exitCode)
    }
}

/// Reads a file, or standard input for `-`, as UTF-8 text.
func readInput(_ path: String) throws -> String {
    let data: Data
    if path == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        guard FileManager.default.fileExists(atPath: path) else { throw UserFacingError("fichier introuvable : \(path)") }
        guard let d = FileManager.default.contents(atPath: path) else { throw UserFacingError("fichier illisible : \(path)") }
        data = d
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw UserFacingError("\(path == "-" ? "l'entrée standard" : path) n'est pas un texte UTF-8 valide")
    }
    return text
}
