import Foundation
import Logging
import Synchronization

/// Every log line of the test processes, captured: when `ESMS_TEST_LOG` names a file, the logging
/// system writes each record there (label, level, message, metadata), so that `.ci/run` can check
/// after the whole suite that no password, token or session identifier was ever logged.
public enum TestLogging {
    /// Bootstraps the logging system once per process (the first store a test opens).
    public static let bootstrapped: Bool = {
        guard let path = ProcessInfo.processInfo.environment["ESMS_TEST_LOG"], !path.isEmpty else { return false }
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let file = FileHandle(forWritingAtPath: path) else { return false }
        file.seekToEndOfFile()
        let sink = Sink(file: file)
        LoggingSystem.bootstrap { label in CapturingHandler(label: label, sink: sink) }
        return true
    }()

    /// The level of the tests' server loggers: every request when captured, warnings otherwise
    /// (a quiet console).
    public static var level: Logger.Level { bootstrapped ? .info : .warning }

    final class Sink: Sendable {
        let file: Mutex<FileHandle>
        init(file: FileHandle) { self.file = Mutex(file) }
        func write(_ line: String) { file.withLock { $0.write(Data((line + "\n").utf8)) } }
    }

    struct CapturingHandler: LogHandler {
        let label: String
        let sink: Sink
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            sink.write("\(label) \(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}
