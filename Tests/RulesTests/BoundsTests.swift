import PropertyBased
@testable import Rules
import Testing

/// What comes from outside is bounded: no count, amount or size can make the rules trap, and every
/// refusal names the line, the column or the field, with the limit (issue « Nothing crashes »).
@Suite("Bornes des entrées")
struct BoundsTests {
    static let ets = UsageTests.ets
    static let header = MeasuresFile.columns.joined(separator: ";")

    func line(_ et: String = ets[0], month: String = "2025-04", persons: String = "100", active: String = "90",
              projet: String = "80", event: String = "80", mss: String = "70", dmp: String = "70") -> String {
        [et, month, persons, active, projet, event, mss, dmp].joined(separator: ";")
    }

    func parse(_ lines: [String]) throws(MeasuresFile.Refused) -> [MonthlyMeasure] {
        try MeasuresFile.parse(([Self.header] + lines).joined(separator: "\n"), file: "mesures.csv", establishments: Set(Self.ets))
    }

    /// The file of the probe: a count near Int.max is refused with its line, column and limit.
    @Test func theOverflowFileIsRefusedInFrench() throws {
        #expect(throws: MeasuresFile.Refused(file: "mesures.csv", problems: [
            .init(line: 2, column: "mssMessagesSent", reason: "9223372036854775806 dépasse le maximum plausible de 100 000 000 par établissement et par mois"),
        ])) { try parse([line(mss: "9223372036854775806")]) }
        #expect(throws: MeasuresFile.Refused(file: "mesures.csv", problems: [
            .init(line: 2, column: "persons", reason: "1000001 dépasse le maximum plausible de 1 000 000 par établissement et par mois"),
            .init(line: 3, column: "dmpFedPersons", reason: "99999999999999999999999 dépasse le maximum plausible de 1 000 000 par établissement et par mois"),
        ])) { try parse([line(persons: "1000001"), line(Self.ets[1], dmp: "99999999999999999999999")]) }
        // At the limit, and with leading zeros, a count is taken.
        #expect(try parse([line(persons: "1000000", active: "0001000000", mss: "100000000")]).first?.mssMessagesSent == 100_000_000)
    }

    @Test(arguments: ["+5", "5.0", "1e3", " 0x10", "٣", "５", "", "-"])
    func aCountIsDigitsOnly(_ value: String) {
        #expect(throws: MeasuresFile.Refused.self) { try parse([line(active: value)]) }
    }

    @Test func aTenMegabyteValueIsQuotedOnEightyCharacters() {
        let huge = String(repeating: "x", count: 10_000_000)
        do {
            _ = try parse([line(month: huge)])
            Issue.record("refus attendu")
        } catch {
            let message = error.description
            #expect(message.count < 400)
            #expect(message.contains("mois « \(String(repeating: "x", count: 80))… (10000000 caractères) » invalide"))
        }
        #expect(Limits.quote("court") == "court")
        #expect(Limits.quote(String(repeating: "é", count: 81)) == String(repeating: "é", count: 80) + "… (81 caractères)")
    }

    /// Counts up to Int.max, stored before the bounds or built by a caller, reach the computation:
    /// it gives a report or a typed error, never a trap.
    @Test func theUsageComputationNeverTraps() async {
        let engine = Engine()
        let project = UsageTests().project(count: 4)
        let usage = UsageProject(project: project, commitmentDate: CalendarDate(iso: "2025-01-15")!, vsrDate: CalendarDate(iso: "2025-03-10")!)
        let counts = Gen<Int>.oneOf(Gen.int(in: 0...Int.max), Gen.int(in: 0...1_000_000), Gen.int(in: Int.max - 10...Int.max))
        await propertyCheck(count: 400, input: counts, counts, counts, counts) { a, b, c, d in
            let measures = (0..<4).flatMap { i in
                ["2025-04", "2025-05", "2025-06", "2025-07"].map { month in
                    MonthlyMeasure(finessET: Self.ets[i], month: YearMonth(iso: month)!, persons: a, activeRecords: b, activeWithProjet: c,
                                   activeWithEvent: c, mssMessagesSent: d, dmpFedPersons: b)
                }
            }
            do {
                let report = try engine.usageReport(usage, measures: measures, asOf: CalendarDate(iso: "2025-12-31")!)
                #expect(measures.allSatisfy { $0.implausible == nil })
                #expect(report.projectMonths.count == 4)
            } catch {
                guard case let .implausible(_, _, column, value)? = error as? UsageError else { Issue.record("erreur inattendue \(error)"); return }
                #expect(value > Limits.measure(column))
            }
        }
    }

    /// The parser meets counts up to Int.max written out: a value or a refusal.
    @Test func theParserNeverTraps() async {
        let counts = Gen<Int>.oneOf(Gen.int(in: 0...Int.max), Gen.int(in: 0...2 * Limits.messagesPerMonth))
        await propertyCheck(count: 400, input: counts, counts) { persons, messages in
            do {
                let parsed = try parse([line(persons: String(persons), active: "0", projet: "0", event: "0", mss: String(messages), dmp: "0")])
                #expect(parsed.first?.persons == persons)
                #expect(persons <= Limits.personsPerMonth && messages <= Limits.messagesPerMonth)
            } catch {
                #expect(persons > Limits.personsPerMonth || messages > Limits.messagesPerMonth)
            }
        }
    }

    @Test(arguments: [
        ("12 000,50", 1_200_050), ("12000.50", 1_200_050), ("12000,5", 1_200_050), ("0,05", 5), ("0", 0), ("5", 500),
        ("1 234 567,89 €", 123_456_789), ("1\u{202F}234\u{00A0}567", 123_456_700), ("  42  ", 4_200), ("1000000000", 100_000_000_000),
    ])
    func formAmountsAreFrenchOrEnglishDecimals(_ text: String, _ cents: Int) {
        #expect(Amount.formEuros(text, limit: Limits.expensesCents) == .success(cents))
    }

    /// The odd numbers of the probe, and others: refused, never written.
    @Test(arguments: [".5", "05", "+5", "5.", "inf", "0x1p3", "1e3", "-5", "5,123", "1 23", "12,000.50", "1.000", "NaN", "５", "", "€",
                      "1000000000,01", "99999999999999999999"])
    func oddAmountsAreRefused(_ text: String) {
        guard case let .failure(error) = Amount.formEuros(text, limit: Limits.expensesCents) else { Issue.record("« \(text) » accepté"); return }
        #expect(error.description.hasPrefix("« \(text) » : montant"))
    }

    @Test func aProjectHasAtMostTenThousandEstablishments() throws {
        let item = "{\"finessET\": null, \"finessEJ\": \"310000013\", \"name\": \"E\", \"sector\": \"PA\", \"department\": \"31\"}"
        func project(_ count: Int, essms: String = "60") -> String {
            """
            {"campaign": "2022", "kind": "acquisition", "solution": {"name": "X", "editor": "Y", "referencing": "segur"},
             "porteur": "310000013", "procurement": "sad",
             "organismes": [{"finessEJ": "310000013", "name": "A", "essmsCount": \(essms)}],
             "establishments": [\(Array(repeating: item, count: count).joined(separator: ","))]}
            """
        }
        #expect(throws: InputError(path: "establishments", reason: "10001 établissements : 10 000 au plus par projet")) {
            try Project.decode(json: project(10_001))
        }
        #expect(try Project.decode(json: project(3)).establishments.count == 3)
        #expect(throws: InputError(path: "organismes[0].essmsCount", reason: "9223372036854775807 dépasse le maximum admis (100 000)")) {
            try Project.decode(json: project(3, essms: "9223372036854775807"))
        }
    }

    /// A saved project is one that reads back: the number text of the probe (`05`, `.5`) is refused.
    @Test func aDraftThatWouldNotReadBackIsRefused() throws {
        let draft = try JSON.parse("{\"campaign\": \"2022\", \"establishments\": [{\"finessET\": \"315000018\"}], \"porteur\": null}")
        try ProjectDraft.validate(draft)
        for odd in ["05", ".5", "+5", "5.", "inf", "0x1p3"] {
            #expect(throws: InputError.self, "\(odd)") { try ProjectDraft.validate(draft.setting("expenses", .number(odd))) }
        }
        #expect(throws: InputError(path: "establishments[0].finessET", reason: "clé de contrôle FINESS invalide (« 315000019 »)")) {
            try ProjectDraft.validate(try JSON.parse("{\"establishments\": [{\"finessET\": \"315000019\"}]}"))
        }
        #expect(throws: InputError(path: "commitmentDate", reason: "date attendue au format AAAA-MM-JJ")) {
            try ProjectDraft.validate(try JSON.parse("{\"commitmentDate\": \"2025-13-01\"}"))
        }
        // Any JSON value whose text does not parse again is refused, wherever it is.
        #expect(throws: InputError.self) { try ProjectDraft.validate(draft.setting("note", .number("NaN"))) }
    }
}
