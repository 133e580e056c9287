import ArgumentParser
import Commands

@main
struct Entry {
    static func main() async {
        await start(ESMS.self)
    }

    /// Through the protocol, so that the asynchronous `main` of `AsyncParsableCommand` runs.
    static func start<Command: AsyncParsableCommand>(_ command: Command.Type) async {
        await command.main(nil)
    }
}
