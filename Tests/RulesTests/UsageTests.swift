import Rules
import Testing

/// Usage indicators and the solde (§7–§8, usage.md): every rule both ways.
@Suite("Usages et solde")
struct UsageTests {
    static let ets = (0..<16).map { FinessNumber.withKey("3100\(6000 + $0)")! }

    func project(kind: ProjectKind = .miseEnConformite, sectors: [Sector]? = nil, count: Int = 16) -> Project {
        let og = Project.Organisme(finessEJ: "310000013", name: "A", essmsCount: 60)
        let list = (0..<count).map { i in
            Project.Establishment(finessET: Self.ets[i], finessEJ: "310000013", name: "ESSMS \(i)", sector: sectors?[i] ?? .PA,
                                  department: Territory.department("31")!)
        }
        return Project(campaign: "2022", kind: kind, solution: .init(name: "X", editor: "Y", referencing: .segur),
                       porteur: "310000013", procurement: .sad, organismes: [og], establishments: list)
    }

    /// A measure where every rate is `share` (MSSanté and DMP `mss`, `dmp`), 100 persons.
    func measure(_ et: Int, _ month: String, dui: Int = 95, mss: Int = 80, dmp: Int = 80, persons: Int = 100) -> MonthlyMeasure {
        MonthlyMeasure(finessET: Self.ets[et], month: YearMonth(iso: month)!, persons: persons, activeRecords: dui * persons / 100,
                       activeWithProjet: dui * dui * persons / 10_000, activeWithEvent: dui * dui * persons / 10_000,
                       mssMessagesSent: mss * persons / 100, dmpFedPersons: dmp * persons / 100)
    }

    func months(_ from: String, _ count: Int) -> [String] {
        (0..<count).map { YearMonth(iso: from)!.adding($0).description }
    }

    func report(_ usage: UsageProject, _ measures: [MonthlyMeasure], asOf: String = "2025-09-30") throws -> UsageReport {
        try Engine().usageReport(usage, measures: measures, asOf: CalendarDate(iso: asOf)!)
    }

    func usage(_ p: Project, commitment: String = "2025-01-15", vsr: String? = "2025-03-10", expenses: Cents? = nil) -> UsageProject {
        UsageProject(project: p, commitmentDate: CalendarDate(iso: commitment)!, vsrDate: vsr.flatMap { CalendarDate(iso: $0) }, expenses: expenses)
    }

    @Test func allTargetsMetReleasesTheSolde() throws {
        let p = project()
        let measures = (0..<16).flatMap { i in months("2025-04", 6).map { measure(i, $0, dui: 100) } }
        let r = try report(usage(p, expenses: 80_000_00), measures)
        #expect(r.solde.decision == .releasable)
        #expect(r.solde.amount == 40_000_00) // 16 × 5 000 €, solde 50 %
        #expect(r.solde.failing.isEmpty)
        #expect(r.deadline == CalendarDate(iso: "2025-10-15"))
        #expect(r.monthsLeft == 0)
        #expect(r.json["solde"]?["decision"] == .string("releasable"))
    }

    @Test func U1_theFirstMeasureCoversThreeMonths() throws {
        let p = project(count: 1)
        let measures = [measure(0, "2025-04", mss: 10, dmp: 10), measure(0, "2025-05", mss: 20, dmp: 20), measure(0, "2025-06", mss: 30, dmp: 30), measure(0, "2025-07", mss: 40, dmp: 40)]
        let r = try report(usage(p), measures)
        let m = r.establishments[0].months
        #expect(m[0].rates[.mss] == nil && m[1].rates[.mss] == nil)
        #expect(m[2].rates[.mss] == Rate(numerator: 60, denominator: 100))
        #expect(m[2].nationalServicesMonths == 3)
        #expect(m[3].rates[.dmp] == Rate(numerator: 40, denominator: 100))
        #expect(m[0].rates[.activeRecords] != nil) // DUI rates every month
        // Before the third month there is no MSSanté measure at all: the solde waits.
        let early = try report(usage(p), Array(measures.prefix(2)))
        #expect(early.solde.failing.map(\.indicator).contains("mss"))
        #expect(early.solde.failing.first { $0.indicator == "mss" }?.value == nil)
        // Measures before the VSR month do not count.
        let before = try report(usage(p, vsr: "2025-05-02"), measures)
        #expect(before.establishments[0].months.first?.month == YearMonth(iso: "2025-06"))
    }

    @Test func U2_definitionsArePrintedWithEveryReport() throws {
        let r = try report(usage(project(count: 1)), [measure(0, "2025-04")])
        #expect(r.explanation.filter { $0.rule == .U2 }.count == 5)
        guard case let .array(definitions)? = r.json["definitions"] else { Issue.record("definitions attendues"); return }
        #expect(definitions.count == 5)
        #expect(r.text.contains("dossiers actifs avec un projet personnalisé ÷ dossiers actifs"))
    }

    /// One establishment's targets (the DUI's indicators page): the grid's, without MSSanté and DMP
    /// for a sector the campaign exempts (U4: PJM in 2022).
    @Test func U4_anExemptEstablishmentHasNoMssanteOrDmpTarget() throws {
        let grid = try #require(Engine().catalogue.campaign("2022")).rules(on: CalendarDate(iso: "2025-06-01")).grid
        #expect(grid.usageTargets(sector: .PA) == [.mss: 70, .dmp: 70, .activeRecords: 90, .withProjet: 90, .withEvent: 90])
        #expect(grid.usageTargets() == grid.usageTargets(sector: .PA))
        #expect(grid.usageTargets(sector: .PJM) == [.activeRecords: 90, .withProjet: 90, .withEvent: 90])
    }

    @Test func U3_mssCanExceedOneHundredPercent() throws {
        let r = try report(usage(project(count: 1)), months("2025-04", 4).map { measure(0, $0, mss: 250) })
        #expect(r.projectMonths.last?.rates[.mss]?.value == 2.5)
        #expect(r.json["project"]?["months"].map { _ in true } == true)
    }

    @Test func U4_PJMIsExemptFromMSSanteAndDMP() throws {
        let sectors: [Sector] = [.PJM] + Array(repeating: .PA, count: 15)
        let p = project(sectors: sectors)
        let measures = (0..<16).flatMap { i in months("2025-04", 4).map { measure(i, $0, dui: 100, mss: i == 0 ? 0 : 80, dmp: i == 0 ? 0 : 80) } }
        let r = try report(usage(p), measures)
        #expect(r.solde.decision == .releasable)
        #expect(r.establishments.first { $0.finessET == Self.ets[0] }?.exempt == true)
        #expect(r.explanation.contains { $0.rule == .U4 })
        // Without the exemption the same DMP would hold the project back (a PA service at 0 %).
        let notExempt = try report(usage(project()), measures)
        #expect(notExempt.solde.decision == .notYet || notExempt.solde.decision == .releasable)
        #expect(notExempt.establishments.first?.finessET == Self.ets[0])
        #expect(notExempt.establishments.first?.unmet.map(\.indicator) == [.mss, .dmp])
        #expect(!notExempt.explanation.contains { $0.rule == .U4 })
    }

    @Test func P2_failingConditionsAreNamedWithTheirValues() throws {
        let measures = (0..<16).flatMap { i in months("2025-04", 4).map { measure(i, $0, dui: 100, mss: 80, dmp: 65) } }
        let r = try report(usage(project()), measures)
        #expect(r.solde.decision == .notYet)
        #expect(r.solde.failing == [.init(indicator: "dmp", value: 0.65, target: 0.7)])
        #expect(r.json["solde"]?["failing"] == .array([.object([("indicator", .string("dmp")), ("value", .number("0.65")), ("target", .number("0.7"))])]))
    }

    @Test func P2_condition3IsLeftToTheARSBelowTheThreshold() throws {
        let measures = (0..<16).flatMap { i in months("2025-04", 4).map { measure(i, $0, dui: 100) } }
        let low = try report(usage(project(), expenses: 60_000_00), measures) // 60 000 / 80 000 = 75 % < 80 %
        #expect(low.solde.failing.map(\.indicator) == ["expenses"])
        #expect(low.solde.expensesRatio == 0.75)
        let enough = try report(usage(project(), expenses: 64_000_00), measures) // exactly 80 %
        #expect(enough.solde.decision == .releasable)
        let undeclared = try report(usage(project()), measures)
        #expect(undeclared.solde.decision == .releasable)
        #expect(undeclared.explanation.contains { $0.rule == .P2 && $0.text.contains("à vérifier par l'ARS") })
    }

    @Test func P3_deadlinesByKindAndAtTheirBoundaries() throws {
        let measures = (0..<16).flatMap { i in months("2025-04", 4).map { measure(i, $0, dui: 80) } }
        let mec = usage(project(), commitment: "2025-01-31", vsr: "2025-03-10")
        #expect(try report(mec, measures, asOf: "2025-10-31").deadline == CalendarDate(iso: "2025-10-31"))
        #expect(try report(mec, measures, asOf: "2025-10-31").solde.decision == .notYet) // on the deadline
        #expect(try report(mec, measures, asOf: "2025-11-01").solde.decision == .late)  // the day after
        let acquisition = usage(project(kind: .acquisition), commitment: "2024-08-31", vsr: "2025-03-10")
        let r = try report(acquisition, measures, asOf: "2025-09-30")
        #expect(r.deadline == CalendarDate(iso: "2026-02-28")) // 18 months, clamped to the month's end
        #expect(r.monthsLeft == 4)
        #expect(r.solde.amount == 16 * (7_000_00 + 14_500_00) / 2)
    }

    @Test func zeroDenominatorsAreNotMeasurable() throws {
        let empty = MonthlyMeasure(finessET: Self.ets[0], month: YearMonth(iso: "2025-04")!, persons: 0, activeRecords: 0, activeWithProjet: 0, activeWithEvent: 0, mssMessagesSent: 0, dmpFedPersons: 0)
        let r = try report(usage(project(count: 1)), [empty])
        #expect(r.establishments[0].months[0].rates[.activeRecords]?.value == nil)
        guard case let .array(projectMonths)? = r.json["project"]?["months"] else { Issue.record("mois attendus"); return }
        #expect(projectMonths.first?["activeRecords"] == .null)
        #expect(r.solde.decision == .late || r.solde.decision == .notYet)
        #expect(r.text.contains("non mesurable"))
    }

    @Test func aMeasuresFileWithBadRowsIsRefusedWholeWithEveryLine() {
        let ets = Set(Self.ets)
        let good = "\(Self.ets[0]);2025-04;100;90;80;80;70;70"
        let text = """
        finessET;month;persons;activeRecords;activeWithProjet;activeWithEvent;mssMessagesSent;dmpFedPersons
        \(good)
        310099999;2025-04;100;90;80;80;70;70
        \(Self.ets[1]);2025-4;100;90;80;80;70;70
        \(Self.ets[2]);2025-04;100;-3;80;80;70;70
        \(Self.ets[3]);2025-04;100;90;95;80;70;70
        \(Self.ets[4]);2025-04;100;90;80;80;70;120
        \(Self.ets[5]);2025-04;100;120;80;80;70;70
        \(good)
        \(Self.ets[6]);2025-04;100;90
        """
        do {
            _ = try MeasuresFile.parse(text, file: "m.csv", establishments: ets)
            Issue.record("refus attendu")
        } catch {
            #expect(error.problems.map(\.description) == [
                "ligne 3, colonne finessET : établissement « 310099999 » absent du projet",
                "ligne 4, colonne month : mois « 2025-4 » invalide (attendu AAAA-MM)",
                "ligne 5, colonne activeRecords : nombre négatif « -3 »",
                "ligne 6, colonne activeWithProjet : 95 dossiers avec projet personnalisé pour 90 dossiers actifs",
                "ligne 7, colonne dmpFedPersons : 120 DMP alimentés pour 100 personnes accompagnées",
                "ligne 8, colonne activeRecords : 120 dossiers actifs pour 100 personnes accompagnées",
                "ligne 9 : \(Self.ets[0]) 2025-04 déjà mesuré ligne 2",
                "ligne 10 : 4 champs au lieu de 8",
            ])
        }
        #expect((try? MeasuresFile.parse("finessET,month,persons\n", file: "m.csv", establishments: ets)) == nil)
        let comma = "month,finessET,persons,activeRecords,activeWithProjet,activeWithEvent,mssMessagesSent,dmpFedPersons\r\n2025-04,\(Self.ets[0]),100,90,80,80,170,70\r\n"
        #expect((try? MeasuresFile.parse(comma, file: "m.csv", establishments: ets))?.first?.mssMessagesSent == 170)
    }

    @Test func theProjectFileGivesItsDates() throws {
        let p = project(count: 1)
        func dates(_ extra: String) throws -> UsageProject {
            try UsageProject.dates(try JSON.parse("{\(extra)}"), project: p)
        }
        #expect(try dates("\"commitmentDate\": \"2025-01-15\", \"expenses\": 1234.5").expenses == 1_234_50)
        #expect(throws: InputError(path: "commitmentDate", reason: "champ obligatoire manquant")) { try dates("\"vsrDate\": \"2025-01-15\"") }
        #expect(throws: InputError(path: "vsrDate", reason: "la VSR (01/01/2025) précède l'engagement (15/01/2025)")) { try dates("\"commitmentDate\": \"2025-01-15\", \"vsrDate\": \"2025-01-01\"") }
        #expect(throws: InputError(path: "expenses", reason: "montant en euros positif attendu, au plus deux décimales, au plus 1 000 000 000 €")) { try dates("\"commitmentDate\": \"2025-01-15\", \"expenses\": -1") }
    }
}
