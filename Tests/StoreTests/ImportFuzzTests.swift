import Foundation
import Registry
import Rules
import Store
import Testing
import TestSupport

/// Random mutations of valid extraction lines (cut, doubled quotes, wrong arity, bad encodings,
/// bad keys, stray bytes) never crash the importer: each file is imported, imported with warnings,
/// or refused with its line numbers, and a refused file leaves the store exactly as it was.
@Suite("Import FINESS : fuzz")
struct ImportFuzzTests {
    struct Mutator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }

        mutating func mutate(_ line: [UInt8]) -> [UInt8] {
            var l = line
            switch next(9) {
            case 0: l = Array(l.prefix(next(l.count))) // cut
            case 1: l.insert(UInt8(ascii: "\""), at: next(l.count + 1)) // stray quote
            case 2: // a field wrapped in quotes with doubled inner quotes: valid
                if let i = l.firstIndex(of: UInt8(ascii: ";")) { l.insert(contentsOf: Array("\"a\"\"b\";".utf8), at: i + 1); l.remove(at: i + 1 + 7) }
            case 3: if let i = l.lastIndex(of: UInt8(ascii: ";")) { l.remove(at: i) } // one field fewer
            case 4: l.insert(UInt8(ascii: ";"), at: next(l.count + 1)) // one field more
            case 5: l.insert([0x81, 0xC3, 0xFF, 0x9D][next(4)], at: next(l.count + 1)) // bad encoding
            case 6: // bad key: change the last digit of the FINESS ET
                if l.count > 21 { l[20] = UInt8(ascii: "0") + UInt8((Int(l[20]) - 48 + 1 + next(8)) % 10) }
            case 7: l[next(l.count)] = UInt8(next(256)) // any byte
            default: l = Array(l.prefix(next(l.count))) + Array(l.suffix(next(l.count))) // splice
            }
            return l
        }
    }

    @Test(arguments: TestDatabase.available)
    func mutatedExtractionsNeverCrashAndRefusalsChangeNothing(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            let lines = Array(demoEstablishments.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            var mutator = Mutator(state: 2026)
            var outcomes = (imported: 0, warned: 0, refused: 0)
            for round in 0..<(db == .sqlite ? 150 : 60) {
                var file = lines
                var touched: Set<Int> = []
                for _ in 0..<(1 + mutator.next(3)) {
                    let i = 1 + mutator.next(file.count - 2)
                    file[i] = mutator.mutate(file[i])
                    touched.insert(i + 1)
                }
                let bytes = Array(file.joined(separator: [0x0A]))
                let extraction = FinessFile.read(bytes, file: "fuzz-\(round).csv")
                let before = try await snapshot(store)
                do {
                    let report = try await repository.importExtractions([extraction])
                    if report.warnings.isEmpty { outcomes.imported += 1 } else { outcomes.warned += 1 }
                } catch let refused as ImportRefused {
                    outcomes.refused += 1
                    #expect(!refused.problems.isEmpty)
                    for p in refused.problems {
                        #expect(p.file == "fuzz-\(round).csv")
                        #expect(p.line >= 1 && p.line <= file.count)
                        // A line named is one we touched (an encoding problem is named where the byte is).
                        #expect(touched.contains(p.line), "ligne \(p.line) signalée, lignes modifiées \(touched.sorted()) : \(p)")
                    }
                    #expect(try await snapshot(store) == before, "un import refusé a modifié la base")
                }
            }
            #expect(outcomes.refused > 0 && outcomes.imported + outcomes.warned > 0, "\(outcomes)")
        }
    }
}
