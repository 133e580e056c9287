/// The evaluation of a project under its campaign (`shared/spec/simulation.md`, Output). Every
/// exclusion, refusal, flag and amount names the rule that produced it and its source.
public struct Assessment: Sendable {
    public enum Outcome: String, Sendable {
        case recevable, nonRecevable, aDeciderParARS
    }

    public enum Instruction: String, Sendable {
        case ARS, CNSA, SONS
    }

    /// One line of the explanation, of a flag, of a refusal: a rule, a French text, a source.
    public struct Entry: Sendable, Equatable {
        public let rule: RuleID
        public let text: String
        public let source: String
    }

    public struct Excluded: Sendable, Equatable {
        public let finessET: String?
        public let name: String
        public let rule: RuleID
        public let reason: String
        public let source: String
    }

    public struct Funding: Sendable, Equatable {
        public var usage: Cents = 0
        public var software: Cents = 0
        public var equipment: Cents = 0
        public var amoaMarche: Cents = 0
        public var amoaProjet: Cents = 0
        public var total: Cents { usage + software + equipment + amoaMarche + amoaProjet }
        public var smallOG: Cents { equipment + amoaMarche + amoaProjet }
    }

    /// The estimated Prestation Ségur of one OG (S1, S4, S5, D4).
    public struct SonsOrder: Sendable, Equatable {
        public let finessEJ: String
        public let establishments: Int
        public let tranche: String
        public let perEstablishment: Cents
        public var total: Cents { perEstablishment * establishments }
        /// S5: the advance paid to the editor on the validated order, and the balance on the VA.
        public let advance: Cents
        public var balance: Cents { total - advance }
    }

    public struct Payment: Sendable, Equatable {
        public let instalment: String
        public let percent: Int
        public let amount: Cents
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
    public let sons: [SonsOrder]
    public let payments: [Payment]
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
