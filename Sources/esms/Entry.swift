import ArgumentParser
import Commands
import Foundation
import NIOCore
import NIOPosix
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
        // A server's handlers run on its event loops: SwiftNIO's threads become Swift's global
        // executor, as Vapor's template does, so that a request no longer hops from an event loop to
        // the cooperative pool and back (#9: a third more simulations per second on two cores).
        // Blocking work — bcrypt, an export, waiting for a program — runs on NIO's thread pool.
        if (try? ESMS.parseAsRoot()) is ServesHTTP {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await start(ESMS.self)
    }

    /// Through the protocol, so that the asynchronous `main` of `AsyncParsableCommand` runs.
    static func start<Command: AsyncParsableCommand>(_ command: Command.Type) async {
        await command.main(nil)
    }
}

/// The commands that run the HTTP server (`serve`, `bench serve`): they take SwiftNIO's event loops
/// as Swift's global executor.
protocol ServesHTTP {}
