import Foundation
import Hummingbird
import NIOCore

/// Pages as PDF (`dossiers.md`: the decision letter and the convention « as a page and as PDF »):
/// the page's HTML rendered by WeasyPrint (Debian's `weasyprint`, which `.ci/run` installs) with
/// the site's stylesheet, print rules included. Nothing is written outside a temporary directory,
/// removed afterwards.
enum PDF {
    static let executable = ["/usr/bin/weasyprint", "/usr/local/bin/weasyprint"].first { FileManager.default.isExecutableFile(atPath: $0) }

    enum Failure: Error, CustomStringConvertible {
        case unavailable
        case failed(String)

        var description: String {
            switch self {
            case .unavailable: return "génération PDF indisponible sur ce serveur : weasyprint absent (apt-get install weasyprint)"
            case let .failed(reason): return "génération PDF en échec : \(reason)"
            }
        }
    }

    /// The PDF of an HTML page.
    static func render(_ html: String) async throws -> [UInt8] {
        guard let executable else { throw Failure.unavailable }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("esms-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("page.html"), output = directory.appendingPathComponent("page.pdf")
        let css = directory.appendingPathComponent("site.css")
        try Data(html.utf8).write(to: input)
        try (StaticFile.cache["Assets/site.css"] ?? Data()).write(to: css)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--quiet", "--stylesheet", css.path, "--base-url", directory.path, input.path, output.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: Failure.failed("\(error)")) }
        }
        guard status == 0, let data = FileManager.default.contents(atPath: output.path), data.starts(with: Array("%PDF".utf8)) else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile().prefix(300), as: UTF8.self)
            throw Failure.failed("code \(status) \(message)")
        }
        return [UInt8](data)
    }

    /// The response: the PDF as an attachment, or a French page saying why there is none.
    static func response(_ html: String, filename: String) async -> Response {
        do {
            let bytes = try await render(html)
            return Response(status: .ok, headers: [.contentType: "application/pdf", .contentDisposition: "attachment; filename=\"\(filename)\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch {
            return ErrorPage(heading: "PDF indisponible", sentence: Show.sentenceCase("\(error)") + ".").response(status: .serviceUnavailable)
        }
    }
}
