import ArgumentParser
import Commands
import Foundation
import Rules
import SQLKit
import Store

/// `esms bench dui`: the measures of one establishment of 300 persons over 36 months (about half
/// a million entries: daily notes, events, documents, stays, projets), seeded by bulk inserts;
/// then `DUIRepository.measures` over the 36 months (p50, p99), on SQLite and, with `--postgres
/// URL`, on PostgreSQL.
struct BenchDUI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dui",
        abstract: "Mesures d'un établissement de 300 personnes sur 36 mois (environ un demi-million d'entrées)."
    )

    @Option(help: "Personnes.")
    var persons = 300

    @Option(help: "Mois.")
    var months = 36

    @Option(help: "Passages (p50, p99).")
    var runs = 10

    @Option(help: "Aussi sur PostgreSQL : postgres://utilisateur:motdepasse@hôte:port/base (un schéma temporaire y est créé).")
    var postgres: String?

    func run() async throws {
        try await reporting {
            guard (1...5_000).contains(persons), (1...120).contains(months), (1...1_000).contains(runs) else {
                throw UserFacingError("--persons 1…5000, --months 1…120, --runs 1…1000")
            }
            try await BenchStores.each("dui", postgres: postgres) { store, label in try await measure(store, label: label) }
        }
    }

    func measure(_ store: Store, label: String) async throws {
        let last = YearMonth(iso: "2025-12")!, first = last.adding(1 - months)
        let today = CalendarDate(iso: "2025-12-31")!
        let start = ContinuousClock.now
        let entries = try await seed(store, first: first)
        print("\(label) : \(persons) personnes, \(entries) entrées sur \(months) mois écrites en \(BenchInstruction.seconds(ContinuousClock.now - start)) s")
        let records = DUIRepository(store: store, today: { today })
        var times: [Double] = []
        var rows: [MonthlyMeasure] = []
        for _ in 0..<runs {
            let t = ContinuousClock.now
            rows = try await records.measures(finessET: "315000018", from: first, to: last)
            times.append(BenchInstruction.milliseconds(ContinuousClock.now - t))
        }
        print("  mesures de \(rows.count) mois (dernier : \(rows.last.map { "\($0.persons) personnes, \($0.activeRecords) dossiers actifs" } ?? "—")) : \(BenchInstruction.percentiles(times)) (objectif < 200 ms sur SQLite)")
    }

    /// Persons staying all along (a tenth arriving or leaving during the period), each with a note
    /// most days, three events a week (one in ten cancelled), two documents a month and a projet a
    /// year.
    func seed(_ store: Store, first: YearMonth) async throws -> Int {
        let now = "2025-12-31T12:00:00Z"
        var written = 0
        var batch: [[any SQLExpression]] = []
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let rows = batch
            try await store.transaction {
                for start in stride(from: 0, to: rows.count, by: 600) {
                    var insert = store.sql.insert(into: "dui_entries").columns("id", "person", "kind", "day", "until", "status", "body", "created_at", "created_by")
                    for row in rows[start..<min(start + 600, rows.count)] { insert = insert.values(row) }
                    try await insert.run()
                }
            }
            written += rows.count
            batch.removeAll(keepingCapacity: true)
        }
        var people: [[any SQLExpression]] = []
        for p in 0..<persons {
            people.append([SQLBind("p\(p)"), SQLBind("315000018"), SQLBind(1), SQLBind("{\"birthName\": \"BANC\"}"), SQLBind(now), SQLBind(now), SQLBind("banc")])
        }
        try await store.transaction {
            for start in stride(from: 0, to: people.count, by: 800) {
                var insert = store.sql.insert(into: "dui_persons").columns("id", "finess_et", "version", "identity", "created_at", "updated_at", "updated_by")
                for row in people[start..<min(start + 800, people.count)] { insert = insert.values(row) }
                try await insert.run()
            }
        }
        var n = 0
        func entry(_ person: Int, _ kind: DUIInput.Kind, _ day: String, until: String? = nil, status: String? = nil) {
            n += 1
            batch.append([SQLBind("e\(n)"), SQLBind("p\(person)"), SQLBind(kind.rawValue), SQLBind(day), SQLBind(until), SQLBind(status), SQLBind("{}"), SQLBind(now), SQLBind("banc")])
        }
        for p in 0..<persons {
            let arrival = p % 10 == 3 ? first.adding(months / 2) : first.adding(-1)
            let departure: YearMonth? = p % 10 == 7 ? first.adding(months / 3) : nil
            entry(p, .stay, "\(arrival.description)-10", until: departure.map { "\($0.description)-20" })
            for m in 0..<months {
                let month = first.adding(m)
                for d in 1...28 where (d + p) % 10 != 0 { entry(p, .note, "\(month.description)-\(String(format: "%02d", d))") }
                for d in stride(from: 2, through: 26, by: 2) where d % 4 == 2 || d % 6 == 0 {
                    entry(p, .event, "\(month.description)-\(String(format: "%02d", d))", status: (d + p + m) % 10 == 0 ? "annule" : "realise")
                }
                entry(p, .document, "\(month.description)-05")
                entry(p, .document, "\(month.description)-19")
                if m % 12 == 0 { entry(p, .projet, "\(month.description)-15", until: "\(month.adding(11).description)-14", status: p % 5 == 0 ? "enCours" : "valide") }
            }
            if batch.count >= 50_000 { try await flush() }
        }
        try await flush()
        try await store.sql.raw(store.dialect == .sqlite ? "ANALYZE" : "VACUUM ANALYZE").run()
        return written
    }
}
