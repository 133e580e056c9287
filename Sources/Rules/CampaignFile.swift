import Foundation

// Reading and validating a campaign file (`Sources/Rules/Campaigns/*.json`): every parameter of
// the grid present, known, with its source; tiers without overlap or gap; windows that do not overlap.

/// The parameters every campaign must define (itself or through its national grid), in display order;
/// `name` is the key of the data files, which starts with the ID of the rule that reads it.
public enum ParameterKey: Int, CaseIterable, Sendable {
    case groupThreshold
    case groupThresholdOverseas
    case nationalThreshold
    case idealSize
    case usageAcquisition
    case softwareSegur
    case softwareSad
    case usageMiseEnConformite
    case equipment
    case amoaMarche
    case amoaProjet
    case smallOGThreshold
    case smallOGThresholdOverseas
    case smallOGComparison
    case e4Reading
    case referencingMedico
    case referencingSocial
    case referencingConformite
    case sadMandatory
    case sonsScale
    case sonsBase
    case sonsAdvance
    case sonsReferencingDelay
    case sonsOpening
    case sonsLastOrder
    case sonsLastBalance
    case sonsNoCancellation
    case advance
    case targetMssante
    case targetDmp
    case targetDui
    case expensesThreshold
    case deadlineConformite
    case deadlineAcquisition
    case nationalServicesExemptions
    case windows
    case envelope
    case priorities

    /// The key in the campaign files.
    public var name: String {
        switch self {
        case .groupThreshold: return "G3.seuil.metropole"
        case .groupThresholdOverseas: return "G3.seuil.outreMerCorse"
        case .nationalThreshold: return "G3.seuil.national"
        case .idealSize: return "G6.tailleIdeale"
        case .usageAcquisition: return "F-usage.acquisition"
        case .softwareSegur: return "F-logiciel.acquisition.segur"
        case .softwareSad: return "F-logiciel.acquisition.sad"
        case .usageMiseEnConformite: return "F-usage.miseEnConformite"
        case .equipment: return "F-materiel.petitOG"
        case .amoaMarche: return "F-amoaMarche.petitOG"
        case .amoaProjet: return "F-amoaProjet.petitOG"
        case .smallOGThreshold: return "D2.petitOG.seuil.metropole"
        case .smallOGThresholdOverseas: return "D2.petitOG.seuil.outreMerCorse"
        case .smallOGComparison: return "D2.petitOG.comparaison"
        case .e4Reading: return "E4.lecture"
        case .referencingMedico: return "R-acquisition.referencements.medicoSocial"
        case .referencingSocial: return "R-acquisition.referencements.social"
        case .referencingConformite: return "R3.referencements"
        case .sadMandatory: return "R-acquisition.sadObligatoire"
        case .sonsScale: return "S4.bareme"
        case .sonsBase: return "S4.base"
        case .sonsAdvance: return "S5.avance"
        case .sonsReferencingDelay: return "S5.delaiReferencement"
        case .sonsOpening: return "S6.ouverture"
        case .sonsLastOrder: return "S6.derniereCommande"
        case .sonsLastBalance: return "S6.dernierSolde"
        case .sonsNoCancellation: return "S8.annulationImpossibleApres"
        case .advance: return "P1.avance"
        case .targetMssante: return "P2.cible.mssante"
        case .targetDmp: return "P2.cible.dmp"
        case .targetDui: return "P2.cible.dui"
        case .expensesThreshold: return "P2.depenses.seuil"
        case .deadlineConformite: return "P3.delai.miseEnConformite"
        case .deadlineAcquisition: return "P3.delai.acquisition"
        case .nationalServicesExemptions: return "U4.exemptions"
        case .windows: return "W.fenetres"
        case .envelope: return "W.enveloppe"
        case .priorities: return "W5.priorites"
        }
    }

    /// The rule that reads it: the ID its name starts with (`G3.seuil.metropole` → G3); nil for the
    /// windows, whose rule is each window's own.
    public var rule: RuleID? {
        if self == .envelope { return .envelope }
        return name.split(separator: ".").first.flatMap { RuleID(rawValue: String($0)) }
    }
}

let requiredParameters: [String] = ParameterKey.allCases.map(\.name)

struct RawCampaign {
    let id: String
    let label: String
    let version: String
    let extends: String?
    let region: String?
    let period: (CalendarDate, CalendarDate)
    let parameters: [(String, JSON)]

    init(_ json: JSON, file: String) throws(CampaignError) {
        guard case .object = json else { throw CampaignError(campaign: file, parameter: nil, reason: "un objet JSON est attendu") }
        guard case let .string(id)? = json["id"], !id.isEmpty else {
            throw CampaignError(campaign: file, parameter: "id", reason: "identifiant manquant")
        }
        func string(_ key: String) throws(CampaignError) -> String {
            guard case let .string(s)? = json[key] else { throw CampaignError(campaign: id, parameter: key, reason: "texte manquant") }
            return s
        }
        func optionalString(_ key: String) throws(CampaignError) -> String? {
            switch json[key] {
            case .none, .null?: return nil
            case let .string(s)?: return s
            default: throw CampaignError(campaign: id, parameter: key, reason: "texte ou null attendu")
            }
        }
        self.id = id
        label = try string("label")
        version = try string("ruleSetVersion")
        extends = try optionalString("extends")
        region = try optionalString("region")
        if let region, Territory.region(code: region) == nil {
            throw CampaignError(campaign: id, parameter: "region", reason: "région INSEE inconnue « \(Limits.quote(region)) »")
        }
        guard case let .string(f)? = json["period"]?["from"], let from = CalendarDate(iso: f),
              case let .string(t)? = json["period"]?["to"], let to = CalendarDate(iso: t) else {
            throw CampaignError(campaign: id, parameter: "period", reason: "dates from et to (AAAA-MM-JJ) attendues")
        }
        guard from <= to else { throw CampaignError(campaign: id, parameter: "period", reason: "la date de début suit la date de fin") }
        period = (from, to)
        guard case let .object(members)? = json["parameters"] else {
            throw CampaignError(campaign: id, parameter: "parameters", reason: "objet des paramètres manquant")
        }
        for (key, _) in members where !requiredParameters.contains(key) {
            throw CampaignError(campaign: id, parameter: key, reason: "paramètre inconnu")
        }
        parameters = members
    }

    func resolve(base: RawCampaign?) throws(CampaignError) -> Campaign {
        var params: [Parameter] = []
        for key in requiredParameters {
            let own = parameters.first { $0.0 == key }
            let inherited = base?.parameters.first { $0.0 == key }
            guard let (_, body) = own ?? inherited else {
                throw CampaignError(campaign: id, parameter: key, reason: "valeur manquante")
            }
            let definedIn = own != nil ? id : base!.id
            guard case .object = body else { throw CampaignError(campaign: id, parameter: key, reason: "un objet { value, source, notes } est attendu") }
            guard case let .string(source)? = body["source"], !source.isEmpty else {
                throw CampaignError(campaign: id, parameter: key, reason: "source manquante")
            }
            let notes: String
            switch body["notes"] {
            case let .string(n)?: notes = n
            case .none: notes = ""
            default: throw CampaignError(campaign: id, parameter: key, reason: "notes : texte attendu")
            }
            var alternative: String? = nil
            if case let .string(a)? = body["alternative"] { alternative = a }
            var unit: String? = nil
            if case let .string(u)? = body["unit"] { unit = u }
            func value(of item: JSON, _ name: String) throws(CampaignError) -> JSON {
                let value: JSON
                if let tiers = item["tiers"] { value = .object([("tiers", tiers)]) }
                else if let tranches = item["tranches"] { value = .object([("tranches", tranches)]) }
                else if let v = item["value"] { value = v }
                else { throw CampaignError(campaign: id, parameter: key, reason: "\(name)valeur manquante") }
                if case let .array(choices)? = body["choices"] {
                    guard choices.contains(value) else {
                        throw CampaignError(campaign: id, parameter: key, reason: "\(name)valeur \(value.rendered(indent: false)) hors des choix \(JSON.array(choices).rendered(indent: false))")
                    }
                }
                return value
            }
            var history: [DatedValue] = []
            if let values = body["values"] {
                if body["value"] != nil || body["tiers"] != nil || body["tranches"] != nil {
                    throw CampaignError(campaign: id, parameter: key, reason: "value et values : une valeur unique ou des valeurs datées, pas les deux")
                }
                history = try dated(values, key: key, source: source, notes: notes, value: value(of:_:))
            }
            let first = history.first
            let initial: JSON
            if let first { initial = first.value } else { initial = try value(of: body, "") }
            params.append(Parameter(key: key, value: initial, unit: unit, source: first?.source ?? source,
                                    notes: first?.notes ?? notes, alternative: alternative, definedIn: definedIn, history: history))
        }
        // One grid per stretch of the call: from the start, then from each date a value changes.
        var starts = [period.0]
        for p in params { for v in p.history.dropFirst() where !starts.contains(v.from) { starts.append(v.from) } }
        starts.sort()
        var grids: [(from: CalendarDate, grid: Grid, sources: [String])] = []
        for start in starts {
            let inForce = params.map { p in
                guard let v = p.inForce(on: start) else { return p }
                return Parameter(key: p.key, value: v.value, unit: p.unit, source: v.source, notes: v.notes, alternative: p.alternative,
                                 definedIn: p.definedIn, history: p.history)
            }
            grids.append((start, try GridReader(campaign: id, parameters: inForce).grid(), inForce.map(\.source)))
        }
        return Campaign(id: id, label: label, ruleSetVersion: version, extends: extends, region: region,
                        period: period, parameters: params, grids: grids)
    }

    /// `values`: `[{ "from", "to"?, "value" | "tiers" | "tranches", "source"?, "notes"? }]`, in
    /// order, contiguous from the campaign's start (or before), without overlap or gap, the last
    /// open-ended — as tiers are checked.
    func dated(_ values: JSON, key: String, source: String, notes: String,
               value: (JSON, String) throws(CampaignError) -> JSON) throws(CampaignError) -> [DatedValue] {
        func fail(_ reason: String) -> CampaignError { CampaignError(campaign: id, parameter: key, reason: reason) }
        guard case let .array(items) = values, !items.isEmpty else { throw fail("values : liste de valeurs datées attendue") }
        var out: [DatedValue] = []
        for (i, item) in items.enumerated() {
            let n = "valeur \(i + 1) : "
            guard case .object = item else { throw fail("\(n)objet { from, to, value, source } attendu") }
            guard case let .string(f)? = item["from"], let from = CalendarDate(iso: f) else { throw fail("\(n)date « from » (AAAA-MM-JJ) attendue") }
            var to: CalendarDate? = nil
            switch item["to"] {
            case .none, .null?: break
            case let .string(t)?:
                guard let d = CalendarDate(iso: t), from <= d else { throw fail("\(n)date « to » (AAAA-MM-JJ) postérieure à « from » attendue") }
                to = d
            default: throw fail("\(n)date « to » (AAAA-MM-JJ) attendue")
            }
            if let previous = out.last {
                guard let end = previous.to else { throw fail("\(n)seule la dernière valeur peut être sans fin (« to »)") }
                if from <= end { throw fail("\(n)chevauche la valeur précédente (du \(from.french) au \(end.french))") }
                if from != end.next { throw fail("\(n)trou entre le \(end.french) et le \(from.french)") }
            } else if period.0 < from {
                throw fail("\(n)trou entre le début de la campagne (\(period.0.french)) et le \(from.french)")
            }
            var itemSource = source, itemNotes = notes
            if case let .string(s)? = item["source"] { itemSource = s }
            if case let .string(t)? = item["notes"] { itemNotes = t }
            out.append(DatedValue(from: from, to: to, value: try value(item, n), source: itemSource, notes: itemNotes))
        }
        if out.last?.to != nil { throw fail("la dernière valeur doit être sans fin (sans « to »)") }
        return out
    }
}

private struct GridReader {
    let campaign: String
    let parameters: [Parameter]

    func fail(_ key: String, _ reason: String) -> CampaignError { CampaignError(campaign: campaign, parameter: key, reason: reason) }
    func value(_ key: String) -> JSON { parameters.first { $0.key == key }!.value }

    func count(_ key: String) throws(CampaignError) -> Int {
        guard case let .number(n) = value(key), let v = Int(n), v >= 0 else { throw fail(key, "entier positif attendu") }
        return v
    }
    func percent(_ key: String) throws(CampaignError) -> Int {
        let v = try count(key)
        guard v <= 100 else { throw fail(key, "pourcentage entre 0 et 100 attendu") }
        return v
    }
    func euros(_ json: JSON, _ key: String) throws(CampaignError) -> Cents {
        guard case let .number(n) = json else { throw fail(key, "montant en euros attendu") }
        let parts = n.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let units = Int(parts[0]), units >= 0 else { throw fail(key, "montant en euros attendu, au plus deux décimales") }
        var cents = units * 100
        if parts.count == 2 {
            guard (1...2).contains(parts[1].count), let d = Int(parts[1]) else { throw fail(key, "au plus deux décimales") }
            cents += parts[1].count == 1 ? d * 10 : d
        }
        return cents
    }
    func money(_ key: String) throws(CampaignError) -> Cents { try euros(value(key), key) }
    func optionalMoney(_ key: String) throws(CampaignError) -> Cents? {
        if case .null = value(key) { return nil }
        return try money(key)
    }
    func date(_ key: String) throws(CampaignError) -> CalendarDate? {
        switch value(key) {
        case .null: return nil
        case let .string(s):
            guard let d = CalendarDate(iso: s) else { throw fail(key, "date AAAA-MM-JJ attendue") }
            return d
        default: throw fail(key, "date AAAA-MM-JJ ou null attendue")
        }
    }
    func choice(_ key: String) throws(CampaignError) -> String {
        guard case let .string(s) = value(key) else { throw fail(key, "choix attendu") }
        return s
    }
    func flag(_ key: String) throws(CampaignError) -> Bool {
        guard case let .bool(b) = value(key) else { throw fail(key, "booléen attendu") }
        return b
    }
    func referencings(_ key: String) throws(CampaignError) -> Set<Referencing> {
        guard case let .array(items) = value(key), !items.isEmpty else { throw fail(key, "liste de référencements attendue") }
        var out = Set<Referencing>()
        for item in items {
            guard case let .string(s) = item, let r = Referencing(rawValue: s) else { throw fail(key, "référencement inconnu \(item.rendered(indent: false))") }
            out.insert(r)
        }
        return out
    }

    func sectors(_ key: String) throws(CampaignError) -> Set<Sector> {
        guard case let .array(items) = value(key) else { throw fail(key, "liste de secteurs attendue") }
        var out = Set<Sector>()
        for item in items {
            guard case let .string(s) = item, let sector = Sector(rawValue: s) else { throw fail(key, "secteur inconnu \(item.rendered(indent: false))") }
            out.insert(sector)
        }
        return out
    }

    /// A scale starting at rank 1, contiguous, without overlap, the last tier open-ended.
    func ranks(_ key: String, _ items: [JSON], amount: (JSON) throws(CampaignError) -> Cents) throws(CampaignError) -> [(Int, Int?, Cents, JSON)] {
        var out: [(Int, Int?, Cents, JSON)] = []
        var next = 1
        for (i, item) in items.enumerated() {
            guard case let .number(f)? = item["from"], let from = Int(f) else { throw fail(key, "palier \(i + 1) : rang « from » manquant") }
            var to: Int? = nil
            if case let .number(t)? = item["to"] {
                guard let tv = Int(t), tv >= from else { throw fail(key, "palier \(i + 1) : rang « to » inférieur à « from »") }
                to = tv
            }
            if from < next { throw fail(key, "palier \(i + 1) : chevauche le palier précédent (rang \(from))") }
            if from > next { throw fail(key, "palier \(i + 1) : trou entre les rangs \(next) et \(from - 1)") }
            guard let a = item["amount"] else { throw fail(key, "palier \(i + 1) : montant manquant") }
            out.append((from, to, try amount(a), item))
            guard let tv = to else {
                if i != items.count - 1 { throw fail(key, "palier \(i + 1) : seul le dernier palier peut être ouvert") }
                return out
            }
            next = tv + 1
        }
        throw fail(key, items.isEmpty ? "aucun palier" : "le dernier palier doit être ouvert (sans « to »)")
    }

    func tiers(_ key: String) throws(CampaignError) -> Tiers {
        guard case let .array(items)? = value(key)["tiers"] else { throw fail(key, "paliers (« tiers ») attendus") }
        return Tiers(tiers: try ranks(key, items) { (j: JSON) throws(CampaignError) -> Cents in try euros(j, key) }.map { Tiers.Tier(from: $0.0, to: $0.1, amount: $0.2) })
    }
    func optionalTiers(_ key: String) throws(CampaignError) -> Tiers? {
        if case .null = value(key) { return nil }
        return try tiers(key)
    }

    func grid() throws(CampaignError) -> Grid {
        var idealSize: ClosedRange<Int>? = nil
        switch value(ParameterKey.idealSize.name) {
        case .null: break
        case let v:
            guard case let .number(a)? = v["min"], case let .number(b)? = v["max"], let lo = Int(a), let hi = Int(b), lo <= hi else {
                throw fail(ParameterKey.idealSize.name, "{ min, max } attendu")
            }
            idealSize = lo...hi
        }
        guard case let .array(tranches)? = value(ParameterKey.sonsScale.name)["tranches"] else { throw fail(ParameterKey.sonsScale.name, "tranches attendues") }
        let scale = try ranks(ParameterKey.sonsScale.name, tranches) { (j: JSON) throws(CampaignError) -> Cents in try euros(j, ParameterKey.sonsScale.name) }.map { (r) throws(CampaignError) -> SonsTranche in
            guard case let .string(name)? = r.3["tranche"] else { throw fail(ParameterKey.sonsScale.name, "nom de tranche manquant") }
            return SonsTranche(tranche: name, from: r.0, to: r.1, amount: r.2)
        }
        let groupThreshold = try count(ParameterKey.groupThreshold.name)
        let nationalThreshold = try count(ParameterKey.nationalThreshold.name)
        guard groupThreshold <= nationalThreshold else { throw fail(ParameterKey.nationalThreshold.name, "inférieur au seuil régional") }
        return Grid(
            groupThreshold: groupThreshold,
            groupThresholdOverseas: try count(ParameterKey.groupThresholdOverseas.name),
            nationalThreshold: nationalThreshold,
            idealSize: idealSize,
            usageAcquisition: try tiers(ParameterKey.usageAcquisition.name),
            softwareSegur: try tiers(ParameterKey.softwareSegur.name),
            softwareSad: try optionalTiers(ParameterKey.softwareSad.name),
            usageMiseEnConformite: try tiers(ParameterKey.usageMiseEnConformite.name),
            smallOGEquipment: try money(ParameterKey.equipment.name),
            smallOGAmoaMarche: try optionalMoney(ParameterKey.amoaMarche.name),
            smallOGAmoaProjet: try money(ParameterKey.amoaProjet.name),
            smallOGThreshold: try count(ParameterKey.smallOGThreshold.name),
            smallOGThresholdOverseas: try count(ParameterKey.smallOGThresholdOverseas.name),
            smallOGInclusive: try choice(ParameterKey.smallOGComparison.name) == "inferieurOuEgal",
            e4AnySonsOrderExcludes: try choice(ParameterKey.e4Reading.name) == "toutSonsExclut",
            acquisitionReferencingMedico: try referencings(ParameterKey.referencingMedico.name),
            acquisitionReferencingSocial: try referencings(ParameterKey.referencingSocial.name),
            miseEnConformiteReferencing: try referencings(ParameterKey.referencingConformite.name),
            sadMandatory: try flag(ParameterKey.sadMandatory.name),
            sonsScale: scale,
            sonsPerOGTotal: try choice(ParameterKey.sonsBase.name) == "essmsDeLOG",
            sonsAdvancePercent: try percent(ParameterKey.sonsAdvance.name),
            sonsReferencingDelayDays: try count(ParameterKey.sonsReferencingDelay.name),
            sonsOpening: try date(ParameterKey.sonsOpening.name),
            sonsLastOrder: try date(ParameterKey.sonsLastOrder.name),
            sonsLastBalance: try date(ParameterKey.sonsLastBalance.name),
            sonsNoCancellationAfter: try date(ParameterKey.sonsNoCancellation.name),
            advancePercent: try percent(ParameterKey.advance.name),
            targetMssante: try percent(ParameterKey.targetMssante.name),
            targetDmp: try percent(ParameterKey.targetDmp.name),
            targetDui: try percent(ParameterKey.targetDui.name),
            expensesThresholdPercent: try percent(ParameterKey.expensesThreshold.name),
            deadlineMiseEnConformiteMonths: try count(ParameterKey.deadlineConformite.name),
            deadlineAcquisitionMonths: try count(ParameterKey.deadlineAcquisition.name),
            nationalServicesExempt: try sectors(ParameterKey.nationalServicesExemptions.name),
            windows: try windows(),
            envelope: try optionalMoney(ParameterKey.envelope.name),
            priorities: try priorities()
        )
    }

    /// W5: the call's priorities, in its order; each known, once.
    func priorities() throws(CampaignError) -> [Priority] {
        let key = ParameterKey.priorities.name
        guard case let .array(items) = value(key) else { throw fail(key, "liste de priorités attendue") }
        var out: [Priority] = []
        for (i, item) in items.enumerated() {
            guard case let .string(code) = item, let priority = Priority(rawValue: code) else {
                throw fail(key, "priorité \(i + 1) inconnue ; priorités : \(Priority.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if out.contains(priority) { throw fail(key, "priorité « \(code) » listée deux fois") }
            out.append(priority)
        }
        return out
    }

    func windows() throws(CampaignError) -> [FilingWindow] {
        let key = ParameterKey.windows.name
        guard case let .array(items) = value(key) else { throw fail(key, "liste de fenêtres attendue") }
        var out: [FilingWindow] = []
        for (i, item) in items.enumerated() {
            let n = "fenêtre \(i + 1)"
            guard case let .string(r)? = item["rule"], let rule = RuleID(rawValue: r), [.W1, .W2, .W3].contains(rule) else { throw fail(key, "\(n) : règle W1, W2 ou W3 attendue") }
            guard case let .string(label)? = item["label"] else { throw fail(key, "\(n) : libellé manquant") }
            guard case let .string(f)? = item["from"], let from = CalendarDate(iso: f),
                  case let .string(t)? = item["to"], let to = CalendarDate(iso: t), from <= to else {
                throw fail(key, "\(n) : dates from ≤ to (AAAA-MM-JJ) attendues")
            }
            guard case let .array(k)? = item["kinds"], case let .array(s)? = item["sectors"] else { throw fail(key, "\(n) : kinds et sectors attendus") }
            var kinds = Set<ProjectKind>(), sectors = Set<Sector>()
            for v in k {
                guard case let .string(x) = v, let kind = ProjectKind(rawValue: x), kind != .mixte else { throw fail(key, "\(n) : nature de projet inconnue") }
                kinds.insert(kind)
            }
            for v in s {
                guard case let .string(x) = v, let sector = Sector(rawValue: x) else { throw fail(key, "\(n) : secteur inconnu") }
                sectors.insert(sector)
            }
            var scope = FilingWindow.Scope.any
            if case let .string(x)? = item["scope"] {
                guard let sc = FilingWindow.Scope(rawValue: x) else { throw fail(key, "\(n) : portée inconnue « \(Limits.quote(x)) »") }
                scope = sc
            }
            let window = FilingWindow(rule: rule, label: label, from: from, to: to, kinds: kinds, sectors: sectors, scope: scope)
            for (j, other) in out.enumerated() where other.scope == window.scope
                && !other.kinds.isDisjoint(with: kinds) && !other.sectors.isDisjoint(with: sectors)
                && other.from <= to && from <= other.to {
                throw fail(key, "\(n) chevauche la fenêtre \(j + 1) pour les mêmes natures et secteurs")
            }
            out.append(window)
        }
        return out
    }
}
