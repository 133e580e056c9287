/// The assessment as the contract of `shared/spec/simulation.md` prints it: JSON, or a French report.
extension Assessment {
    public var json: JSON {
        func entry(_ e: Entry, _ textKey: String) -> JSON {
            .object([("rule", .string(e.rule.rawValue)), (textKey, .string(e.text)), ("source", .string(e.source))])
        }
        return .object([
            ("campaign", .string(campaign)),
            ("ruleSetVersion", .string(ruleSetVersion)),
            ("outcome", .string(outcome.rawValue)),
            ("instruction", instruction.map { .string($0.rawValue) } ?? .null),
            ("pivotRegion", pivotRegion.map { .string($0.code) } ?? .null),
            ("establishments", .int(establishments)),
            ("eligibleEstablishments", .int(eligibleEstablishments)),
            ("excluded", .array(excluded.map {
                .object([("finessET", $0.finessET.map(JSON.string) ?? .null), ("name", .string($0.name)),
                         ("rule", .string($0.rule.rawValue)), ("reason", .string($0.reason)), ("source", .string($0.source))])
            })),
            ("funding", .object([
                ("usage", .euros(funding.usage)), ("software", .euros(funding.software)),
                ("equipment", .euros(funding.equipment)), ("amoaMarche", .euros(funding.amoaMarche)),
                ("amoaProjet", .euros(funding.amoaProjet)), ("total", .euros(funding.total)),
            ])),
            ("sons", .array(sons.map {
                .object([("finessEJ", .string($0.finessEJ)), ("establishments", .int($0.establishments)),
                         ("tranche", .string($0.tranche)), ("perEstablishment", .euros($0.perEstablishment)),
                         ("total", .euros($0.total)), ("advance", .euros($0.advance)), ("balance", .euros($0.balance))])
            })),
            ("payments", .array(payments.map {
                .object([("instalment", .string($0.instalment)), ("share", .number(Self.share($0.percent))),
                         ("amount", .euros($0.amount))])
            })),
            ("refusals", .array(refusals.map { entry($0, "message") })),
            ("flags", .array(flags.map { entry($0, "message") })),
            ("explanation", .array(explanation.map { entry($0, "text") })),
        ])
    }

    /// `50` → `0.5`, `30` → `0.3`, `100` → `1`.
    static func share(_ percent: Int) -> String {
        if percent == 100 { return "1" }
        if percent % 10 == 0 { return "0.\(percent / 10)" }
        return percent < 10 ? "0.0\(percent)" : "0.\(percent)"
    }

    /// A readable French report; every line that uses a rule cites it and its source.
    public var text: String {
        var lines: [String] = []
        lines.append("\(kind.french) — \(solution.name) (\(solution.referencing.french)) — campagne \(campaign)")
        let outcomeText: String
        switch outcome {
        case .recevable: outcomeText = "RECEVABLE"
        case .nonRecevable: outcomeText = "NON RECEVABLE"
        case .aDeciderParARS: outcomeText = "À DÉCIDER PAR L'ARS"
        }
        var who = ""
        switch instruction {
        case .ARS?: who = " — instruit par l'ARS \(pivotRegion?.name ?? "")"
        case .CNSA?: who = " — instruit par la CNSA (AAP national)"
        case .SONS?: who = " — pas de projet ESMS numérique : éditeur financé par le SONS"
        case nil: break
        }
        if let pivotRegion { who += " (région pivot \(pivotRegion.code))" }
        lines.append("Résultat : \(outcomeText)\(who)")
        lines.append("Grille : \(campaignLabel), version des règles \(ruleSetVersion)")
        lines.append("\(eligibleEstablishments) établissement\(eligibleEstablishments > 1 ? "s" : "") éligible\(eligibleEstablishments > 1 ? "s" : "") sur \(establishments)")
        for e in excluded {
            lines.append("  ✗ \(e.finessET ?? "(sans FINESS)") \(e.name) : \(e.reason) (\(e.rule.rawValue), \(e.source))")
        }
        if !refusals.isEmpty {
            lines.append("Motifs de non-recevabilité")
            for r in refusals { lines.append("  ✗ \(r.text) (\(r.rule.rawValue), \(r.source))") }
        }
        lines.append("Financement ESMS numérique : \(Money.format(funding.total))")
        let items: [(String, Cents, RuleID)] = [
            ("Usages", funding.usage, .fUsage), ("Logiciel", funding.software, .fLogiciel),
            ("Matériel (plafond)", funding.equipment, .fMateriel), ("AMOA marché (plafond)", funding.amoaMarche, .fAmoaMarche),
            ("AMOA projet (plafond)", funding.amoaProjet, .fAmoaProjet),
        ]
        for (label, amount, rule) in items where amount > 0 {
            // The calculation as the explanation states it: "46 × 7 000 € = 322 000 €".
            let details = explanation.filter { $0.rule == rule && !$0.text.hasPrefix("total") }
            let calculation = details.map { $0.text.split(separator: ":", maxSplits: 1).last.map { String($0.drop(while: { $0 == " " })) } ?? $0.text }
            let pad = String(repeating: " ", count: max(1, 22 - label.count))
            let shown = calculation.isEmpty ? Money.format(amount) : calculation.joined(separator: " ; ")
            lines.append("  \(label)\(pad)\(shown)   (\(rule.rawValue), \(details.first?.source ?? rule.source))")
        }
        if !sons.isEmpty {
            lines.append("Prestation Ségur (SONS), payée par l'État à l'éditeur")
            for s in sons {
                lines.append("  \(s.finessEJ) : \(s.establishments) × \(Money.format(s.perEstablishment)) (tranche \(s.tranche)) = \(Money.format(s.total)) TTC   (S4, [002] SONS)")
            }
        }
        if outcome != .nonRecevable {
            lines.append("Versements")
            let p1 = explanation.first { $0.rule == .P1 }, p2 = explanation.first { $0.rule == .P2 }
            lines.append("  Avance \(payments[0].percent) % : \(Money.format(payments[0].amount)) à la signature des conventions (P1, \(p1?.source ?? RuleID.P1.source))")
            lines.append("  Solde \(payments[1].percent) %  : \(Money.format(payments[1].amount)) à l'atteinte des cibles d'usage (P2, \(p2?.source ?? RuleID.P2.source))")
        }
        if !flags.isEmpty {
            lines.append("Points d'attention")
            for f in flags { lines.append("  ! \(f.text) (\(f.rule.rawValue), \(f.source))") }
        }
        lines.append("Explication")
        for e in explanation { lines.append("  · \(e.text) (\(e.rule.rawValue), \(e.source))") }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Campaign {
    public var json: JSON {
        .object([
            ("id", .string(id)),
            ("label", .string(label)),
            ("ruleSetVersion", .string(ruleSetVersion)),
            ("extends", extends.map(JSON.string) ?? .null),
            ("region", region.map(JSON.string) ?? .null),
            ("period", .object([("from", .string(period.from.description)), ("to", .string(period.to.description))])),
            ("parameters", .array(parameters.map { p in
                var members: [(String, JSON)] = [("key", .string(p.key)), ("value", p.value)]
                if let unit = p.unit { members.append(("unit", .string(unit))) }
                members.append(("source", .string(p.source)))
                members.append(("notes", .string(p.notes)))
                if let alternative = p.alternative { members.append(("alternative", .string(alternative))) }
                members.append(("definedIn", .string(p.definedIn)))
                return .object(members)
            })),
        ])
    }

    public var text: String {
        var lines = ["\(id) — \(label) (règles \(ruleSetVersion), du \(period.from.french) au \(period.to.french))"]
        if let extends { lines.append("  étend la grille nationale \(extends)") }
        for p in parameters {
            var line = "  \(p.key) = \(p.value.rendered(indent: false))"
            if let unit = p.unit { line += " \(unit)" }
            line += "  — \(p.source)"
            if p.definedIn != id { line += " (hérité de \(p.definedIn))" }
            lines.append(line)
            if !p.notes.isEmpty { lines.append("      \(p.notes)") }
            if let a = p.alternative { lines.append("      autre lecture : \(a)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
