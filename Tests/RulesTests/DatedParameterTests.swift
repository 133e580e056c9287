import Foundation
import Rules
import Testing

/// Values changed during a call are data: a parameter holds each value with its dates, the
/// evaluation picks the one in force and cites its dates.
@Suite("Paramètres datés")
struct DatedParameterTests {
    static let idf: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try! String(contentsOf: root.appendingPathComponent("Sources/Rules/Campaigns/2025-idf.json"), encoding: .utf8)
    }()

    static let envelope = #""W.enveloppe": { "value": 8680768, "unit": "EUR", "source": "[001]", "notes": "Enveloppe régionale Île-de-France 2025." }"#
    static let exemptions = #""U4.exemptions": { "value": ["PJM"], "source": "[001]", "notes": "Secteurs exemptés des cibles MSSanté et DMP (Mon Espace Santé) : les ESSMS PJM [001]." }"#

    /// 2025-idf with an envelope cut and an exemption widened on 1 September 2025 (test data: the
    /// seeds do not state these changes).
    static func campaign(envelope: String = """
        "W.enveloppe": { "unit": "EUR", "source": "[001]", "values": [
          { "from": "2025-01-01", "to": "2025-08-31", "value": 8680768 },
          { "from": "2025-09-01", "value": 7650000, "source": "arrêté de test du 1er septembre 2025", "notes": "enveloppe réduite" } ] }
        """) -> String {
        precondition(idf.contains(Self.envelope) && idf.contains(Self.exemptions))
        return idf.replacingOccurrences(of: Self.envelope, with: envelope).replacingOccurrences(of: Self.exemptions, with: """
            "U4.exemptions": { "source": "[001]", "values": [
              { "from": "2025-01-15", "to": "2025-08-31", "value": ["PJM"] },
              { "from": "2025-09-01", "value": ["PJM", "AHI"], "source": "note de test de septembre 2025" } ] }
            """)
    }

    static func engine() throws -> Engine {
        Engine(catalogue: try CampaignCatalogue.load(files: [(name: "2025-idf.json", text: campaign())]))
    }

    static func project(filed: String?, sector: Sector = .PA, count: Int = 20) -> Project {
        let ej = "750000015"
        return Project(campaign: "2025-idf", kind: .acquisition, solution: .init(name: "Logiciel X", editor: "Éditeur Y", referencing: .segur),
                       porteur: ej, procurement: .sad, organismes: [.init(finessEJ: ej, name: "Association", essmsCount: 40)],
                       establishments: (1...count).map { i in
                           .init(finessET: WorkedCase.finessET("75", i), finessEJ: ej, name: "ESSMS \(i)", sector: sector, department: Territory.department("75")!)
                       },
                       filingDate: filed.flatMap { CalendarDate(iso: $0) })
    }

    @Test func theValueInForceOnTheFilingDateApplies() throws {
        let engine = try Self.engine()
        let before = try engine.assess(Self.project(filed: "2025-06-02"))
        let after = try engine.assess(Self.project(filed: "2025-10-01"))
        let day = CalendarDate(iso: "2025-10-01")!
        #expect(before.flags.contains { $0.fact == .envelopeExceeded(total: before.funding.total, envelope: 8_680_768_00) } == false)
        #expect(before.explanation.contains { $0.fact == .envelopeShare(total: before.funding.total, permille: before.funding.total * 1000 / 8_680_768_00, envelope: 8_680_768_00) })
        #expect(after.explanation.contains { $0.fact == .envelopeShare(total: after.funding.total, permille: after.funding.total * 1000 / 7_650_000_00, envelope: 7_650_000_00) && $0.source == "arrêté de test du 1er septembre 2025" })
        // The explanation says which value applied, since when, on which day.
        let cited = try #require(after.explanation.first { if case .valueInForce(key: "W.enveloppe", _, _, _, _) = $0.fact { return true } else { return false } })
        #expect(cited.rule == .envelope)
        #expect(cited.text == "W.enveloppe = 7650000 : valeur en vigueur depuis le 01/09/2025, appliquée au 01/10/2025")
        #expect(cited.fact == .valueInForce(key: "W.enveloppe", value: "7650000", from: CalendarDate(iso: "2025-09-01")!, to: nil, on: day))
        // Without a filing date, the day of the simulation decides; without either, the campaign's start.
        let simulatedInJuly = try engine.assess(Self.project(filed: nil), on: CalendarDate(iso: "2025-07-14"))
        #expect(simulatedInJuly.explanation.contains { $0.text == "W.enveloppe = 8680768 : valeur en vigueur du 01/01/2025 au 31/08/2025, appliquée au 14/07/2025" })
        let undated = try engine.assess(Self.project(filed: nil))
        #expect(!undated.explanation.contains { if case .valueInForce = $0.fact { return true } else { return false } })
        #expect(undated.explanation.contains { $0.rule == .envelope && $0.text.hasSuffix("de l'enveloppe régionale de 8 680 768 €") })
    }

    @Test func aUsageReportUsesTheExemptionsInForceOnItsDay() throws {
        let engine = try Self.engine()
        let project = Self.project(filed: "2025-03-03", sector: .AHI)
        let usage = UsageProject(project: project, commitmentDate: CalendarDate(iso: "2025-03-01")!)
        // AHI establishments that send nothing by MSSanté and feed no DMP.
        let measures = project.establishments.flatMap { e in
            (3...8).map { m in MonthlyMeasure(finessET: e.finessET!, month: YearMonth(year: 2025, month: m), persons: 50, activeRecords: 50,
                                             activeWithProjet: 50, activeWithEvent: 50, mssMessagesSent: 0, dmpFedPersons: 0) }
        }
        let august = try engine.usageReport(usage, measures: measures, asOf: CalendarDate(iso: "2025-08-31")!)
        let october = try engine.usageReport(usage, measures: measures, asOf: CalendarDate(iso: "2025-10-01")!)
        #expect(august.solde.failing.map(\.indicator) == ["mss", "dmp"])
        #expect(!august.explanation.contains { $0.rule == .U4 })
        #expect(october.solde.failing.isEmpty)
        #expect(october.explanation.contains { $0.fact == .exemptFromNationalServices(establishments: 20, sectors: [.AHI]) && $0.source == "note de test de septembre 2025" })
    }

    @Test(arguments: [
        (#"{ "from": "2025-01-01", "to": "2025-08-31", "value": 1 }, { "from": "2025-09-02", "value": 2 }"#, "trou entre le 31/08/2025 et le 02/09/2025"),
        (#"{ "from": "2025-01-01", "to": "2025-09-30", "value": 1 }, { "from": "2025-09-01", "value": 2 }"#, "chevauche la valeur précédente"),
        (#"{ "from": "2025-02-01", "value": 1 }"#, "trou entre le début de la campagne (15/01/2025) et le 01/02/2025"),
        (#"{ "from": "2025-01-01", "value": 1 }, { "from": "2025-09-01", "value": 2 }"#, "seule la dernière valeur peut être sans fin"),
        (#"{ "from": "2025-01-01", "to": "2025-12-31", "value": 1 }"#, "la dernière valeur doit être sans fin"),
        (#"{ "from": "2025-01-01", "to": "2025-08-31", "value": 1 }, { "from": "2025-09-01", "value": "beaucoup" }"#, "montant en euros attendu"),
    ])
    func overlapsGapsAndBadValuesAreRefused(values: String, message: String) throws {
        try refused(#""W.enveloppe": { "unit": "EUR", "source": "[001]", "values": ["# + values + "] }", message)
    }

    @Test func aValueAndDatedValuesTogetherAreRefused() throws {
        try refused(#""W.enveloppe": { "value": 1, "source": "[001]", "values": [{ "from": "2025-01-01", "value": 1 }] }"#, "une valeur unique ou des valeurs datées, pas les deux")
    }

    func refused(_ envelope: String, _ message: String) throws {
        let text = Self.campaign(envelope: envelope)
        let error = try #require(loadError([("2025-idf.json", text)]))
        #expect(error.parameter == "W.enveloppe")
        #expect(error.description.contains(message), "\(error.description)")
    }

    @Test func theCampaignDocumentListsEveryValueWithItsDates() throws {
        let campaign = try #require(try Self.engine().catalogue.campaign("2025-idf"))
        let parameter = try #require(campaign.parameter("W.enveloppe"))
        #expect(parameter.history.map(\.from.description) == ["2025-01-01", "2025-09-01"])
        #expect(parameter.value == .number("8680768"))
        let json = campaign.json.rendered(indent: false)
        #expect(json.contains(#""values":[{"from":"2025-01-01","to":"2025-08-31","value":8680768,"source":"[001]","notes":""},{"from":"2025-09-01","to":null,"value":7650000,"source":"arrêté de test du 1er septembre 2025","notes":"enveloppe réduite"}]"#))
        #expect(campaign.text.contains("      du 01/09/2025 : 7650000 — arrêté de test du 1er septembre 2025"))
    }
}
