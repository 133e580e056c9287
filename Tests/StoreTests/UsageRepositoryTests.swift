import Rules
import SQLKit
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

    /// The last measured month of each establishment, kept for the dashboard: a correction of an
    /// older month leaves it, a correction of it or a newer month replaces it.
    @Test(arguments: TestDatabase.available)
    func theLastMonthIsKeptWithTheMeasures(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let repository = UsageRepository(store: store)
            func latest() async throws -> [String] {
                try await store.sql.raw("SELECT finess_et, month, active_records FROM usage_latest ORDER BY finess_et").all().map {
                    "\(try $0.decode(column: "finess_et", as: String.self)) \(try $0.decode(column: "month", as: String.self)) \(try $0.decode(column: "active_records", as: Int.self))"
                }
            }
            _ = try await repository.importMeasures([measure("315000018", "2025-05"), measure("315000018", "2025-04"), measure("315000026", "2025-04")], by: "a", source: "a.csv")
            #expect(try await latest() == ["315000018 2025-05 90", "315000026 2025-04 90"])
            _ = try await repository.importMeasures([measure("315000018", "2025-04", active: 95)], by: "a", source: "b.csv")
            #expect(try await latest() == ["315000018 2025-05 90", "315000026 2025-04 90"])
            _ = try await repository.importMeasures([measure("315000018", "2025-05", active: 85), measure("315000026", "2025-06", active: 70)], by: "a", source: "c.csv")
            #expect(try await latest() == ["315000018 2025-05 85", "315000026 2025-06 70"])
        }
    }
}
