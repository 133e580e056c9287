import Foundation

/// The fast path of a project given in full, as most simulation requests are: the UTF-8 bytes are
/// read straight into a `Project`, without building a JSON tree. It accepts only what
/// `JSON.parse` + `Project.decode` accept, and yields the same project; anything else — a syntax
/// error, an escape sequence, a number in another notation, a missing or invalid field, a project
/// to complete from the registry — returns nil, and the caller takes the general path, whose
/// errors name the field. A test checks both paths against each other on every case and on
/// mutated inputs.
extension Project {
    public static func decodeFast(_ bytes: UnsafeRawBufferPointer) -> Project? {
        var reader = FastReader(bytes: bytes)
        return reader.project()
    }
}

private struct FastReader {
    let bytes: UnsafeRawBufferPointer
    var i = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        // A byte order mark is accepted, as by `JSON.parse`.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
    }

    mutating func space() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func byte(_ b: UInt8) -> Bool {
        space()
        guard i < bytes.count, bytes[i] == b else { return false }
        i += 1
        return true
    }

    func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    /// A string without escapes (those take the general path).
    mutating func string() -> String? {
        guard let (range, ascii) = stringRange() else { return nil }
        let buffer = UnsafeRawBufferPointer(rebasing: bytes[range]).bindMemory(to: UInt8.self)
        return ascii ? String(decoding: buffer, as: UTF8.self) : String(validating: buffer, as: UTF8.self)
    }

    mutating func literal(_ word: StaticString) -> Bool {
        space()
        let n = word.utf8CodeUnitCount
        guard bytes.count - i >= n else { return false }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
        i += n
        return true
    }

    mutating func bool() -> Bool? {
        space()
        if peek() == UInt8(ascii: "t") { return literal("true") ? true : nil }
        if peek() == UInt8(ascii: "f") { return literal("false") ? false : nil }
        return nil
    }

    mutating func null() -> Bool {
        space()
        return peek() == UInt8(ascii: "n") && literal("null")
    }

    /// A non-negative integer written with digits only, no leading zero.
    mutating func count(limit: Int) -> Int? {
        space()
        let start = i
        var value = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            let digit = Int(bytes[i] - UInt8(ascii: "0"))
            guard value <= (limit - digit) / 10 else { return nil } // above the limit, never past Int.max
            value = value * 10 + digit
            i += 1
        }
        guard i > start, i - start == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        // A fraction or an exponent: the general path reads (and refuses) it.
        if let b = peek(), b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { return nil }
        return value
    }

    /// Any value, checked as `JSON.parse` would, without keeping it (an unknown field).
    mutating func skip() -> Bool {
        space()
        guard let b = peek() else { return false }
        switch b {
        case UInt8(ascii: "{"):
            return object { reader, _ in reader.skip() }
        case UInt8(ascii: "["):
            return array { reader in reader.skip() }
        case UInt8(ascii: "\""):
            return string() != nil
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return bool() != nil
        case UInt8(ascii: "n"):
            return null()
        default:
            // Numbers other than plain integers take the general path.
            return count(limit: Int.max) != nil
        }
    }

    /// The members of an object, each read by `member` with the index of its key in `keys` (nil for
    /// another key); false on a syntax error or a key seen twice. Keys are compared as bytes.
    mutating func object(_ keys: [StaticString] = [], _ member: (inout FastReader, Int?) -> Bool) -> Bool {
        guard byte(UInt8(ascii: "{")) else { return false }
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { return false }
        // Keys seen twice: a bit per known key, the others listed (rare: no allocation otherwise).
        var known: UInt64 = 0
        var others: [Range<Int>] = []
        if byte(UInt8(ascii: "}")) { return true }
        while true {
            guard let key = keyRange(), byte(UInt8(ascii: ":")) else { return false }
            let index = keys.firstIndex { $0.utf8CodeUnitCount == key.count && memcmp($0.utf8Start, bytes.baseAddress! + key.lowerBound, key.count) == 0 }
            if let index {
                guard known & (1 << index) == 0 else { return false }
                known |= 1 << index
            } else {
                for other in others where other.count == key.count && memcmp(bytes.baseAddress! + other.lowerBound, bytes.baseAddress! + key.lowerBound, key.count) == 0 {
                    return false
                }
                others.append(key)
            }
            guard member(&self, index) else { return false }
            if byte(UInt8(ascii: ",")) { continue }
            return byte(UInt8(ascii: "}"))
        }
    }

    /// The bytes of a string without escapes, and whether they are all ASCII (the others are
    /// validated as UTF-8 by their reader).
    mutating func stringRange() -> (Range<Int>, ascii: Bool)? {
        guard byte(UInt8(ascii: "\"")) else { return nil }
        let start = i
        var high: UInt8 = 0
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\") || bytes[i] < 0x20 { return nil }
            high |= bytes[i]
            i += 1
        }
        guard i < bytes.count else { return nil }
        i += 1
        return (start..<i - 1, high < 0x80)
    }

    /// The bytes of a key: a string without escapes, valid UTF-8.
    mutating func keyRange() -> Range<Int>? {
        guard let (range, ascii) = stringRange() else { return nil }
        if !ascii, String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]).bindMemory(to: UInt8.self), as: UTF8.self) == nil { return nil }
        return range
    }

    mutating func array(_ item: (inout FastReader) -> Bool) -> Bool {
        guard byte(UInt8(ascii: "[")) else { return false }
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { return false }
        if byte(UInt8(ascii: "]")) { return true }
        while true {
            guard item(&self) else { return false }
            if byte(UInt8(ascii: ",")) { continue }
            return byte(UInt8(ascii: "]"))
        }
    }

    // MARK: The fields of `simulation.md`, with the checks of `Project.decode`

    mutating func text() -> String? {
        space()
        // A first byte that is printable ASCII other than a space: not blank, no need to look further.
        let printable = i + 1 < bytes.count && bytes[i + 1] > 0x20 && bytes[i + 1] < 0x7F && bytes[i + 1] != UInt8(ascii: "\"")
        guard let s = string(), printable || !s.allSatisfy(\.isWhitespace) else { return nil }
        return s
    }

    mutating func finess() -> String? {
        guard let s = string(), FinessNumber.problem(s) == nil else { return nil }
        return s
    }

    mutating func department() -> Department? { string().flatMap { Territory.department($0) } }

    mutating func value<E: RawRepresentable>(_ type: E.Type) -> E? where E.RawValue == String { string().flatMap(E.init(rawValue:)) }

    /// `null`, or a non-empty string.
    mutating func optionalText() -> String?? {
        if null() { return .some(nil) }
        return text().map { .some($0) }
    }

    mutating func project() -> Project? {
        var campaign: String?, kind: ProjectKind?, solution: Project.Solution?, porteur: String?
        var national = false, mature = false, procurement: Project.Procurement?, filingDate: CalendarDate?
        var organismes: [Project.Organisme]?, establishments: [Project.Establishment]?
        /// The kind each establishment gave, checked once the project's kind is known.
        var kinds: [ProjectKind?] = []
        let ok = object(["campaign", "kind", "solution", "porteur", "nationalRepresentativeness", "matureProjectOwner", "procurement",
                         "filingDate", "organismes", "establishments"]) { r, key in
            switch key {
            case 0: campaign = r.text(); return campaign != nil
            case 1: kind = r.value(ProjectKind.self); return kind != nil
            case 2: solution = r.solution(); return solution != nil
            case 3: porteur = r.finess(); return porteur != nil
            case 4: guard let b = r.bool() else { return false }; national = b; return true
            case 5: guard let b = r.bool() else { return false }; mature = b; return true
            case 6: procurement = r.value(Project.Procurement.self); return procurement != nil
            case 7:
                if r.null() { filingDate = nil; return true }
                guard let d = r.string().flatMap({ CalendarDate(iso: $0) }) else { return false }
                filingDate = d
                return true
            case 8: organismes = r.organismes(); return organismes != nil
            case 9:
                guard let list = r.establishments(kinds: &kinds) else { return false }
                establishments = list
                return true
            default: return r.skip()
            }
        }
        space()
        guard ok, i == bytes.count, let campaign, let kind, let solution, let porteur, let procurement,
              let organismes, !organismes.isEmpty, var establishments, !establishments.isEmpty,
              organismes.contains(where: { $0.finessEJ == porteur }) else { return nil }
        for index in establishments.indices {
            let ej = establishments[index].finessEJ
            guard organismes.contains(where: { $0.finessEJ == ej }) else { return nil }
            if kind == .mixte {
                guard let k = kinds[index], k != .mixte else { return nil }
                establishments[index].kind = k
            } else if let k = kinds[index], k != kind {
                return nil
            }
        }
        return Project(campaign: campaign, kind: kind, solution: solution, porteur: porteur, nationalRepresentativeness: national,
                       matureProjectOwner: mature, procurement: procurement, organismes: organismes, establishments: establishments,
                       filingDate: filingDate)
    }

    mutating func solution() -> Project.Solution? {
        var name: String?, editor: String?, referencing: Referencing?
        guard object(["name", "editor", "referencing"], { r, key in
            switch key {
            case 0: name = r.text(); return name != nil
            case 1: editor = r.text(); return editor != nil
            case 2: referencing = r.value(Referencing.self); return referencing != nil
            default: return r.skip()
            }
        }), let name, let editor, let referencing else { return nil }
        return Project.Solution(name: name, editor: editor, referencing: referencing)
    }

    mutating func organismes() -> [Project.Organisme]? {
        var list: [Project.Organisme] = []
        guard array({ r in
            guard list.count < Limits.establishmentsPerProject else { return false }
            var ej: String?, name: String?, count: Int?, ccp = false, department: Department?
            guard r.object(["finessEJ", "name", "essmsCount", "subjectToPublicProcurementCode", "department"], { r, key in
                switch key {
                case 0: ej = r.finess(); return ej != nil
                case 1: name = r.text(); return name != nil
                case 2: count = r.count(limit: Limits.essmsPerOrganisme); return count != nil
                case 3: guard let b = r.bool() else { return false }; ccp = b; return true
                case 4: department = r.department(); return department != nil
                default: return r.skip()
                }
            }), let ej, let name, let count, !list.contains(where: { $0.finessEJ == ej }) else { return false }
            list.append(Project.Organisme(finessEJ: ej, name: name, essmsCount: count, subjectToPublicProcurementCode: ccp, department: department))
            return true
        }) else { return nil }
        return list
    }

    static let establishmentKeys: [StaticString] = [
        "finessET", "finessEJ", "name", "sector", "department", "kind", "priorEsmsNumeriqueFunding", "sonsOrderSoftware",
        "essms", "confortActivity", "attachedToNationalEntity", "solution",
    ]

    /// The establishments, and in `kinds` the kind each gave (checked once the project's is known).
    mutating func establishments(kinds: inout [ProjectKind?]) -> [Project.Establishment]? {
        var list: [Project.Establishment] = []
        var seen = Set<String>()
        list.reserveCapacity(64)
        seen.reserveCapacity(64)
        kinds.removeAll(keepingCapacity: true)
        guard array({ r in
            guard list.count < Limits.establishmentsPerProject else { return false }
            var et: String??, ej: String?, name: String?, sector: Sector?, department: Department?, kind: ProjectKind?
            var prior = false, sons: String? = nil, essms = true, confort = false, national = false, solution: String? = nil
            guard r.object(Self.establishmentKeys, { r, key in
                switch key {
                case 0:
                    if r.null() { et = .some(nil); return true }
                    guard let s = r.finess() else { return false }
                    et = .some(s)
                    return true
                case 1: ej = r.finess(); return ej != nil
                case 2: name = r.text(); return name != nil
                case 3: sector = r.value(Sector.self); return sector != nil
                case 4: department = r.department(); return department != nil
                case 5: kind = r.value(ProjectKind.self); return kind != nil
                case 6: guard let b = r.bool() else { return false }; prior = b; return true
                case 7: guard let s = r.optionalText() else { return false }; sons = s; return true
                case 8: guard let b = r.bool() else { return false }; essms = b; return true
                case 9: guard let b = r.bool() else { return false }; confort = b; return true
                case 10: guard let b = r.bool() else { return false }; national = b; return true
                case 11: guard let s = r.optionalText() else { return false }; solution = s; return true
                default: return r.skip()
                }
            }), let et, let ej, let name, let sector, let department else { return false }
            if let et, !seen.insert(et).inserted { return false }
            list.append(Project.Establishment(
                finessET: et, finessEJ: ej, name: name, sector: sector, department: department,
                priorEsmsNumeriqueFunding: prior, sonsOrderSoftware: sons, kind: nil, essms: essms,
                confortActivity: confort, attachedToNationalEntity: national, solution: solution))
            kinds.append(kind)
            return true
        }) else { return nil }
        return list
    }
}
