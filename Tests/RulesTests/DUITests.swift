import Testing
@testable import Rules

/// `dui.md` as rules: the NIR's key, the RNIV status a record may claim, and the five measures
/// computed from records on a hand-computed case with every boundary (stays starting and ending
/// mid-month, a cancelled event, a PP not yet agreed, a review date passed, a DMP feed before the
/// stay, messages about a person no longer accompanied).
@Suite("DUI : identités et mesures")
struct DUITests {
    func day(_ text: String) -> CalendarDate { CalendarDate(iso: text)! }

    @Test func theNIRKeyIsChecked() {
        #expect(INS.problem(nir: "1850578006084", key: "91") == nil)
        #expect(INS.problem(nir: "185052A123456", key: "33") == nil)
        #expect(INS.problem(nir: "185052a123456", key: "33") == nil)
        #expect(INS.problem(nir: "1850578006084", key: "90") == "clé du NIR invalide (90 ; la clé de ce NIR est 91)")
        #expect(INS.problem(nir: "18505780060", key: "91") == "le NIR a 13 caractères (11 donnés)")
        #expect(INS.problem(nir: "18505780060X4", key: "91") == "NIR mal formé : 13 chiffres attendus (2A ou 2B pour une naissance en Corse)")
        #expect(INS.problem(nir: "1850578006084", key: "9") == "clé du NIR : 2 chiffres attendus")
    }

    @Test func aQualifiedIdentityNeedsTheINSAndAHighTrustDocument() {
        #expect(IdentityStatus.problem(claimed: .qualifiee, insRetrieved: true, document: .passeport) == nil)
        #expect(IdentityStatus.problem(claimed: .qualifiee, insRetrieved: true, document: .livretFamille) != nil)
        #expect(IdentityStatus.problem(claimed: .qualifiee, insRetrieved: false, document: .CNI) != nil)
        #expect(IdentityStatus.problem(claimed: .qualifiee, insRetrieved: false, document: nil) != nil)
        #expect(IdentityStatus.problem(claimed: .validee, insRetrieved: false, document: .acteNaissance) == nil)
    }

    @Test func theMeasuresFollowTheDefinitions() {
        let a = DUIRecord(stays: [.init(start: day("2025-01-15"), end: day("2025-02-10"))], entries: [day("2025-01-20")],
                          events: [(day("2025-02-05"), .annule), (day("2025-01-25"), .prevu)],
                          projets: [.init(elaboratedOn: day("2024-12-10"), nextReview: day("2025-01-31"), agreed: true)],
                          mssSent: [day("2025-01-21"), day("2025-01-22")], dmpSubmitted: [day("2025-02-03")])
        let b = DUIRecord(stays: [.init(start: day("2025-02-28"), end: nil)], entries: [day("2025-03-01")], events: [(day("2025-04-30"), .realise)],
                          projets: [.init(elaboratedOn: day("2025-03-10"), nextReview: day("2026-03-01"), agreed: false),
                                    .init(elaboratedOn: day("2025-04-02"), nextReview: day("2026-04-01"), agreed: true)],
                          mssSent: [day("2025-04-15")], dmpSubmitted: [day("2025-01-10")])
        let c = DUIRecord(stays: [.init(start: day("2024-06-01"), end: day("2024-12-31"))], mssSent: [day("2025-03-05")])
        let rows = DUIMeasures.monthly(finessET: "315000018", records: [a, b, c], from: YearMonth(iso: "2025-01")!, to: YearMonth(iso: "2025-04")!)
        #expect(rows.map(\.month.description) == ["2025-01", "2025-02", "2025-03", "2025-04"])
        #expect(rows.map(\.persons) == [1, 2, 1, 1])
        #expect(rows.map(\.activeRecords) == [1, 0, 1, 1])
        #expect(rows.map(\.activeWithProjet) == [1, 0, 0, 1])
        #expect(rows.map(\.activeWithEvent) == [1, 0, 0, 1])
        #expect(rows.map(\.mssMessagesSent) == [2, 0, 1, 1])
        #expect(rows.map(\.dmpFedPersons) == [0, 1, 0, 0])
        // What usage.md reads: every row plausible.
        #expect((try? MonthlyMeasure.checkPlausible(rows)) != nil)
        #expect(DUIMeasures.monthly(finessET: "315000018", records: [a], from: YearMonth(iso: "2025-05")!, to: YearMonth(iso: "2025-04")!).isEmpty)
    }

    /// The CDA carries any name: escaped, and the characters XML cannot hold left out.
    @Test func theCDAEscapesWhatItCarries() {
        #expect(XMLText.escaped("<DUPONT & \"FILS\" l'aîné>\u{1}\n") == "&lt;DUPONT &amp; &quot;FILS&quot; l&apos;aîné&gt;\n")
        let document = CDA.Document(id: "d1", title: "Lettre <urgente>", date: day("2025-03-31"), nir: "238043155500137", insOID: "1.2.250.1.213.1.4.8",
                                    birthName: "O'NEIL", firstNames: ["Anne"], birthDate: day("1938-04-12"), sex: "F", author: "soignant@ehpad.test",
                                    finessET: "315000018", establishment: "EHPAD LES ACACIAS", pdf: Array("%PDF".utf8))
        let xml = CDA.xml(document)
        #expect(xml.contains("<title>Lettre &lt;urgente&gt;</title>") && xml.contains("<family qualifier=\"BR\">O&apos;NEIL</family>"))
        #expect(xml.contains("<effectiveTime value=\"20250331\"/>") && xml.contains("<birthTime value=\"19380412\"/>") && xml.contains(">JVBERg==</text>"))
    }
}
