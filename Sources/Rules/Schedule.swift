/// The schedule of an accepted dossier (`shared/spec/payments.md`): the advance (P1) and the solde
/// (P2, P3), each with its amount, its status and every condition with its rule, met or not, and
/// why. Pure: the store gives what was recorded (conventions, orders, the usage decision, the
/// expenses), this says what follows.
public struct Schedule: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case aVenir, exigible, propose, ordonne, annule

        public var french: String {
            switch self {
            case .aVenir: return "à venir"
            case .exigible: return "exigible"
            case .propose: return "proposé, à valider par un second instructeur"
            case .ordonne: return "ordonné"
            case .annule: return "annulé"
            }
        }
    }

    public struct Condition: Sendable, Equatable {
        public let rule: RuleID
        /// `conventionFinancement`, `conventionPartenariat`; `mss`, `dmp`, `activeRecords`,
        /// `withProjet`, `withEvent`, `avance`, `expenses`.
        public let condition: String
        public let met: Bool
        /// Why, in French.
        public let detail: String
    }

    public struct Line: Sendable, Equatable {
        public let instalment: Assessment.Instalment
        public let amount: Cents
        public let status: Status
        public let conditions: [Condition]
        public let order: Order?
        /// The solde only: the deadline in force and whether the ARS revised it.
        public let deadline: CalendarDate?
        public let deadlineRevised: Bool
    }

    /// A payment order as recorded: proposed by one instructor, validated by another.
    public struct Order: Sendable, Equatable {
        public let amount: Cents
        public let orderedAt: CalendarDate
        public let reference: String
        public let proposedBy: String
        public let validatedBy: String?
        /// The ARS cancelled the instalment, with this motivation.
        public let cancelled: String?

        public init(amount: Cents, orderedAt: CalendarDate, reference: String, proposedBy: String, validatedBy: String?, cancelled: String?) {
            self.amount = amount; self.orderedAt = orderedAt; self.reference = reference
            self.proposedBy = proposedBy; self.validatedBy = validatedBy; self.cancelled = cancelled
        }
    }

    /// The usage follow-up of the solde: the decision of `usage.md` on the frozen project (nil
    /// before any measure), the deadline in force.
    public struct Usage: Sendable, Equatable {
        public let failing: [SoldeDecision.Failing]
        public let month: YearMonth?
        public let deadline: CalendarDate
        public let deadlineRevised: Bool

        public init(failing: [SoldeDecision.Failing], month: YearMonth?, deadline: CalendarDate, deadlineRevised: Bool) {
            self.failing = failing; self.month = month; self.deadline = deadline; self.deadlineRevised = deadlineRevised
        }
    }

    /// Condition 3: the expenses the porteur declared, and the instructor's explicit acceptance
    /// when they are below the campaign's threshold of the granted total.
    public struct Expenses: Sendable, Equatable {
        public let amount: Cents
        public let accepted: Bool

        public init(amount: Cents, accepted: Bool) { self.amount = amount; self.accepted = accepted }
    }

    public struct Input: Sendable {
        public var granted: Cents
        public var advancePercent: Int
        public var expensesThresholdPercent: Int
        public var accepted: Bool
        /// A grappe of several OG needs the partnership convention too.
        public var partnershipRequired: Bool
        public var fundingSignedAt: CalendarDate?
        public var partnershipSignedAt: CalendarDate?
        public var orders: [Assessment.Instalment: Order]
        /// Instalments the ARS cancelled, an order proposed or not.
        public var cancelled: Set<Assessment.Instalment> = []
        /// The targets of the campaign, in percent, for the sentence of each indicator.
        public var targets: [Indicator: Int]
        public var usage: Usage?
        /// The deadline without measures: commitment + P3, nil before the funding convention.
        public var deadline: CalendarDate?
        public var deadlineRevised: Bool
        public var expenses: Expenses?

        public init(granted: Cents, advancePercent: Int, expensesThresholdPercent: Int, accepted: Bool, partnershipRequired: Bool,
                    fundingSignedAt: CalendarDate? = nil, partnershipSignedAt: CalendarDate? = nil, orders: [Assessment.Instalment: Order] = [:],
                    targets: [Indicator: Int] = [:], usage: Usage? = nil, deadline: CalendarDate? = nil, deadlineRevised: Bool = false, expenses: Expenses? = nil) {
            self.granted = granted; self.advancePercent = advancePercent; self.expensesThresholdPercent = expensesThresholdPercent
            self.accepted = accepted; self.partnershipRequired = partnershipRequired
            self.fundingSignedAt = fundingSignedAt; self.partnershipSignedAt = partnershipSignedAt; self.orders = orders
            self.targets = targets; self.usage = usage; self.deadline = deadline; self.deadlineRevised = deadlineRevised; self.expenses = expenses
        }
    }

    public let granted: Cents
    public let lines: [Line]

    public subscript(_ instalment: Assessment.Instalment) -> Line { lines[instalment == .avance ? 0 : 1] }

    /// P1: the advance is the campaign's share of the granted total, rounded down to the cent; the
    /// solde is the rest, so that the two always add up to the total.
    public static func amounts(granted: Cents, advancePercent: Int) -> (avance: Cents, solde: Cents) {
        let product = granted.multipliedFullWidth(by: advancePercent)
        let (quotient, _) = 100.dividingFullWidth(product)
        return (quotient, granted - quotient)
    }

    public init(_ input: Input) {
        granted = input.granted
        let (advanceAmount, soldeAmount) = Self.amounts(granted: input.granted, advancePercent: input.advancePercent)
        func status(_ instalment: Assessment.Instalment, _ conditions: [Condition], _ order: Order?) -> Status {
            if input.cancelled.contains(instalment) { return .annule }
            if let order {
                if order.cancelled != nil { return .annule }
                return order.validatedBy == nil ? .propose : .ordonne
            }
            return input.accepted && conditions.allSatisfy(\.met) ? .exigible : .aVenir
        }

        // P1: the conventions signed.
        var advance: [Condition] = [Condition(rule: .P1, condition: "conventionFinancement", met: input.fundingSignedAt != nil,
                                              detail: input.fundingSignedAt.map { "signée le \($0.french)" } ?? "convention de financement ARS–porteur non enregistrée")]
        if input.partnershipRequired {
            advance.append(Condition(rule: .P1, condition: "conventionPartenariat", met: input.partnershipSignedAt != nil,
                                     detail: input.partnershipSignedAt.map { "signée le \($0.french)" } ?? "convention de partenariat entre les OG de la grappe non enregistrée"))
        }
        let advanceOrder = input.orders[.avance]
        let advanceLine = Line(instalment: .avance, amount: advanceAmount, status: status(.avance, advance, advanceOrder), conditions: advance,
                               order: advanceOrder, deadline: nil, deadlineRevised: false)

        // P2: the usage targets on the last measured month, the advance ordered, the expenses.
        var solde: [Condition] = []
        for indicator in Indicator.allCases {
            let target = input.targets[indicator] ?? 0
            guard let usage = input.usage else {
                solde.append(Condition(rule: .P2, condition: indicator.rawValue, met: false, detail: "aucune mesure enregistrée (cible \(target) %)"))
                continue
            }
            let month = usage.month.map { " (\($0))" } ?? ""
            if let failing = usage.failing.first(where: { $0.indicator == indicator.rawValue }) {
                solde.append(Condition(rule: .P2, condition: indicator.rawValue, met: false,
                                       detail: "\(UsageReport.percent(failing.value)) pour \(target) %\(month)"))
            } else {
                solde.append(Condition(rule: .P2, condition: indicator.rawValue, met: true, detail: "cible de \(target) % atteinte\(month)"))
            }
        }
        let advanceOrdered = advanceLine.status == .ordonne
        solde.append(Condition(rule: .P2, condition: "avance", met: advanceOrdered,
                               detail: advanceOrdered ? "avance ordonnée" : "l'avance n'est pas encore ordonnée (\(advanceLine.status.french))"))
        solde.append(Self.expensesCondition(input.expenses, granted: input.granted, threshold: input.expensesThresholdPercent))
        let soldeOrder = input.orders[.solde]
        let soldeLine = Line(instalment: .solde, amount: soldeAmount, status: status(.solde, solde, soldeOrder), conditions: solde, order: soldeOrder,
                             deadline: input.usage?.deadline ?? input.deadline, deadlineRevised: input.usage?.deadlineRevised ?? input.deadlineRevised)
        lines = [advanceLine, soldeLine]
    }

    /// Condition 3 of P2: declared, and at least the threshold of the granted total or accepted by
    /// the instructor — never by the machine.
    static func expensesCondition(_ expenses: Expenses?, granted: Cents, threshold: Int) -> Condition {
        guard let expenses else {
            return Condition(rule: .P2, condition: "expenses", met: false, detail: "dépenses non déclarées par le porteur")
        }
        let spent = expenses.amount.multipliedFullWidth(by: 100), floor = threshold.multipliedFullWidth(by: granted)
        let below = (spent.high, spent.low) < (floor.high, floor.low)
        let declared = "dépenses déclarées : \(Money.format(expenses.amount)) pour \(Money.format(granted)) accordés"
        if !below { return Condition(rule: .P2, condition: "expenses", met: true, detail: "\(declared), au moins \(threshold) %") }
        if expenses.accepted {
            return Condition(rule: .P2, condition: "expenses", met: true, detail: "\(declared), sous \(threshold) % : acceptées par l'ARS")
        }
        return Condition(rule: .P2, condition: "expenses", met: false, detail: "\(declared), sous \(threshold) % : à accepter explicitement par l'ARS")
    }

    /// The amount of an instalment is the one to order, to the cent.
    public func amount(_ instalment: Assessment.Instalment) -> Cents { self[instalment].amount }
}
