/// The evaluation of a project under its campaign (`shared/spec/simulation.md`, Output). Every
/// exclusion, refusal, flag and amount names the rule that produced it and its source.
public struct Assessment: Sendable {
    public enum Outcome: String, Sendable {
        case recevable, nonRecevable, aDeciderParARS
    }

    public enum Instruction: String, Sendable {
        case ARS, CNSA, SONS
    }

    /// One line of the explanation, of a flag, of a refusal: a rule, what it established (typed),
    /// a source. The French sentence is rendered from the fact.
    public struct Entry: Sendable, Equatable {
        public let rule: RuleID
        public let fact: Fact
        public let source: String
        public var text: String { fact.french }
    }

    /// Why an establishment is not eligible (§2).
    public enum Exclusion: Sendable, Equatable {
        case notEssms, noFinessET, alreadyFunded
        /// E3 across the store: another dossier already applies for it.
        case appliedFor(dossier: String)
        /// E4 as [004] reads it (the campaign's choice): any SONS order excludes.
        case sonsOrdered(software: String)
        /// E4 as [003] Q35 reads it: an order for another software excludes.
        case sonsOrderedForOtherSoftware(software: String)

        public var french: String {
            switch self {
            case .notEssms: return "n'est pas un ESSMS au sens de l'art. L.312-1 CASF"
            case .noFinessET: return "n'a pas de numéro FINESS géographique (ET)"
            case .alreadyFunded: return "a déjà reçu un financement ESMS numérique (un seul financement par ESSMS)"
            case let .appliedFor(dossier): return "figure déjà dans le dossier \(dossier) (une seule demande par ESSMS)"
            case let .sonsOrdered(software):
                return "a déjà commandé une Prestation Ségur (SONS) pour « \(Limits.quote(software)) » (lecture [004] retenue par la campagne)"
            case let .sonsOrderedForOtherSoftware(software):
                return "a commandé une Prestation Ségur (SONS) pour un autre logiciel (« \(Limits.quote(software)) »)"
            }
        }
    }

    public struct Excluded: Sendable, Equatable {
        public let finessET: String?
        public let name: String
        public let rule: RuleID
        public let cause: Exclusion
        public let source: String
        public var reason: String { cause.french }
        /// The other dossier that holds it (E3 across the store).
        public var dossier: String? {
            if case let .appliedFor(id) = cause { return id }
            return nil
        }
    }

    /// One item of the ESMS numérique funding (§5), with the facts that compute it.
    public enum FundingItem: String, CaseIterable, Sendable {
        case usage, software, equipment, amoaMarche, amoaProjet

        public var rule: RuleID {
            switch self {
            case .usage: return .fUsage
            case .software: return .fLogiciel
            case .equipment: return .fMateriel
            case .amoaMarche: return .fAmoaMarche
            case .amoaProjet: return .fAmoaProjet
            }
        }

        /// `Usages`, `Matériel (plafond)`…; the small-OG items are ceilings (D3).
        public var french: String {
            switch self {
            case .usage: return "Usages"
            case .software: return "Logiciel"
            case .equipment: return "Matériel (plafond)"
            case .amoaMarche: return "AMOA marché (plafond)"
            case .amoaProjet: return "AMOA projet (plafond)"
            }
        }
    }

    public struct FundingLine: Sendable, Equatable {
        public let item: FundingItem
        public let amount: Cents
        /// The source of the parameter the amount comes from.
        public let source: String
        /// The facts that compute it: one per kind of a grappe mixte, one for a ceiling.
        public let facts: [Fact]
        public var rule: RuleID { item.rule }
    }

    public struct Funding: Sendable, Equatable {
        public var usage: Cents = 0
        public var software: Cents = 0
        public var equipment: Cents = 0
        public var amoaMarche: Cents = 0
        public var amoaProjet: Cents = 0
        public var total: Cents { usage + software + equipment + amoaMarche + amoaProjet }
        public var smallOG: Cents { equipment + amoaMarche + amoaProjet }

        public init(usage: Cents = 0, software: Cents = 0, equipment: Cents = 0, amoaMarche: Cents = 0, amoaProjet: Cents = 0) {
            self.usage = usage; self.software = software; self.equipment = equipment; self.amoaMarche = amoaMarche; self.amoaProjet = amoaProjet
        }
        public subscript(item: FundingItem) -> Cents {
            get {
                switch item {
                case .usage: return usage
                case .software: return software
                case .equipment: return equipment
                case .amoaMarche: return amoaMarche
                case .amoaProjet: return amoaProjet
                }
            }
            set {
                switch item {
                case .usage: usage = newValue
                case .software: software = newValue
                case .equipment: equipment = newValue
                case .amoaMarche: amoaMarche = newValue
                case .amoaProjet: amoaProjet = newValue
                }
            }
        }
    }

    /// The estimated Prestation Ségur of one OG (S1, S4, S5, D4).
    public struct SonsOrder: Sendable, Equatable {
        public let finessEJ: String
        public let establishments: Int
        public let tranche: String
        public let perEstablishment: Cents
        public var total: Cents { perEstablishment * establishments }
        /// S5: the advance paid to the editor on the validated order, and the balance on the VA.
        public let advancePercent: Int
        public let advance: Cents
        public var balance: Cents { total - advance }
    }

    /// The two ESMS numérique instalments (§7).
    public enum Instalment: String, Sendable, CaseIterable {
        case avance, solde

        public var rule: RuleID { self == .avance ? .P1 : .P2 }
        /// `Avance`, `Solde`.
        public var french: String { self == .avance ? "Avance" : "Solde" }
        /// When it is paid.
        public var condition: String {
            self == .avance ? "À la signature des conventions" : "À l'atteinte des cibles d'usage"
        }
    }

    public struct Payment: Sendable, Equatable {
        public let instalment: Instalment
        public let percent: Int
        public let amount: Cents
        /// The source of the campaign parameter that sets the share (advance) or the targets (solde).
        public let source: String
    }

    public let campaign: String
    public let campaignLabel: String
    public let ruleSetVersion: String
    public let kind: ProjectKind
    public let solution: Project.Solution
    public let outcome: Outcome
    public let instruction: Instruction?
    public let pivotRegion: Region?
    public let establishments: Int
    public let eligibleEstablishments: Int
    public let excluded: [Excluded]
    public let funding: Funding
    /// Every funding item, zero or not, in the order of `FundingItem`.
    public let fundingLines: [FundingLine]
    public let sons: [SonsOrder]
    public let advance: Payment
    public let solde: Payment
    public var payments: [Payment] { [advance, solde] }
    /// The rules that make the project not receivable; empty unless `outcome` is `nonRecevable`.
    public let refusals: [Entry]
    public let flags: [Entry]
    public let explanation: [Entry]

    /// Every rule named anywhere in the assessment.
    public var rulesNamed: Set<RuleID> {
        var s = Set<RuleID>()
        for e in excluded { s.insert(e.rule) }
        for e in refusals { s.insert(e.rule) }
        for e in flags { s.insert(e.rule) }
        for e in explanation { s.insert(e.rule) }
        return s
    }
}

/// A project that names something the engine cannot evaluate.
public enum AssessmentError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownCampaign(String, known: [String])

    public var description: String {
        switch self {
        case let .unknownCampaign(id, known):
            return "campagne inconnue « \(Limits.quote(id)) » ; campagnes connues : \(known.joined(separator: ", "))"
        }
    }

    /// The JSON path of the input field at fault.
    public var path: String {
        switch self {
        case .unknownCampaign: return "campaign"
        }
    }
}
