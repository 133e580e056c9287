import Foundation
import Rules
import Testing

/// #14: a refusal or a flag the porteur can act on says, in one sentence, what would change the
/// outcome — in the JSON (`nextStep`, added beside `message`), the text report and the pages.
@Suite("Pour avancer")
struct NextStepTests {
    @Test func aGrappeUnderTheThresholdSaysHowManyAreMissing() throws {
        // 12 EHPAD of Île-de-France in 2025: the threshold is 15 there (G3).
        let assessment = try DatedParameterTests.engine().assess(DatedParameterTests.project(filed: "2025-06-02", count: 12))
        #expect(assessment.outcome == .nonRecevable)
        let refusal = try #require(assessment.refusals.first { $0.rule == .G3 })
        #expect(refusal.fact.nextStep == "Ajoutez 3 ESSMS éligibles pour atteindre le seuil de 15 ; ou, si la maîtrise d'ouvrage est mature, dites-le : l'ARS en jugera au cas par cas.")
        guard case let .array(refusals)? = assessment.json["refusals"] else { Issue.record("refusals"); return }
        #expect(refusals.first?["nextStep"] == .string(refusal.fact.nextStep!))
        #expect(refusals.first?["message"] == .string(refusal.text))
        if case let .array(explanation)? = assessment.json["explanation"] { #expect(explanation.allSatisfy { $0["nextStep"] == nil }) }
        #expect(Fact.underThreshold(establishments: 19, threshold: 20).nextStep?.hasPrefix("Ajoutez 1 ESSMS éligible pour") == true)
        #expect(Fact.fundingTotal(100).nextStep == nil)
    }
}

/// #14: every citation of a source document can be followed; the catalogue names the five.
@Suite("Sources citées")
struct SourceDocumentTests {
    @Test func citationsAreCutOutOfSourceTexts() {
        let parts = SourceDocument.parts("[003] Q26, Q29 ; programme-rules.md §11 D9 (notre décision), [000] et [9] [00x]")
        #expect(parts.map(\.text) == ["[003]", " Q26, Q29 ; programme-rules.md §11 D9 (notre décision), ", "[000]", " et [9] [00x]"])
        #expect(parts.map(\.document) == [.s003, nil, .s000, nil])
        #expect(SourceDocument.parts("").isEmpty)
        #expect(SourceDocument.allCases.map(\.citation) == ["[000]", "[001]", "[002]", "[003]", "[004]"])
        #expect(SourceDocument.s002.issuer == "ARS Occitanie")
    }

    /// The platform's own contracts are said in words: D10 never read as D1, `usage.md` and §8 as
    /// one reading, the `[00x]` left for `SourceDocument.parts`.
    @Test func internalReferencesAreSaidInWords() {
        let parts = PlatformReading.words("programme-rules.md §11 D10 (notre décision), [000] ; programme-rules.md §11 D1")
        #expect(parts.map(\.text) == ["décision D10 de la plateforme", ", [000] ; ", "décision D1 de la plateforme"])
        #expect(parts.map(\.reading) == [.decision(.D10), nil, .decision(.D1)])
        #expect(PlatformReading.words(RuleID.U2.source).map(\.text) == ["définitions des taux d'usage de la plateforme"])
        #expect(PlatformReading.words("finess.md §3.3").map(\.reading) == [.finessCategories])
        #expect(PlatformReading.words("[003] Q30").map(\.reading) == [nil])
        // Every source of the catalogue reads without a file name of the platform.
        for rule in RuleID.allCases {
            let said = PlatformReading.words(rule.source).map(\.text).joined()
            #expect(!said.contains(".md") && !said.contains("README"), "\(rule.rawValue) : \(said)")
        }
        #expect(PlatformReading.decision(.D6).summary == "Grappe mixte : à décider par l'ARS, rangs comptés par nature.")
    }
}
