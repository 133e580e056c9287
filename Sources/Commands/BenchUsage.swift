import ArgumentParser
import Foundation
import Rules

/// `esms bench usage`: a report for 1,000 ESSMS over 36 months from generated files, end to end
/// (reading both files, checking every row, computing, rendering JSON).
struct BenchUsage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Rapport d'usage de 1 000 ESSMS sur 36 mois, de bout en bout."
    )

    @Option(help: "Nombre d'ESSMS.")
    var establishments = 1_000

    @Option(help: "Nombre de mois mesurés.")
    var months = 36

    @Option(help: "Nombre de passages ; le meilleur et la médiane sont imprimés.")
    var runs = 5

    func run() async throws {
        try await reporting {
            guard (1...100_000).contains(establishments), (1...120).contains(months), runs > 0 else {
                throw UserFacingError("--establishments 1…100000, --months 1…120, --runs ≥ 1")
            }
            let (project, measures) = Self.generate(establishments: establishments, months: months)
            let runner = UsageRunner()
            var times: [Double] = []
            var decision = ""
            for _ in 0..<runs {
                let start = ContinuousClock.now
                let json = try SimulationRunner().parse(project)
                let typed: Project
                do throws(InputError) { typed = try Project.decode(json) } catch { throw UserFacingError(error.description) }
                let report = try runner.report(projectJSON: json, project: typed, measures: measures, measuresFile: "mesures.csv", asOf: CalendarDate(iso: "2028-06-30")!)
                let output = runner.render(report, .json)
                let elapsed = ContinuousClock.now - start
                times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                decision = "\(report.solde.decision.rawValue), \(output.utf8.count / 1024) Kio de JSON"
            }
            times.sort()
            print("Rapport d'usage : \(establishments) ESSMS × \(months) mois = \(establishments * months) lignes (\(measures.utf8.count / 1024) Kio) — \(decision)")
            print(String(format: "  meilleur %.3f s, médiane %.3f s (objectif < 1 s)", times[0], times[times.count / 2]))
        }
    }

    /// A mise en conformité of `establishments` ESSMS and its measures, deterministic.
    static func generate(establishments: Int, months: Int) -> (project: String, measures: String) {
        let departments = ["31", "34", "65", "75", "69", "13"]
        var ets: [(String, String)] = []
        for i in 0..<establishments {
            let department = departments[i % departments.count]
            ets.append((FinessNumber.withKey(department + String(format: "%06d", 100_000 + i))!, department))
        }
        let list = ets.enumerated().map { i, e in
            "{\"finessET\": \"\(e.0)\", \"finessEJ\": \"310000013\", \"name\": \"ESSMS \(i)\", \"sector\": \"\(i % 40 == 0 ? "PJM" : "PA")\", \"department\": \"\(e.1)\"}"
        }
        let project = """
        {"campaign": "2022", "kind": "miseEnConformite", "solution": {"name": "X", "editor": "Y", "referencing": "segur"},
         "porteur": "310000013", "procurement": "none", "commitmentDate": "2025-01-15", "vsrDate": "2025-03-10", "expenses": 2000000,
         "organismes": [{"finessEJ": "310000013", "name": "Association A", "essmsCount": \(establishments + 10)}],
         "establishments": [\(list.joined(separator: ","))]}
        """
        var rng = SplitMix(seed: 36)
        var rows = ["finessET;month;persons;activeRecords;activeWithProjet;activeWithEvent;mssMessagesSent;dmpFedPersons"]
        rows.reserveCapacity(establishments * months + 1)
        let first = YearMonth(iso: "2025-04")!
        for (et, _) in ets {
            let persons = 30 + rng.next(120)
            for k in 0..<months {
                let progress = min(100, 50 + k * 3 + rng.next(10))
                let active = persons * progress / 100
                rows.append("\(et);\(first.adding(k));\(persons);\(active);\(active * min(100, progress + 5) / 100);\(active * min(100, progress + 8) / 100);\(persons * progress / 90);\(persons * progress / 110)")
            }
        }
        return (project, rows.joined(separator: "\n") + "\n")
    }
}
