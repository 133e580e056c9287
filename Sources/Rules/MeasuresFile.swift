/// The monthly measures file of `shared/spec/usage.md`: CSV, `;` or `,`, UTF-8, a header naming the
/// columns in any order. A file with any bad row is refused whole, every bad line listed.
public enum MeasuresFile {
    public static let columns = ["finessET", "month", "persons", "activeRecords", "activeWithProjet", "activeWithEvent", "mssMessagesSent", "dmpFedPersons"]

    /// Rows as the file `usage.md` describes: `;`, the header, one line per row.
    public static func csv(_ rows: [MonthlyMeasure]) -> String {
        var out = columns.joined(separator: ";") + "\n"
        for m in rows {
            out += [m.finessET, m.month.description, String(m.persons), String(m.activeRecords), String(m.activeWithProjet), String(m.activeWithEvent),
                    String(m.mssMessagesSent), String(m.dmpFedPersons)].joined(separator: ";") + "\n"
        }
        return out
    }

    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let column: String?
        public let reason: String
        public var description: String { "ligne \(line)\(column.map { ", colonne \($0)" } ?? "") : \(reason)" }
    }

    public struct Refused: Error, Sendable, Equatable, CustomStringConvertible {
        public let file: String
        public let problems: [Problem]
        public var description: String {
            (["fichier de mesures \(file) refusé : \(problems.count) problème(s), rien n'a été pris en compte"] + problems.map { "  \(file), \($0)" }).joined(separator: "\n")
        }
    }

    /// Reads the file; `establishments` are the project's FINESS ET (a row for another one is bad).
    public static func parse(_ text: String, file: String, establishments: Set<String>) throws(Refused) -> [MonthlyMeasure] {
        // "\r\n" is one Character in Swift: split on both line ends.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = first.dropFirst() }
        guard let header = lines.first, !header.isEmpty else { throw Refused(file: file, problems: [Problem(line: 1, column: nil, reason: "fichier vide : un en-tête est attendu (\(columns.joined(separator: ";")))")]) }
        let separator: Character = header.contains(";") ? ";" : ","
        let names = header.split(separator: separator, omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        var problems: [Problem] = []
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if !columns.contains(name) { problems.append(Problem(line: 1, column: name, reason: "colonne inconnue (attendues : \(columns.joined(separator: ", ")))")) }
            else if index[name] != nil { problems.append(Problem(line: 1, column: name, reason: "colonne en double")) }
            else { index[name] = i }
        }
        for c in columns where index[c] == nil { problems.append(Problem(line: 1, column: c, reason: "colonne manquante")) }
        guard problems.isEmpty else { throw Refused(file: file, problems: problems) }

        var measures: [MonthlyMeasure] = []
        measures.reserveCapacity(lines.count)
        var seen: [String: Int] = [:]
        for (n, raw) in lines.enumerated().dropFirst() {
            let line = n + 1
            if raw.allSatisfy({ $0 == " " }) { continue }
            let fields = raw.split(separator: separator, omittingEmptySubsequences: false)
            guard fields.count == names.count else {
                problems.append(Problem(line: line, column: nil, reason: "\(fields.count) champs au lieu de \(names.count)")); continue
            }
            func field(_ c: String) -> String { fields[index[c]!].trimmingSpaces }
            var bad = false
            let et = field("finessET")
            if !establishments.contains(et) {
                problems.append(Problem(line: line, column: "finessET", reason: "établissement « \(Limits.quote(et)) » absent du projet")); bad = true
            }
            let monthText = field("month")
            let month = YearMonth(iso: monthText)
            if month == nil { problems.append(Problem(line: line, column: "month", reason: "mois « \(Limits.quote(monthText)) » invalide (attendu AAAA-MM)")); bad = true }
            var counts: [String: Int] = [:]
            for c in columns.dropFirst(2) {
                let value = field(c)
                switch count(value, limit: Limits.measure(c)) {
                case let .success(v): counts[c] = v
                case let .failure(reason): problems.append(Problem(line: line, column: c, reason: reason.text)); bad = true
                }
            }
            if let p = counts["persons"], let a = counts["activeRecords"], a > p {
                problems.append(Problem(line: line, column: "activeRecords", reason: "\(a) dossiers actifs pour \(p) personnes accompagnées")); bad = true
            }
            if let a = counts["activeRecords"], let w = counts["activeWithProjet"], w > a {
                problems.append(Problem(line: line, column: "activeWithProjet", reason: "\(w) dossiers avec projet personnalisé pour \(a) dossiers actifs")); bad = true
            }
            if let a = counts["activeRecords"], let w = counts["activeWithEvent"], w > a {
                problems.append(Problem(line: line, column: "activeWithEvent", reason: "\(w) dossiers avec événement pour \(a) dossiers actifs")); bad = true
            }
            if let p = counts["persons"], let d = counts["dmpFedPersons"], d > p {
                problems.append(Problem(line: line, column: "dmpFedPersons", reason: "\(d) DMP alimentés pour \(p) personnes accompagnées")); bad = true
            }
            if let month {
                let key = "\(et)|\(month)"
                if let first = seen[key] {
                    problems.append(Problem(line: line, column: nil, reason: "\(et) \(month) déjà mesuré ligne \(first)")); bad = true
                } else {
                    seen[key] = line
                }
            }
            guard !bad, let month else { continue }
            measures.append(MonthlyMeasure(finessET: et, month: month, persons: counts["persons"]!, activeRecords: counts["activeRecords"]!,
                                           activeWithProjet: counts["activeWithProjet"]!, activeWithEvent: counts["activeWithEvent"]!,
                                           mssMessagesSent: counts["mssMessagesSent"]!, dmpFedPersons: counts["dmpFedPersons"]!))
        }
        if !problems.isEmpty { throw Refused(file: file, problems: problems) }
        return measures
    }
}

extension MeasuresFile {
    struct Reason: Error { let text: String }

    /// A count: digits only (no sign, no decimals, no spaces), at most `limit`.
    static func count(_ text: String, limit: Int) -> Result<Int, Reason> {
        let digits = text.utf8
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            if text.hasPrefix("-"), text.dropFirst().allSatisfy(\.isNumber), text.count > 1 {
                return .failure(Reason(text: "nombre négatif « \(Limits.quote(text)) »"))
            }
            return .failure(Reason(text: "nombre entier attendu, trouvé « \(Limits.quote(text)) »"))
        }
        // More digits than the limit has cannot be within it (and would not fit an Int).
        let significant = digits.drop { $0 == UInt8(ascii: "0") }
        guard significant.count <= String(limit).utf8.count, let value = Int(text), value <= limit else {
            return .failure(Reason(text: "\(Limits.quote(text)) dépasse le maximum plausible de \(limit.grouped) par établissement et par mois"))
        }
        return .success(value)
    }
}

extension MonthlyMeasure {
    /// The first count outside the bounds of `Limits` (a measure built elsewhere than by the
    /// parser, or stored before the bounds existed): its column and value.
    public var implausible: (column: String, value: Int)? {
        let values: [(String, Int)] = [("persons", persons), ("activeRecords", activeRecords), ("activeWithProjet", activeWithProjet),
                                       ("activeWithEvent", activeWithEvent), ("mssMessagesSent", mssMessagesSent), ("dmpFedPersons", dmpFedPersons)]
        return values.first { $0.1 < 0 || $0.1 > Limits.measure($0.0) }
    }

    /// Refuses the first measure outside the bounds: the usage computation and the store call it.
    public static func checkPlausible(_ measures: [MonthlyMeasure]) throws(UsageError) {
        for m in measures {
            if let bad = m.implausible { throw .implausible(finessET: m.finessET, month: m.month, column: bad.column, value: bad.value) }
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
