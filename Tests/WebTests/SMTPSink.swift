import Foundation
import Rules

/// The loopback SMTP server of `scripts/smtp-sink.py` (aiosmtpd): STARTTLS, a client certificate
/// required, every accepted message written to its directory. Stopped when the test ends.
final class SMTPSink: @unchecked Sendable {
    let directory: String
    let port: Int
    let ca: String
    let clientCertificate: String
    let clientKey: String
    private let process: Process
    private let input: Pipe

    init(failData: Int = 0, reject: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("esms-smtp-\(UUID().uuidString)").path
        let python = ProcessInfo.processInfo.environment["ESMS_TEST_PYTHON"]
            ?? (FileManager.default.fileExists(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/smtp-sink.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: python.hasPrefix("/") ? python : "/usr/bin/env")
        var arguments = python.hasPrefix("/") ? [] : [python]
        arguments += [script, directory, "--fail-data", String(failData)]
        if let reject { arguments += ["--reject", reject] }
        process.arguments = arguments
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        guard let json = try? JSON.parse(bytes: Array(line)), case let .number(port)? = json["port"], let number = Int(port), case let .string(ca)? = json["ca"],
              case let .string(certificate)? = json["clientCertificate"], case let .string(key)? = json["clientKey"] else {
            process.terminate()
            throw TestFailure("le serveur SMTP de test n'a pas démarré (python3-aiosmtpd et openssl installés ?) : \(String(decoding: line, as: UTF8.self))")
        }
        self.port = number; self.ca = ca; self.clientCertificate = certificate; self.clientKey = key
    }

    /// The messages received: the raw message and its envelope, in order.
    func received() throws -> [(message: String, envelope: JSON)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let base = "\(directory)/\(name.dropLast(5))"
            let envelope = try JSON.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))))
            return (String(decoding: try Data(contentsOf: URL(fileURLWithPath: base + ".eml")), as: UTF8.self), envelope)
        }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { if process.isRunning { process.terminate() } }
}
