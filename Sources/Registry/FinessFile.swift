import Dispatch
import Rules

/// The public FINESS extraction files (`shared/spec/finess.md` §1): `cs1100507` and `cs1100502`
/// (establishments, with or without geolocation) and `cs1100501` (legal entities), recognised by
/// their content. Fields are kept as text, as written: numbers, communes and phones have leading
/// zeros.
public enum FinessFileKind: String, Sendable {
    case establishments, establishmentsWithGeolocation, legalEntities, finessPlus

    /// The file holds establishments (and closes those it lacks on import).
    public var hasEstablishments: Bool { self != .legalEntities }
    /// The file holds legal entities.
    public var hasLegalEntities: Bool { self == .legalEntities || self == .finessPlus }

    public var french: String {
        switch self {
        case .finessPlus: return "structures FINESS+ (JSON)"
        case .establishments: return "établissements (cs1100502)"
        case .establishmentsWithGeolocation: return "établissements géolocalisés (cs1100507)"
        case .legalEntities: return "entités juridiques (cs1100501)"
        }
    }
}

/// The 31 data fields of a `structureet` line, in file order (§1.3).
public enum EstablishmentField: Int, CaseIterable, Sendable {
    case nofinesset, nofinessej, rs, rslongue, complrs, compldistrib, numvoie, typvoie, voie,
         compvoie, lieuditbp, commune, departement, libdepartement, ligneacheminement, telephone,
         telecopie, categetab, libcategetab, categagretab, libcategagretab, siret, codeape, codemft,
         libmft, codesph, libsph, dateouv, dateautor, datemaj, numuai
}

/// The 22 data fields of a `structureej` line, in file order (§1.5).
public enum LegalEntityField: Int, CaseIterable, Sendable {
    case nofiness, rs, rslongue, complrs, numvoie, typvoie, voie, compvoie, compldistrib,
         lieuditbp, commune, ligneacheminement, departement, libdepartement, telephone, statutjuridique,
         libstatutjuridique, categetab, libcategetab, siren, codeape, datecrea
}

/// The 5 data fields of a `geolocalisation` line (§1.4).
public enum GeolocationField: Int, CaseIterable, Sendable {
    case nofinesset, coordxet, coordyet, sourcecoordet, datemaj
}

/// The names of the fields, as the public files and our tables name them.
public let establishmentFields = EstablishmentField.allCases.map { "\($0)" }
public let legalEntityFields = LegalEntityField.allCases.map { "\($0)" }
public let geolocationFields = GeolocationField.allCases.map { "\($0)" }

public struct FinessRecord: Sendable, Equatable {
    /// 1-based line number in its file.
    public let line: Int
    /// The data fields, without the record type, in file order.
    public let fields: [String]

    public init(line: Int, fields: [String]) { self.line = line; self.fields = fields }

    /// A record built field by field (the FINESS+ stream); the fields not given are empty.
    public init(line: Int, _ values: [EstablishmentField: String]) {
        self.init(line: line, fields: EstablishmentField.allCases.map { values[$0] ?? "" })
    }

    public init(line: Int, _ values: [LegalEntityField: String]) {
        self.init(line: line, fields: LegalEntityField.allCases.map { values[$0] ?? "" })
    }

    public subscript(_ field: EstablishmentField) -> String { fields[field.rawValue] }
    public subscript(_ field: LegalEntityField) -> String { fields[field.rawValue] }
    public subscript(_ field: GeolocationField) -> String { fields[field.rawValue] }
}

/// A problem found on one line: malformed lines refuse the whole import, warnings do not
/// (unless `--strict`).
public struct LineProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case malformed, warning }
    public enum Kind: String, Sendable {
        case arity, quoting, encoding, missingNumber, recordType, header, mixedKinds
        case finessKey, unknownCategory, unknownDepartment, badDate
    }
    public let file: String
    public let line: Int
    public let field: String?
    public let kind: Kind
    public let severity: Severity
    public let reason: String

    public var description: String {
        "\(file), ligne \(line)\(field.map { ", champ \($0)" } ?? "") : \(reason)"
    }
}

/// One extraction file, read and checked.
public struct FinessExtraction: Sendable {
    public let file: String
    public let kind: FinessFileKind
    /// The extraction date of the comment line (`finess;etalab;98;2026-05-12`).
    public let extractionDate: CalendarDate
    public let encoding: String
    public let establishments: [FinessRecord]
    public let geolocations: [FinessRecord]
    public let legalEntities: [FinessRecord]
    public let problems: [LineProblem]
    public let lines: Int

    public var malformed: [LineProblem] { problems.filter { $0.severity == .malformed } }
    public var warnings: [LineProblem] { problems.filter { $0.severity == .warning } }
}

public enum FinessFile {
    /// Reads an extraction from its bytes: UTF-8, or Windows-1252 when the bytes are not UTF-8.
    /// Never throws: every problem is returned with its line and field.
    public static func read(_ bytes: [UInt8], file: String) -> FinessExtraction {
        var problems: [LineProblem] = []
        var text = bytes
        var encoding = "UTF-8"
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
        if String(validating: text, as: UTF8.self) == nil {
            encoding = "Windows-1252"
            text = Windows1252.transcode(text) { offset, byte in
                let line = bytes[0..<offset].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
                problems.append(LineProblem(file: file, line: line, field: nil, kind: .encoding, severity: .malformed,
                                            reason: "octet 0x\(String(byte, radix: 16, uppercase: true)) indécodable, ni UTF-8 ni Windows-1252"))
            }
        }
        // The FINESS+ JSON flux is a second reader of the same records (§1.8).
        if let first = text.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), first == UInt8(ascii: "{") {
            return FinessPlus.read(text, file: file, encoding: encoding)
        }
        // A large file is parsed in two halves at once, split at a line boundary.
        let half = text.count / 2
        var split = half
        while split < text.count, text[split] != 0x0A { split += 1 }
        guard text.count > 1 << 20, split < text.count else {
            var parser = Parser(file: file, bytes: text, range: 0..<text.count, firstLine: 1)
            parser.problems = problems
            parser.run()
            return parser.extraction(encoding: encoding)
        }
        let linesBefore = text.withUnsafeBufferPointer { b in
            var n = 0
            for i in 0...split where b[i] == 0x0A { n += 1 }
            return n
        }
        let parts = [Parser(file: file, bytes: text, range: 0..<(split + 1), firstLine: 1),
                     Parser(file: file, bytes: text, range: (split + 1)..<text.count, firstLine: linesBefore + 1)]
        let results = ParserResults(parts)
        DispatchQueue.concurrentPerform(iterations: 2) { results.run($0) }
        var first = results.parsers[0], second = results.parsers[1]
        first.problems = problems + first.problems
        first.merge(&second)
        return first.extraction(encoding: encoding)
    }
}

/// The two halves of a large file, each parsed on its own thread into its own slot.
private final class ParserResults: @unchecked Sendable {
    var parsers: [Parser]
    init(_ parsers: [Parser]) { self.parsers = parsers }
    func run(_ index: Int) {
        // Each iteration touches only its own element; the array is not resized.
        parsers.withUnsafeMutableBufferPointer { buffer in buffer[index].run() }
    }
}

private struct Parser {
    let file: String
    let bytes: [UInt8]
    let range: Range<Int>
    let firstLine: Int
    var problems: [LineProblem] = []

    var establishments: [FinessRecord] = []
    var geolocations: [FinessRecord] = []
    var legalEntities: [FinessRecord] = []
    var extractionDate: CalendarDate? = nil
    var sawEstablishment = false, sawLegalEntity = false, sawGeolocation = false
    var lastLine = 0

    init(file: String, bytes: [UInt8], range: Range<Int>, firstLine: Int) {
        self.file = file; self.bytes = bytes; self.range = range; self.firstLine = firstLine
    }

    /// Appends what `other`, the next part of the same file, found.
    mutating func merge(_ other: inout Parser) {
        problems += other.problems
        establishments += other.establishments
        geolocations += other.geolocations
        legalEntities += other.legalEntities
        sawEstablishment = sawEstablishment || other.sawEstablishment
        sawLegalEntity = sawLegalEntity || other.sawLegalEntity
        sawGeolocation = sawGeolocation || other.sawGeolocation
        lastLine = max(lastLine, other.lastLine)
    }

    mutating func problem(_ line: Int, _ field: String?, _ kind: LineProblem.Kind, _ severity: LineProblem.Severity, _ reason: String) {
        problems.append(LineProblem(file: file, line: line, field: field, kind: kind, severity: severity, reason: reason))
    }

    mutating func run() {
        var lineNumber = firstLine - 1
        var start = range.lowerBound
        var fields: [String] = []
        fields.reserveCapacity(33)
        let count = range.upperBound
        while start < count {
            var end = start
            while end < count, bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { start = end + 1 }
            if lineEnd == start { continue } // blank line
            if lineNumber == 1 {
                extractionDate = header(start, lineEnd)
                continue
            }
            guard split(start, lineEnd, line: lineNumber, into: &fields) else { continue }
            let type = fields.removeFirst()
            switch type {
            case "structureet":
                sawEstablishment = true
                // The last field (numuai) is usually empty, and the line then ends with ";".
                guard check(arity: fields.count, expected: establishmentFields.count, line: lineNumber, type: type) else { continue }
                guard number(fields[EstablishmentField.nofinesset.rawValue], "nofinesset", lineNumber), number(fields[EstablishmentField.nofinessej.rawValue], "nofinessej", lineNumber) else { continue }
                establishmentChecks(fields, lineNumber)
                establishments.append(FinessRecord(line: lineNumber, fields: fields))
            case "geolocalisation":
                sawGeolocation = true
                guard check(arity: fields.count, expected: geolocationFields.count, line: lineNumber, type: type) else { continue }
                guard number(fields[GeolocationField.nofinesset.rawValue], "nofinesset", lineNumber) else { continue }
                geolocations.append(FinessRecord(line: lineNumber, fields: fields))
            case "structureej":
                sawLegalEntity = true
                guard check(arity: fields.count, expected: legalEntityFields.count, line: lineNumber, type: type) else { continue }
                guard number(fields[LegalEntityField.nofiness.rawValue], "nofiness", lineNumber) else { continue }
                let department = fields[LegalEntityField.departement.rawValue]
                if !department.isEmpty, FinessDepartment.insee(department) == nil {
                    problem(lineNumber, "departement", .unknownDepartment, .warning, "code département FINESS inconnu « \(Limits.quote(department)) »")
                }
                legalEntities.append(FinessRecord(line: lineNumber, fields: fields))
            default:
                problem(lineNumber, "type", .recordType, .malformed, "type d'enregistrement inconnu « \(Limits.quote(type)) » (attendu structureet, geolocalisation ou structureej)")
            }
        }
        lastLine = lineNumber
    }

    mutating func extraction(encoding: String) -> FinessExtraction {
        if lastLine == 0 {
            problem(1, nil, .header, .malformed, "fichier vide")
        }
        let kind: FinessFileKind
        if sawLegalEntity && (sawEstablishment || sawGeolocation) {
            problem(1, nil, .mixedKinds, .malformed, "le fichier mêle entités juridiques et établissements")
            kind = .legalEntities
        } else if sawLegalEntity {
            kind = .legalEntities
        } else if sawGeolocation {
            kind = .establishmentsWithGeolocation
        } else {
            kind = .establishments
        }
        problems.sort { $0.line < $1.line }
        return FinessExtraction(file: file, kind: kind, extractionDate: extractionDate ?? CalendarDate(iso: "1900-01-01")!, encoding: encoding,
                                establishments: establishments, geolocations: geolocations, legalEntities: legalEntities,
                                problems: problems, lines: lastLine)
    }

    mutating func header(_ start: Int, _ end: Int) -> CalendarDate? {
        var fields: [String] = []
        guard split(start, end, line: 1, into: &fields) else { return nil }
        guard fields.count >= 4, fields[0] == "finess", fields[1] == "etalab" else {
            problem(1, nil, .header, .malformed, "ligne de commentaire attendue (finess;etalab;…;AAAA-MM-JJ) : ce n'est pas une extraction FINESS publique")
            return nil
        }
        guard let date = CalendarDate(iso: fields[3]) else {
            problem(1, "date d'extraction", .header, .malformed, "date d'extraction invalide « \(Limits.quote(fields[3])) » (attendu AAAA-MM-JJ)")
            return nil
        }
        return date
    }

    mutating func check(arity: Int, expected: Int, line: Int, type: String) -> Bool {
        if arity == expected { return true }
        problem(line, nil, .arity, .malformed, "\(arity + 1) champs au lieu de \(expected + 1) pour un enregistrement \(type)")
        return false
    }

    mutating func number(_ value: String, _ field: String, _ line: Int) -> Bool {
        if value.isEmpty {
            problem(line, field, .missingNumber, .malformed, "numéro FINESS manquant")
            return false
        }
        switch FinessNumber.problem(value) {
        case nil: return true
        case .key?:
            problem(line, field, .finessKey, .warning, "clé de contrôle FINESS invalide (« \(Limits.quote(value)) »)")
            return true
        case let other?:
            problem(line, field, .missingNumber, .malformed, "\(other.french) (« \(Limits.quote(value)) »)")
            return false
        }
    }

    mutating func establishmentChecks(_ f: [String], _ line: Int) {
        func field(_ name: EstablishmentField) -> String { f[name.rawValue] }
        let category = field(.categetab)
        if Nomenclature.category(category) == nil, !category.isEmpty {
            problem(line, "categetab", .unknownCategory, .warning, "catégorie \(category) absente de la nomenclature (secteur déduit de l'agrégat \(field(.categagretab)))")
        }
        if FinessDepartment.insee(field(.departement)) == nil {
            problem(line, "departement", .unknownDepartment, .warning, "code département FINESS inconnu « \(Limits.quote(field(.departement))) »")
        }
        for name in [EstablishmentField.dateouv, .dateautor, .datemaj] where !field(name).isEmpty && CalendarDate(iso: field(name)) == nil {
            problem(line, "\(name)", .badDate, .warning, "date invalide « \(Limits.quote(field(name))) » (attendu AAAA-MM-JJ)")
        }
    }

    /// Splits one line on `;`, RFC-4180 quoting (`"…""…"`). False, with the problem recorded, on broken quoting.
    mutating func split(_ start: Int, _ end: Int, line: Int, into fields: inout [String]) -> Bool {
        fields.removeAll(keepingCapacity: true)
        var i = start
        while true {
            if i < end, bytes[i] == UInt8(ascii: "\"") {
                var value: [UInt8] = []
                i += 1
                var closed = false
                while i < end {
                    if bytes[i] == UInt8(ascii: "\"") {
                        if i + 1 < end, bytes[i + 1] == UInt8(ascii: "\"") { value.append(UInt8(ascii: "\"")); i += 2; continue }
                        closed = true; i += 1; break
                    }
                    value.append(bytes[i]); i += 1
                }
                guard closed else {
                    problem(line, fieldName(fields.count, fields), .quoting, .malformed, "guillemet ouvrant sans guillemet fermant")
                    return false
                }
                guard i == end || bytes[i] == UInt8(ascii: ";") else {
                    problem(line, fieldName(fields.count, fields), .quoting, .malformed, "texte après un guillemet fermant")
                    return false
                }
                fields.append(String(decoding: value, as: UTF8.self))
            } else {
                var j = i
                while j < end, bytes[j] != UInt8(ascii: ";") {
                    if bytes[j] == UInt8(ascii: "\"") {
                        problem(line, fieldName(fields.count, fields), .quoting, .malformed, "guillemet au milieu d'un champ non entre guillemets")
                        return false
                    }
                    j += 1
                }
                fields.append(String(decoding: bytes[i..<j], as: UTF8.self))
                i = j
            }
            if i >= end { return true }
            i += 1 // past ";"
            if i == end { fields.append(""); return true }
        }
    }

    /// The name of field `index` (0-based, record type included) for messages.
    func fieldName(_ index: Int, _ fields: [String]) -> String {
        guard index > 0, let type = fields.first else { return "type" }
        let names: [String]
        switch type {
        case "structureet": names = establishmentFields
        case "structureej": names = legalEntityFields
        case "geolocalisation": names = geolocationFields
        default: return "champ \(index + 1)"
        }
        return index - 1 < names.count ? names[index - 1] : "champ \(index + 1)"
    }
}

/// Windows-1252 to UTF-8. Five bytes have no character in Windows-1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D).
enum Windows1252 {
    static let high: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    static func transcode(_ bytes: [UInt8], undecodable: (Int, UInt8) -> Void) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        for (offset, b) in bytes.enumerated() {
            if b < 0x80 { out.append(b); continue }
            let scalar: UInt32 = b < 0xA0 ? high[Int(b - 0x80)] : UInt32(b)
            if scalar == 0 { undecodable(offset, b); out.append(UInt8(ascii: "?")); continue }
            out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
        }
        return out
    }
}
