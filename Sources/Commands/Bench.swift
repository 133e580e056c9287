import ArgumentParser
import Foundation
import Rules

struct BenchSimulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Évalue le lot national (2 000 grappes, 40 000 établissements) avec explications, sur un cœur."
    )

    @Option(help: "Nombre de grappes du lot.")
    var grappes = 2_000

    @Option(help: "Nombre total d'établissements du lot.")
    var establishments = 40_000

    @Option(help: "Nombre de passages mesurés.")
    var runs = 20

    @Flag(inversion: .prefixedNo, help: "Mesurer aussi une requête de simulation type, étape par étape (--no-stages : le lot seul, pour un profil).")
    var stages = true

    func run() throws {
        guard grappes > 0, establishments >= grappes, runs > 0 else {
            throw ValidationError("il faut au moins une grappe, un établissement par grappe et un passage")
        }
        let batch = NationalBatch.generate(grappes: grappes, establishments: establishments)
        let engine = Engine()
        let clock = ContinuousClock()
        var times: [Duration] = []
        var checksum = 0
        var outcomes: [Assessment.Outcome: Int] = [:]
        for run in 0...runs {
            var sum = 0
            let start = clock.now
            for project in batch {
                let a = try engine.assess(project)
                sum &+= a.funding.total &+ a.explanation.count &+ a.flags.count
                if run == 0 { outcomes[a.outcome, default: 0] += 1 }
            }
            let elapsed = clock.now - start
            if run > 0 { times.append(elapsed) } // the first pass warms the caches
            checksum = sum
        }
        times.sort()
        let best = times[0], median = times[times.count / 2]
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        let perSecond = Double(establishments) / (ms(median) / 1000)
        print("Lot national : \(grappes) grappes, \(establishments) établissements, \(Set(batch.map(\.campaign)).count) campagnes, \(runs) passages")
        print("  issues : \(outcomes.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))")
        print(String(format: "  médiane : %.2f ms   meilleur : %.2f ms", ms(median), ms(best)))
        print(String(format: "  %.0f établissements par seconde (médiane)", perSecond))
        print("  contrôle : \(checksum)")
        if stages { try requestStages(engine: engine, ms: ms) }
    }

    /// What one `POST /api/v1/simulations` of the 46-establishment example costs, stage by stage,
    /// on one core: the profile of the request path without the network.
    func requestStages(engine: Engine, ms: (Duration) -> Double) throws {
        guard let data = FileManager.default.contents(atPath: "examples/acquisition-46-occitanie.json") else { return }
        let bytes = [UInt8](data)
        let clock = ContinuousClock()
        let rounds = 2_000
        func measure<T>(_ body: () throws -> T) rethrows -> (Double, T) {
            var last: T? = nil
            var times: [Duration] = []
            for _ in 0..<5 {
                let start = clock.now
                for _ in 0..<rounds { last = try body() }
                times.append(clock.now - start)
            }
            return (ms(times.sorted()[2]) * 1000 / Double(rounds), last!)
        }
        let (parse, json) = try measure { try JSON.parse(bytes: bytes) }
        let (decode, project) = try measure { try Project.decode(json) }
        let (fast, _) = measure { bytes.withUnsafeBytes { Project.decodeFast($0) }! }
        let (assess, assessment) = try measure { try engine.assess(project) }
        let (build, output) = measure { assessment.json }
        let (render, text) = measure { output.utf8(indent: false) }
        print("Requête type (examples/acquisition-46-occitanie.json, \(bytes.count) octets → \(text.count) octets), par requête :")
        print(String(format: "  lecture rapide %.1f µs (chemin général : analyse JSON %.1f µs + décodage %.1f µs), évaluation %.1f µs, sortie JSON %.1f µs, rendu %.1f µs ; total %.1f µs",
                     fast, parse, decode, assess, build, render, fast + assess + build + render))
    }
}

/// A deterministic batch of projects shaped like a national call: mixed sizes, sectors, kinds,
/// referencings and campaigns, several OG per grappe, some small, some overseas.
public enum NationalBatch {
    public static func generate(grappes: Int, establishments: Int, seed: UInt64 = 2022) -> [Project] {
        var rng = SplitMix(seed: seed)
        // Sizes: mostly regional grappes, some small, some national; adjusted to the exact total.
        var sizes = (0..<grappes).map { _ -> Int in
            switch rng.next(100) {
            case 0..<8: return 1 + rng.next(7)
            case 8..<85: return 10 + rng.next(25)
            default: return 40 + rng.next(40)
            }
        }
        var total = sizes.reduce(0, +)
        var i = 0
        while total != establishments {
            if total < establishments { sizes[i] += 1; total += 1 } else if sizes[i] > 1 { sizes[i] -= 1; total -= 1 }
            i = (i + 1) % grappes
        }
        let campaigns = ["2022", "2022-occitanie", "2022-normandie", "2025-idf"]
        let departments = Territory.allDepartments
        var serial = 0
        func finess(_ department: Department) -> String {
            serial += 1
            var prefix = department.code
            if prefix.count == 3 { prefix = prefix == "976" ? "9805" : "970" + String(prefix.last!) }
            var modulus = 1
            for _ in 0..<(8 - prefix.count) { modulus *= 10 }
            let digits = String(serial % modulus)
            let body = prefix + String(repeating: "0", count: 8 - prefix.count - digits.count) + digits
            return FinessNumber.withKey(body)!
        }
        var projects: [Project] = []
        projects.reserveCapacity(grappes)
        for size in sizes {
            let home = departments[rng.next(departments.count)]
            let ogCount = 1 + rng.next(min(4, size))
            var organismes: [Project.Organisme] = []
            for o in 0..<ogCount {
                let ej = finess(home)
                organismes.append(.init(finessEJ: ej, name: "Organisme \(serial)", essmsCount: rng.next(3) == 0 ? 3 + rng.next(10) : 15 + rng.next(60),
                                        subjectToPublicProcurementCode: o == 0 && rng.next(5) == 0))
            }
            let kindRoll = rng.next(10)
            let kind: ProjectKind = kindRoll < 5 ? .acquisition : (kindRoll < 9 ? .miseEnConformite : .mixte)
            // Mostly projects that can be funded, as filed projects are; a tenth with a defect.
            let referencing: Referencing = rng.next(10) == 0 ? [.sad, .segurCandidate, .none][rng.next(3)] : .segur
            let procurement: Project.Procurement = rng.next(10) == 0 ? [.competition, .existingPublicContract, .none][rng.next(3)] : .sad
            var list: [Project.Establishment] = []
            list.reserveCapacity(size)
            let mainSector = Sector.allCases[rng.next(7)]
            for _ in 0..<size {
                let department = rng.next(10) == 0 ? departments[rng.next(departments.count)] : home
                let og = organismes[rng.next(organismes.count)]
                let sector = rng.next(4) == 0 ? Sector.allCases[rng.next(7)] : mainSector
                list.append(.init(
                    finessET: rng.next(200) == 0 ? nil : finess(department), finessEJ: og.finessEJ,
                    name: "Établissement \(serial)", sector: sector, department: department,
                    priorEsmsNumeriqueFunding: rng.next(40) == 0,
                    sonsOrderSoftware: rng.next(30) == 0 ? (rng.next(2) == 0 ? "Logiciel X" : "Autre DUI") : nil,
                    kind: kind == .mixte ? (rng.next(2) == 0 ? .acquisition : .miseEnConformite) : nil,
                    confortActivity: sector == .DOM && rng.next(10) == 0))
            }
            projects.append(Project(
                campaign: campaigns[rng.next(campaigns.count)], kind: kind,
                solution: .init(name: "Logiciel X", editor: "Éditeur Y", referencing: referencing),
                porteur: organismes[0].finessEJ, nationalRepresentativeness: rng.next(50) == 0,
                matureProjectOwner: rng.next(4) != 0, procurement: procurement,
                organismes: organismes, establishments: list,
                filingDate: rng.next(3) == 0 ? CalendarDate(iso: "2022-05-02") : nil))
        }
        return projects
    }
}

/// SplitMix64: a small deterministic generator, so the batch is the same on every machine.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
