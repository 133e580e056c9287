import ArgumentParser
import Foundation
import Rules
import Store

/// The commands of this module, in the order of `esms --help`; the executable adds `serve` (and
/// `bench serve`), which need the server module.
public enum CommandList {
    public static let commands: [any ParsableCommand.Type] = [Simulate.self, Campaigns.self, Finess.self, Usage.self, Users.self, Audit.self, DUICommand.self]
    /// `esms bench simulate`, `import`, `usage`.
    public static let benchmarks: [any ParsableCommand.Type] = [BenchSimulate.self, BenchImport.self, BenchUsage.self]
}

public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case json, text
}

/// `--database`: the store, else `ESMS_DATABASE_URL`, else `esms.sqlite` here (`shared/spec/registry.md`).
struct StoreOptions: ParsableArguments {
    @Option(help: "Base de données : chemin SQLite, sqlite:///chemin ou postgres://utilisateur:motdepasse@hôte:port/base (défaut : ESMS_DATABASE_URL, sinon esms.sqlite).")
    var database: String?

    func location() throws -> DatabaseLocation {
        do { return try DatabaseLocation.resolve(flag: database) } catch { throw UserFacingError("\(error)") }
    }

    /// Opens the store; with `mustExist`, an absent SQLite file is an error (`missing` says what to
    /// do) rather than a new empty base.
    static let noRegistry = "importez d'abord le registre (esms finess import FICHIER…)"

    func open(mustExist: Bool = false, missing: String = StoreOptions.noRegistry) async throws -> Store {
        let location = try location()
        if mustExist, case let .sqlite(path) = location, !FileManager.default.fileExists(atPath: path) {
            throw UserFacingError("base \(path) absente : \(missing)")
        }
        do { return try await Store.open(location) } catch { throw UserFacingError("\(error)") }
    }

    /// Runs `body` with the store open, and closes it whatever happens.
    /// The project of a JSON input, completed from this store's registry when it needs it
    /// (the store is opened only then).
    func project(_ json: JSON) async throws -> Project {
        do {
            return try await ProjectCompletion.project(json) { complete in
                try await with(mustExist: true) { try await complete(FinessRepository(store: $0)) }
            }
        } catch let e as InputError { throw UserFacingError(e.description) }
    }

    func with<T>(mustExist: Bool = false, missing: String = StoreOptions.noRegistry, _ body: (Store) async throws -> T) async throws -> T {
        let store = try await open(mustExist: mustExist, missing: missing)
        do {
            let result = try await body(store)
            try? await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// A failure the user can act on: one French message on standard error, a non-zero exit.
public struct UserFacingError: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32
    public init(_ message: String, exitCode: Int32 = 1) { self.message = message; self.exitCode = exitCode }
    public var description: String { message }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("esms : \(message)\n".utf8))
}

/// Runs a command body; a `UserFacingError` prints its message to standard error and exits with its code.
public func reporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as UserFacingError {
        printError(error.message)
        throw ExitCode(error.exitCode)
    }
}

/// Reads a file, or standard input for `-`, as bytes.
func readBytes(_ path: String) throws -> Data {
    if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    guard FileManager.default.fileExists(atPath: path) else { throw UserFacingError("fichier introuvable : \(path)") }
    guard let d = FileManager.default.contents(atPath: path) else { throw UserFacingError("fichier illisible : \(path)") }
    return d
}

/// Reads a file, or standard input for `-`, as UTF-8 text.
func readInput(_ path: String) throws -> String {
    let data = try readBytes(path)
    guard let text = String(data: data, encoding: .utf8) else {
        throw UserFacingError("\(path == "-" ? "l'entrée standard" : path) n'est pas un texte UTF-8 valide")
    }
    return text
}

/// `--campaigns DIR`: the campaign files an ARS adds (its call: windows, envelope, priorities),
/// loaded beside the shipped ones and validated as they are; a bad file stops the command with
/// the file, the parameter and the reason.
public struct CampaignOptions: ParsableArguments {
    @Option(help: "Dossier de fichiers de campagne (*.json) à ajouter aux campagnes livrées, validés comme elles.")
    public var campaigns: String?

    public init() {}

    public func catalogue() throws(UserFacingError) -> CampaignCatalogue {
        guard let campaigns else { return .bundled }
        let directory = URL(fileURLWithPath: campaigns)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw UserFacingError("--campaigns \(campaigns) : dossier illisible ou absent")
        }
        guard !names.isEmpty else { throw UserFacingError("--campaigns \(campaigns) : aucun fichier .json") }
        var files: [(name: String, text: String)] = []
        for name in names {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path),
                  let text = String(data: data, encoding: .utf8) else {
                throw UserFacingError("--campaigns \(campaigns) : \(name) illisible (UTF-8 attendu)")
            }
            files.append((name, text))
        }
        do { return try CampaignCatalogue.withAdded(files) } catch {
            throw UserFacingError("--campaigns \(campaigns) : \(error.description)")
        }
    }
}
