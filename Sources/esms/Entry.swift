import ArgumentParser
import Commands
import Foundation
import Registry
import Rules

@main
struct Entry {
    static func main() async {
        // The shipped campaigns and nomenclature are read once, here: a broken installation stops
        // with a message, never in the middle of a command or a request.
        var problem: String? = nil
        if case let .failure(e) = CampaignCatalogue.shipped { problem = "campagnes livrées illisibles : \(e)" }
        if case let .failure(e) = Nomenclature.shipped { problem = "nomenclature FINESS livrée illisible : \(e)" }
        if let problem {
            FileHandle.standardError.write(Data("esms : \(problem)\n".utf8))
            exit(1)
        }
        await start(ESMS.self)
    }

    /// Through the protocol, so that the asynchronous `main` of `AsyncParsableCommand` runs.
    static func start<Command: AsyncParsableCommand>(_ command: Command.Type) async {
        await command.main(nil)
    }
}
