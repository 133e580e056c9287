/// Usage indicators and the solde (`programme-rules.md` §7–§8, `shared/spec/usage.md`).

/// A month, `YYYY-MM`.
public struct YearMonth: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let year: Int, month: Int

    public init(year: Int, month: Int) { self.year = year; self.month = month }

    public init?(iso text: String) {
        let b = Array(text.utf8)
        guard b.count == 7, b[4] == UInt8(ascii: "-"), b.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) }),
              let y = Int(String(decoding: b[0..<4], as: UTF8.self)), let m = Int(String(decoding: b[5..<7], as: UTF8.self)),
              (1...12).contains(m) else { return nil }
        year = y; month = m
    }

    public init(_ date: CalendarDate) { year = date.year; month = date.month }

    public func adding(_ months: Int) -> YearMonth {
        let index = year * 12 + (month - 1) + months
        return YearMonth(year: index / 12, month: index % 12 + 1)
    }

    public static func < (a: YearMonth, b: YearMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }

    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
}

extension CalendarDate {
    /// The same day `months` later, on the month's last day when it is shorter.
    public func adding(months: Int) -> CalendarDate {
        let m = YearMonth(self).adding(months)
        let day = min(self.day, CalendarDate.daysIn(month: m.month, year: m.year))
        return CalendarDate(iso: "\(m.description)-\(day < 10 ? "0" : "")\(day)")!
    }

    /// Whole months from `self` to `later` (0 when `later` is not after `self`).
    public func months(until later: CalendarDate) -> Int {
        guard self < later else { return 0 }
        var n = (later.year - year) * 12 + (later.month - month)
        if later.day < day { n -= 1 }
        return max(0, n)
    }
}

/// One row of the measures file: the counts a DUI exports for one ESSMS and one month.
public struct MonthlyMeasure: Sendable, Equatable {
    public let finessET: String
    public let month: YearMonth
    public let persons: Int
    public let activeRecords: Int
    public let activeWithProjet: Int
    public let activeWithEvent: Int
    public let mssMessagesSent: Int
    public let dmpFedPersons: Int

    public init(finessET: String, month: YearMonth, persons: Int, activeRecords: Int, activeWithProjet: Int, activeWithEvent: Int, mssMessagesSent: Int, dmpFedPersons: Int) {
        self.finessET = finessET; self.month = month; self.persons = persons; self.activeRecords = activeRecords
        self.activeWithProjet = activeWithProjet; self.activeWithEvent = activeWithEvent
        self.mssMessagesSent = mssMessagesSent; self.dmpFedPersons = dmpFedPersons
    }
}

/// The five indicators (§8), in the order of the report.
public enum Indicator: String, CaseIterable, Sendable {
    case mss, dmp, activeRecords, withProjet, withEvent

    public var french: String {
        switch self {
        case .mss: return "MSSanté"
        case .dmp: return "DMP"
        case .activeRecords: return "dossiers actifs"
        case .withProjet: return "dossiers actifs avec projet personnalisé"
        case .withEvent: return "dossiers actifs avec un événement"
        }
    }

    /// A column heading.
    public var short: String {
        switch self {
        case .mss: return "MSSanté"
        case .dmp: return "DMP"
        case .activeRecords: return "actifs"
        case .withProjet: return "avec projet"
        case .withEvent: return "avec événement"
        }
    }

    /// U2: the definitions the tool uses, printed with every report.
    public var definition: String {
        switch self {
        case .mss: return "messages envoyés par MSSanté dans le mois ÷ personnes accompagnées pouvant avoir un projet d'accueil et d'accompagnement (peut dépasser 100 %, U3)"
        case .dmp: return "personnes dont le DMP a reçu au moins un document dans le mois ÷ les mêmes personnes"
        case .activeRecords: return "dossiers actifs dans le mois ÷ personnes accompagnées"
        case .withProjet: return "dossiers actifs avec un projet personnalisé ÷ dossiers actifs"
        case .withEvent: return "dossiers actifs avec au moins un événement d'agenda dans le mois ÷ dossiers actifs"
        }
    }

    /// MSSanté and DMP: condition 1 of the solde, exempt for the campaign's sectors (U4, PJM), first measure over 3 months (U1).
    public var isNationalService: Bool { self == .mss || self == .dmp }
}

/// A rate as a fraction of two counts; nil denominator means "not measurable", never 0 %.
public struct Rate: Sendable, Equatable {
    public let numerator: Int
    public let denominator: Int

    public init(numerator: Int, denominator: Int) { self.numerator = numerator; self.denominator = denominator }

    public var value: Double? { denominator == 0 ? nil : Double(numerator) / Double(denominator) }

    /// Exact comparison with a target in percent: numerator × 100 ≥ target × denominator.
    /// Full-width products: no count, however large, can make it trap.
    public func meets(_ targetPercent: Int) -> Bool? {
        guard denominator != 0 else { return nil }
        let left = numerator.multipliedFullWidth(by: 100), right = targetPercent.multipliedFullWidth(by: denominator)
        return (left.high, left.low) >= (right.high, right.low)
    }
}

/// The five rates of one month (for one ESSMS or for the project). A rate is nil when the month
/// carries none: MSSanté and DMP in the first two months of the first three-month measure (U1).
public struct MonthRates: Sendable, Equatable {
    public let month: YearMonth
    public var rates: [Indicator: Rate]
    /// MSSanté and DMP are measured over several months here (the first measure, U1).
    public var nationalServicesMonths: Int

    public init(month: YearMonth, rates: [Indicator: Rate], nationalServicesMonths: Int) {
        self.month = month; self.rates = rates; self.nationalServicesMonths = nationalServicesMonths
    }
}

public struct EstablishmentUsage: Sendable {
    public let finessET: String
    public let name: String
    public let sector: Sector
    /// Exempt from the MSSanté and DMP targets (U4: the campaign's sectors, PJM).
    public let exempt: Bool
    public let months: [MonthRates]
    /// Targets unmet in the last measured month, with the gap in points of percentage.
    public let unmet: [(indicator: Indicator, value: Double?, target: Int)]
}

public struct SoldeDecision: Sendable {
    public enum Decision: String, Sendable { case releasable, notYet, late }
    public struct Failing: Sendable, Equatable {
        public let indicator: String
        public let value: Double?
        public let target: Double
        public init(indicator: String, value: Double?, target: Double) { self.indicator = indicator; self.value = value; self.target = target }
    }
    public let decision: Decision
    public let amount: Cents
    public let failing: [Failing]
    /// Expenses ÷ subsidy, when expenses were declared.
    public let expensesRatio: Double?
    /// The month whose project aggregate decided.
    public let month: YearMonth?
}

public struct UsageReport: Sendable {
    public let campaign: String
    public let deadline: CalendarDate
    public let asOf: CalendarDate
    public let monthsLeft: Int
    public let projectMonths: [MonthRates]
    /// Worst first: the establishments that hold the project back.
    public let establishments: [EstablishmentUsage]
    public let solde: SoldeDecision
    public let targets: [Indicator: Int]
    public let explanation: [Assessment.Entry]
    public let assessment: Assessment
}

/// A project with the dates of its usage follow-up (`usage.md`, « The project's dates »).
public struct UsageProject: Sendable {
    public var project: Project
    public var commitmentDate: CalendarDate
    public var vsrDate: CalendarDate?
    public var expenses: Cents?

    public init(project: Project, commitmentDate: CalendarDate, vsrDate: CalendarDate? = nil, expenses: Cents? = nil) {
        self.project = project; self.commitmentDate = commitmentDate; self.vsrDate = vsrDate; self.expenses = expenses
    }

    /// Reads the dates of a project file whose project part is already decoded.
    public static func dates(_ json: JSON, project: Project) throws(InputError) -> UsageProject {
        let root = Field(json: json, path: "")
        let commitment = try root.required("commitmentDate").string()
        guard let commitmentDate = CalendarDate(iso: commitment) else { throw InputError(path: "commitmentDate", reason: "date attendue au format AAAA-MM-JJ") }
        var vsr: CalendarDate? = nil
        if let f = try root.optional("vsrDate"), !f.isNull {
            guard let d = CalendarDate(iso: try f.string()) else { throw InputError(path: "vsrDate", reason: "date attendue au format AAAA-MM-JJ") }
            guard d >= commitmentDate else { throw InputError(path: "vsrDate", reason: "la VSR (\(d.french)) précède l'engagement (\(commitmentDate.french))") }
            vsr = d
        }
        var expenses: Cents? = nil
        if let f = try root.optional("expenses"), !f.isNull {
            guard case let .number(n) = f.json, let cents = Self.cents(n), cents >= 0 else {
                throw InputError(path: "expenses", reason: "montant en euros positif attendu, au plus deux décimales, au plus \(Money.format(Limits.expensesCents))")
            }
            expenses = cents
        }
        return UsageProject(project: project, commitmentDate: commitmentDate, vsrDate: vsr, expenses: expenses)
    }

    /// A JSON number of euros with at most two decimals, within `Limits.expensesCents`.
    static func cents(_ text: String) -> Cents? {
        guard let cents = Amount.cents(text, decimalSeparators: ["."], groupSeparators: []), cents <= Limits.expensesCents else { return nil }
        return cents
    }
}

public enum UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    case assessment(AssessmentError)
    /// A measure outside the bounds of `Limits` (stored before they existed, or built by a caller).
    case implausible(finessET: String, month: YearMonth, column: String, value: Int)
    public var description: String {
        switch self {
        case let .assessment(e): return "\(e.path) : \(e.description)"
        case let .implausible(et, month, column, value):
            return "mesure invalide pour \(et) en \(month) : \(column) = \(value), hors des bornes plausibles (0 à \(Limits.measure(column).grouped)) ; corrigez-la en envoyant à nouveau le fichier de ce mois"
        }
    }
}

extension Engine {
    /// The usage report of a project from its monthly measures, as of a date.
    public func usageReport(_ usage: UsageProject, measures: [MonthlyMeasure], asOf: CalendarDate) throws(UsageError) -> UsageReport {
        try MonthlyMeasure.checkPlausible(measures)
        let assessment: Assessment
        do { assessment = try assess(usage.project) } catch { throw .assessment(error) }
        let campaign = catalogue.campaign(usage.project.campaign)!
        let (grid, sources) = campaign.rules(on: asOf)
        func source(_ key: ParameterKey) -> String { sources[key.rawValue] }
        var explanation: [Assessment.Entry] = []
        func explain(_ rule: RuleID, _ fact: Fact, _ source: String? = nil) { explanation.append(.init(rule: rule, fact: fact, source: source ?? rule.source)) }

        let targets = grid.usageTargets()
        for i in Indicator.allCases { explain(.U2, .indicatorDefinition(i, target: targets[i]!), i.isNationalService ? source(.targetMssante) : source(.targetDui)) }

        // P3: the deadline by kind (a mixte project takes the acquisition's, the longer).
        let hasAcquisition = usage.project.establishments.contains { (usage.project.kind == .mixte ? $0.kind : usage.project.kind) == .acquisition }
        let months = hasAcquisition ? grid.deadlineAcquisitionMonths : grid.deadlineMiseEnConformiteMonths
        let deadline = usage.commitmentDate.adding(months: months)
        explain(.P3, .usageDeadline(commitment: usage.commitmentDate, months: months, acquisition: hasAcquisition, deadline: deadline),
                source(hasAcquisition ? .deadlineAcquisition : .deadlineConformite))

        // Which months count: from the month after the VSR, else from the commitment's month.
        let firstMonth = usage.vsrDate.map { YearMonth($0).adding(1) } ?? YearMonth(usage.commitmentDate)
        explain(.U1, .measuresCountedFrom(firstMonth, vsr: usage.vsrDate))

        let excludedET = Set(assessment.excluded.compactMap(\.finessET))
        var byET: [String: [MonthlyMeasure]] = [:]
        for m in measures where m.month >= firstMonth && !excludedET.contains(m.finessET) { byET[m.finessET, default: []].append(m) }
        let eligible = usage.project.establishments.filter { $0.finessET != nil && !excludedET.contains($0.finessET!) && $0.essms }
        let exemptCount = eligible.filter { grid.nationalServicesExempt.contains($0.sector) }.count
        if exemptCount > 0 {
            let sectors = Sector.allCases.filter { s in grid.nationalServicesExempt.contains(s) && eligible.contains { $0.sector == s } }
            explain(.U4, .exemptFromNationalServices(establishments: exemptCount, sectors: sectors), source(.nationalServicesExemptions))
        }

        // Per ESSMS, per month.
        var perEstablishment: [EstablishmentUsage] = []
        var sums: [YearMonth: (counts: [Indicator: (Int, Int)], nsMonths: Int)] = [:]
        for e in eligible {
            let list = (byET[e.finessET!] ?? []).sorted { $0.month < $1.month }
            let exempt = grid.nationalServicesExempt.contains(e.sector)
            var months: [MonthRates] = []
            for m in list {
                var rates: [Indicator: Rate] = [
                    .activeRecords: Rate(numerator: m.activeRecords, denominator: m.persons),
                    .withProjet: Rate(numerator: m.activeWithProjet, denominator: m.activeRecords),
                    .withEvent: Rate(numerator: m.activeWithEvent, denominator: m.activeRecords),
                ]
                var nsMonths = 1
                // U1: months 1 and 2 belong to the first measure, given at month 3 with the three months' numerators.
                let index = (m.month.year - firstMonth.year) * 12 + (m.month.month - firstMonth.month)
                if index >= 2 {
                    var mss = m.mssMessagesSent, dmp = m.dmpFedPersons
                    if index == 2 {
                        for earlier in list where earlier.month < m.month && earlier.month >= firstMonth {
                            mss += earlier.mssMessagesSent; dmp += earlier.dmpFedPersons
                        }
                        nsMonths = 3
                    }
                    rates[.mss] = Rate(numerator: mss, denominator: m.persons)
                    rates[.dmp] = Rate(numerator: dmp, denominator: m.persons)
                }
                months.append(MonthRates(month: m.month, rates: rates, nationalServicesMonths: nsMonths))
                var s = sums[m.month] ?? ([:], nsMonths)
                for (indicator, rate) in rates where !(exempt && indicator.isNationalService) {
                    let old = s.counts[indicator] ?? (0, 0)
                    s.counts[indicator] = (old.0 + rate.numerator, old.1 + rate.denominator)
                }
                s.nsMonths = max(s.nsMonths, nsMonths)
                sums[m.month] = s
            }
            var unmet: [(Indicator, Double?, Int)] = []
            if let last = months.last {
                for i in Indicator.allCases where !(exempt && i.isNationalService) {
                    guard let rate = last.rates[i] else { continue }
                    if rate.meets(targets[i]!) != true { unmet.append((i, rate.value, targets[i]!)) }
                }
            }
            perEstablishment.append(EstablishmentUsage(finessET: e.finessET!, name: e.name, sector: e.sector, exempt: exempt, months: months, unmet: unmet))
        }
        func gap(_ u: EstablishmentUsage) -> Double { u.unmet.reduce(0) { $0 + (Double($1.target) / 100 - ($1.value ?? 0)) } }
        perEstablishment.sort { a, b in
            if a.unmet.count != b.unmet.count { return a.unmet.count > b.unmet.count }
            if gap(a) != gap(b) { return gap(a) > gap(b) }
            return a.finessET < b.finessET
        }
        let projectMonths = sums.keys.sorted().map { month -> MonthRates in
            let s = sums[month]!
            var rates: [Indicator: Rate] = [:]
            for (i, c) in s.counts { rates[i] = Rate(numerator: c.0, denominator: c.1) }
            return MonthRates(month: month, rates: rates, nationalServicesMonths: s.nsMonths)
        }

        // P2 on the project aggregate of the last measured month.
        var failing: [SoldeDecision.Failing] = []
        let last = projectMonths.last
        let allExempt = !eligible.isEmpty && exemptCount == eligible.count
        for i in Indicator.allCases where !(allExempt && i.isNationalService) {
            let rate = last?.rates[i]
            if rate?.meets(targets[i]!) != true {
                failing.append(.init(indicator: i.rawValue, value: rate?.value, target: Double(targets[i]!) / 100))
            }
        }
        let subsidy = assessment.funding.total
        var ratio: Double? = nil
        if let expenses = usage.expenses {
            if subsidy > 0 {
                ratio = Double(expenses) / Double(subsidy)
                let threshold = grid.expensesThresholdPercent
                let spent = expenses.multipliedFullWidth(by: 100), floor = threshold.multipliedFullWidth(by: subsidy)
                if (spent.high, spent.low) < (floor.high, floor.low) {
                    failing.append(.init(indicator: "expenses", value: ratio, target: Double(threshold) / 100))
                    explain(.P2, .expensesBelowThreshold(expenses: expenses, subsidy: subsidy, thresholdPercent: threshold), source(.expensesThreshold))
                } else {
                    explain(.P2, .expensesAboveThreshold(expenses: expenses, subsidy: subsidy, thresholdPercent: threshold), source(.expensesThreshold))
                }
            }
        } else {
            explain(.P2, .expensesUndeclared, source(.expensesThreshold))
        }
        let decision: SoldeDecision.Decision = failing.isEmpty ? .releasable : (asOf <= deadline ? .notYet : .late)
        let amount = assessment.solde.amount
        switch decision {
        case .releasable: explain(.P2, .soldeReleasable(amount: amount, month: last?.month))
        case .notYet: explain(.P2, .soldeNotYet(amount: amount, failing: failing.count, deadline: deadline))
        case .late: explain(.P3, .deadlinePassed(deadline), source(hasAcquisition ? .deadlineAcquisition : .deadlineConformite))
        }
        return UsageReport(
            campaign: campaign.id, deadline: deadline, asOf: asOf, monthsLeft: asOf.months(until: deadline),
            projectMonths: projectMonths, establishments: perEstablishment,
            solde: SoldeDecision(decision: decision, amount: amount, failing: failing, expensesRatio: ratio, month: last?.month),
            targets: targets, explanation: explanation, assessment: assessment)
    }
}

extension Grid {
    /// The target of each indicator (U2) — for one establishment of `sector`, without MSSanté and DMP
    /// when the campaign exempts its sector from them (U4).
    public func usageTargets(sector: Sector? = nil) -> [Indicator: Int] {
        var targets: [Indicator: Int] = [.mss: targetMssante, .dmp: targetDmp, .activeRecords: targetDui, .withProjet: targetDui, .withEvent: targetDui]
        if let sector, nationalServicesExempt.contains(sector) {
            targets[.mss] = nil
            targets[.dmp] = nil
        }
        return targets
    }
}
