import ArgumentParser
import Commands
import Foundation
import Rules
import SQLKit
import Store
import Web

/// `esms bench dashboard`: the national dashboard of a campaign over 2,000 accepted dossiers of 20
/// establishments each (40,000), with 36 months of measures per establishment (1.44 million rows),
/// seeded by bulk inserts; then the dashboard read and rendered (p50, p99), on SQLite and, with
/// `--postgres URL`, on PostgreSQL (in a schema of its own, dropped afterwards).
struct BenchDashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Tableau de bord national : 2 000 dossiers acceptés, 40 000 établissements, 36 mois de mesures."
    )

    @Option(help: "Nombre de dossiers acceptés.")
    var dossiers = 2_000

    @Option(help: "Établissements par dossier.")
    var establishments = 20

    @Option(help: "Mois de mesures par établissement.")
    var months = 36

    @Option(help: "Passages du tableau de bord (p50, p99).")
    var runs = 30

    @Option(help: "Aussi sur PostgreSQL : postgres://utilisateur:motdepasse@hôte:port/base (un schéma temporaire y est créé).")
    var postgres: String?

    func run() async throws {
        try await reporting {
            guard (1...20_000).contains(dossiers), (1...100).contains(establishments), (1...120).contains(months), (5...1_000).contains(runs) else {
                throw UserFacingError("--dossiers 1…20000, --establishments 1…100, --months 1…120, --runs 5…1000")
            }
            try await BenchStores.each("dashboard", postgres: postgres) { store, label in try await measure(store, label: label) }
        }
    }

    func measure(_ store: Store, label: String) async throws {
        let today = CalendarDate(iso: "2023-01-15")!
        let engine = Engine()
        let repository = DossierRepository(store: store, engine: engine, today: { today })
        let start = ContinuousClock.now
        let rows = try await seed(store)
        print("\(label) : \(dossiers) dossiers acceptés, \(dossiers * establishments) établissements, \(rows) mesures mensuelles écrits en \(BenchInstruction.seconds(ContinuousClock.now - start)) s")
        var times: [Double] = [], reads: [Double] = []
        var bytes = 0
        var late = 0, measured = 0
        for _ in 0..<runs {
            let t = ContinuousClock.now
            guard let dashboard = try await repository.dashboard(campaign: "2022", scopes: [], every: true) else { throw UserFacingError("campagne 2022 absente") }
            reads.append(BenchInstruction.milliseconds(ContinuousClock.now - t))
            bytes = DashboardPage.bytes(dashboard, catalogue: engine.catalogue)
            times.append(BenchInstruction.milliseconds(ContinuousClock.now - t))
            late = dashboard.late.count
            measured = dashboard.measured
        }
        print("  tableau de bord national (\(bytes / 1024) Kio, \(measured) établissements mesurés, \(late) dossiers en retard ou proches) : \(BenchInstruction.percentiles(times)) (objectif < 200 ms sur PostgreSQL) ; lecture seule : \(BenchInstruction.percentiles(reads))")
    }

    /// Accepted dossiers of the national grid routed to the thirteen metropolitan regions, their
    /// funding convention signed in 2021 (some deadlines past), one solde in four ordered; their
    /// establishments measured every month up to December 2022.
    func seed(_ store: Store) async throws -> Int {
        let regions = ["84", "27", "53", "24", "94", "44", "32", "11", "28", "75", "76", "52", "93"]
        let now = "2023-01-15T09:00:00Z"
        func bulk(_ table: String, _ columns: [String], _ rows: [[any SQLExpression]]) async throws {
            try await BenchStores.insert(store, table, columns, rows[...])
        }
        var dossierRows: [[any SQLExpression]] = [], jsonRows: [[any SQLExpression]] = [], members: [[any SQLExpression]] = []
        var conventions: [[any SQLExpression]] = [], payments: [[any SQLExpression]] = []
        var ets: [String] = []
        for i in 0..<dossiers {
            let id = String(format: "bench%06d", i)
            let region = regions[i % regions.count]
            let total = 500_000 + (i % 40) * 10_000
            dossierRows.append([SQLBind(id), SQLBind("Dossier de banc \(i)"), SQLBind("310000013"), SQLBind("2022"), SQLBind(DossierState.accepte.rawValue), SQLBind(5),
                                SQLBind("ARS"), SQLBind(region), SQLBind("{\"total\": \(total)}"), SQLBind(now), SQLBind(now), SQLBind("banc"),
                                SQLBind(i % 3 == 0 ? ProjectKind.miseEnConformite.rawValue : ProjectKind.acquisition.rawValue), SQLBind(establishments)])
            jsonRows.append([SQLBind(id), SQLBind("{}")])
            for j in 0..<establishments {
                let et = FinessNumber.withKey("31" + String(format: "%06d", 100_000 + i * establishments + j))!
                ets.append(et)
                members.append([SQLBind(id), SQLBind(et)])
            }
            let signed = "2021-\(String(format: "%02d", 1 + i % 12))-15"
            conventions.append([SQLBind(id), SQLBind("financement"), SQLBind(signed), SQLBind("doc\(id)"), SQLBind("banc"), SQLBind(now)])
            if i % 4 == 0 {
                payments.append([SQLBind(id), SQLBind("solde"), SQLBind(total * 50), SQLBind("2022-12-01"), SQLBind("M-\(i)"), SQLBind("a@banc"), SQLBind(now),
                                 SQLBind("b@banc"), SQLBind(now)])
            }
        }
        try await store.transaction {
            try await bulk("dossiers", ["id", "title", "porteur", "campaign", "state", "version", "instruction", "region", "granted", "created_at", "updated_at",
                                        "updated_by", "kind", "establishment_count"], dossierRows)
            try await bulk("dossier_json", ["id", "project"], jsonRows)
            try await bulk("dossier_establishments", ["dossier", "finess_et"], members)
            try await bulk("dossier_documents", ["id", "dossier", "item", "filename", "size", "sha256", "content_type", "content", "uploaded_at", "uploaded_by"],
                           conventions.indices.map { k in
                               let id = String(format: "bench%06d", k)
                               return [SQLBind("doc\(id)"), SQLBind(id), SQLBind("conventionFinancement"), SQLBind("convention.pdf"), SQLBind(8), SQLBind("0"),
                                       SQLBind("application/pdf"), SQLBind(Data("%PDF-1.4".utf8)), SQLBind(now), SQLBind("banc")]
                           })
            try await bulk("dossier_conventions", ["dossier", "kind", "signed_at", "document", "recorded_by", "recorded_at"], conventions)
            try await bulk("dossier_payments", ["dossier", "instalment", "amount", "ordered_at", "reference", "proposed_by", "proposed_at", "validated_by", "validated_at"], payments)
        }
        // The measures, one transaction per 100,000 rows.
        var written = 0
        var batch: [[any SQLExpression]] = []
        let first = YearMonth(iso: "2022-12")!.adding(1 - months)
        for (k, et) in ets.enumerated() {
            for m in 0..<months {
                let persons = 60 + k % 40
                let active = persons - (k + m) % 7
                batch.append([SQLBind(et), SQLBind(first.adding(m).description), SQLBind(persons), SQLBind(active), SQLBind(active - (k % 9)), SQLBind(active - (m % 5)),
                              SQLBind(persons * (50 + (k + m) % 40) / 100), SQLBind(persons * (45 + (k * m) % 45) / 100), SQLBind(now), SQLBind("banc")])
            }
            if batch.count >= 100_000 || k == ets.count - 1 {
                let rows = batch
                try await store.transaction {
                    try await bulk("usage_measure", ["finess_et", "month", "persons", "active_records", "active_with_projet", "active_with_event",
                                                     "mss_messages_sent", "dmp_fed_persons", "changed_at", "changed_by"], rows)
                }
                written += rows.count
                batch.removeAll(keepingCapacity: true)
            }
        }
        // Their last month, as an import keeps it.
        let last = first.adding(months - 1)
        let latest: [[any SQLExpression]] = ets.enumerated().map { k, et in
            let persons = 60 + k % 40, active = persons - (k + months - 1) % 7
            return [SQLBind(et), SQLBind(last.description), SQLBind(persons), SQLBind(active), SQLBind(active - (k % 9)), SQLBind(active - ((months - 1) % 5)),
                    SQLBind(persons * (50 + (k + months - 1) % 40) / 100), SQLBind(persons * (45 + (k * (months - 1)) % 45) / 100)]
        }
        try await store.transaction {
            try await bulk("usage_latest", ["finess_et", "month", "persons", "active_records", "active_with_projet", "active_with_event", "mss_messages_sent", "dmp_fed_persons"], latest)
        }
        try await store.sql.raw(store.dialect == .sqlite ? "ANALYZE" : "VACUUM ANALYZE").run()
        return written
    }
}
