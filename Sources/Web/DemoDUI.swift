import Foundation
import Rules
import Store

/// The demo DUI of `dui.md` (#13): the demo registry's first ESSMS (EHPAD Les Acacias,
/// 315000018) gets a year of synthetic records — 40 fictitious persons, never real people —
/// so that a newcomer sees its indicators move month by month. Deterministic: the same day gives
/// the same records.
public enum DemoDUI {
    public static let establishment = "315000018"

    static let birthNames = ["ARNAUD", "BLANC", "CARON", "DELMAS", "ESTEVE", "FABRE", "GARCIA", "HUGUET", "IZARD", "JULLIEN"]
    static let womenNames = ["Jeanne", "Odette", "Simone", "Paulette", "Yvette", "Germaine"]
    static let menNames = ["Marcel", "René", "Henri", "Lucien"]

    /// Creates the records when the establishment has none — 40 persons accompanied during the
    /// year, 3 on the waiting list; the number of persons created.
    @discardableResult
    public static func createIfEmpty(in store: Store, today: CalendarDate) async throws -> Int {
        let row = try await store.sql.raw("SELECT COUNT(*) AS n FROM dui_persons WHERE finess_et = \(bind: establishment)").first()
        guard try row?.decode(column: "n", as: Int.self) == 0 else { return 0 }
        let records = DUIRepository(store: store, today: { today })
        var seed: UInt64 = 20_260_512
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        let author = "démo (données fictives)"
        let first = YearMonth(today).adding(-11)
        func day(_ month: YearMonth, _ d: Int) -> CalendarDate {
            let date = CalendarDate(iso: "\(month.description)-\(String(format: "%02d", min(d, 28)))")!
            return date > today ? today : date
        }
        let pdf = Data("%PDF-1.4\n% document fictif de démonstration\n%%EOF\n".utf8).base64EncodedString()
        for i in 0..<40 {
            let identity = JSON.object([
                ("birthName", .string("\(birthNames[i % 10]) (DÉMO)")), ("firstNames", .array([.string(i % 3 == 0 ? menNames[(i / 3 + i / 10) % 4] : womenNames[(i + i / 10) % 6])])),
                ("birthDate", .string("19\(30 + i % 15)-0\(1 + i % 9)-1\(i % 9)")), ("sex", .string(i % 3 == 0 ? "M" : "F")), ("birthPlace", .string("31555")),
                ("ins", .null), ("identityStatus", .string("provisoire")), ("identityDocument", .null),
            ])
            let person = try await records.createPerson(finessET: establishment, identity, by: author)
            // Most stay all year; some arrive during it, a few leave.
            let arrival = i < 30 ? first.adding(-6) : first.adding(i - 28)
            let departure: YearMonth? = i % 13 == 5 ? first.adding(8 + i % 3) : nil
            let end = departure.map { JSON.string(day($0, 20).description) } ?? .null
            _ = try await records.addEntry(person.id, .stay, .object([("start", .string(day(arrival, 10).description)), ("end", end), ("mode", .string("hebergementPermanent"))]), by: author)
            // The use of the DUI grows during the year: notes and events more and more often.
            for m in 0..<12 {
                let month = first.adding(m)
                guard month >= arrival, departure.map({ month <= $0 }) ?? true, day(month, 1) <= today else { continue }
                if next(100) < 55 + m * 4 {
                    _ = try await records.addEntry(person.id, .note, .object([("date", .string(day(month, 3 + next(20)).description)), ("category", .string("transmission")),
                                                                             ("text", .string("Transmission fictive de démonstration."))]), by: author)
                }
                if next(100) < 50 + m * 4 {
                    _ = try await records.addEntry(person.id, .event, .object([("start", .string(day(month, 5 + next(20)).description)), ("type", .string("atelier")),
                                                                              ("status", .string(next(10) == 0 ? "annule" : "realise"))]), by: author)
                }
            }
            // A projet personnalisé agreed for most, elaborated after the arrival.
            let elaborated = day(max(arrival, first).adding(next(4)), 12)
            if elaborated <= today {
                var projet: [(String, JSON)] = [("elaboratedOn", .string(elaborated.description)), ("nextReview", .string(elaborated.adding(months: 11).description))]
                projet.append(contentsOf: i % 5 == 4 ? [("status", .string("enCours"))] : [("status", .string("valide")), ("agreedOn", .string(elaborated.description))])
                _ = try await records.addEntry(person.id, .projet, .object(projet), by: author)
            }
            // A liaison letter in the last quarter, sent by MSSanté for half of them.
            let letter = day(first.adding(9 + next(3)), 15)
            let document = try await records.addEntry(person.id, .document, .object([("type", .string("lettreLiaison")), ("title", .string("Lettre de liaison (démo)")),
                                                                                       ("date", .string(letter.description)), ("content", .string(pdf))]), by: author)
            if i % 2 == 0 {
                _ = try await DUIRepository(store: store, today: { letter }).recordSending(document: document, channel: .mssante, recipient: "medecin.traitant@demo.mssante.fr",
                                                                                          outcome: .ok, detail: "démonstration", by: author)
            }
            // A trusted person for some; a few appointments planned in the coming week.
            if i % 4 == 0 {
                _ = try await records.addEntry(person.id, .contact, .object([("kind", .string("personneDeConfiance")), ("name", .string("Proche fictif \(i + 1) (DÉMO)")),
                                                                            ("phone", .string("0600000000"))]), by: author)
            }
            if i < 12, departure == nil {
                let types = ["rendez-vous médecin traitant", "kinésithérapie", "sortie au marché", "visite de la famille"]
                _ = try await records.addEntry(person.id, .event, .object([("start", .string("\(today.adding(days: 1 + i % 6))T\(10 + i % 6):30")),
                                                                          ("type", .string(types[i % 4])), ("status", .string("prevu"))]), by: author)
            }
        }
        // The waiting list: three requests at their stages, for persons not yet accompanied.
        for (i, status) in ["recue", "enEtude", "acceptee"].enumerated() {
            let identity = JSON.object([
                ("birthName", .string("\(["KLEIN", "LAFFONT", "MOREL"][i]) (DÉMO)")), ("firstNames", .array([.string(["Suzanne", "Gilbert", "Andrée"][i])])),
                ("birthDate", .string("194\(i)-0\(3 + i)-1\(i)")), ("sex", .string(i == 1 ? "M" : "F")), ("birthPlace", .string("31555")),
                ("ins", .null), ("identityStatus", .string("provisoire")), ("identityDocument", .null),
            ])
            let person = try await records.createPerson(finessET: establishment, identity, by: author)
            _ = try await records.addEntry(person.id, .admission, .object([("person", .string(person.id)), ("receivedOn", .string(today.adding(days: -40 + i * 12).description)),
                                                                          ("origin", .string("demande ViaTrajectoire fictive")), ("status", .string(status))]), by: author)
        }
        return 43
    }
}
