import Testing
@testable import Rules

/// `payments.md` as a pure computation: the amounts (advance rounded down, the solde the rest),
/// each status from what was recorded, each condition with its rule and why.
@Suite("Échéancier d'un dossier")
struct ScheduleTests {
    let signed = CalendarDate(iso: "2022-06-01")!
    let targets: [Indicator: Int] = [.mss: 70, .dmp: 70, .activeRecords: 90, .withProjet: 90, .withEvent: 90]

    func order(validated: Bool, cancelled: String? = nil) -> Schedule.Order {
        Schedule.Order(amount: 0, orderedAt: signed, reference: "M-1", proposedBy: "a@ars.test", validatedBy: validated ? "b@ars.test" : nil, cancelled: cancelled)
    }

    @Test func theAdvanceIsRoundedDownAndTheSoldeIsTheRest() {
        #expect(Schedule.amounts(granted: 98_900_000, advancePercent: 50) == (49_450_000, 49_450_000))
        #expect(Schedule.amounts(granted: 1_000_001, advancePercent: 50) == (500_000, 500_001))
        #expect(Schedule.amounts(granted: 1_000, advancePercent: 30) == (300, 700))
        #expect(Schedule.amounts(granted: Int.max, advancePercent: 100) == (Int.max, 0))
    }

    @Test func theAdvanceWaitsForEveryConventionOfTheGrappe() {
        var input = Schedule.Input(granted: 1_000_000, advancePercent: 50, expensesThresholdPercent: 80, accepted: true, partnershipRequired: true, targets: targets)
        input.fundingSignedAt = signed
        var schedule = Schedule(input)
        #expect(schedule[.avance].status == .aVenir)
        #expect(schedule[.avance].conditions.map(\.condition) == ["conventionFinancement", "conventionPartenariat"])
        #expect(schedule[.avance].conditions.map(\.met) == [true, false])
        #expect(schedule[.avance].conditions[0].detail == "signée le 01/06/2022")
        input.partnershipSignedAt = signed
        schedule = Schedule(input)
        #expect(schedule[.avance].status == .exigible)
        input.orders[.avance] = order(validated: false)
        #expect(Schedule(input)[.avance].status == .propose)
        input.orders[.avance] = order(validated: true)
        schedule = Schedule(input)
        #expect(schedule[.avance].status == .ordonne)
        // Without measures the solde waits, each indicator said as not measured.
        #expect(schedule[.solde].status == .aVenir)
        #expect(schedule[.solde].conditions[0].detail == "aucune mesure enregistrée (cible 70 %)")
        #expect(schedule[.solde].conditions.first { $0.condition == "avance" }?.met == true)
        // Not accepted (a decision taken back): nothing is due.
        input.accepted = false
        input.orders = [:]
        #expect(Schedule(input)[.avance].status == .aVenir)
    }

    @Test func theSoldeNeedsTheTargetsTheAdvanceAndTheExpenses() {
        var input = Schedule.Input(granted: 1_000_000, advancePercent: 50, expensesThresholdPercent: 80, accepted: true, partnershipRequired: false,
                                   fundingSignedAt: signed, orders: [.avance: order(validated: true)], targets: targets)
        input.usage = Schedule.Usage(failing: [.init(indicator: "dmp", value: 0.58, target: 0.7)], month: YearMonth(iso: "2023-09"),
                                     deadline: CalendarDate(iso: "2023-12-01")!, deadlineRevised: false)
        var solde = Schedule(input)[.solde]
        #expect(solde.status == .aVenir && solde.deadline == CalendarDate(iso: "2023-12-01"))
        #expect(solde.conditions.first { $0.condition == "dmp" } == Schedule.Condition(rule: .P2, condition: "dmp", met: false, detail: "58,0 % pour 70 % (2023-09)"))
        #expect(solde.conditions.last?.detail == "dépenses non déclarées par le porteur")
        input.usage = Schedule.Usage(failing: [], month: YearMonth(iso: "2023-09"), deadline: CalendarDate(iso: "2023-12-01")!, deadlineRevised: true)
        // Below the threshold (8 000 € is 80 % of 10 000 €): to accept explicitly; at it, met.
        input.expenses = Schedule.Expenses(amount: 799_999, accepted: false)
        solde = Schedule(input)[.solde]
        #expect(solde.status == .aVenir && solde.deadlineRevised)
        #expect(solde.conditions.last?.detail == "dépenses déclarées : 7 999,99 € pour 10 000 € accordés, sous 80 % : à accepter explicitement par l'ARS")
        input.expenses = Schedule.Expenses(amount: 800_000, accepted: false)
        #expect(Schedule(input)[.solde].status == .exigible)
        input.expenses = Schedule.Expenses(amount: 100, accepted: true)
        #expect(Schedule(input)[.solde].status == .exigible)
        // Cancelled by the ARS, with or without a proposed order.
        input.cancelled = [.solde]
        #expect(Schedule(input)[.solde].status == .annule)
        input.orders[.solde] = order(validated: false, cancelled: "Cibles non atteintes à l'échéance.")
        #expect(Schedule(input)[.solde].status == .annule)
    }
}
