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
