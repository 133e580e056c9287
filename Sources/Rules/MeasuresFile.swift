/// The monthly measures file of `shared/spec/usage.md`: CSV, `;` or `,`, UTF-8, a header naming the
/// columns in any order. A file with any bad row is refused whole, every bad line listed.
public enum MeasuresFile {
    public static let columns = ["finessET", "month", "persons", "activeRecords", "activeWithProjet", "activeWithEvent", "mssMessagesSent", "dmpFedPersons"]

    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let column: String?
        public let reason: String
        public var description: String { "ligne \(line)\(column.map { ", colonne \($0)" } ?? "") : \(reason)" }
    }

    public struct Refused: Error, Sendable, CustomStringConvertible {
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
                problems.append(Problem(line: line, column: "finessET", reason: "établissement « \(et) » absent du projet")); bad = true
            }
            let monthText = field("month")
            let month = YearMonth(iso: monthText)
            if month == nil { problems.append(Problem(line: line, column: "month", reason: "mois « \(monthText) » invalide (attendu AAAA-MM)")); bad = true }
            var counts: [String: Int] = [:]
            for c in columns.dropFirst(2) {
                let value = field(c)
                guard let v = Int(value), v >= 0 else {
                    problems.append(Problem(line: line, column: c, reason: value.hasPrefix("-") ? "nombre négatif « \(value) »" : "nombre entier attendu, trouvé « \(value) »")); bad = true; continue
                }
                counts[c] = v
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

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
