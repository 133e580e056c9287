import NIOPosix
import Rules

/// Work that must not hold an event loop — bcrypt, an export of thousands of rows, an uploaded
/// file — on NIO's thread pool: `esms serve` runs the handlers on its event loops (`Entry.swift`),
/// where other requests wait while such work runs.
public func offEventLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}

extension MeasuresFile {
    /// `parse` off the event loops (a file of up to 2 Mio); its refusal thrown as is.
    public static func parseOffEventLoop(_ text: String, file: String, establishments: Set<String>) async throws -> [MonthlyMeasure] {
        try await offEventLoop { try parse(text, file: file, establishments: establishments) }
    }
}
