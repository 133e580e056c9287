import Foundation
import Registry
import Rules
import SQLKit
import Store
import Testing
import TestSupport

@Suite("Registre FINESS dans la base")
struct FinessRepositoryTests {
    @Test(arguments: TestDatabase.available)
    func importsTheDemoRegistry(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            let report = try await repository.importExtractions(read(demoFiles))
            #expect(report.establishments == counts(added: 109))
            #expect(report.legalEntities == counts(added: 12))
            #expect(report.warnings.isEmpty)
            #expect(try await repository.latestExtraction() == "2026-05-12")

            let ehpad = try #require(try await repository.establishment("315000018"))
            #expect(ehpad.finessEJ == "310100011")
            #expect(ehpad.sector == .PA)
            #expect(ehpad.sectorDecision == .rule)
            #expect(ehpad.department == "31")
            #expect(ehpad.region == "76")
            #expect(ehpad.essms)

            let guyane = try #require(try await repository.search("CAYENNE", sector: .PA).first)
            #expect(guyane.finessDepartment == "9C")
            #expect(guyane.department == "973")
            #expect(guyane.region == "03")
            #expect(guyane.overseasOrCorsica)

            let mdph = try #require(try await repository.search("MDPH").first)
            #expect(!mdph.essms)
            #expect(mdph.sector == nil)
            let lieuDeVie = try #require(try await repository.search("boussole").first)
            #expect(lieuDeVie.name == "LIEU DE VIE \"LA BOUSSOLE\"")
            #expect(lieuDeVie.sectorDecision == .review)

            #expect(try await repository.essmsCount(ofLegalEntity: "310100011") == 48)
            #expect(try await repository.essmsCount(ofLegalEntity: "2A0100012") == 5)
            let og = try #require(try await repository.legalEntity("310100011"))
            #expect(og.name == "ASSOCIATION OCCITANE AUTONOMIE")
            #expect(og.legalStatusLabel == "Association Loi 1901 non Reconnue d'Utilité Publique")
            #expect(try await repository.establishment("310100011") == nil)
        }
    }

    @Test(arguments: TestDatabase.available)
    func searchRanksBestMatchesFirstAndFilters(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            let byNumber = try await repository.search("315000018")
            #expect(byNumber.first?.finessET == "315000018")
            let byTown = try await repository.search("ajaccio")
            #expect(!byTown.isEmpty && byTown.allSatisfy { $0.department == "2A" })
            let byPostcode = try await repository.search("97600")
            #expect(byPostcode.map(\.department) == ["976", "976"])
            let filtered = try await repository.search("EHPAD", department: "34")
            #expect(filtered.count == 6)
            #expect(try await repository.search("EHPAD", limit: 3).count == 3)
            #expect(try await repository.search("   ").isEmpty)
            let accents = try await repository.search("Médico")
            #expect(accents.isEmpty) // no establishment is named so: accents fold, nothing invented
        }
    }

    @Test(arguments: TestDatabase.available)
    func reimportingTheSameExtractionChangesNothing(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            let before = try await snapshot(store)
            let again = try await repository.importExtractions(read(demoFiles))
            #expect(again.establishments == counts(unchanged: 109))
            #expect(again.legalEntities == counts(unchanged: 12))
            let after = try await snapshot(store)
            #expect(before.split(separator: "\n").filter { !$0.contains("imported_at") } == after.split(separator: "\n").filter { !$0.contains("imported_at") && !$0.contains("id=2|") })
        }
    }

    @Test(arguments: TestDatabase.available)
    func aNewerExtractionUpdatesInPlace(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            var lines = demoEstablishments.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines[0] = "finess;etalab;98;2026-06-01"
            lines[1] = lines[1].replacingOccurrences(of: "EHPAD LES ACACIAS;EHPAD LES ACACIAS (SYNTHETIQUE)", with: "EHPAD LES ACACIAS;EHPAD LES ACACIAS RENOVE (SYNTHETIQUE)")
            let removed = lines.remove(at: 2) // 315000026
            #expect(removed.hasPrefix("structureet;315000026;"))
            lines.insert("structureet;315999995;310100011;EHPAD NOUVEAU;;;;;;;;;555;31;HAUTE GARONNE;31000 TOULOUSE;;;500;EHPAD;4401;H;;;;;;;;;2026-05-30;", at: 2)
            let report = try await repository.importExtractions([read(lines.joined(separator: "\n"), "newer.csv")])
            #expect(report.establishments == counts(added: 1, updated: 1, closed: 1, unchanged: 107))
            let closed = try #require(try await repository.establishment("315000026"))
            #expect(closed.closedOn == "2026-06-01")
            #expect(try await repository.establishment("315000018")?.longName == "EHPAD LES ACACIAS RENOVE (SYNTHETIQUE)")
            #expect(try await repository.establishment("315999995")?.extractionDate == "2026-06-01")
            #expect(try await repository.establishment("315000034")?.extractionDate == "2026-06-01")
            #expect(try await repository.essmsCount(ofLegalEntity: "310100011") == 48)
            #expect(try await repository.search("315000026").isEmpty)

            // An older extraction is refused: it would close what the newer one added.
            await #expect(throws: ImportRefused.self) { try await repository.importExtractions(read(demoFiles)) }
        }
    }

    @Test(arguments: TestDatabase.available)
    func aMalformedFileIsRefusedWholeAndTheStoreIsUnchanged(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            let before = try await snapshot(store)
            var lines = demoEstablishments.split(separator: "\n").map(String.init)
            lines[0] = "finess;etalab;98;2026-06-01"
            lines[5] = String(lines[5].prefix(40))
            lines[9] = lines[9].replacingOccurrences(of: ";EHPAD", with: ";\"EHPAD")
            lines.append("structureet;315999995;310100011;EHPAD NOUVEAU;;;;;;;;;555;31;HAUTE GARONNE;31000 TOULOUSE;;;500;EHPAD;4401;H;;;;;;;;;2026-05-30;")
            do {
                _ = try await repository.importExtractions([read(lines.joined(separator: "\n"), "bad.csv")])
                Issue.record("l'import aurait dû être refusé")
            } catch let refused as ImportRefused {
                #expect(refused.problems.map(\.line) == [6, 10])
                #expect(refused.problems.allSatisfy { $0.file == "bad.csv" })
                #expect(refused.description.hasPrefix("import refusé : 2 ligne(s) mal formée(s), rien n'a été modifié"))
            }
            #expect(try await snapshot(store) == before)
        }
    }

    @Test(arguments: TestDatabase.available)
    func strictRefusesDoubtfulData(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            let text = "finess;etalab;98;2026-05-12\nstructureet;315000019;310100011;EHPAD;;;;;;;;;555;31;HAUTE GARONNE;31000 TOULOUSE;;;500;EHPAD;4401;H;;;;;;;;;2026-05-30;\n"
            await #expect(throws: ImportRefused.self) { try await repository.importExtractions([read(text)], strict: true) }
            #expect(try await repository.establishment("315000019") == nil)
            let report = try await repository.importExtractions([read(text)])
            #expect(report.warnings == [.finessKey: 1])
            #expect(try await repository.establishment("315000019")?.name == "EHPAD")
        }
    }

    @Test(arguments: TestDatabase.available)
    func aSchemaNewerThanTheToolIsRefused(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await store.sql.raw("INSERT INTO esms_migration (version, name, applied_at) VALUES (99, 'futur', '2030-01-01')").run()
            let location = store.location
            await #expect(throws: StoreError.self) { _ = try await Store.open(location) }
        }
    }

    @Test func databaseLocations() throws {
        #expect(try DatabaseLocation.parse("esms.sqlite") == .sqlite(path: "esms.sqlite"))
        #expect(try DatabaseLocation.parse("sqlite:///var/lib/esms.sqlite") == .sqlite(path: "/var/lib/esms.sqlite"))
        #expect(try DatabaseLocation.parse("postgres://u:p%40ss@db.local:5433/esms?schema=ars76") == .postgres(host: "db.local", port: 5433, user: "u", password: "p@ss", database: "esms", schema: "ars76"))
        #expect(throws: StoreError.self) { try DatabaseLocation.parse("mysql://x/y") }
        #expect(throws: StoreError.self) { try DatabaseLocation.parse("postgres://u@h:5432/") }
        #expect(throws: StoreError.self) { try DatabaseLocation.parse("postgres://u@h/db?schema=a;drop") }
        #expect(try DatabaseLocation.resolve(flag: nil, environment: [:]) == .sqlite(path: "esms.sqlite"))
        #expect(try DatabaseLocation.resolve(flag: nil, environment: ["ESMS_DATABASE_URL": "/tmp/x.sqlite"]) == .sqlite(path: "/tmp/x.sqlite"))
        #expect(try DatabaseLocation.resolve(flag: "a.sqlite", environment: ["ESMS_DATABASE_URL": "/tmp/x.sqlite"]) == .sqlite(path: "a.sqlite"))
    }
}

func counts(added: Int = 0, updated: Int = 0, closed: Int = 0, unchanged: Int = 0) -> ImportReport.Counts {
    var c = ImportReport.Counts()
    c.added = added; c.updated = updated; c.closed = closed; c.unchanged = unchanged
    return c
}

@Suite("Import du flux FINESS+")
struct FinessPlusImportTests {
    @Test(arguments: TestDatabase.available)
    func aFinessPlusFluxUpdatesTheRegistryLikeAnExtraction(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = FinessRepository(store: store)
            _ = try await repository.importExtractions(read(demoFiles))
            let sample = try String(contentsOf: packageRoot.appendingPathComponent("Tests/RegistryTests/FinessPlusTests.swift"), encoding: .utf8)
            let json = String(sample[sample.range(of: "#\"\"\"\n")!.upperBound..<sample.range(of: "\n\"\"\"#")!.lowerBound])
            let report = try await repository.importExtractions([FinessFile.read(Array(json.utf8), file: "structures.json")])
            #expect(report.establishments.added == 0)
            #expect(report.establishments.closed == 107) // the flux holds 2 of the 109: the others are closed
            #expect(try await repository.establishment("315000018")?.extractionDate == "2026-06-02")
            #expect(try await repository.establishment("315000026")?.closedOn == "2026-06-02")
            #expect(try await repository.legalEntity("310100011")?.name == "ASSOCIATION OCCITANE")
        }
    }
}
