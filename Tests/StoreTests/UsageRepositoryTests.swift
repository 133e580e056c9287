import Rules
import Store
import Testing
import TestSupport

@Suite("Mesures d'usage dans la base")
struct UsageRepositoryTests {
    func measure(_ et: String, _ month: String, persons: Int = 100, active: Int = 90) -> MonthlyMeasure {
        MonthlyMeasure(finessET: et, month: YearMonth(iso: month)!, persons: persons, activeRecords: active, activeWithProjet: 80,
                       activeWithEvent: 80, mssMessagesSent: 70, dmpFedPersons: 70)
    }

    @Test(arguments: TestDatabase.available)
    func importsAreIdempotentAndCorrectionsKeepTheirHistory(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = UsageRepository(store: store)
            let first = [measure("315000018", "2025-04"), measure("315000018", "2025-05"), measure("315000026", "2025-04")]
            #expect(try await repository.importMeasures(first, by: "ARS Occitanie", source: "mesures-avril.csv") == .init(added: 3))
            #expect(try await repository.importMeasures(first, by: "ARS Occitanie", source: "mesures-avril.csv") == .init(unchanged: 3))
            let corrected = [measure("315000018", "2025-04", active: 95)]
            #expect(try await repository.importMeasures(corrected, by: "EHPAD Les Acacias", source: "correction.csv") == .init(replaced: 1))
            let stored = try await repository.measures(for: ["315000018"])
            #expect(stored.map(\.activeRecords) == [95, 90])
            let history = try await repository.history(finessET: "315000018", month: YearMonth(iso: "2025-04")!)
            #expect(history.count == 2)
            #expect(history[0].previous == nil)
            #expect(history[0].changedBy == "ARS Occitanie")
            #expect(history[1].previous?["activeRecords"] == .int(90))
            #expect(history[1].current["activeRecords"] == .int(95))
            #expect(history[1].changedBy == "EHPAD Les Acacias")
            #expect(history[1].source == "correction.csv")
        }
    }
}
