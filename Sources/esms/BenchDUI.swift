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

    @Option(help: "Établissements : au-delà d'un, leurs mesures sont calculées huit à la fois (le chiffre d'échelle, sur PostgreSQL).")
    var establishments = 1

    @Option(help: "Aussi sur PostgreSQL : postgres://utilisateur:motdepasse@hôte:port/base (un schéma temporaire y est créé).")
    var postgres: String?

    func run() async throws {
        try await reporting {
            guard (1...5_000).contains(persons), (1...120).contains(months), (1...1_000).contains(runs), (1...10_000).contains(establishments) else {
                throw UserFacingError("--persons 1…5000, --months 1…120, --runs 1…1000, --establishments 1…10000")
            }
            // The scale figure is PostgreSQL's: with --postgres, SQLite is left out of it.
            try await BenchStores.each("dui", postgres: postgres, sqlite: establishments == 1 || postgres == nil) { store, label in try await measure(store, label: label) }
        }
    }

    func measure(_ store: Store, label: String) async throws {
        let last = YearMonth(iso: "2025-12")!, first = last.adding(1 - months)
        let today = CalendarDate(iso: "2025-12-31")!
        let records = DUIRepository(store: store, today: { today })
        if establishments > 1 {
            // The scale figure: many establishments, their measures computed eight at a time.
            let start = ContinuousClock.now
            let ets = try await seedMany(store, first: first)
            print("\(label) : \(ets.count) établissements de \(persons) personnes sur \(months) mois (séjours, projets et activité mensuelle) écrits en \(BenchInstruction.seconds(ContinuousClock.now - start)) s")
            let t = ContinuousClock.now
            let persons = try await withThrowingTaskGroup(of: Int.self) { group in
                var next = 0, total = 0
                for _ in 0..<min(8, ets.count) {
                    let et = ets[next]; next += 1
                    group.addTask { try await records.measures(finessET: et, from: first, to: last).last?.persons ?? 0 }
                }
                while let done = try await group.next() {
                    total += done
                    if next < ets.count {
                        let et = ets[next]; next += 1
                        group.addTask { try await records.measures(finessET: et, from: first, to: last).last?.persons ?? 0 }
                    }
                }
                return total
            }
            print("  mesures des \(ets.count) établissements sur \(months) mois, huit à la fois : \(BenchInstruction.seconds(ContinuousClock.now - t)) s (\(persons) personnes le dernier mois ; objectif < 60 s sur PostgreSQL)")
            return
        }
        let start = ContinuousClock.now
        let entries = try await seed(store, first: first)
        print("\(label) : \(persons) personnes, \(entries) entrées sur \(months) mois écrites en \(BenchInstruction.seconds(ContinuousClock.now - start)) s")
        var times: [Double] = []
        var rows: [MonthlyMeasure] = []
        for _ in 0..<runs {
            let t = ContinuousClock.now
            rows = try await records.measures(finessET: "315000018", from: first, to: last)
            times.append(BenchInstruction.milliseconds(ContinuousClock.now - t))
        }
        print("  mesures de \(rows.count) mois (dernier : \(rows.last.map { "\($0.persons) personnes, \($0.activeRecords) dossiers actifs" } ?? "—")) : \(BenchInstruction.percentiles(times)) (objectif < 200 ms sur SQLite)")
    }

    /// One person's record over the months: a stay all along (a tenth arriving or leaving during
    /// the period), a note most days, three events a week (one in ten cancelled), two documents a
    /// month and a projet a year — given to `visit` as (kind, day, until, status).
    func record(_ p: Int, first: YearMonth, details: Bool = true, _ visit: (DUIInput.Kind, String, String?, String?) -> Void) {
        let arrival = p % 10 == 3 ? first.adding(months / 2) : first.adding(-1)
        let departure: YearMonth? = p % 10 == 7 ? first.adding(months / 3) : nil
        visit(.stay, "\(arrival.description)-10", departure.map { "\($0.description)-20" }, nil)
        for m in 0..<months {
            let month = first.adding(m).description
            if details {
                for d in 1...28 where Self.note(p, d) { visit(.note, "\(month)-\(Self.days[d])", nil, nil) }
                for d in Self.eventDays { visit(.event, "\(month)-\(Self.days[d])", nil, Self.cancelled(p, m, d) ? "annule" : "realise") }
                visit(.document, "\(month)-05", nil, nil)
                visit(.document, "\(month)-19", nil, nil)
            } else {
                // The month's activity alone, by the same rules: any note or document, any event not cancelled.
                visit(.note, "\(month)-01", nil, Self.eventDays.contains { !Self.cancelled(p, m, $0) } ? "event" : nil)
            }
            if m % 12 == 0 { visit(.projet, "\(month)-15", "\(first.adding(m + 11).description)-14", p % 5 == 0 ? "enCours" : "valide") }
        }
    }

    static let days = (0...31).map { $0 < 10 ? "0\($0)" : "\($0)" }
    static let eventDays = stride(from: 2, through: 26, by: 2).filter { $0 % 4 == 2 || $0 % 6 == 0 }
    static func note(_ p: Int, _ d: Int) -> Bool { (d + p) % 10 != 0 }
    static func cancelled(_ p: Int, _ m: Int, _ d: Int) -> Bool { (d + p + m) % 10 == 0 }

    /// Rows written by multi-row inserts, in transactions of 50,000.
    final class Writer {
        let store: Store
        let table: String
        let columns: [String]
        var batch: [[any SQLExpression]] = []
        var written = 0

        init(_ store: Store, _ table: String, _ columns: [String]) { self.store = store; self.table = table; self.columns = columns }

        func add(_ row: [any SQLExpression]) async throws {
            batch.append(row)
            if batch.count >= 50_000 { try await flush() }
        }

        func flush() async throws {
            guard !batch.isEmpty else { return }
            let rows = batch
            try await store.transaction { try await BenchStores.insert(store, table, columns, rows[...]) }
            written += rows.count
            batch.removeAll(keepingCapacity: true)
        }
    }

    static let now = "2025-12-31T12:00:00Z"

    func persons(_ store: Store, finessET: String, prefix: String) async throws {
        let people = Writer(store, "dui_persons", ["id", "finess_et", "version", "identity", "created_at", "updated_at", "updated_by"])
        for p in 0..<persons {
            try await people.add([SQLBind("\(prefix)p\(p)"), SQLBind(finessET), SQLBind(1), SQLBind("{\"birthName\": \"BANC\"}"), SQLBind(Self.now), SQLBind(Self.now), SQLBind("banc")])
        }
        try await people.flush()
    }

    static let entryColumns = ["id", "person", "kind", "day", "until", "status", "body", "created_at", "created_by"]

    /// One establishment, every entry written (about 400,000 for 300 persons over 36 months), then
    /// its monthly activity computed from them as a bulk load must (`rebuildActivity`).
    func seed(_ store: Store, first: YearMonth) async throws -> Int {
        try await persons(store, finessET: "315000018", prefix: "")
        let entries = Writer(store, "dui_entries", Self.entryColumns)
        var n = 0
        for p in 0..<persons {
            var rows: [[any SQLExpression]] = []
            record(p, first: first) { kind, day, until, status in
                n += 1
                rows.append([SQLBind("e\(n)"), SQLBind("p\(p)"), SQLBind(kind.rawValue), SQLBind(day), SQLBind(until), SQLBind(status), SQLBind("{}"), SQLBind(Self.now), SQLBind("banc")])
            }
            for row in rows { try await entries.add(row) }
        }
        try await entries.flush()
        try await DUIRepository(store: store, today: { CalendarDate(iso: "2025-12-31")! }).rebuildActivity(finessET: "315000018")
        try await store.sql.raw(store.dialect == .sqlite ? "ANALYZE" : "VACUUM ANALYZE").run()
        return entries.written
    }

    /// `--establishments N`: N establishments with what their measures read — persons, stays,
    /// projets and the monthly activity of the same records — without the notes, events and
    /// documents themselves (400 million rows for 1,000 establishments).
    func seedMany(_ store: Store, first: YearMonth) async throws -> [String] {
        var ets: [String] = []
        let entries = Writer(store, "dui_entries", Self.entryColumns)
        let activity = Writer(store, "dui_person_months", ["person", "month", "event"])
        var n = 0
        for k in 0..<establishments {
            let et = "9" + String(format: "%08d", k)
            ets.append(et)
            try await persons(store, finessET: et, prefix: "\(et)-")
            for p in 0..<persons {
                var spans: [[any SQLExpression]] = [], months: [String: Int] = [:]
                record(p, first: first, details: false) { kind, day, until, status in
                    switch kind {
                    case .stay, .projet:
                        n += 1
                        spans.append([SQLBind("e\(n)"), SQLBind("\(et)-p\(p)"), SQLBind(kind.rawValue), SQLBind(day), SQLBind(until), SQLBind(status), SQLBind("{}"), SQLBind(Self.now), SQLBind("banc")])
                    default: months[String(day.prefix(7))] = status == "event" ? 1 : 0
                    }
                }
                for row in spans { try await entries.add(row) }
                for (month, event) in months { try await activity.add([SQLBind("\(et)-p\(p)"), SQLBind(month), SQLBind(event)]) }
            }
        }
        try await entries.flush()
        try await activity.flush()
        try await store.sql.raw(store.dialect == .sqlite ? "ANALYZE" : "VACUUM ANALYZE").run()
        return ets
    }
}
