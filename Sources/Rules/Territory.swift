/// INSEE departments and the 18 regions (= 18 ARS), `shared/spec/finess.md` §4.2.
public struct Region: Hashable, Sendable, Comparable {
    public let code: String
    public let name: String
    /// Overseas regions and Corsica, where the thresholds are 8 instead of 15 (D1).
    public var isOverseasOrCorsica: Bool { Region.overseasOrCorsica.contains(code) }

    static let overseasOrCorsica: Set<String> = ["01", "02", "03", "04", "06", "94"]

    public static func < (a: Region, b: Region) -> Bool { a.code < b.code }
}

public struct Department: Hashable, Sendable {
    public let code: String
    /// Index of the department's region in `Territory.regions`.
    public let regionIndex: Int
    public var region: Region { Territory.regions[regionIndex] }
}

public enum Territory {
    /// The 18 regions with their departments ([finess.md] §4.2).
    public static let regions: [Region] = table.map { Region(code: $0.0, name: $0.1) }

    private static let table: [(String, String, [String])] = [
        ("84", "Auvergne-Rhône-Alpes", ["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"]),
        ("27", "Bourgogne-Franche-Comté", ["21", "25", "39", "58", "70", "71", "89", "90"]),
        ("53", "Bretagne", ["22", "29", "35", "56"]),
        ("24", "Centre-Val de Loire", ["18", "28", "36", "37", "41", "45"]),
        ("94", "Corse", ["2A", "2B"]),
        ("44", "Grand Est", ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]),
        ("32", "Hauts-de-France", ["02", "59", "60", "62", "80"]),
        ("11", "Île-de-France", ["75", "77", "78", "91", "92", "93", "94", "95"]),
        ("28", "Normandie", ["14", "27", "50", "61", "76"]),
        ("75", "Nouvelle-Aquitaine", ["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"]),
        ("76", "Occitanie", ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]),
        ("52", "Pays de la Loire", ["44", "49", "53", "72", "85"]),
        ("93", "Provence-Alpes-Côte d'Azur", ["04", "05", "06", "13", "83", "84"]),
        ("01", "Guadeloupe", ["971"]),
        ("02", "Martinique", ["972"]),
        ("03", "Guyane", ["973"]),
        ("04", "La Réunion", ["974"]),
        ("06", "Mayotte", ["976"]),
    ]

    private static let departments: [String: Department] = {
        var d: [String: Department] = [:]
        for (i, row) in table.enumerated() {
            for code in row.2 { d[code] = Department(code: code, regionIndex: i) }
        }
        return d
    }()

    /// The 101 INSEE departments of the 18 ARS.
    public static var allDepartments: [Department] { departments.values.sorted { $0.code < $1.code } }

    /// An INSEE department code (`01`…`95`, `2A`, `2B`, `971`…`974`, `976`), or nil.
    public static func department(_ code: String) -> Department? { departments[code] }

    public static func region(code: String) -> Region? { regions.first { $0.code == code } }

    /// The department of a FINESS number, from its prefix ([finess.md] §2.1): `31…` → 31,
    /// `2A…` → 2A, `9701…`→ 971 … `9704…` → 974, `9805…` → 976. Saint-Barthélemy and Saint-Martin are
    /// filed under `9701` (Guadeloupe), as D1 says. Nil for territories without an ARS.
    public static func department(ofFiness number: String) -> Department? {
        var number = number
        // The code read in place: this runs for every organisme of every assessment.
        let code: String? = number.withUTF8 { c in
            guard c.count == 9 else { return nil }
            if c[0] == UInt8(ascii: "9"), c[1] == UInt8(ascii: "7") {
                var overseas = "97"
                overseas.unicodeScalars.append(Unicode.Scalar(c[3]))
                return overseas
            }
            if c[0] == UInt8(ascii: "9"), c[1] == UInt8(ascii: "8") {
                return c[2] == UInt8(ascii: "0") && c[3] == UInt8(ascii: "5") ? "976" : nil
            }
            return String(decoding: UnsafeBufferPointer(rebasing: c[0..<2]), as: UTF8.self)
        }
        return code.flatMap { department($0) }
    }
}

/// FINESS numbers: 9 characters, `[0-9][0-9AB][0-9]{7}`, a Luhn key over the 9 characters with
/// `A` read as 1 and `B` as 2 ([finess.md] §2.2).
public enum FinessNumber {
    public enum Problem: Sendable, Equatable {
        case length, format, key

        public var french: String {
            switch self {
            case .length: return "un numéro FINESS a 9 caractères"
            case .format: return "numéro FINESS mal formé (attendu : 9 chiffres, ou 2A/2B suivi de 7 chiffres)"
            case .key: return "clé de contrôle FINESS invalide"
            }
        }
    }

    /// Nil when the number is valid; otherwise what is wrong with it.
    public static func problem(_ number: String) -> Problem? {
        var number = number
        return number.withUTF8 { c -> Problem? in
            guard c.count == 9 else { return .length }
            var sum = 0
            for i in 0..<9 {
                let b = c[8 - i]
                var d: Int
                if b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
                    d = Int(b - UInt8(ascii: "0"))
                } else if 8 - i == 1, b == UInt8(ascii: "A") {
                    d = 1
                } else if 8 - i == 1, b == UInt8(ascii: "B") {
                    d = 2
                } else {
                    return .format
                }
                if i % 2 == 1 { d *= 2; if d > 9 { d -= 9 } }
                sum += d
            }
            return sum % 10 == 0 ? nil : .key
        }
    }

    public static func isValid(_ number: String) -> Bool { problem(number) == nil }

    /// The number made of `body` (8 characters) and the key that makes it valid.
    public static func withKey(_ body: String) -> String? {
        guard body.utf8.count == 8 else { return nil }
        for k in 0...9 where problem(body + String(k)) == nil { return body + String(k) }
        return nil
    }
}
