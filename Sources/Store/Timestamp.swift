import Foundation

/// The store's timestamps: ISO 8601 in UTC to the second (`2026-11-25T15:02:11Z`), or to the
/// millisecond where order within a second matters. Written and read by Foundation's
/// `ISO8601FormatStyle`, a value made once — the same text `ISO8601DateFormatter` gives (a test
/// compares them), without making a formatter at each call.
public enum Timestamp {
    static let seconds = Date.ISO8601FormatStyle()
    static let milliseconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func now() -> String { string(Date()) }

    public static func string(_ date: Date) -> String { seconds.format(date) }

    /// To the millisecond: `2026-11-25T15:02:11.042Z`.
    public static func preciseNow() -> String { milliseconds.format(Date()) }

    /// A timestamp read back (a millisecond one too); nil for any other text.
    public static func date(_ text: String) -> Date? { try? seconds.parse(text) }
}
