import Foundation
import Rules
import Testing

/// The worked examples of the seeds and the per-rule cases, as data beside the rules
/// (`Cases/*.json`). Each case is a project in the input contract of `simulation.md` and what its
/// assessment must hold. An establishment entry with `count` stands for that many establishments
/// whose FINESS ET numbers are generated with valid keys in their department.
struct WorkedCase: CustomTestStringConvertible, Sendable {
    let file: String
    let name: String
    let source: String
    let project: JSON
    let expect: JSON
    var testDescription: String { "\(file) — \(name)" }

    static func load(_ file: String) -> [WorkedCase] {
        let url = Bundle.module.url(forResource: "Cases/\(file)", withExtension: "json")!
        let json = try! JSON.parse(String(decoding: try! Data(contentsOf: url), as: UTF8.self))
        guard case let .array(items) = json else { return [] }
        return items.map {
            guard case let .string(name)? = $0["name"], case let .string(source)? = $0["source"] else { fatalError("case without name") }
            return WorkedCase(file: file, name: name, source: source, project: expand($0["project"]!), expect: $0["expect"]!)
        }
    }

    static func expand(_ project: JSON) -> JSON {
        guard case var .object(members) = project, let index = members.firstIndex(where: { $0.0 == "establishments" }),
              case let .array(groups) = members[index].1 else { return project }
        var serial = 0
        var establishments: [JSON] = []
        for group in groups {
            guard case let .object(fields) = group, case let .number(n)? = group["count"] else { establishments.append(group); continue }
            guard case let .string(department)? = group["department"] else { fatalError("group without department") }
            for _ in 0..<Int(n)! {
                serial += 1
                var entry = fields.filter { $0.0 != "count" }
                if group["finessET"] == nil { entry.insert(("finessET", .string(finessET(department, serial))), at: 0) }
                establishments.append(.object(entry))
            }
        }
        members[index].1 = .array(establishments)
        return .object(members)
    }

    static func finessET(_ department: String, _ serial: Int) -> String {
        let prefix: String
        switch department {
        case "976": prefix = "9805"
        case let d where d.count == 3: prefix = "970" + String(d.last!)
        default: prefix = department
        }
        let digits = String(5000 + serial)
        return FinessNumber.withKey(prefix + String(repeating: "0", count: 8 - prefix.count - digits.count) + digits)!
    }
}

let seedCases = WorkedCase.load("seeds")
let ruleCases = WorkedCase.load("rules")

func check(_ c: WorkedCase) throws {
    let project = try Project.decode(c.project)
    let assessment = try Engine().assess(project)
    let output = assessment.json
    let context = Comment(rawValue: "\(c.name) (\(c.source))\n\(assessment.text)")
    guard case let .object(expectations) = c.expect else { return }
    for (key, expected) in expectations {
        switch key {
        case "outcome", "instruction", "pivotRegion", "eligibleEstablishments":
            #expect(output[key] == expected, "\(key) : \(output[key]?.rendered() ?? "absent") au lieu de \(expected.rendered())\n\(context)")
        case "funding":
            guard case let .object(items) = expected else { continue }
            for (item, value) in items {
                #expect(output["funding"]?[item] == value, "funding.\(item) : \(output["funding"]?[item]?.rendered() ?? "absent") au lieu de \(value.rendered())")
            }
        case "payments":
            guard case let .array(amounts) = expected, case let .array(payments)? = output["payments"] else { continue }
            #expect(payments.map { $0["amount"]! } == amounts, "payments")
        case "sons":
            guard case let .array(orders) = expected, case let .array(actual)? = output["sons"] else { continue }
            #expect(actual.count == orders.count, "sons : \(actual.count) commandes au lieu de \(orders.count)")
            for (order, got) in zip(orders, actual) {
                guard case let .object(fields) = order else { continue }
                for (field, value) in fields { #expect(got[field] == value, "sons.\(field)") }
            }
        case "refusals", "flags", "excluded":
            guard case let .array(rules) = expected else { continue }
            let wanted = rules.map { r -> String in if case let .string(s) = r { return s } else { return "" } }.sorted()
            let entries: [String]
            switch key {
            case "refusals": entries = assessment.refusals.map(\.rule.rawValue)
            case "flags": entries = assessment.flags.map(\.rule.rawValue)
            default: entries = assessment.excluded.map(\.rule.rawValue)
            }
            #expect(Array(Set(entries)).sorted() == wanted, "\(key)")
        case "applies", "absent":
            guard case let .array(rules) = expected else { continue }
            let named = Set(assessment.rulesNamed.map(\.rawValue))
            for case let .string(rule) in rules {
                #expect(RuleID(rawValue: rule) != nil, "règle inconnue \(rule)")
                if key == "applies" { #expect(named.contains(rule), "\(rule) devrait s'appliquer") }
                else { #expect(!named.contains(rule), "\(rule) ne devrait pas s'appliquer") }
            }
        default:
            Issue.record("clé d'attente inconnue « \(key) » dans \(c.name)")
        }
    }
}

@Suite("Exemples des sources")
struct SeedExampleTests {
    @Test("Chaque exemple chiffré des sources est reproduit", arguments: seedCases)
    func seedExample(_ c: WorkedCase) throws { try check(c) }
}

@Suite("Règles, dans les deux sens")
struct RuleCaseTests {
    @Test("Chaque cas de règle", arguments: ruleCases)
    func ruleCase(_ c: WorkedCase) throws { try check(c) }

    /// Every rule ID of §2–§7 and §11 (W included) is asserted applying in one case (`applies`,
    /// `refusals`, `flags`, `excluded`) and asserted not applying in another (`absent`), case by
    /// case: what counts is what the cases assert, not what the engine happens to print.
    @Test func everyRuleIsAssertedBothWays() throws {
        var present = Set<String>(), absent = Set<String>()
        for c in seedCases + ruleCases {
            guard case let .object(expectations) = c.expect else { continue }
            for (key, value) in expectations {
                guard case let .array(items) = value else { continue }
                let rules = items.compactMap { item -> String? in if case let .string(s) = item { return s } else { return nil } }
                switch key {
                case "applies", "refusals", "flags", "excluded": present.formUnion(rules)
                case "absent": absent.formUnion(rules)
                default: break
                }
            }
        }
        // The instruction's rules (W4, W5, D9) are asserted by DossierRulesTests.
        let required = RuleID.allCases.filter { !RuleID.instruction.contains($0) }.map(\.rawValue).filter { id in
            ["E", "G", "R", "S", "P", "D", "W"].contains(where: { id.hasPrefix($0) })
        }
        #expect(required.count == 42)
        for id in required {
            #expect(present.contains(id), "\(id) n'est affirmée présente dans aucun cas")
            #expect(absent.contains(id), "\(id) n'est affirmée absente dans aucun cas")
        }
    }
}
