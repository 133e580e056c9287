/// The instruction of a dossier as rules (`shared/spec/dossiers.md`): its states and who moves it
/// from one to another, the checklist of documents (W4), the score (W5, our decision D9), the
/// amounts granted against the frozen assessment and the envelope. Pure: the store applies them.
public enum DossierState: String, CaseIterable, Sendable {
    case brouillon, depose, enInstruction, correctionDemandee, accepte, refuse, classeSansSuite

    public var french: String {
        switch self {
        case .brouillon: return "brouillon"
        case .depose: return "déposé"
        case .enInstruction: return "en instruction"
        case .correctionDemandee: return "correction demandée"
        case .accepte: return "accepté"
        case .refuse: return "refusé"
        case .classeSansSuite: return "classé sans suite"
        }
    }

    /// States in which an establishment counts as applied for (E3 across dossiers).
    public static let holding: Set<DossierState> = [.depose, .enInstruction, .correctionDemandee, .accepte]

    /// States in which the porteur may change the project.
    public var editable: Bool { self == .brouillon || self == .correctionDemandee }
}

/// Who asks for a transition, as far as the rules are concerned.
public enum DossierSide: String, Sendable {
    case porteur, instructeur
}

/// Why an instructor sends a dossier back.
public enum CorrectionReason: String, CaseIterable, Sendable {
    case incomplet, incorrect, perime
}

/// One line of the transition table of `dossiers.md`.
public struct DossierTransition: Sendable, Equatable {
    public let from: Set<DossierState>
    public let to: DossierState
    public let by: Set<DossierSide>

    public static let table: [DossierTransition] = [
        .init(from: [.brouillon], to: .depose, by: [.porteur]),
        .init(from: [.depose], to: .enInstruction, by: [.instructeur]),
        .init(from: [.enInstruction], to: .correctionDemandee, by: [.instructeur]),
        .init(from: [.correctionDemandee], to: .depose, by: [.porteur]),
        .init(from: [.enInstruction], to: .accepte, by: [.instructeur]),
        .init(from: [.enInstruction], to: .refuse, by: [.instructeur]),
        .init(from: [.depose, .enInstruction, .correctionDemandee], to: .classeSansSuite, by: [.instructeur, .porteur]),
        .init(from: [.accepte, .refuse], to: .enInstruction, by: [.instructeur]),
    ]

    /// The line that moves `from` to `to`, if any.
    public static func line(from: DossierState, to: DossierState) -> DossierTransition? {
        table.first { $0.from.contains(from) && $0.to == to }
    }

    /// The states reachable from `state`, by anyone (for the 409 message).
    public static func targets(from state: DossierState) -> [DossierState] {
        DossierState.allCases.filter { to in table.contains { $0.from.contains(state) && $0.to == to } }
    }
}

/// The documents of a dossier (W4, `dossiers.md` « The checklist »).
public enum ChecklistItem: String, CaseIterable, Sendable {
    case cadreReponse, autodiagnosticSI, planFinancement, devis, inventaireMateriel, declarationActivite,
         conventionCooperation, accordEntiteNationale, miseEnConcurrence, conventionFinancement, conventionPartenariat

    public var french: String {
        switch self {
        case .cadreReponse: return "Cadre de réponse à l'appel à projets"
        case .autodiagnosticSI: return "Autodiagnostic ANAP du système d'information"
        case .planFinancement: return "Plan de financement"
        case .devis: return "Devis de l'éditeur"
        case .inventaireMateriel: return "Inventaire du matériel (petit OG)"
        case .declarationActivite: return "Déclaration d'activité (services mêlant confort et activités essentielles)"
        case .conventionCooperation: return "Convention de coopération entre organismes"
        case .accordEntiteNationale: return "Accord écrit de l'entité nationale"
        case .miseEnConcurrence: return "Mise en concurrence (remplacement d'un DUI non référencé Ségur)"
        case .conventionFinancement: return "Convention de financement signée"
        case .conventionPartenariat: return "Convention de partenariat signée"
        }
    }

    /// Uploaded by the instructor once the dossier is accepted (`payments.md`).
    public var byInstructor: Bool { self == .conventionFinancement || self == .conventionPartenariat }
}

public struct ChecklistLine: Sendable, Equatable {
    public let item: ChecklistItem
    public let required: Bool
    /// Why it is asked, in French (the condition of the W4 table that holds).
    public let why: String
}

public enum Checklist {
    /// The lines of a project's checklist: the required ones, and the optional ones it may hold.
    /// The conventions come after the decision and are not part of filing.
    public static func lines(_ project: Project, _ assessment: Assessment) -> [ChecklistLine] {
        var lines: [ChecklistLine] = [
            .init(item: .cadreReponse, required: true, why: "toujours"),
            .init(item: .autodiagnosticSI, required: true, why: "toujours"),
            .init(item: .planFinancement, required: true, why: "toujours"),
        ]
        let acquisition = project.kind == .acquisition || project.kind == .mixte && project.establishments.contains { $0.kind == .acquisition }
        if acquisition { lines.append(.init(item: .devis, required: true, why: "projet d'acquisition")) }
        if assessment.funding.smallOG > 0 { lines.append(.init(item: .inventaireMateriel, required: true, why: "un petit OG participe (financement du matériel)")) }
        if project.establishments.contains(where: \.confortActivity) {
            lines.append(.init(item: .declarationActivite, required: true, why: "un établissement déclare une activité de confort (E5)"))
        }
        if Set(project.establishments.map(\.finessEJ)).count > 1 {
            lines.append(.init(item: .conventionCooperation, required: true, why: "la grappe réunit plusieurs organismes"))
        }
        if project.establishments.contains(where: \.attachedToNationalEntity) {
            lines.append(.init(item: .accordEntiteNationale, required: true, why: "un établissement est rattaché à une entité nationale (R5)"))
        }
        let r4 = assessment.explanation.contains { $0.rule == .R4 } && acquisition
        lines.append(.init(item: .miseEnConcurrence, required: r4, why: r4 ? "acquisition soumise au référencement Ségur (R4)" : "facultatif"))
        return lines
    }
}

/// The score of a dossier (W5): five criteria of [000], each from 0 to 3, a total out of 15 —
/// the split into five times three is our decision D9. A total of 11 or more marks it `mature`.
public struct DossierScore: Sendable, Equatable {
    public static let criteria = ["enjeux", "equipe", "planning", "securite", "interoperabilite"]
    public static let maximum = 3
    public static let matureFrom = 11

    public let values: [String: Int]
    public let comment: String
    /// The priorities only the instructor can say (`Priority.setByInstructor`), given with the score.
    public let priorities: [Priority]
    public var total: Int { Self.criteria.reduce(0) { $0 + (values[$1] ?? 0) } }
    public var mature: Bool { total >= Self.matureFrom }

    /// Reads `{"criteria": {…}, "comment": "…"}`; the error names the field.
    public init(json: JSON) throws(InputError) {
        guard case let .object(criteria)? = json["criteria"] else { throw InputError(path: "criteria", reason: "les cinq critères attendus : \(Self.criteria.joined(separator: ", "))") }
        var values: [String: Int] = [:]
        for name in Self.criteria {
            guard let value = criteria.first(where: { $0.0 == name })?.1 else { throw InputError(path: "criteria.\(name)", reason: "champ obligatoire manquant") }
            guard case let .number(text) = value, let n = Int(text), (0...Self.maximum).contains(n) else {
                throw InputError(path: "criteria.\(name)", reason: "note entière de 0 à \(Self.maximum) attendue")
            }
            values[name] = n
        }
        if let extra = criteria.first(where: { !Self.criteria.contains($0.0) }) {
            throw InputError(path: "criteria.\(extra.0)", reason: "critère inconnu ; critères : \(Self.criteria.joined(separator: ", "))")
        }
        var comment = ""
        switch json["comment"] {
        case nil, .null?: break
        case let .string(text)?:
            guard text.count <= 4000 else { throw InputError(path: "comment", reason: "4 000 caractères au plus") }
            comment = text
        default: throw InputError(path: "comment", reason: "texte attendu")
        }
        var priorities: [Priority] = []
        switch json["priorities"] {
        case nil, .null?: break
        case let .array(items)?:
            for (i, item) in items.enumerated() {
                let allowed = Priority.allCases.filter(\.setByInstructor)
                guard case let .string(code) = item, let p = Priority(rawValue: code), p.setByInstructor else {
                    throw InputError(path: "priorities[\(i)]", reason: "priorité posée par l'instructeur attendue : \(allowed.map(\.rawValue).joined(separator: ", ")) (les autres sont calculées)")
                }
                if !priorities.contains(p) { priorities.append(p) }
            }
        default: throw InputError(path: "priorities", reason: "liste attendue")
        }
        self.values = values
        self.comment = comment
        self.priorities = priorities
    }

    public var json: JSON {
        .object([("criteria", .object(Self.criteria.map { ($0, .int(values[$0] ?? 0)) })), ("comment", .string(comment)),
                 ("total", .int(total)), ("outOf", .int(Self.criteria.count * Self.maximum)), ("mature", .bool(mature)),
                 ("priorities", .array(priorities.map { .string($0.rawValue) })),
                 ("rule", .string(RuleID.D9.rawValue)), ("source", .string(RuleID.D9.source))])
    }
}

/// The amounts granted on acceptance, checked against the frozen assessment: the forfaits
/// (usage, software) equal, the small-OG items at most their ceilings ([003] Q26, D3).
public enum Grant {
    public static let items: [Assessment.FundingItem] = [.usage, .software, .equipment, .amoaMarche, .amoaProjet]

    /// The granted amounts (cents) from `{"usage": 322000, …}` in euros; omitted items take the
    /// frozen amount. Errors name the item.
    public static func read(_ json: JSON?, frozen: Assessment.Funding) throws(InputError) -> Assessment.Funding {
        var granted = frozen
        guard let json, json != .null else { return granted }
        guard case let .object(fields) = json else { throw InputError(path: "granted", reason: "objet attendu (usage, software, equipment, amoaMarche, amoaProjet)") }
        for (name, value) in fields where name != "total" {
            guard let item = Assessment.FundingItem(rawValue: name) else {
                throw InputError(path: "granted.\(name)", reason: "poste inconnu ; postes : \(items.map(\.rawValue).joined(separator: ", "))")
            }
            guard let cents = value.cents,
                  cents <= Limits.expensesCents else {
                throw InputError(path: "granted.\(name)", reason: "montant en euros de 0 à \(Money.format(Limits.expensesCents)) attendu, au plus deux décimales")
            }
            let ceiling = frozen[item]
            switch item {
            case .usage, .software:
                guard cents == ceiling else {
                    throw InputError(path: "granted.\(name)", reason: "forfait : \(Money.format(ceiling)) exactement, le montant de l'évaluation figée (\(item.rule.rawValue))")
                }
            case .equipment, .amoaMarche, .amoaProjet:
                guard cents <= ceiling else {
                    throw InputError(path: "granted.\(name)", reason: "au plus \(Money.format(ceiling)), le plafond de l'évaluation figée (\(item.rule.rawValue), \(RuleID.D3.rawValue))")
                }
            }
            granted[item] = cents
        }
        return granted
    }

    public static func json(_ f: Assessment.Funding) -> JSON {
        .object(items.map { ($0.rawValue, JSON.euros(f[$0])) } + [("total", JSON.euros(f.total))])
    }
}

/// The ranking of a scope's dossiers against the envelope (`dossiers.md`, « Decision, score,
/// envelope, ranking »): accepted ones first (committed), then by best priority held in the
/// campaign's order, then score (highest first, unscored last), then filing time.
public enum Ranking {
    public struct Candidate: Sendable, Equatable {
        public let id: String
        public let title: String
        public let state: DossierState
        public let priorities: [String]
        public let score: Int?
        /// `granted.total` once accepted, else the frozen assessment's total.
        public let amount: Cents
        public let filedAt: String
        public let decidedAt: String

        public init(id: String, title: String, state: DossierState, priorities: [String], score: Int?, amount: Cents, filedAt: String, decidedAt: String) {
            self.id = id; self.title = title; self.state = state; self.priorities = priorities; self.score = score
            self.amount = amount; self.filedAt = filedAt; self.decidedAt = decidedAt
        }
    }

    public struct Line: Sendable, Equatable {
        public let candidate: Candidate
        public let cumulative: Cents
        public let fitsEnvelope: Bool
    }

    public static let states: Set<DossierState> = [.depose, .enInstruction, .correctionDemandee, .accepte]

    public static func rank(_ candidates: [Candidate], envelope: Cents?, priorityOrder: [String]) -> [Line] {
        func best(_ c: Candidate) -> Int { c.priorities.compactMap { priorityOrder.firstIndex(of: $0) }.min() ?? priorityOrder.count }
        let sorted = candidates.filter { states.contains($0.state) }.sorted { a, b in
            let acceptedA = a.state == .accepte, acceptedB = b.state == .accepte
            if acceptedA != acceptedB { return acceptedA }
            if acceptedA { return (a.decidedAt, a.id) < (b.decidedAt, b.id) }
            if best(a) != best(b) { return best(a) < best(b) }
            if a.score != b.score { return (a.score ?? -1) > (b.score ?? -1) }
            return (a.filedAt, a.id) < (b.filedAt, b.id)
        }
        var cumulative: Cents = 0
        return sorted.map { c in
            cumulative += c.amount
            return Line(candidate: c, cumulative: cumulative, fitsEnvelope: envelope.map { cumulative <= $0 } ?? true)
        }
    }
}
