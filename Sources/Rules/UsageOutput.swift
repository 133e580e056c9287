/// The usage report as `shared/spec/usage.md` prints it: JSON, French text, CSV.
extension UsageReport {
    /// A fraction with at most four decimals: `0.8`, `0.7525`.
    static func fraction(_ value: Double?) -> JSON {
        guard let value else { return .null }
        let scaled = Int((value * 10_000).rounded())
        let units = scaled / 10_000, rest = scaled % 10_000
        if rest == 0 { return .number(String(units)) }
        var decimals = String(rest)
        decimals = String(repeating: "0", count: 4 - decimals.count) + decimals
        while decimals.hasSuffix("0") { decimals.removeLast() }
        return .number("\(units).\(decimals)")
    }

    public static func percent(_ value: Double?) -> String {
        guard let value else { return "non mesurable" }
        let tenths = Int((value * 1000).rounded())
        return "\(tenths / 10),\(tenths % 10) %"
    }

    func monthJSON(_ m: MonthRates, exempt: Bool = false) -> JSON {
        var members: [(String, JSON)] = [("month", .string(m.month.description))]
        for i in Indicator.allCases { members.append((i.rawValue, Self.fraction(m.rates[i]?.value))) }
        var meets: [(String, JSON)] = []
        for i in Indicator.allCases {
            if exempt && i.isNationalService { meets.append((i.rawValue, .string("exempt"))); continue }
            meets.append((i.rawValue, m.rates[i]?.meets(targets[i]!).map(JSON.bool) ?? .null))
        }
        members.append(("meetsTarget", .object(meets)))
        if m.nationalServicesMonths > 1 { members.append(("nationalServicesMonths", .int(m.nationalServicesMonths))) }
        return .object(members)
    }

    public var json: JSON {
        .object([
            ("campaign", .string(campaign)),
            ("asOf", .string(asOf.description)),
            ("deadline", .string(deadline.description)),
            ("monthsLeft", .int(monthsLeft)),
            ("definitions", .array(Indicator.allCases.map { .object([("indicator", .string($0.rawValue)), ("definition", .string($0.definition)), ("target", Self.fraction(Double(targets[$0]!) / 100))]) })),
            ("project", .object([("months", .array(projectMonths.map { monthJSON($0) }))])),
            ("establishments", .array(establishments.map { e in
                .object([
                    ("finessET", .string(e.finessET)), ("name", .string(e.name)), ("sector", .string(e.sector.rawValue)), ("exempt", .bool(e.exempt)),
                    ("unmet", .array(e.unmet.map { .object([("indicator", .string($0.indicator.rawValue)), ("value", Self.fraction($0.value)), ("target", Self.fraction(Double($0.target) / 100))]) })),
                    ("months", .array(e.months.map { monthJSON($0, exempt: e.exempt) })),
                ])
            })),
            ("solde", .object([
                ("decision", .string(solde.decision.rawValue)), ("amount", .euros(solde.amount)),
                ("failing", .array(solde.failing.map { .object([("indicator", .string($0.indicator)), ("value", Self.fraction($0.value)), ("target", Self.fraction($0.target))]) })),
                ("expensesRatio", Self.fraction(solde.expensesRatio)), ("month", solde.month.map { .string($0.description) } ?? .null),
            ])),
            ("explanation", .array(explanation.map { .object([("rule", .string($0.rule.rawValue)), ("text", .string($0.text)), ("source", .string($0.source))]) })),
        ])
    }

    public var text: String {
        var lines: [String] = []
        let decision: String
        switch solde.decision {
        case .releasable: decision = "LIBÉRABLE"
        case .notYet: decision = "PAS ENCORE"
        case .late: decision = "ÉCHÉANCE DÉPASSÉE — À DÉCIDER PAR L'ARS"
        }
        lines.append("Usages du DUI — campagne \(campaign), au \(asOf.french)")
        lines.append("Échéance : \(deadline.french) (\(monthsLeft) mois restant\(monthsLeft > 1 ? "s" : "")) (P3)")
        lines.append("Solde de \(Money.format(solde.amount)) : \(decision)\(solde.month.map { " (mesures de \($0))" } ?? "") (P2)")
        for f in solde.failing {
            let name = Indicator(rawValue: f.indicator)?.french ?? "dépenses / subvention"
            lines.append("  ✗ \(name) : \(Self.percent(f.value)) pour une cible de \(Self.percent(f.target))")
        }
        lines.append("Projet, mois par mois")
        lines.append("  mois      " + Indicator.allCases.map { $0.short.padding(toLength: 15, withPad: " ", startingAt: 0) }.joined())
        for m in projectMonths {
            lines.append("  \(m.month)   " + Indicator.allCases.map { i -> String in
                let v = m.rates[i].map { Self.percent($0.value) } ?? "—"
                let mark = m.rates[i]?.meets(targets[i]!) == true ? " ✓" : ""
                return (v + mark).padding(toLength: 15, withPad: " ", startingAt: 0)
            }.joined())
        }
        let behind = establishments.filter { !$0.unmet.isEmpty }
        lines.append("Établissements qui retiennent le projet (\(behind.count)), les plus en retard d'abord")
        for e in behind.prefix(50) {
            lines.append("  \(e.finessET) \(e.name) : " + e.unmet.map { "\($0.indicator.french) \(Self.percent($0.value)) (cible \($0.target) %)" }.joined(separator: ", "))
        }
        if behind.count > 50 { lines.append("  … et \(behind.count - 50) autres") }
        lines.append("Définitions et explication")
        for e in explanation { lines.append("  · \(e.text) (\(e.rule.rawValue), \(e.source))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per ESSMS and month, then the project's rows; `;`, rates in percent with a comma.
    public var csv: String {
        func rate(_ r: Rate?) -> String {
            guard let v = r?.value else { return "" }
            let hundredths = Int((v * 10_000).rounded())
            return "\(hundredths / 100),\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        }
        var rows = ["finessET;nom;mois;" + Indicator.allCases.map { "\($0.rawValue) (%)" }.joined(separator: ";")]
        for e in establishments {
            for m in e.months { rows.append("\(e.finessET);\(Spreadsheet.cell(e.name));\(m.month);" + Indicator.allCases.map { rate(m.rates[$0]) }.joined(separator: ";")) }
        }
        for m in projectMonths { rows.append("projet;;\(m.month);" + Indicator.allCases.map { rate(m.rates[$0]) }.joined(separator: ";")) }
        return "\u{FEFF}" + rows.joined(separator: "\r\n") + "\r\n"
    }
}
