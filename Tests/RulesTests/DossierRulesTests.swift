import Foundation
import Rules
import Testing

/// The instruction's rules (`dossiers.md`): the transition table, the checklist (W4), the score
/// (W5, D9) and the granted amounts against the frozen assessment.
@Suite("Règles de l'instruction des dossiers")
struct DossierRulesTests {
    static let example = try! String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/acquisition-46-occitanie.json"), encoding: .utf8)

    @Test func transitionsFollowTheTable() {
        #expect(DossierTransition.targets(from: .brouillon) == [.depose])
        #expect(DossierTransition.targets(from: .enInstruction) == [.correctionDemandee, .accepte, .refuse, .classeSansSuite])
        #expect(DossierTransition.targets(from: .accepte) == [.enInstruction])
        #expect(DossierTransition.targets(from: .classeSansSuite).isEmpty)
        #expect(DossierTransition.line(from: .depose, to: .classeSansSuite)?.by == [.instructeur, .porteur])
        #expect(DossierTransition.line(from: .brouillon, to: .accepte) == nil)
        #expect(DossierState.holding == [.depose, .enInstruction, .correctionDemandee, .accepte])
    }

    @Test func theChecklistFollowsTheProject() throws {
        let json = try JSON.parse(Self.example)
        let project = try Project.decode(json)
        let assessment = try Engine().assess(project)
        let lines = Checklist.lines(project, assessment)
        #expect(lines.filter(\.required).map(\.item) == [.cadreReponse, .autodiagnosticSI, .planFinancement, .devis])
        // Several organismes ask for their cooperation agreement; an E5 establishment for its declaration.
        var other = project
        other.establishments[0].finessEJ = "750100018"
        other.establishments[1].confortActivity = true
        let more = Checklist.lines(other, try Engine().assess(other)).filter(\.required).map(\.item)
        #expect(more.contains(.conventionCooperation) && more.contains(.declarationActivite))
    }

    @Test func theScoreIsOutOfFifteen() throws {
        let score = try DossierScore(json: try JSON.parse(#"{"criteria": {"enjeux": 3, "equipe": 3, "planning": 2, "securite": 2, "interoperabilite": 1}}"#))
        #expect(score.total == 11 && score.mature)
        #expect(score.json["outOf"] == .number("15"))
        #expect(score.json["rule"] == .string("D9"))
        #expect(throws: InputError(path: "criteria.equipe", reason: "champ obligatoire manquant")) {
            try DossierScore(json: try JSON.parse(#"{"criteria": {"enjeux": 3}}"#))
        }
        #expect(throws: InputError(path: "criteria.enjeux", reason: "note entière de 0 à 3 attendue")) {
            try DossierScore(json: try JSON.parse(#"{"criteria": {"enjeux": -1, "equipe": 0, "planning": 0, "securite": 0, "interoperabilite": 0}}"#))
        }
    }

    @Test func grantedAmountsStayWithinTheFrozenAssessment() throws {
        let frozen = Assessment.Funding(usage: 322_000_00, software: 667_000_00, equipment: 10_000_00)
        #expect(try Grant.read(nil, frozen: frozen) == frozen)
        let modulated = try Grant.read(try JSON.parse(#"{"equipment": 5000.50}"#), frozen: frozen)
        #expect(modulated.equipment == 5_000_50 && modulated.usage == 322_000_00)
        #expect(throws: InputError(path: "granted.usage", reason: "forfait : 322 000 € exactement, le montant de l'évaluation figée (F-usage)")) {
            try Grant.read(try JSON.parse(#"{"usage": 300000}"#), frozen: frozen)
        }
        #expect(throws: InputError.self) { try Grant.read(try JSON.parse(#"{"equipment": 10000.01}"#), frozen: frozen) }
        #expect(throws: InputError.self) { try Grant.read(try JSON.parse(#"{"equipment": -1}"#), frozen: frozen) }
        #expect(throws: InputError.self) { try Grant.read(try JSON.parse(#"{"bonus": 1}"#), frozen: frozen) }
    }

    @Test func theRankingPutsCommittedFirstThenPrioritiesScoreAndFiling() {
        func c(_ id: String, _ state: DossierState, _ priorities: [String] = [], score: Int? = nil, amount: Cents, filed: String) -> Ranking.Candidate {
            Ranking.Candidate(id: id, title: id, state: state, priorities: priorities, score: score, amount: amount, filedAt: filed, decidedAt: filed)
        }
        let lines = Ranking.rank([
            c("tard", .depose, amount: 100, filed: "2022-05-02"),
            c("tot", .depose, amount: 100, filed: "2022-04-01"),
            c("note", .enInstruction, score: 9, amount: 100, filed: "2022-06-01"),
            c("mature", .enInstruction, ["mature"], score: 12, amount: 300, filed: "2022-06-02"),
            c("accepte", .accepte, amount: 400, filed: "2022-07-01"),
            c("refuse", .refuse, amount: 1000, filed: "2022-03-01"),
        ], envelope: 900, priorityOrder: ["mature"])
        #expect(lines.map(\.candidate.id) == ["accepte", "mature", "note", "tot", "tard"])
        #expect(lines.map(\.cumulative) == [400, 700, 800, 900, 1000])
        #expect(lines.map(\.fitsEnvelope) == [true, true, true, true, false])
        #expect(Ranking.rank([c("x", .depose, amount: 5, filed: "")], envelope: nil, priorityOrder: []).first?.fitsEnvelope == true)
    }

    /// W5 (Normandie 2022, [000]): the priorities a filed project meets, in the call's order.
    @Test func prioritiesFollowTheCallsOrder() throws {
        let catalogue = CampaignCatalogue.bundled
        let normandie = try #require(catalogue.campaign("2022-normandie"))
        #expect(normandie.grid.priorities.map(\.rawValue) == ["mature", "nonRetenuAnterieur", "acquisitionPAPH", "pdsPde", "saad",
                                                             "centPourCentRegional", "ogPublic", "conformiteSonsMoyenGrosOG", "ahiPjm"])
        #expect(normandie.parameter("W5.priorites")?.source == "[000]")
        #expect(catalogue.campaign("2022-occitanie")?.grid.priorities == [.mature])
        let ej = "140000019"
        func project(filed: String) -> Project {
            Project(campaign: "2022-normandie", kind: .acquisition, solution: .init(name: "Logiciel X", editor: "Éditeur Y", referencing: .segur),
                    porteur: ej, procurement: .sad, organismes: [.init(finessEJ: ej, name: "Association normande", essmsCount: 30)],
                    establishments: (1...10).map { i in
                        .init(finessET: WorkedCase.finessET("14", i), finessEJ: ej, name: "EHPAD \(i)", sector: .PA, department: Territory.department("14")!)
                    } + (11...12).map { i in
                        .init(finessET: WorkedCase.finessET("76", i), finessEJ: ej, name: "CHRS \(i)", sector: .PDS, department: Territory.department("76")!)
                    },
                    filingDate: CalendarDate(iso: filed))
        }
        let inWindow1 = project(filed: "2022-04-01")
        let met = Priority.computed(inWindow1, try Engine().assess(inWindow1), campaign: normandie, porteurPublic: false)
        #expect(met == [.acquisitionPAPH, .pdsPde, .centPourCentRegional])
        let later = project(filed: "2022-07-01")
        let metLater = Priority.computed(later, try Engine().assess(later), campaign: normandie, porteurPublic: true)
        #expect(metLater == [.acquisitionPAPH, .pdsPde, .ogPublic])
        // Held: mature from the score, the instructor's own, in the call's order; only what the call lists.
        let held = Priority.held(listed: normandie.grid.priorities, computed: met, score: 12, instructor: [.nonRetenuAnterieur, .saad])
        #expect(held == [.mature, .nonRetenuAnterieur, .acquisitionPAPH, .pdsPde, .centPourCentRegional])
        #expect(Priority.held(listed: [.mature], computed: met, score: 10, instructor: []).isEmpty)
        #expect(Priority.isPublic(legalStatus: "13") == true && Priority.isPublic(legalStatus: "60") == false && Priority.isPublic(legalStatus: nil) == nil)
        // The instructor sets only what the machine cannot compute.
        #expect(throws: InputError(path: "priorities[0]", reason: "priorité posée par l'instructeur attendue : nonRetenuAnterieur (les autres sont calculées)")) {
            try DossierScore(json: try JSON.parse(#"{"criteria": {"enjeux": 3, "equipe": 3, "planning": 2, "securite": 2, "interoperabilite": 1}, "priorities": ["saad"]}"#))
        }
        // A call listing an unknown priority does not load.
        let bad = #"{ "id": "2022-test", "label": "AAP test", "ruleSetVersion": "2022.1", "extends": "2022", "region": "28", "period": { "from": "2022-03-01", "to": "2022-12-31" }, "parameters": { "W5.priorites": { "value": ["mature", "jeunes"], "source": "AAP test" } } }"#
        #expect(loadError([("2022.json", nationalGrid), ("2022-test.json", bad)])?.description
                == "campagne 2022-test, paramètre W5.priorites : priorité 2 inconnue ; priorités : mature, nonRetenuAnterieur, acquisitionPAPH, pdsPde, saad, centPourCentRegional, ogPublic, conformiteSonsMoyenGrosOG, ahiPjm")
    }
}
