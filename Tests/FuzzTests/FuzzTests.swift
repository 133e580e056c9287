import Foundation
import Registry
import Rules
import Testing

/// Mutation fuzzing of the library entry points that read what comes from outside: projects
/// (JSON → `Project` → assessment, and saved drafts), measures files (→ usage report) and FINESS
/// extractions. Each input must give a value or a typed error; a trap ends the process, and the
/// CI stage then prints the input being tried.
///
/// `swift test` runs a few hundred inputs per entry point; `ESMS_FUZZ_SECONDS=N` runs each for N
/// seconds instead (the CI stage). `ESMS_FUZZ_INPUT=FILE` writes each input to FILE before it is
/// tried, so that the input of a crash is kept.
@Suite("Fuzz des points d'entrée")
struct FuzzTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let environment = ProcessInfo.processInfo.environment
    static let seconds = environment["ESMS_FUZZ_SECONDS"].flatMap(Double.init)
    static let inputFile = environment["ESMS_FUZZ_INPUT"]

    static func file(_ path: String) -> [UInt8] { [UInt8]((try? Data(contentsOf: root.appendingPathComponent(path))) ?? Data()) }

    /// Runs `body` on mutated seeds for the time or count allowed; returns how many inputs ran.
    static func fuzz(_ name: String, seeds: [[UInt8]], runs: Int = 400, _ body: ([UInt8]) throws -> Void) -> Int {
        var mutator = Mutator(seed: UInt64(truncatingIfNeeded: name.hashValue))
        let deadline = seconds.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        var count = 0
        while deadline.map({ ContinuousClock.now < $0 }) ?? (count < runs) {
            let input = mutator.mutate(seeds[count % seeds.count])
            if let inputFile { _ = FileManager.default.createFile(atPath: inputFile, contents: Data(input)) }
            do { try body(input) } catch {
                Issue.record("\(name) : erreur non typée \(type(of: error)) : \(error)")
            }
            count += 1
        }
        print("fuzz \(name) : \(count) entrées, 0 plantage")
        return count
    }

    @Test func projects() {
        let engine = Engine()
        let seeds = ["examples/acquisition-46-occitanie.json", "examples/conformite-35.json", "examples/usage-projet-35.json", "examples/grappe-finess-occitanie.json"].map(Self.file)
        let count = Self.fuzz("projets", seeds: seeds) { bytes in
            // The fast path accepts nothing the general path refuses, and reads the same project.
            let fast = bytes.withUnsafeBytes { Project.decodeFast($0) }
            let project: Project
            do {
                let json = try JSON.parse(bytes: bytes)
                do { try ProjectDraft.validate(json) } catch {}
                project = try Project.decode(json)
            } catch {
                #expect(fast == nil, "accepté par le chemin rapide seulement : \(error)")
                guard error is JSONSyntaxError || error is InputError else { throw error }
                return
            }
            if let fast {
                var a = "", b = ""
                dump(fast, to: &a)
                dump(project, to: &b)
                #expect(a == b, "les deux chemins lisent des projets différents")
            }
            do { _ = try engine.assess(project).json.rendered() } catch {}
        }
        #expect(count > 0)
    }

    @Test func measuresFiles() throws {
        let engine = Engine()
        let projectJSON = try JSON.parse(bytes: Self.file("examples/usage-projet-35.json"))
        let project = try Project.decode(projectJSON)
        let usage = try UsageProject.dates(projectJSON, project: project)
        let ets = Set(project.establishments.compactMap(\.finessET))
        let csv = Self.file("examples/usage-mesures-35.csv")
        let small = Array(String(decoding: csv, as: UTF8.self).split(separator: "\n").prefix(40).joined(separator: "\n").utf8)
        let count = Self.fuzz("mesures", seeds: [small, csv]) { bytes in
            do {
                let measures = try MeasuresFile.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.csv", establishments: ets)
                let report = try engine.usageReport(usage, measures: measures, asOf: CalendarDate(iso: "2026-06-30")!)
                _ = report.csv
                _ = report.text
            } catch is MeasuresFile.Refused {
            } catch is UsageError {
            }
        }
        #expect(count > 0)
    }

    @Test func finessLines() {
        let seeds = ["Sources/Web/Demo/etalab-cs1100507-stock-20260512-0339.csv", "Sources/Web/Demo/etalab-cs1100501-stock-20260512-0338.csv"].map(Self.file)
        let count = Self.fuzz("lignes FINESS", seeds: seeds.map { Array($0.prefix(6000)) }) { bytes in
            let extraction = FinessFile.read(bytes, file: "fuzz.csv")
            _ = extraction.establishments.count + extraction.problems.count
        }
        #expect(count > 0)
    }

    @Test func numbersOfForms() {
        let seeds = ["12 000,50", "0,05", "1000000000", "5", "1 234 567,89 €"].map { Array($0.utf8) }
        let count = Self.fuzz("montants", seeds: seeds) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            if case let .success(cents) = Amount.formEuros(text, limit: Limits.expensesCents) {
                #expect((0...Limits.expensesCents).contains(cents))
            }
        }
        #expect(count > 0)
    }
}

/// Byte-level mutations, with the values that make parsers and arithmetic fail: the edges of
/// `Int`, long runs, separators, quotes, nesting, invalid UTF-8.
struct Mutator {
    var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(bound, 1)))
    }

    static let tokens: [[UInt8]] = [
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999", "-1", "0", "1e308", "-0",
        "0x1p3", ".5", "05", "+5", "NaN", "inf", "null", "true", "\"\"", "[]", "{}", "[[[[[[[[", "]]]]", ";", ";;;;", ",", "\"",
        "\\u0000", "\\ud800", "2025-13-01", "2025-02-30", "9999-12", "0000-00", "2A", "2B", "976", "310000013", "310000014",
        String(repeating: "9", count: 400), String(repeating: "x", count: 2000), "\r\n", "\n\n\n", "é", "\u{FEFF}",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x00]]

    mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + next(4)) {
            let at = bytes.isEmpty ? 0 : next(bytes.count)
            switch next(7) {
            case 0: if !bytes.isEmpty { bytes[at] = UInt8(truncatingIfNeeded: next(256)) }
            case 1: bytes.insert(contentsOf: Self.tokens[next(Self.tokens.count)], at: at)
            case 2:
                // Replace a number or a field with a token.
                var end = at
                while end < bytes.count, end - at < 24, ![UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\n"), UInt8(ascii: "}")].contains(bytes[end]) { end += 1 }
                bytes.replaceSubrange(at..<end, with: Self.tokens[next(Self.tokens.count)])
            case 3: if !bytes.isEmpty { bytes.removeSubrange(at..<min(bytes.count, at + 1 + next(64))) }
            case 4:
                let end = min(bytes.count, at + 1 + next(200))
                bytes.insert(contentsOf: Array(bytes[at..<end]), at: end)
            case 5: bytes = Array(bytes.prefix(at))
            default:
                if bytes.count > 2 {
                    let other = next(bytes.count)
                    bytes.swapAt(at, other)
                }
            }
        }
        return bytes
    }
}
