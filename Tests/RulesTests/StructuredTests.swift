import Rules
import Testing

/// Explanations and outcomes are data: the values a rule used are typed fields of the entry, and
/// the sentences are rendered from them.
@Suite("Explications structurées")
struct StructuredTests {
    /// 61 EHPAD of Occitanie in acquisition, the first already funded (E3): 60 eligible, so the
    /// usage and software amounts cross the 49th rank.
    static func project(referencing: Referencing = .segur) -> Project {
        let ej = "310000013"
        var establishments = (1...61).map { i in
            Project.Establishment(finessET: WorkedCase.finessET("31", i), finessEJ: ej, name: "EHPAD \(i)", sector: .PA,
                                  department: Territory.department("31")!)
        }
        establishments[0].priorEsmsNumeriqueFunding = true
        return Project(campaign: "2022", kind: .acquisition, solution: .init(name: "Logiciel X", editor: "Éditeur Y", referencing: referencing),
                       porteur: ej, procurement: .sad,
                       organismes: [.init(finessEJ: ej, name: "Association A", essmsCount: 10)], establishments: establishments)
    }

    @Test func fundingLinesCarryTheirRankRangesAndAmounts() throws {
        let a = try Engine().assess(Self.project())
        let usage = try #require(a.fundingLines.first { $0.item == .usage })
        guard case let .tiered(t)? = usage.facts.first else { Issue.record("pas de calcul par rangs"); return }
        #expect(t.parts == [Tiers.Part(from: 1, to: 49, amount: 7_000_00), Tiers.Part(from: 50, to: 60, amount: 2_000_00)])
        #expect(t.total == 365_000_00) // 49 × 7 000 € + 11 × 2 000 € ([002] annexes)
        #expect(usage.amount == 365_000_00)
        #expect(usage.source == "[002] annexes, [004]")
        #expect(a.fundingLines.map(\.item) == Assessment.FundingItem.allCases)
        // A petit OG (10 ESSMS < 15): the equipment ceiling holds its count and unit amount.
        let equipment = try #require(a.fundingLines.first { $0.item == .equipment })
        #expect(equipment.facts == [.equipmentCeiling(establishments: 60, each: equipment.amount / 60, total: equipment.amount)])
        #expect(equipment.facts[0].calculation == "60 × \(Money.format(equipment.amount / 60)) = \(Money.format(equipment.amount)) au maximum")
    }

    @Test func instalmentsAreNamedNotIndexed() throws {
        let a = try Engine().assess(Self.project())
        #expect(a.advance.instalment == .avance && a.advance.instalment.rule == .P1)
        #expect(a.solde.instalment == .solde && a.solde.instalment.rule == .P2)
        #expect(a.advance.percent == 50 && a.solde.percent == 50)
        #expect(a.advance.amount + a.solde.amount == a.funding.total)
        #expect(a.explanation.contains { $0.fact == .advance(percent: 50, amount: a.advance.amount) && $0.source == a.advance.source })
    }

    @Test func exclusionsAndRoutingAreTyped() throws {
        let a = try Engine().assess(Self.project())
        #expect(a.excluded.map(\.cause) == [.alreadyFunded])
        #expect(a.excluded[0].reason == "a déjà reçu un financement ESMS numérique (un seul financement par ESSMS)")
        #expect(a.instruction == .CNSA)
        #expect(a.explanation.filter { $0.rule == .G3 }.map(\.fact) == [.nationalCall(establishments: 60, threshold: 50)])
    }

    @Test func refusalsHoldTheirValues() throws {
        let a = try Engine().assess(Self.project(referencing: .none))
        #expect(a.outcome == .nonRecevable)
        #expect(a.refusals.map(\.fact) == [.referencingRefused(field: .medicoSocial, allowed: [.segur, .sad], referencing: .none)])
        #expect(a.refusals[0].text == "acquisition, majorité PA/PH/DOM : l'éditeur doit être référencé Ségur ou référencé SAD seulement ; la solution est non référencé")
    }
}
