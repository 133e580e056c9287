import PropertyBased
import Rules
import Synchronization
import Testing

/// Random projects over every field of the input contract, edge cases included: excluded
/// establishments, overseas and Corsica, small OG, mixte, every referencing and procedure, unknown
/// campaigns. Built from one seed so that a failing case is reproduced from the seed alone.
struct RandomProject {
    var state: UInt64
    init(seed: Int) { state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
    mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }

    static let departments = ["31", "75", "76", "14", "2A", "2B", "971", "974", "976", "13", "59", "33"]
    var serial = 0

    mutating func finess(_ department: String) -> String {
        serial += 1
        let prefix: String
        switch department {
        case "976": prefix = "9805"
        case let d where d.count == 3: prefix = "970" + String(d.last!)
        default: prefix = department
        }
        let digits = String(1000 + serial)
        return FinessNumber.withKey(prefix + String(repeating: "0", count: 8 - prefix.count - digits.count) + digits)!
    }

    mutating func project() -> Project {
        let home = pick(Self.departments)
        var organismes: [Project.Organisme] = []
        for i in 0..<(1 + next(4)) {
            organismes.append(.init(finessEJ: finess(home), name: "OG \(i)", essmsCount: pick([1, 7, 8, 10, 14, 15, 16, 40, 200]),
                                    subjectToPublicProcurementCode: next(4) == 0,
                                    department: next(5) == 0 ? Territory.department(pick(Self.departments)) : nil))
        }
        let kind = pick(ProjectKind.allCases)
        let size = pick([1, 2, 7, 8, 9, 14, 15, 16, 30, 48, 49, 50, 51, 99, 100, 120])
        var establishments: [Project.Establishment] = []
        let sectors = next(3) == 0 ? Sector.allCases : [pick(Sector.allCases)]
        for i in 0..<size {
            let department = next(6) == 0 ? pick(Self.departments) : home
            establishments.append(.init(
                finessET: next(60) == 0 ? nil : finess(department),
                finessEJ: pick(organismes).finessEJ, name: "ESSMS \(i)",
                sector: pick(sectors), department: Territory.department(department)!,
                priorEsmsNumeriqueFunding: next(25) == 0,
                sonsOrderSoftware: next(20) == 0 ? pick(["Logiciel X", "Autre"]) : nil,
                kind: kind == .mixte ? pick([.acquisition, .miseEnConformite]) : nil,
                essms: next(50) != 0, confortActivity: next(40) == 0, attachedToNationalEntity: next(40) == 0,
                solution: next(80) == 0 ? "Autre" : nil))
        }
        return Project(
            campaign: pick(["2022", "2022", "2022-occitanie", "2022-normandie", "2025-idf", "2025-idf", "1999"]),
            kind: kind, solution: .init(name: "Logiciel X", editor: "Éditeur", referencing: pick(Referencing.allCases)),
            porteur: organismes[0].finessEJ, nationalRepresentativeness: next(10) == 0, matureProjectOwner: next(2) == 0,
            procurement: pick(Project.Procurement.allCases), organismes: organismes, establishments: establishments,
            filingDate: next(3) == 0 ? CalendarDate(iso: pick(["2022-04-01", "2022-08-01", "2025-03-01", "2025-07-01"])) : nil)
    }
}

let seeds = Gen.int(in: 0...Int(Int32.max))

/// How many inputs a property actually checked (the others did not meet its premise): printed, and
/// required to be a real share of the runs, so that a property cannot pass by skipping everything.
final class Checked: Sendable {
    private let count = Mutex(0)
    let name: String
    init(_ name: String) { self.name = name }
    func add() { count.withLock { $0 += 1 } }
    func report(atLeast minimum: Int, of runs: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let n = count.withLock { $0 }
        print("propriété « \(name) » : \(n) graines vérifiées sur \(runs)")
        #expect(n >= minimum, "\(name) : \(n) graines vérifiées sur \(runs), \(minimum) au moins attendues", sourceLocation: sourceLocation)
    }
}

@Suite("Propriétés du moteur")
struct PropertyTests {
    let engine = Engine()

    @Test func anyProjectGetsAnAssessmentOrATypedError() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            var random = RandomProject(seed: seed)
            let project = random.project()
            do {
                let a = try engine.assess(project)
                #expect(a.establishments == project.establishments.count)
                #expect(a.eligibleEstablishments + a.excluded.count == a.establishments)
                #expect((a.outcome == .nonRecevable) == !a.refusals.isEmpty)
                if a.outcome == .nonRecevable { #expect(a.funding.total == 0) }
                // The JSON output is valid JSON.
                #expect((try? JSON.parse(a.json.rendered())) != nil)
            } catch let error as AssessmentError {
                #expect(error == .unknownCampaign("1999", known: engine.catalogue.campaigns.map(\.id)))
            } catch {
                Issue.record("erreur non typée : \(error)")
            }
        }
    }

    @Test func instalmentsAddUpToTheTotalToTheCent() async {
        let checked = Checked("les versements font le total")
        await propertyCheck(count: 400, input: seeds) { seed in
            var random = RandomProject(seed: seed)
            guard let a = try? engine.assess(random.project()) else { return }
            checked.add()
            #expect(a.payments.reduce(0) { $0 + $1.amount } == a.funding.total)
            #expect(a.payments.allSatisfy { $0.amount >= 0 })
            for order in a.sons { #expect(order.advance + order.balance == order.total) }
        }
        checked.report(atLeast: 300, of: 400)
    }

    @Test func everyExplanationNamesAnExistingRuleWithItsSource() async {
        let checked = Checked("chaque explication cite une règle et sa source")
        await propertyCheck(count: 400, input: seeds) { seed in
            var random = RandomProject(seed: seed)
            guard let a = try? engine.assess(random.project()) else { return }
            guard case let .object(members) = a.json else { return }
            checked.add()
            for key in ["excluded", "refusals", "flags", "explanation"] {
                guard case let .array(entries)? = members.first(where: { $0.0 == key })?.1 else { continue }
                for entry in entries {
                    guard case let .string(rule)? = entry["rule"], case let .string(source)? = entry["source"] else {
                        Issue.record("\(key) : entrée sans règle ou sans source"); continue
                    }
                    #expect(RuleID(rawValue: rule) != nil, "\(key) : règle inconnue \(rule)")
                    #expect(!source.isEmpty, "\(key) : source vide pour \(rule)")
                }
            }
        }
        checked.report(atLeast: 300, of: 400)
    }

    /// Adding an eligible establishment of the project's majority field, in its pivot region and of
    /// the same kind and OG as one already there, never lowers the subsidy.
    @Test func addingAnEligibleEstablishmentNeverLowersTheSubsidy() async {
        let checked = Checked("ajouter un ESSMS éligible ne baisse pas la subvention")
        await propertyCheck(count: 400, input: seeds) { seed in
            var random = RandomProject(seed: seed)
            var project = random.project()
            guard let before = try? engine.assess(project), let pivot = before.pivotRegion else { return }
            let excludedET = Set(before.excluded.compactMap(\.finessET))
            let eligible = project.establishments.filter { $0.finessET != nil && !excludedET.contains($0.finessET!) && $0.essms }
            let medico = eligible.filter(\.sector.isMedicoSocial).count
            let majorityIsMedico = medico * 2 >= eligible.count
            guard let model = eligible.first(where: { $0.sector.isMedicoSocial == majorityIsMedico && $0.department.region == pivot }) else { return }
            var clone = model
            clone.finessET = random.finess(model.department.code)
            clone.name = "ESSMS ajouté"
            project.establishments.append(clone)
            guard let after = try? engine.assess(project) else { Issue.record("le projet agrandi n'est plus évalué"); return }
            checked.add()
            #expect(after.funding.total >= before.funding.total,
                    "\(before.funding.total) → \(after.funding.total) (graine \(seed))\n\(before.text)\n\(after.text)")
        }
        checked.report(atLeast: 300, of: 400)
    }
}
