import Foundation
import Store
import Testing

/// The store's timestamps are the text `ISO8601DateFormatter` wrote before them (the stored rows,
/// sorted and compared as text, stay in order), and read back.
@Suite("Horodatages du magasin")
struct TimestampTests {
    @Test func theSameTextAsISO8601DateFormatterAndReadBack() {
        let formatter = ISO8601DateFormatter()
        let precise = ISO8601DateFormatter()
        precise.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // The epoch, a leap day, the end of a year, before 1970, far ahead, and a run of instants of today.
        let landmarks: [Double] = [0, 951_782_400, 1_798_761_599, -946_728_000, 4_102_444_800]
        let run: [Double] = (0..<1_000).map { (k: Int) -> Double in 1_795_600_000 + Double(k) * 7_777.123 }
        let seconds = landmarks + run
        for s in seconds {
            let date = Date(timeIntervalSince1970: s)
            #expect(Timestamp.string(date) == formatter.string(from: date), "\(s)")
            #expect(Timestamp.date(Timestamp.string(date)) == formatter.date(from: formatter.string(from: date)), "\(s)")
        }
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_795_600_000)) == "2026-11-25T09:46:40Z")
        #expect(Timestamp.date("2026-11-25T09:46:40Z") == Date(timeIntervalSince1970: 1_795_600_000))
        // A millisecond timestamp is read too (where ISO8601DateFormatter gave nil, so that a page
        // printed it raw); a bare day or any other text is not a timestamp.
        #expect(Timestamp.date("2026-11-25T09:46:40.123Z").map { ($0.timeIntervalSince1970 * 1000).rounded() } == 1_795_600_000_123)
        #expect(Timestamp.date("2026-11-25") == nil && Timestamp.date("hier") == nil)
        let now = Timestamp.preciseNow()
        #expect(now.count == 24 && now.hasSuffix("Z") && precise.date(from: now) != nil)
    }
}
