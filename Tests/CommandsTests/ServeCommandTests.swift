import Foundation
import Rules
import Testing

/// `esms serve` as deployed: the built binary, whose handlers run on SwiftNIO's event loops
/// (`Entry.swift`), bcrypt on NIO's thread pool. The other web tests call the router in process,
/// on Swift's own executor; this one checks the server that people reach.
@Suite("esms serve")
struct ServeCommandTests {
    @Test func answersSimulationsSignInsAndPagesThenStopsOnSIGTERM() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("esms-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("esms.sqlite").path
        let added = try runESMS(["users", "add", "og@example.fr", "--name", "Porteur", "--role", "porteur:310000013", "--password-stdin",
                                 "--database", database], stdin: "un mot de passe assez long\n")
        #expect(added.status == 0)

        guard let binary = esmsExecutable() else { return }
        let port = 18_500 + Int.random(in: 0..<400)
        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--port", "\(port)", "--database", database, "--no-demo", "--log-level", "warning"]
        server.currentDirectoryURL = packageRoot
        server.standardOutput = FileHandle.nullDevice
        let errors = directory.appendingPathComponent("serve.log")
        #expect(FileManager.default.createFile(atPath: errors.path, contents: nil))
        server.standardError = try FileHandle(forWritingTo: errors)
        try server.run()
        defer { if server.isRunning { server.terminate() } }

        let base = "http://127.0.0.1:\(port)"
        var up = false
        for _ in 0..<100 where !up {
            up = try curl(["\(base)/health"]).status == "200"
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(up, "le serveur ne répond pas : \(String(decoding: FileManager.default.contents(atPath: errors.path) ?? Data(), as: UTF8.self))")

        // Twenty simulations at once, through the fast reader, each answered whole.
        let example = packageRoot.appendingPathComponent("examples/acquisition-46-occitanie.json").path
        let simulations = try curl(["--parallel", "--parallel-max", "20", "-H", "Content-Type: application/json", "--data-binary", "@\(example)"]
                                   + Array(repeating: "\(base)/api/v1/simulations", count: 20))
        #expect(simulations.status == String(repeating: "200", count: 20))
        #expect(simulations.body.components(separatedBy: "\"outcome\":\"recevable\"").count == 21)

        // A sign-in: bcrypt on NIO's thread pool, the answer from the event loop.
        let signIn = try curl(["-H", "Content-Type: application/json", "--data", #"{"email":"og@example.fr","password":"un mot de passe assez long"}"#,
                               "\(base)/api/v1/sessions"])
        #expect(signIn.status == "201")
        #expect(signIn.body.contains("\"token\":\"esmss_"))
        let wrong = try curl(["-H", "Content-Type: application/json", "--data", #"{"email":"inconnu@example.fr","password":"pas le bon mot de passe"}"#,
                              "\(base)/api/v1/sessions"])
        #expect(wrong.status == "401")
        #expect(try curl(["\(base)/campagnes"]).body.contains("<h1"))

        server.terminate()
        let deadline = Date().addingTimeInterval(10)
        while server.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.isRunning, "le serveur ne s'arrête pas sur SIGTERM")
        #expect(server.terminationStatus == 0)
    }

    /// curl's answer: the status of each response, one after the other, and the bodies.
    func curl(_ arguments: [String]) throws -> (status: String, body: String) {
        let marker = "\u{1F}status:"
        let run = try runProcess("/usr/bin/curl", ["-s", "-w", "\(marker)%{http_code}\(marker)"] + arguments)
        let parts = run.components(separatedBy: marker)
        var status = "", body = ""
        for (index, part) in parts.enumerated() { if index % 2 == 1 { status += part } else { body += part } }
        return (status, body)
    }

    func runProcess(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
