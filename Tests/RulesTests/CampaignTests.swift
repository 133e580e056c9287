import Foundation
import Rules
import Testing

let nationalGrid: String = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try! String(contentsOf: root.appendingPathComponent("Sources/Rules/Campaigns/2022.json"), encoding: .utf8)
}()

/// The national grid with one fragment replaced.
func grid(replacing from: String, with to: String) -> String {
    precondition(nationalGrid.contains(from), "fragment absent : \(from)")
    return nationalGrid.replacingOccurrences(of: from, with: to)
}

func loadError(_ files: [(String, String)]) -> CampaignError? {
    do { _ = try CampaignCatalogue.load(files: files.map { (name: $0.0, text: $0.1) }); return nil } catch { return error }
}

@Suite("Campagnes : chargement et validation")
struct CampaignTests {
    @Test func bundledCampaignsLoad() throws {
        let catalogue = try CampaignCatalogue.loadBundled()
        #expect(catalogue.campaigns.map(\.id) == ["2022", "2022-normandie", "2022-occitanie", "2025-idf"])
        let occitanie = try #require(catalogue.campaign("2022-occitanie"))
        #expect(occitanie.grid.envelope == 4_186_783_00)
        #expect(occitanie.grid.usageAcquisition.total(46) == 322_000_00)
        #expect(occitanie.parameter("F-usage.acquisition")?.definedIn == "2022")
        #expect(occitanie.parameter("W.enveloppe")?.definedIn == "2022-occitanie")
        let idf = try #require(catalogue.campaign("2025-idf"))
        #expect(idf.grid.softwareSegur.total(50) == 49 * 14_000_00 + 3_000_00)
        #expect(idf.grid.softwareSad == nil)
        #expect(idf.grid.smallOGAmoaMarche == nil)
        #expect(idf.grid.smallOGEquipment == 10_000_00)
    }

    @Test func everyConflictOfTheRulesFileIsAParameterWithItsAlternative() throws {
        let national = try #require(CampaignCatalogue.bundled.campaign("2022"))
        for key in ["F-usage.acquisition", "D2.petitOG.comparaison", "E4.lecture", "S4.base", "P3.delai.miseEnConformite", "P3.delai.acquisition"] {
            let p = try #require(national.parameter(key))
            #expect(p.alternative != nil, "\(key) sans lecture alternative")
            #expect(!p.source.isEmpty)
        }
    }

    @Test(arguments: [
        (grid(replacing: "\"S5.avance\": { \"value\": 30, \"unit\": \"%\", \"source\": \"[002] SONS\", \"notes\": \"Avance sur le bon de commande validé par l'OG ; solde de 70 % sur facture et attestation VA.\" },", with: ""),
         "campagne 2022, paramètre S5.avance : valeur manquante"),
        (grid(replacing: "{ \"from\": 50, \"amount\": 2000 } ], \"unit\": \"EUR par ESSMS\", \"source\": \"[002] annexes, [004]\", \"notes\": \"Conflit", with: "{ \"from\": 45, \"amount\": 2000 } ], \"unit\": \"EUR par ESSMS\", \"source\": \"[002] annexes, [004]\", \"notes\": \"Conflit"),
         "campagne 2022, paramètre F-usage.acquisition : palier 2 : chevauche le palier précédent (rang 45)"),
        (grid(replacing: "{ \"from\": 50, \"amount\": 2000 } ], \"unit\": \"EUR par ESSMS\", \"source\": \"[002] annexes, [004]\", \"notes\": \"Conflit", with: "{ \"from\": 52, \"amount\": 2000 } ], \"unit\": \"EUR par ESSMS\", \"source\": \"[002] annexes, [004]\", \"notes\": \"Conflit"),
         "campagne 2022, paramètre F-usage.acquisition : palier 2 : trou entre les rangs 50 et 51"),
        (grid(replacing: "\"G3.seuil.metropole\": {", with: "\"G3.seuil.metropol\": { \"value\": 1, \"source\": \"x\" }, \"G3.seuil.metropole\": {"),
         "campagne 2022, paramètre G3.seuil.metropol : paramètre inconnu"),
        (grid(replacing: "\"value\": \"memeLogicielAdmis\"", with: "\"value\": \"aucun\""),
         "campagne 2022, paramètre E4.lecture : valeur \"aucun\" hors des choix [\"memeLogicielAdmis\",\"toutSonsExclut\"]"),
        (grid(replacing: "\"source\": \"[002] SONS\", \"notes\": \"Ouverture du guichet MS1.\"", with: "\"source\": \"\", \"notes\": \"Ouverture du guichet MS1.\""),
         "campagne 2022, paramètre S6.ouverture : source manquante"),
        (grid(replacing: "\"value\": \"2022-05-17\"", with: "\"value\": \"2022-02-30\""),
         "campagne 2022, paramètre S6.ouverture : date AAAA-MM-JJ attendue"),
        (grid(replacing: "\"W.fenetres\": { \"value\": []", with: "\"W.fenetres\": { \"value\": [{ \"rule\": \"W2\", \"label\": \"a\", \"from\": \"2022-03-15\", \"to\": \"2022-07-01\", \"kinds\": [\"acquisition\"], \"sectors\": [\"PA\"] }, { \"rule\": \"W2\", \"label\": \"b\", \"from\": \"2022-06-15\", \"to\": \"2022-09-30\", \"kinds\": [\"acquisition\"], \"sectors\": [\"PA\", \"PH\"] }]"),
         "campagne 2022, paramètre W.fenetres : fenêtre 2 chevauche la fenêtre 1 pour les mêmes natures et secteurs"),
        ("{ \"id\": \"2022\", ", "campagne 2022.json : JSON mal formé (ligne 1, colonne 17) : nom de champ entre guillemets attendu"),
    ])
    func invalidCampaignFileNamesTheParameter(text: String, message: String) {
        #expect(loadError([("2022.json", text)])?.description == message)
    }

    @Test func overlayOfAnUnknownGridIsAnError() {
        let overlay = #"{ "id": "2023-bretagne", "label": "x", "ruleSetVersion": "1", "extends": "2023", "region": "53", "period": { "from": "2023-01-01", "to": "2023-12-31" }, "parameters": {} }"#
        #expect(loadError([("2022.json", nationalGrid), ("b.json", overlay)])?.description == "campagne 2023-bretagne, paramètre extends : la grille nationale « 2023 » est inconnue")
    }

    @Test func anARSCanAddItsCampaignAsData() throws {
        let overlay = #"{ "id": "2022-bretagne", "label": "AAP Bretagne", "ruleSetVersion": "2022.1", "extends": "2022", "region": "53", "period": { "from": "2022-03-01", "to": "2022-12-31" }, "parameters": { "W.enveloppe": { "value": 1000000, "source": "arrêté régional", "notes": "" } } }"#
        let catalogue = try CampaignCatalogue.load(files: [(name: "2022.json", text: nationalGrid), (name: "bzh.json", text: overlay)])
        #expect(catalogue.campaign("2022-bretagne")?.grid.envelope == 1_000_000_00)
    }
}

/// The alternative readings of the conflicts, selected by a campaign file.
@Suite("Conflits : lectures alternatives")
struct AlternativeReadingTests {
    func engine(_ from: String, _ to: String) throws -> Engine {
        Engine(catalogue: try CampaignCatalogue.load(files: [(name: "2022.json", text: grid(replacing: from, with: to))]))
    }

    func project(ogCount: Int = 60, sons: String? = nil, kind: ProjectKind = .miseEnConformite, n: Int = 20) -> Project {
        let og = Project.Organisme(finessEJ: "310000013", name: "A", essmsCount: ogCount)
        var list: [Project.Establishment] = []
        for i in 0..<n {
            list.append(.init(finessET: FinessNumber.withKey("3100\(5000 + i)")!, finessEJ: "310000013", name: "E\(i)", sector: .PA,
                              department: Territory.department("31")!, sonsOrderSoftware: i == 0 ? sons : nil))
        }
        return Project(campaign: "2022", kind: kind, solution: .init(name: "Logiciel X", editor: "Y", referencing: .segur),
                       porteur: "310000013", procurement: .sad, organismes: [og], establishments: list)
    }

    @Test func e4StrictReadingOf004ExcludesAnySonsOrder() throws {
        let p = project(sons: "Logiciel X")
        #expect(try Engine().assess(p).excluded.isEmpty)
        let strict = try engine("\"value\": \"memeLogicielAdmis\"", "\"value\": \"toutSonsExclut\"").assess(p)
        #expect(strict.excluded.map(\.rule) == [.E4])
    }

    @Test func smallOGAtFifteenUnderTheInclusiveReading() throws {
        let p = project(ogCount: 15)
        #expect(try Engine().assess(p).funding.equipment == 0)
        let inclusive = try engine("\"value\": \"strictementInferieur\"", "\"value\": \"inferieurOuEgal\"").assess(p)
        #expect(inclusive.funding.equipment == 20 * 20_000_00)
        // The ceilings are the ARS's to modulate (D3): a flag, the project stays receivable.
        #expect(inclusive.outcome == .recevable)
        #expect(inclusive.flags.contains { $0.rule == .D3 })
    }

    @Test func sonsTrancheFromTheOGTotalUnderTheTableReading() throws {
        let p = project(ogCount: 150)
        #expect(try Engine().assess(p).sons.map(\.tranche) == ["E"])
        let byOG = try engine("\"value\": \"essmsDeLaCommande\"", "\"value\": \"essmsDeLOG\"").assess(p)
        #expect(byOG.sons.map(\.tranche) == ["F"])
        #expect(byOG.sons[0].total == 20 * 1_133_00)
    }
}

@Suite("FINESS, territoires, montants")
struct BasicsTests {
    @Test(arguments: ["010000024", "2A0000170", "2B0000020", "970302287", "980501506", "590799730", "750712184", "2B0003628"])
    func realNumbersPassTheKey(_ number: String) { #expect(FinessNumber.problem(number) == nil) }

    @Test func badNumbersAreNamed() {
        #expect(FinessNumber.problem("010000025") == .key)
        #expect(FinessNumber.problem("01000002") == .length)
        #expect(FinessNumber.problem("2C0000170") == .format)
        #expect(FinessNumber.problem("01000002A") == .format)
        #expect(FinessNumber.withKey("2A000017") == "2A0000170")
    }

    @Test func departmentsAndRegions() {
        #expect(Territory.allDepartments.count == 101)
        #expect(Territory.regions.count == 18)
        #expect(Territory.department("2A")?.region.code == "94")
        #expect(Territory.department("974")?.region.isOverseasOrCorsica == true)
        #expect(Territory.department("975") == nil)
        #expect(Territory.department(ofFiness: "970302287")?.code == "973")
        #expect(Territory.department(ofFiness: "980501506")?.code == "976")
        #expect(Territory.department(ofFiness: "980600027") == nil)
        #expect(Territory.department(ofFiness: "2B0000020")?.code == "2B")
    }

    @Test func moneyIsFormattedInFrench() {
        #expect(Money.format(98_900_000) == "989 000 €")
        #expect(Money.format(1_128_500_00) == "1 128 500 €")
        #expect(Money.format(12_345) == "123,45 €")
        #expect(Money.format(5) == "0,05 €")
        #expect(JSON.euros(12_345).rendered() == "123.45")
        #expect(JSON.euros(12_340).rendered() == "123.4")
        #expect(JSON.euros(98_900_000).rendered() == "989000")
    }

    @Test func jsonRoundTripsAndReportsPositions() throws {
        let text = #"{"a": [1, -2.5e3, true, null], "b": "é\"\n\u00e9\ud83d\ude00"}"#
        let json = try JSON.parse(text)
        #expect(try JSON.parse(json.rendered()) == json)
        #expect(json["b"] == .string("é\"\né😀"))
        #expect(throws: JSONSyntaxError(line: 2, column: 3, reason: "valeur attendue")) { try JSON.parse("{\"a\":\n  }") }
        #expect(throws: JSONSyntaxError(line: 1, column: 10, reason: "champ « a » en double")) { try JSON.parse(#"{"a": 1, "a": 2}"#) }
        #expect(throws: JSONSyntaxError.self) { try JSON.parse(String(repeating: "[", count: 10_000)) }
    }
}
