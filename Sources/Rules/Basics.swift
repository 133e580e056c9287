import Foundation

/// Money is integer cents, never `Double`.
public typealias Cents = Int

public enum Money {
    /// French format with a space as thousands separator: `98900000` → `989 000 €`, `12345` → `123,45 €`.
    public static func format(_ cents: Cents) -> String {
        // Written right to left into one buffer: this runs for every line of every explanation.
        String(unsafeUninitializedCapacity: 40) { buffer in
            var i = 40
            func put(_ byte: UInt8) { i -= 1; buffer[i] = byte }
            // " €" in UTF-8
            put(0xAC); put(0x82); put(0xE2); put(UInt8(ascii: " "))
            let magnitude = cents.magnitude
            let rest = magnitude % 100
            if rest != 0 {
                put(UInt8(ascii: "0") + UInt8(rest % 10)); put(UInt8(ascii: "0") + UInt8(rest / 10)); put(UInt8(ascii: ","))
            }
            var units = magnitude / 100, n = 0
            repeat {
                if n > 0, n % 3 == 0 { put(UInt8(ascii: " ")) }
                put(UInt8(ascii: "0") + UInt8(units % 10))
                units /= 10; n += 1
            } while units > 0
            if cents < 0 { put(UInt8(ascii: "-")) }
            let count = 40 - i
            for k in 0..<count { buffer[k] = buffer[i + k] }
            return count
        }
    }

    /// `1234567` → `1 234 567`.
    public static func groupThousands(_ value: UInt) -> String {
        let text = format(Cents(value) * 100)
        return String(text.dropLast(2))
    }
}

/// The seven sectors ("couloirs") of the programme [000], [001].
public enum Sector: String, CaseIterable, Sendable, Hashable {
    case PA, PH, DOM, PDS, PDE, AHI, PJM

    /// PA, PH and DOM form the medico-social field; PDS, PDE, AHI and PJM the social field [004], [003] Q17.
    public var isMedicoSocial: Bool { self == .PA || self == .PH || self == .DOM }

    public var label: String {
        switch self {
        case .PA: return "personnes âgées"
        case .PH: return "personnes handicapées"
        case .DOM: return "domicile"
        case .PDS: return "personnes en difficultés spécifiques"
        case .PDE: return "protection de l'enfance"
        case .AHI: return "accueil, hébergement, insertion"
        case .PJM: return "protection juridique des majeurs"
        }
    }
}

extension CalendarDate {
    /// The Gregorian calendar of Europe/Paris, made once (a time zone lookup costs more than a request).
    static let paris: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris") ?? .gmt
        return calendar
    }()

    /// The day an instant falls on in Europe/Paris, the calendar of the rules (the caller reads the clock).
    public init(parisDayOf instant: Date) {
        let c = Self.paris.dateComponents([.year, .month, .day], from: instant)
        year = c.year ?? 1970
        month = c.month ?? 1
        day = c.day ?? 1
    }
}

/// A calendar date of the rules, in Europe/Paris: no time, no time zone.
public struct CalendarDate: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    public init?(iso text: String) {
        var text = text
        guard let parsed = text.withUTF8({ b -> (Int, Int, Int)? in
            guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var v = 0
                for i in range {
                    guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                    v = v * 10 + Int(b[i] - UInt8(ascii: "0"))
                }
                return v
            }
            guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
            return (y, m, d)
        }), (1...12).contains(parsed.1), parsed.2 >= 1, parsed.2 <= CalendarDate.daysIn(month: parsed.1, year: parsed.0) else { return nil }
        (year, month, day) = parsed
    }

    /// The day after: the start of the period that follows one ending on this day.
    public var next: CalendarDate {
        if day < CalendarDate.daysIn(month: month, year: year) { return CalendarDate(year, month, day + 1) }
        return month < 12 ? CalendarDate(year, month + 1, 1) : CalendarDate(year + 1, 1, 1)
    }

    init(_ year: Int, _ month: Int, _ day: Int) { self.year = year; self.month = month; self.day = day }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The day of a day number (`civil_from_days`).
    public init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The day `days` later (earlier when negative).
    public func adding(days: Int) -> CalendarDate { CalendarDate(dayNumber: dayNumber + days) }

    /// 0 for Monday … 6 for Sunday (1970-01-01 was a Thursday).
    public var weekday: Int { ((dayNumber + 3) % 7 + 7) % 7 }

    /// The first day of the month.
    public var firstOfMonth: CalendarDate { CalendarDate(year, month, 1) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// ISO 8601: `2022-05-17`.
    public var description: String {
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(pad(month))-\(pad(day))"
    }

    /// French: `17/05/2022`.
    public var french: String {
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(pad(day))/\(pad(month))/\(year)"
    }
}
