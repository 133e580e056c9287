import Foundation
import Registry
import Rules
import Store
import Testing
import TestSupport

@Suite("Simulation depuis le registre FINESS")
struct ProjectCompletionTests {
    func project(_ establishments: String, campaign: String = "2022", kind: String = "acquisition", porteur: String, organismes: String? = nil, mature: Bool = false) throws -> JSON {
        try JSON.parse("""
        { "campaign": "\(campaign)", "kind": "\(kind)",
          "solution": { "name": "Logiciel X", "editor": "Éditeur Y", "referencing": "segur" },
          "porteur": "\(porteur)", "matureProjectOwner": \(mature), "procurement": "sad",
          \(organismes.map { "\"organismes\": \($0)," } ?? "")
          "establishments": \(establishments) }
        """)
    }

    @Test(arguments: TestDatabase.available)
    func theExampleGrappeIsEvaluatedFromFinessNumbersAlone(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            let text = try String(contentsOf: packageRoot.appendingPathComponent("examples/grappe-finess-occitanie.json"), encoding: .utf8)
            let json = try JSON.parse(text)
            #expect(ProjectCompletion.needsRegistry(json))
            let (project, filled) = try await ProjectCompletion(repository: repository).complete(json)
            #expect(filled)
            #expect(project.organismes.map(\.essmsCount) == [48])
            #expect(project.establishments.allSatisfy { $0.finessEJ == "310100011" && $0.department.region.code == "76" })
            let a = try Engine().assess(project)
            #expect(a.outcome == .recevable)
            #expect(a.funding.total == 989_000_00)
            let finess = a.explanation.filter { $0.rule == .finess }
            #expect(finess.count == 2)
            #expect(finess.allSatisfy { $0.source == "extraction FINESS du 12/05/2026" })
            #expect(finess[0].text.hasPrefix("46 établissements complétés depuis FINESS (organisme gestionnaire, nom, secteur, département)"))
            #expect(finess[1].text == "organisme 310100011 ASSOCIATION OCCITANE AUTONOMIE : 48 ESSMS ouverts dans FINESS, département 31")
        }
    }

    @Test(arguments: TestDatabase.available)
    func givenValuesWinAndTheRegistryDecidesSmallOGAndNonESSMS(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            // Corsica: 5 ESSMS of one OG (small: fewer than 8), plus a given sector that overrides FINESS,
            // plus the MDPH (not an ESSMS) and a lieu de vie whose sector needs a decision.
            let json = try project("""
            [ {"finessET": "2A5000019"}, {"finessET": "2B5000017"}, {"finessET": "2A5000027"},
              {"finessET": "2B5000025", "sector": "PA"}, {"finessET": "2A5000035"},
              {"finessET": "765000062"}, {"finessET": "935000174"} ]
            """, porteur: "2A0100012", mature: true)
            let (project, _) = try await ProjectCompletion(repository: repository).complete(json)
            #expect(project.establishments[3].sector == .PA)
            #expect(project.establishments[2].sector == .DOM)
            #expect(project.establishments[5].essms == false)
            let corse = try #require(project.organismes.first { $0.finessEJ == "2A0100012" })
            #expect(corse.essmsCount == 5)
            #expect(corse.department?.code == "2A")
            let a = try Engine().assess(project)
            #expect(a.excluded.map(\.rule) == [.E1])
            #expect(a.pivotRegion?.code == "94")
            // Small OG: the Corsican one (5 ESSMS, threshold 8) and the one of the lieu de vie (9, threshold 15).
            #expect(a.funding.equipment == 6 * 20_000_00)
            #expect(a.flags.contains { $0.rule == .finess && $0.text.contains("935000174") && $0.text.contains("à confirmer") })
        }
    }

    @Test(arguments: TestDatabase.available)
    func anAbsentNumberIsAnErrorNamingIt(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            let json = try project("[ {\"finessET\": \"315000018\"}, {\"finessET\": \"315999995\"} ]", porteur: "310100011")
            do {
                _ = try await ProjectCompletion(repository: repository).complete(json)
                Issue.record("erreur attendue")
            } catch let error as InputError {
                #expect(error.description == "establishments[1].finessET : établissement 315999995 absent du registre FINESS (extraction du 2026-05-12)")
            }
            let badKey = try project("[ {\"finessET\": \"315000019\"} ]", porteur: "310100011")
            await #expect(throws: InputError(path: "establishments[0].finessET", reason: "clé de contrôle FINESS invalide (« 315000019 »)")) {
                _ = try await ProjectCompletion(repository: repository).complete(badKey)
            }
        }
    }
}
