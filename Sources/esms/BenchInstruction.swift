import ArgumentParser
import Commands
import Foundation
import Rules
import Store
import Web

/// `esms bench instruction`: one region's store of 2,000 dossiers of 46 establishments, filed and
/// instructed through the repository as the API does it; then the instructor's list and the
/// ranking (p50, p99 over many runs) and the XLSX export of all of them, on SQLite and, with
/// `--postgres URL`, on PostgreSQL (in a schema of its own, dropped afterwards).
struct BenchInstruction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instruction",
        abstract: "Liste de l'instructeur, classement et export XLSX sur 2 000 dossiers de 46 établissements d'une région."
    )

    @Option(help: "Nombre de dossiers.")
    var dossiers = 2_000

    @Option(help: "Établissements par dossier.")
    var establishments = 46

    @Option(help: "Passages de la liste et du classement (p50, p99).")
    var runs = 200

    @Option(help: "Aussi sur PostgreSQL : postgres://utilisateur:motdepasse@hôte:port/base (un schéma temporaire y est créé).")
    var postgres: String?

    func run() async throws {
        try await reporting {
            guard (1...20_000).contains(dossiers), (1...200).contains(establishments), (10...10_000).contains(runs) else {
                throw UserFacingError("--dossiers 1…20000, --establishments 1…200, --runs 10…10000")
            }
            try await BenchStores.each("instruction", postgres: postgres) { store, label in try await measure(store, label: label) }
        }
    }

    func measure(_ store: Store, label: String) async throws {
        let today = CalendarDate(iso: "2022-05-02")!
        let repository = DossierRepository(store: store, engine: Engine(), today: { today })
        let start = ContinuousClock.now
        let (instructor, counts) = try await seed(store, repository)
        print("\(label) : \(dossiers) dossiers de \(establishments) établissements déposés et instruits en \(Self.seconds(ContinuousClock.now - start)) s — "
              + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        let work = InstructionWork(dossiers: repository)
        var listTimes: [Double] = [], rankingTimes: [Double] = [], readTimes: [Double] = []
        var listBytes = 0, rankingBytes = 0
        for _ in 0..<runs {
            var t = ContinuousClock.now
            _ = try await repository.list(for: instructor)
            readTimes.append(Self.milliseconds(ContinuousClock.now - t))
            t = ContinuousClock.now
            listBytes = try await work.listBytes(for: instructor)
            listTimes.append(Self.milliseconds(ContinuousClock.now - t))
            t = ContinuousClock.now
            rankingBytes = try await work.rankingBytes(campaign: "2022-occitanie", scope: "76")
            rankingTimes.append(Self.milliseconds(ContinuousClock.now - t))
        }
        print("  liste de l'instructeur (\(listBytes / 1024) Kio) : \(Self.percentiles(listTimes)) (objectif p99 < 50 ms) ; lecture seule : \(Self.percentiles(readTimes))")
        print("  classement 2022-occitanie (\(rankingBytes / 1024) Kio) : \(Self.percentiles(rankingTimes)) (objectif p99 < 50 ms)")
        var exportTimes: [Double] = []
        var shape: (rows: [Int], bytes: Int) = ([], 0)
        for _ in 0..<5 {
            let t = ContinuousClock.now
            shape = try await work.xlsxSize(for: instructor)
            exportTimes.append(Self.milliseconds(ContinuousClock.now - t))
        }
        exportTimes.sort()
        print(String(format: "  export XLSX (%@ lignes, %d Kio) : meilleur %.0f ms, médiane %.0f ms (objectif < 2 000 ms)",
                     shape.rows.map(String.init).joined(separator: " + "), shape.bytes / 1024, exportTimes[0], exportTimes[2]))
    }

    /// Porteurs of 60 ESSMS in Occitanie, each dossier an acquisition of its own establishments
    /// (distinct FINESS numbers, so that E3 excludes none), filed with its four documents, then
    /// taken, scored, accepted within the envelope or refused — one dossier in twenty of each end.
    func seed(_ store: Store, _ repository: DossierRepository) async throws -> (Principal, [String: Int]) {
        let accounts = AccountRepository(store: store)
        let email = "instructeur@bench.invalid"
        _ = try await accounts.add(email: email, name: "Instructeur", password: "banc-d-essai-instruction", assignments: [try Assignment(parsing: "instructeur:76")])
        _ = try await accounts.add(email: "expert@bench.invalid", name: "Expert", password: "banc-d-essai-instruction", assignments: [try Assignment(parsing: "expert")])
        let token = try await accounts.token(email, label: "bench", days: 1)
        guard let instructor = try await SessionRepository(store: store).principal(token: token) else { throw UserFacingError("jeton du banc refusé") }
        let departments = ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]
        let pdf = Array("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".utf8)
        var counts: [String: Int] = [:]
        for i in 0..<dossiers {
            let porteur = FinessNumber.withKey("31\(String(format: "%06d", 500_000 + i % 200))")!
            let list = (0..<establishments).map { j -> String in
                let department = departments[(i + j) % departments.count]
                let body = department + String(format: "%06d", 100_000 + i * establishments + j)
                return "{\"finessET\": \"\(FinessNumber.withKey(body)!)\", \"finessEJ\": \"\(porteur)\", \"name\": \"EHPAD \(i)-\(j)\", \"sector\": \"PA\", \"department\": \"\(department)\"}"
            }
            let project = try JSON.parse("""
                {"campaign": "2022-occitanie", "kind": "acquisition", "solution": {"name": "Logiciel X", "editor": "Éditeur Y", "referencing": "segur"},
                 "porteur": "\(porteur)", "procurement": "sad", "organismes": [{"finessEJ": "\(porteur)", "name": "Association \(i % 200)", "essmsCount": 60}],
                 "establishments": [\(list.joined(separator: ","))]}
                """)
            let d = try await repository.create(title: "Dossier de banc \(i)", project: project, porteur: porteur, by: "porteur@bench.invalid")
            for item in [ChecklistItem.cadreReponse, .autodiagnosticSI, .planFinancement, .devis] {
                _ = try await repository.addDocument(d.id, item: item, filename: "\(item.rawValue).pdf", contentType: "application/pdf", bytes: pdf, by: "porteur@bench.invalid")
            }
            var version = try await step(repository.transition(d.id, from: d.version, .init(to: .depose, message: nil, reason: nil, granted: nil), sides: [.porteur], by: "porteur@bench.invalid"))
            let kind = i % 20
            if kind >= 5 {
                version = try await step(repository.transition(d.id, from: version, .init(to: .enInstruction, message: nil, reason: nil, granted: nil), sides: [.instructeur], by: email))
            }
            if kind >= 13 {
                let score = try DossierScore(json: try JSON.parse("{\"criteria\": {\"enjeux\": \(i % 4), \"equipe\": \((i / 4) % 4), \"planning\": 2, \"securite\": 3, \"interoperabilite\": \((i / 16) % 4)}}"))
                version = try await step(repository.setScore(d.id, from: version, score, by: email))
            }
            if kind == 18 {
                do {
                    version = try await step(repository.transition(d.id, from: version, .init(to: .accepte, message: nil, reason: nil, granted: nil), sides: [.instructeur], by: email))
                } catch DossierError.unmet { /* beyond the envelope: stays in instruction, as an ARS would leave it */ }
            }
            if kind == 19 {
                version = try await step(repository.transition(d.id, from: version, .init(to: .refuse, message: "Projet hors priorités de l'appel.", reason: nil, granted: nil), sides: [.instructeur], by: email))
            }
            if i % 50 == 0, kind >= 5 {
                _ = try await repository.askAvis(d.id, expert: "expert@bench.invalid", question: "Le planning est-il tenable ?", dueDate: "2022-06-01", by: email)
            }
        }
        // A store in use has its statistics: gather them once, as autovacuum or `PRAGMA optimize` would.
        try await store.sql.raw(store.dialect == .sqlite ? "ANALYZE" : "VACUUM ANALYZE").run()
        for d in try await repository.list(for: instructor, limit: nil) { counts[d.state.rawValue, default: 0] += 1 }
        return (instructor, counts)
    }

    func step(_ change: DossierChange) throws -> Int {
        guard case let .changed(d) = change else { throw UserFacingError("banc : changement de dossier refusé (\(change))") }
        return d.version
    }

    static func seconds(_ d: Duration) -> String { String(format: "%.1f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) }
    static func milliseconds(_ d: Duration) -> Double { (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) * 1000 }

    static func percentiles(_ times: [Double]) -> String {
        let sorted = times.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)] }
        return String(format: "p50 %.1f ms, p99 %.1f ms", at(0.5), at(0.99))
    }
}
