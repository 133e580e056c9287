import Rules

/// `/campagnes` (`Templates/campaigns.mustache`): every parameter of every campaign with its
/// source, its notes and the other reading of a conflict.
struct CampaignsView: PageView {
    static let template = "campaigns"
    let layout = Layout(title: "Campagnes et paramètres", section: .campaigns)
    let campaigns: [CampaignModel]

    struct CampaignModel {
        let id: String
        let label: String
        let ruleSetVersion: String
        let from: String
        let to: String
        let extends: String?
        let region: String?
        let parameters: [Parameter]
        /// The next campaign, which the link above the table skips to (from the keyboard, the
        /// table's citations are many stops); nil for the last.
        var next: String? = nil
    }

    struct Parameter {
        let key: String
        /// The rule the parameter belongs to, in words.
        let rule: String?
        /// The value as a person reads it, with its unit (`ParameterValue`).
        let value: String
        let source: Cited
        let notes: String
        let alternative: String?
        let inheritedFrom: String?
        /// A value changed during the call: each value with its dates and source.
        let history: [String]
    }

    /// The rule a parameter key belongs to (`P2.cible.dmp` → P2), in words; the call's own
    /// parameters (`W.…`) by their name.
    static func ruleTitle(_ key: String) -> String? {
        switch key {
        case "W.enveloppe": return RuleID.envelope.title
        case "W.fenetres": return "fenêtres de dépôt de l'appel (W1, W2, W3)"
        default: return RuleID(rawValue: String(key.prefix { $0 != "." })).map(\.title)
        }
    }

    init(catalogue: CampaignCatalogue) {
        var models = catalogue.campaigns.map { c in
            CampaignModel(
                id: c.id, label: c.label, ruleSetVersion: c.ruleSetVersion, from: c.period.from.french, to: c.period.to.french,
                extends: c.extends, region: c.region.flatMap(Territory.region(code:))?.name,
                parameters: c.parameters.map { p in
                    Parameter(key: p.key, rule: Self.ruleTitle(p.key),
                              value: ParameterValue.french(p.value, unit: p.unit), source: Cited(p.source), notes: p.notes,
                              alternative: p.alternative, inheritedFrom: p.definedIn != c.id ? p.definedIn : nil,
                              history: p.history.map { h in
                                  "\(h.to.map { "Du \(h.from.french) au \($0.french)" } ?? "Depuis le \(h.from.french)") : \(ParameterValue.french(h.value, unit: p.unit)) (\(h.source))"
                              })
                })
        }
        for i in models.indices.dropLast() { models[i].next = models[i + 1].id }
        campaigns = models
    }
}

/// A campaign parameter's value as a person reads it (#14: no raw JSON, no code): amounts in euros,
/// shares and durations with their unit, dates JJ/MM/AAAA, codes in words, tiers and windows in
/// sentences; « non fixé » for a value the campaign leaves open.
enum ParameterValue {
    static func french(_ value: JSON, unit: String?) -> String {
        switch value {
        case .null: return "non fixé"
        case let .bool(b): return b ? "oui" : "non"
        case let .number(n): return quantity(n, unit: unit)
        case let .string(s): return word(s)
        case let .array(items):
            if items.isEmpty { return "aucune" }
            if items.allSatisfy({ if case .string = $0 { true } else { false } }) { return items.map { french($0, unit: nil) }.joined(separator: ", ") }
            return items.map { french($0, unit: unit) }.joined(separator: " ; ")
        case .object:
            for key in ["tiers", "tranches"] {
                if let list = value[key] { return french(list, unit: unit) }
            }
            if let amount = number(value["amount"]), let from = number(value["from"]) {
                let to = number(value["to"])
                let range = to.map { $0 == from ? "\(from) ESSMS" : "de \(from) à \($0) ESSMS" } ?? "à partir de \(from) ESSMS"
                let tranche = text(value["tranche"]).map { "tranche \($0), " } ?? ""
                return "\(tranche)\(range) : \(quantity(String(amount), unit: unit))"
            }
            if let min = number(value["min"]), let max = number(value["max"]) { return "de \(min) à \(max)\(unit.map { " \($0)" } ?? "")" }
            if let from = text(value["from"]).flatMap(CalendarDate.init(iso:)), let to = text(value["to"]).flatMap(CalendarDate.init(iso:)) {
                var what: [String] = []
                if case let .array(kinds)? = value["kinds"] { what.append(kinds.map { french($0, unit: nil) }.joined(separator: ", ")) }
                if case let .array(sectors)? = value["sectors"] { what.append(sectors.compactMap(text).joined(separator: ", ")) }
                if let scope = text(value["scope"]) { what.append(word(scope)) }
                return "\(text(value["label"]) ?? "fenêtre") : du \(from.french) au \(to.french)\(what.isEmpty ? "" : " (\(what.joined(separator: " ; ")))")"
            }
            return value.rendered(indent: false)
        }
    }

    /// `20000` EUR → « 20 000 € », `30` % → « 30 % », `15` ESSMS → « 15 ESSMS ».
    static func quantity(_ n: String, unit: String?) -> String {
        guard let unit else { return n }
        if unit.hasPrefix("EUR"), let euros = Int(n), euros.magnitude < Int.max / 100 {
            return Money.format(euros * 100) + unit.dropFirst(3)
        }
        return "\(n) \(unit)"
    }

    /// A code of a campaign file in words; a date JJ/MM/AAAA; any other text as it is.
    static func word(_ s: String) -> String {
        if let date = CalendarDate(iso: s) { return date.french }
        if let r = Referencing(rawValue: s) { return r.french }
        if let p = Priority(rawValue: s) { return p.french }
        if let k = ProjectKind(rawValue: s) { return k == .miseEnConformite ? "mise en conformité" : k.rawValue }
        let words = ["strictementInferieur": "strictement inférieur au seuil", "inferieurOuEgal": "inférieur ou égal au seuil",
                     "memeLogicielAdmis": "même logiciel admis", "toutSonsExclut": "toute commande SONS exclut",
                     "essmsDeLaCommande": "ESSMS de la commande", "essmsDeLOG": "ESSMS de l'OG",
                     "multiRegional": "projets multi-régionaux", "regional": "projets entièrement régionaux", "any": "tout projet"]
        return words[s] ?? s
    }

    private static func number(_ json: JSON?) -> Int? {
        if case let .number(n)? = json { return Int(n) }
        return nil
    }

    private static func text(_ json: JSON?) -> String? {
        if case let .string(s)? = json { return s }
        return nil
    }
}
