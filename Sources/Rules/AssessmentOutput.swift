/// The assessment as the contract of `shared/spec/simulation.md` prints it: JSON, or a French report.
extension Assessment {
    public var json: JSON {
        func entry(_ e: Entry, _ textKey: String) -> JSON {
            var fields: [(String, JSON)] = [("rule", .string(e.rule.rawValue)), (textKey, .string(e.text)), ("source", .string(e.source))]
            if textKey == "message", let next = e.fact.nextStep { fields.append(("nextStep", .string(next))) }
            return .object(fields)
        }
        let excluded: [JSON] = excluded.map {
            var fields: [(String, JSON)] = [("finessET", $0.finessET.map(JSON.string) ?? .null), ("name", .string($0.name)),
                                            ("rule", .string($0.rule.rawValue)), ("reason", .string($0.reason)), ("source", .string($0.source))]
            if let dossier = $0.dossier { fields.append(("dossier", .string(dossier))) }
            return .object(fields)
        }
        let funding: JSON = .object([
            ("usage", .euros(funding.usage)), ("software", .euros(funding.software)),
            ("equipment", .euros(funding.equipment)), ("amoaMarche", .euros(funding.amoaMarche)),
            ("amoaProjet", .euros(funding.amoaProjet)), ("total", .euros(funding.total)),
        ])
        let sons: [JSON] = sons.map {
            .object([("finessEJ", .string($0.finessEJ)), ("establishments", .int($0.establishments)),
                     ("tranche", .string($0.tranche)), ("perEstablishment", .euros($0.perEstablishment)),
                     ("total", .euros($0.total)), ("advance", .euros($0.advance)), ("balance", .euros($0.balance))])
        }
        let payments: [JSON] = payments.map {
            .object([("instalment", .string($0.instalment.rawValue)), ("share", .number(Self.share($0.percent))), ("amount", .euros($0.amount))])
        }
        var members: [(String, JSON)] = [
            ("campaign", .string(campaign)),
            ("ruleSetVersion", .string(ruleSetVersion)),
            ("outcome", .string(outcome.rawValue)),
            ("instruction", instruction.map { .string($0.rawValue) } ?? .null),
            ("pivotRegion", pivotRegion.map { .string($0.code) } ?? .null),
            ("establishments", .int(establishments)),
            ("eligibleEstablishments", .int(eligibleEstablishments)),
        ]
        members.append(("excluded", .array(excluded)))
        members.append(("funding", funding))
        members.append(("sons", .array(sons)))
        members.append(("payments", .array(payments)))
        members.append(("refusals", .array(refusals.map { entry($0, "message") })))
        members.append(("flags", .array(flags.map { entry($0, "message") })))
        members.append(("explanation", .array(explanation.map { entry($0, "text") })))
        return .object(members)
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
        if let pivotRegion { who += " (région pivot : \(pivotRegion.name) (\(pivotRegion.code)))" }
        lines.append("Résultat : \(outcomeText)\(who)")
        lines.append("Grille : \(campaignLabel), version des règles \(ruleSetVersion)")
        lines.append("\(eligibleEstablishments) établissement\(eligibleEstablishments > 1 ? "s" : "") éligible\(eligibleEstablishments > 1 ? "s" : "") sur \(establishments)")
        for e in excluded {
            lines.append("  ✗ \(e.finessET ?? "(sans FINESS)") \(e.name) : \(e.reason) (\(e.rule.rawValue), \(e.source))")
        }
        if !refusals.isEmpty {
            lines.append("Motifs de non-recevabilité")
            for r in refusals {
                lines.append("  ✗ \(r.text) (\(r.rule.rawValue), \(r.source))")
                if let next = r.fact.nextStep { lines.append("    → \(next)") }
            }
        }
        lines.append("Financement ESMS numérique : \(Money.format(funding.total))")
        for line in fundingLines where line.amount > 0 {
            // The calculation of each fact: "46 × 7 000 € = 322 000 €".
            let label = line.item.french
            let pad = String(repeating: " ", count: max(1, 22 - label.count))
            let shown = line.facts.isEmpty ? Money.format(line.amount) : line.facts.compactMap(\.calculation).joined(separator: " ; ")
            lines.append("  \(label)\(pad)\(shown)   (\(line.rule.rawValue), \(line.source))")
        }
        if !sons.isEmpty {
            lines.append("Prestation Ségur (SONS), payée par l'État à l'éditeur")
            for s in sons {
                lines.append("  \(s.finessEJ) : \(s.establishments) × \(Money.format(s.perEstablishment)) (tranche \(s.tranche)) = \(Money.format(s.total)) TTC   (S4, [002] SONS)")
            }
        }
        if outcome != .nonRecevable {
            lines.append("Versements")
            lines.append("  Avance \(advance.percent) % : \(Money.format(advance.amount)) à la signature des conventions (P1, \(advance.source))")
            lines.append("  Solde \(solde.percent) %  : \(Money.format(solde.amount)) à l'atteinte des cibles d'usage (P2, \(solde.source))")
        }
        if !flags.isEmpty {
            lines.append("Points d'attention")
            for f in flags {
                lines.append("  ! \(f.text) (\(f.rule.rawValue), \(f.source))")
                if let next = f.fact.nextStep { lines.append("    → \(next)") }
            }
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
                if !p.history.isEmpty {
                    members.append(("values", .array(p.history.map { v in
                        .object([("from", .string(v.from.description)), ("to", v.to.map { .string($0.description) } ?? .null),
                                 ("value", v.value), ("source", .string(v.source)), ("notes", .string(v.notes))])
                    })))
                }
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
            for v in p.history {
                lines.append("      \(v.to.map { "du \(v.from.french) au \($0.french)" } ?? "du \(v.from.french)") : \(v.value.rendered(indent: false)) — \(v.source)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
