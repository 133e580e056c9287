import Rules
import Testing

/// The fast path reads a full project straight from its bytes; it must accept nothing the general
/// path refuses and give the same project.
@Suite("Lecture rapide d'un projet")
struct FastPathTests {
    static func general(_ text: String) -> Project? {
        guard let json = try? JSON.parse(text) else { return nil }
        return try? Project.decode(json)
    }

    static func fast(_ bytes: [UInt8]) -> Project? {
        bytes.withUnsafeBytes { Project.decodeFast($0) }
    }

    static func same(_ a: Project, _ b: Project) -> Bool {
        var x = "", y = ""
        dump(a, to: &x)
        dump(b, to: &y)
        return x == y
    }

    @Test func everyCaseTakesTheFastPathToTheSameProject() throws {
        for c in seedCases + ruleCases {
            for indent in [true, false] {
                let text = c.project.rendered(indent: indent)
                let fast = try #require(Self.fast(Array(text.utf8)), "\(c.name) : chemin rapide refusé")
                let general = try #require(Self.general(text))
                #expect(Self.same(fast, general), "\(c.name)")
            }
        }
    }

    /// Mutated inputs: whatever the fast path accepts, the general path accepts the same way.
    @Test func mutationsNeverMakeThePathsDisagree() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]:,"\ 0123456789-.eEtrufalsn"#.utf8) + [0x00, 0xC3, 0xA9, 0xFF, 0x0A]
        var checked = 0, acceptedByBoth = 0
        for c in (seedCases + ruleCases) {
            let original = Array(c.project.rendered(indent: false).utf8)
            for _ in 0..<300 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[at] = alphabet.randomElement(using: &rng)!
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
                    }
                    if bytes.isEmpty { bytes = [0x7B] }
                }
                checked += 1
                guard let fast = Self.fast(bytes) else { continue }
                let general = try #require(Self.general(String(decoding: bytes, as: UTF8.self)), "accepté par le chemin rapide seulement : \(String(decoding: bytes, as: UTF8.self))")
                #expect(Self.same(fast, general))
                acceptedByBoth += 1
            }
        }
        print("chemin rapide : \(checked) entrées mutées, \(acceptedByBoth) acceptées par les deux chemins, aucune par un seul")
        #expect(checked >= 10_000)
    }

    @Test func whatTheFastPathLeavesToTheGeneralOne() {
        let complete = #"{"campaign":"2022","kind":"acquisition","solution":{"name":"X","editor":"Y","referencing":"segur"},"porteur":"310000013","procurement":"sad","organismes":[{"finessEJ":"310000013","name":"A","essmsCount":60}],"establishments":[{"finessET":"310001003","finessEJ":"310000013","name":"E","sector":"PA","department":"31"}]}"#
        #expect(Self.fast(Array(complete.utf8)) != nil)
        for (from, to) in [
            (#""name":"E""#, #""name":"\u0045""#),                       // an escape
            (#""essmsCount":60"#, #""essmsCount":6e1"#),                 // another notation
            (#","name":"E","sector":"PA","department":"31""#, ""),      // to complete from the registry
            (#""department":"31"}"#, #""department":"31","department":"31"}"#), // a key twice
            (#""essmsCount":60"#, #""essmsCount":99999999999999999999999"#),
        ] {
            #expect(Self.fast(Array(complete.replacingOccurrences(of: from, with: to).utf8)) == nil, "\(to)")
        }
    }
}
