/// The source documents every rule cites (`[000]` … `[004]`, `shared/seeds/`): what each one is,
/// who issued it, when, and what it covers — shown on the sources page, to which every citation
/// links.
public enum SourceDocument: String, CaseIterable, Sendable {
    case s000 = "000", s001 = "001", s002 = "002", s003 = "003", s004 = "004"

    /// `[000]`, as the rules cite it.
    public var citation: String { "[\(rawValue)]" }

    public var title: String {
        switch self {
        case .s000: return "Décrypter le programme ESMS numérique — atelier ESMS numérique / SONS"
        case .s001: return "Le programme de financement ESMS numérique — présentation de l'appel à projets 2025"
        case .s002: return "Programme ESMS numérique : quels enjeux ? Comment s'y inscrire ?"
        case .s003: return "Foire aux questions de la phase de généralisation du programme ESMS numérique (Q1 à Q38)"
        case .s004: return "Arbre de décision : éligibilité, nature du projet et procédure d'achat"
        }
    }

    public var issuer: String {
        switch self {
        case .s000: return "ARS Normandie"
        case .s001: return "ARS Île-de-France et CNSA"
        case .s002: return "ARS Occitanie"
        case .s003: return "CNSA et DGCS"
        case .s004: return "CNSA (schéma du programme)"
        }
    }

    public var date: String {
        switch self {
        case .s000: return "4 mai 2022"
        case .s001: return "avril 2025"
        case .s002: return "7, 14 et 19 avril 2022"
        case .s003: return "2022 (après l'instruction DNS/CNSA/DGCS/2022/34 du 8 février 2022)"
        case .s004: return "non datée"
        }
    }

    public var covers: String {
        switch self {
        case .s000: return "Structures éligibles, natures de projet et procédures d'achat, synoptique des financements, critères de paiement, critères de sélection et priorités de l'appel normand 2022 (W5)."
        case .s001: return "L'appel à projets 2025 d'Île-de-France : calendrier, enveloppe régionale, forfaits, cibles d'usage et exemptions (U4)."
        case .s002: return "Les enjeux et les règles de la phase de généralisation, la grille nationale des forfaits et ses annexes, l'appel occitan 2022 et son enveloppe."
        case .s003: return "Les réponses officielles sur l'éligibilité, la recevabilité, les grappes, la région pivot, les financements petit OG et les versements."
        case .s004: return "Le cheminement d'un ESMS : déjà financé ou non, seul ou en grappe, acquisition ou mise en conformité, SAD ou mise en concurrence, conditions du solde (P2)."
        }
    }

    /// The file of `shared/seeds/` it is.
    public var file: String {
        switch self {
        case .s000: return "000_3fdd96afd8bda29c.txt"
        case .s001: return "001_67ee2cd8b41ae0a1.txt"
        case .s002: return "002_3abdcc264ccdf358.txt"
        case .s003: return "003_33fde754886c1227.txt"
        case .s004: return "004_1d907fd6a382ba1f.txt"
        }
    }

    /// A source text cut into plain parts and citations of a document (`[003] Q26, Q29` → the
    /// citation `[003]`, then « Q26, Q29 »), so that a page links each citation.
    public static func parts(_ source: String) -> [(text: String, document: SourceDocument?)] {
        var parts: [(String, SourceDocument?)] = []
        var rest = Substring(source)
        while let open = rest.firstIndex(of: "[") {
            let afterOpen = rest.index(after: open)
            let code = rest[afterOpen...].prefix(3)
            guard code.count == 3, let document = SourceDocument(rawValue: String(code)),
                  let close = rest[afterOpen...].firstIndex(of: "]") else {
                parts.append((String(rest[..<afterOpen]), nil))
                rest = rest[afterOpen...]
                continue
            }
            if open > rest.startIndex { parts.append((String(rest[..<open]), nil)) }
            parts.append((String(rest[open...close]), document))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append((String(rest), nil)) }
        // Adjacent plain parts come back as one.
        var merged: [(String, SourceDocument?)] = []
        for p in parts {
            if p.1 == nil, let last = merged.last, last.1 == nil { merged[merged.count - 1].0 += p.0 } else { merged.append(p) }
        }
        return merged
    }
}

/// What some rules cite of the platform's own contracts (`shared/spec/`) rather than of a source
/// document: its decisions where the sources are silent (§11, D1…D10), its definitions of the
/// usage rates, its reading of FINESS categories and its checklist of documents. The pages say them
/// in a person's words (« décision D6 de la plateforme ») and link them to the sources page.
public enum PlatformReading: Hashable, Sendable {
    case decision(RuleID)
    case usageDefinitions
    case finessCategories
    case checklist

    /// Every reading, in the order of the sources page.
    public static let all: [PlatformReading] =
        [RuleID.D1, .D2, .D3, .D4, .D5, .D6, .D7, .D8, .D9, .D10].map(PlatformReading.decision) + [.usageDefinitions, .finessCategories, .checklist]

    /// As a citation reads on a page.
    public var label: String {
        switch self {
        case let .decision(rule): return "décision \(rule.rawValue) de la plateforme"
        case .usageDefinitions: return "définitions des taux d'usage de la plateforme"
        case .finessCategories: return "lecture des catégories FINESS de la plateforme"
        case .checklist: return "liste des pièces de la plateforme"
        }
    }

    /// Its entry on the sources page.
    public var anchor: String {
        switch self {
        case let .decision(rule): return rule.rawValue
        case .usageDefinitions: return "usages"
        case .finessCategories: return "categories"
        case .checklist: return "pieces"
        }
    }

    /// What it decides, in a sentence.
    public var summary: String {
        switch self {
        case let .decision(rule): return rule.title.prefix(1).uppercased() + rule.title.dropFirst() + "."
        case .usageDefinitions:
            return "Les cinq taux d'usage (DUI, MSSanté, DMP…) : numérateur, dénominateur et période de chaque mesure, la première sur trois mois (U1 à U3)."
        case .finessCategories:
            return "Le secteur (personnes âgées, handicap, domicile, social) de chaque catégorie FINESS, et les catégories qui demandent une décision."
        case .checklist:
            return "Les pièces d'un dossier selon la nature du projet et l'appel (W4)."
        }
    }

    /// The internal references of the rules' sources, the longest first, so that `D10` is never
    /// read as `D1`.
    private static let references: [(String, PlatformReading)] = {
        var list: [(String, PlatformReading)] = []
        for rule in [RuleID.D1, .D2, .D3, .D4, .D5, .D6, .D7, .D8, .D9, .D10] {
            list.append(("programme-rules.md §11 \(rule.rawValue) (notre décision)", .decision(rule)))
            list.append(("programme-rules.md §11 \(rule.rawValue)", .decision(rule)))
        }
        list.append(("README « Dossiers : dépôt, instruction, décision » D10 (notre décision)", .decision(.D10)))
        list += [("usage.md, programme-rules.md §8 U2", .usageDefinitions), ("programme-rules.md §8 U2", .usageDefinitions),
                 ("programme-rules.md §8 U3", .usageDefinitions), ("usage.md", .usageDefinitions),
                 ("finess.md §3.3", .finessCategories), ("dossiers.md « The checklist »", .checklist)]
        return list.sorted { $0.0.count > $1.0.count }
    }()

    /// A source text cut into plain parts and the platform's readings it cites, each in words.
    public static func words(_ source: String) -> [(text: String, reading: PlatformReading?)] {
        var parts: [(String, PlatformReading?)] = []
        var rest = Substring(source)
        var plain = ""
        while !rest.isEmpty {
            if let (reference, reading) = references.first(where: { rest.hasPrefix($0.0) }) {
                if !plain.isEmpty { parts.append((plain, nil)); plain = "" }
                parts.append((reading.label, reading))
                rest = rest.dropFirst(reference.count)
            } else {
                plain.append(rest.removeFirst())
            }
        }
        if !plain.isEmpty { parts.append((plain, nil)) }
        return parts
    }
}
