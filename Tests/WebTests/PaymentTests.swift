import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Rules
import SQLKit
import Store
import Testing
import TestSupport
import Web

extension JSON {
    /// An item of an array, for the tests' reading of answers.
    subscript(index: Int) -> JSON? {
        guard case let .array(items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

/// `payments.md` through the API, on both databases: accept → conventions → the advance by two
/// instructors → VSR and measures → expenses accepted below the threshold → the solde by two
/// instructors; the envelope; the deadline revised with its history; every step an audit event.
/// The dossier and its version, carried from one day's application to the next.
final class Progress: @unchecked Sendable {
    var id = ""
    var version = 0
}

@Suite("Paiements : conventions, avance, solde, enveloppes")
struct PaymentTests {
    static let secondAgent = "esmss_" + String(repeating: "d4", count: 32)
    static let reader = "esmss_" + String(repeating: "d5", count: 32)

    /// The 46 ESSMS of the example, measured from August 2022 (VSR in July) to December 2022,
    /// every rate above its target.
    static func measures(bad: Bool = false) throws -> String {
        let project = try JSON.parse(fromFiness)
        guard case let .array(items)? = project["establishments"] else { return "" }
        var lines = [MeasuresFile.columns.joined(separator: ";")]
        for item in items {
            guard case let .string(et)? = item["finessET"] else { continue }
            for month in 8...12 { lines.append("\(et);2022-\(month < 10 ? "0" : "")\(month);100;95;92;92;80;75") }
        }
        if bad { lines[2] = lines[2].replacingOccurrences(of: ";95;92;", with: ";95;96;") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The demo registry and the accounts of the scenarios: the porteur, two instructors of the
    /// region, a national reader.
    static func accounts(_ store: Store) async throws {
        try await DemoRegistry.importIfEmpty(into: store)
        try await DossierTests.open(store, "porteur@d.test", "porteur:310100011", session: DossierTests.porteur)
        try await DossierTests.open(store, "agent@ars-occitanie.test", "instructeur:76", session: DossierTests.agent)
        try await DossierTests.open(store, "second@ars-occitanie.test", "instructeur:76", session: Self.secondAgent)
        try await DossierTests.open(store, "lecteur@cnsa.test", "lecteur:national", session: Self.reader)
    }

    /// The application on `store` with `today` as the server's date.
    static func application(_ store: Store, _ today: String) -> some ApplicationProtocol {
        var logger = Logger(label: "esms.test")
        logger.logLevel = TestLogging.level
        return buildApplication(site: Site(store: store, today: CalendarDate(iso: today)), configuration: ServerConfiguration(database: store.location), logger: logger)
    }

    @Test(arguments: TestDatabase.available)
    func fromAcceptanceToTheSolde(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await Self.accounts(store)
            func application(_ today: String) -> some ApplicationProtocol { Self.application(store, today) }
            let s = Progress()
            // 2 May 2022: filed, taken, scored, accepted (989 000 €).
            try await application("2022-05-02").test(.router) { client in
                func call(_ uri: String, _ method: HTTPRequest.Method, _ session: String, _ body: String? = nil, versioned: Bool = false) async throws -> TestResponse {
                    let response = try await client.execute(uri: uri, method: method, headers: DossierTests.headers(session, version: versioned ? s.version : nil),
                                                            body: body.map { ByteBuffer(string: $0) })
                    if let tag = response.headers[.eTag], let v = Int(tag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) { s.version = v }
                    return response
                }
                guard case let .string(created)? = try json(try await call("/api/v1/dossiers", .post, DossierTests.porteur, "{\"title\": \"Paiements\", \"project\": \(fromFiness)}"))["id"] else {
                    Issue.record("dossier non créé"); return
                }
                s.id = created
                for item in ["cadreReponse", "autodiagnosticSI", "planFinancement", "devis"] {
                    let (h, body) = DossierTests.multipart(item: item, filename: "\(item).pdf", bytes: Array("%PDF-1.7 \(item)".utf8))
                    _ = try await client.execute(uri: "/api/v1/dossiers/\(s.id)/documents", method: .post, headers: h, body: body)
                }
                #expect(try await call("/api/v1/dossiers/\(s.id)/transitions", .post, DossierTests.porteur, "{\"to\": \"depose\"}", versioned: true).status == .ok)
                #expect(try await call("/api/v1/dossiers/\(s.id)/payments", .get, DossierTests.porteur).status == .conflict)
                #expect(try await call("/api/v1/dossiers/\(s.id)/transitions", .post, DossierTests.agent, "{\"to\": \"enInstruction\"}", versioned: true).status == .ok)
                _ = try await call("/api/v1/dossiers/\(s.id)/score", .put, DossierTests.agent,
                                   "{\"criteria\": {\"enjeux\": 3, \"equipe\": 2, \"planning\": 2, \"securite\": 2, \"interoperabilite\": 3}}", versioned: true)
                #expect(try await call("/api/v1/dossiers/\(s.id)/transitions", .post, DossierTests.agent, "{\"to\": \"accepte\"}", versioned: true).status == .ok)

                // The schedule: the advance is half, rounded down; it waits for the funding convention.
                var schedule = try json(try await call("/api/v1/dossiers/\(s.id)/payments", .get, DossierTests.porteur))
                #expect(schedule["granted"] == .number("989000"))
                #expect(schedule["instalments"]?[0]?["amount"] == .number("494500") && schedule["instalments"]?[1]?["amount"] == .number("494500"))
                #expect(schedule["instalments"]?[0]?["status"] == .string("aVenir"))
                #expect(schedule["instalments"]?[0]?["conditions"] == .array([.object([("rule", .string("P1")), ("condition", .string("conventionFinancement")),
                    ("met", .bool(false)), ("detail", .string("convention de financement ARS–porteur non enregistrée"))])]))
                // A single OG: no partnership convention asked, and none taken.
                #expect(try await call("/api/v1/dossiers/\(s.id)/conventions", .post, DossierTests.agent,
                                       "{\"kind\": \"partenariat\", \"signedAt\": \"2022-05-02\", \"document\": \"x\"}", versioned: true).status == .unprocessableContent)
                // The signed convention: uploaded by the instructor, then recorded with its date.
                var (h, body) = DossierTests.multipart(item: "conventionFinancement", filename: "convention.pdf", bytes: Array("%PDF-1.7 convention".utf8))
                h[.authorization] = "Bearer \(DossierTests.agent)"
                guard case let .string(document)? = try json(try await client.execute(uri: "/api/v1/dossiers/\(s.id)/documents", method: .post, headers: h, body: body))["id"] else {
                    Issue.record("convention non déposée"); return
                }
                let future = try await call("/api/v1/dossiers/\(s.id)/conventions", .post, DossierTests.agent,
                                            "{\"kind\": \"financement\", \"signedAt\": \"2022-05-03\", \"document\": \"\(document)\"}", versioned: true)
                let futurePath = try json(future)["error"]?["path"]
                #expect(future.status == .unprocessableContent && futurePath == .string("signedAt"))
                #expect(try await call("/api/v1/dossiers/\(s.id)/conventions", .post, DossierTests.porteur,
                                       "{\"kind\": \"financement\", \"signedAt\": \"2022-05-02\", \"document\": \"\(document)\"}", versioned: true).status == .forbidden)
                schedule = try json(try await call("/api/v1/dossiers/\(s.id)/conventions", .post, DossierTests.agent,
                                                   "{\"kind\": \"financement\", \"signedAt\": \"2022-05-02\", \"document\": \"\(document)\"}", versioned: true))
                #expect(schedule["instalments"]?[0]?["status"] == .string("exigible"))
                #expect(schedule["commitmentDate"] == .string("2022-05-02"))
                #expect(schedule["instalments"]?[1]?["deadline"] == .string("2023-11-02"))
                // The advance: the exact amount, proposed once, validated by another instructor.
                let order = "{\"instalment\": \"avance\", \"amount\": %@, \"orderedAt\": \"2022-05-02\", \"reference\": \"MANDAT-2022-0042\"}"
                let short = try await call("/api/v1/dossiers/\(s.id)/payments", .post, DossierTests.agent, String(format: order, "494499.99"), versioned: true)
                #expect(short.status == .unprocessableContent && String(buffer: short.body).contains("494 499,99 € au lieu de 494 500 €"))
                #expect(try await call("/api/v1/dossiers/\(s.id)/payments", .post, DossierTests.porteur, String(format: order, "494500"), versioned: true).status == .forbidden)
                #expect(try await call("/api/v1/dossiers/\(s.id)/payments", .post, DossierTests.agent, String(format: order, "494500")).status == .preconditionRequired)
                #expect(try await call("/api/v1/dossiers/\(s.id)/payments", .post, DossierTests.agent, String(format: order, "494500"), versioned: true).status == .ok)
                #expect(try await call("/api/v1/dossiers/\(s.id)/payments", .post, DossierTests.agent, String(format: order, "494500"), versioned: true).status == .conflict)
                let own = try await call("/api/v1/dossiers/\(s.id)/payments/avance/validation", .post, DossierTests.agent, "{}", versioned: true)
                #expect(own.status == .forbidden && String(buffer: own.body).contains("deux personnes pour payer"))
                schedule = try json(try await call("/api/v1/dossiers/\(s.id)/payments/avance/validation", .post, Self.secondAgent, "{}", versioned: true))
                #expect(schedule["instalments"]?[0]?["status"] == .string("ordonne"))
                #expect(schedule["instalments"]?[0]?["reference"] == .string("MANDAT-2022-0042"))
                #expect(schedule["instalments"]?[0]?["validatedBy"] == .string("second@ars-occitanie.test"))
                // Once paid, the decision is not taken back.
                let reopen = try await call("/api/v1/dossiers/\(s.id)/transitions", .post, DossierTests.agent, "{\"to\": \"enInstruction\", \"message\": \"Recours.\"}", versioned: true)
                #expect(reopen.status == .unprocessableContent && String(buffer: reopen.body).contains("avant tout paiement"))
            }
            // 15 January 2023: the VSR, the measures, the expenses, the solde.
            try await application("2023-01-15").test(.router) { client in
                func call(_ uri: String, _ method: HTTPRequest.Method, _ session: String, _ body: String? = nil, versioned: Bool = false,
                          type: String = "application/json") async throws -> TestResponse {
                    var headers = DossierTests.headers(session, version: versioned ? s.version : nil)
                    headers[.contentType] = type
                    let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                    if let tag = response.headers[.eTag], let v = Int(tag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) { s.version = v }
                    return response
                }
                _ = try await call("/api/v1/dossiers/\(s.id)/payments", .get, DossierTests.porteur)
                // EHPAD 315000018 keeps its DUI on the platform: its rows come from its records, not from a file.
                let dui = DUIRepository(store: store, today: { CalendarDate(iso: "2023-01-15")! })
                let resident = try await dui.createPerson(finessET: "315000018", try JSON.parse("""
                    {"birthName": "DEMO", "firstNames": ["Alix"], "birthDate": "1935-05-05", "sex": "F", "birthPlace": "31555", "identityStatus": "provisoire"}
                    """), by: "soignant@ehpad.test")
                for (kind, body) in [(DUIInput.Kind.stay, "{\"start\": \"2022-06-01\", \"end\": null, \"mode\": \"hebergementPermanent\"}"),
                                     (.note, "{\"date\": \"2022-12-05\", \"category\": \"soin\", \"text\": \"Visite.\"}"),
                                     (.event, "{\"start\": \"2022-12-10\", \"type\": \"atelier\", \"status\": \"realise\"}"),
                                     (.projet, "{\"elaboratedOn\": \"2022-09-01\", \"nextReview\": \"2023-08-31\", \"status\": \"valide\", \"agreedOn\": \"2022-09-01\"}")] {
                    _ = try await dui.addEntry(resident.id, kind, try JSON.parse(body), by: "soignant@ehpad.test")
                }
                #expect(try await call("/api/v1/dossiers/\(s.id)/vsr", .put, DossierTests.porteur, "{\"vsrDate\": \"2022-07-15\"}", versioned: true).status == .ok)
                let bad = try await call("/api/v1/dossiers/\(s.id)/measures", .post, DossierTests.porteur, try Self.measures(bad: true), versioned: true, type: "text/csv")
                #expect(bad.status == .unprocessableContent && String(buffer: bad.body).contains("ligne 3"))
                var schedule = try json(try await call("/api/v1/dossiers/\(s.id)/measures", .post, DossierTests.porteur, try Self.measures(), versioned: true, type: "text/csv"))
                #expect(schedule["measuredEstablishments"] == .number("46"))
                guard case let .array(origins)? = schedule["measures"] else { Issue.record("origines des mesures"); return }
                #expect(origins.filter { $0["origin"] == .string("records") }.map { $0["finessET"] } == [.string("315000018")])
                #expect(origins.filter { $0["origin"] == .string("upload") }.count == 45)
                let solde = schedule["instalments"]?[1]
                #expect(solde?["status"] == .string("aVenir"))
                guard case let .array(conditions)? = solde?["conditions"] else { Issue.record("conditions du solde"); return }
                #expect(conditions.map { $0["condition"] } == ["mss", "dmp", "activeRecords", "withProjet", "withEvent", "avance", "expenses"].map(JSON.string))
                #expect(conditions.filter { $0["met"] == .bool(false) }.map { $0["condition"] } == [.string("expenses")])
                #expect(conditions[0]["detail"] == .string("cible de 70 % atteinte (2022-12)"))
                // Expenses below 80 % of the grant: the machine never accepts them, the instructor does.
                schedule = try json(try await call("/api/v1/dossiers/\(s.id)/expenses", .put, DossierTests.porteur, "{\"amount\": 700000}", versioned: true))
                #expect(schedule["instalments"]?[1]?["conditions"]?[6]?["detail"] == .string("dépenses déclarées : 700 000 € pour 989 000 € accordés, sous 80 % : à accepter explicitement par l'ARS"))
                #expect(try await call("/api/v1/dossiers/\(s.id)/expenses", .put, DossierTests.porteur, "{\"accepted\": true, \"motivation\": \"Moi.\"}", versioned: true).status == .forbidden)
                #expect(try await call("/api/v1/dossiers/\(s.id)/expenses", .put, DossierTests.agent, "{\"accepted\": true}", versioned: true).status == .unprocessableContent)
                schedule = try json(try await call("/api/v1/dossiers/\(s.id)/expenses", .put, DossierTests.agent,
                                                   "{\"accepted\": true, \"motivation\": \"Matériel mutualisé avec un autre projet.\"}", versioned: true))
                #expect(schedule["instalments"]?[1]?["status"] == .string("exigible"))
                // The deadline revised by the ARS: said revised, the former date kept.
                schedule = try json(try await call("/api/v1/dossiers/\(s.id)/deadline", .put, DossierTests.agent,
                                                   "{\"deadline\": \"2024-05-02\", \"motivation\": \"Changement d'éditeur.\"}", versioned: true))
                #expect(schedule["instalments"]?[1]?["deadline"] == .string("2024-05-02") && schedule["instalments"]?[1]?["deadlineRevised"] == .bool(true))
                #expect(schedule["instalments"]?[1]?["deadlineHistory"]?[0]?["previous"] == .string("2023-11-02"))
                // A stale version changes nothing; then the solde by two instructors.
                let stale = try await client.execute(uri: "/api/v1/dossiers/\(s.id)/payments", method: .post, headers: DossierTests.headers(DossierTests.agent, version: s.version - 1),
                                                     body: ByteBuffer(string: "{\"instalment\": \"solde\", \"amount\": 494500, \"orderedAt\": \"2023-01-15\", \"reference\": \"MANDAT-2023-0007\"}"))
                #expect(stale.status == .preconditionFailed)
                #expect(try await call("/api/v1/dossiers/\(s.id)/payments", .post, DossierTests.agent,
                                       "{\"instalment\": \"solde\", \"amount\": 494500, \"orderedAt\": \"2023-01-15\", \"reference\": \"MANDAT-2023-0007\"}", versioned: true).status == .ok)
                schedule = try json(try await call("/api/v1/dossiers/\(s.id)/payments/solde/validation", .post, Self.secondAgent, "{}", versioned: true))
                #expect(schedule["instalments"]?[1]?["status"] == .string("ordonne"))
                // An order validated is never cancelled; a cancellation needs its motivation.
                #expect(try await call("/api/v1/dossiers/\(s.id)/payments/solde/cancellation", .post, DossierTests.agent, "{}", versioned: true).status == .unprocessableContent)
                let cancelled = try await call("/api/v1/dossiers/\(s.id)/payments/solde/cancellation", .post, DossierTests.agent, "{\"motivation\": \"Erreur.\"}", versioned: true)
                #expect(cancelled.status == .conflict && String(buffer: cancelled.body).contains("déjà ordonné"))
                // The envelope of the region: committed and ordered against 4 186 783 €.
                let envelopes = try json(try await call("/api/v1/envelopes?campaign=2022-occitanie", .get, DossierTests.agent))
                #expect(envelopes[0]?["scope"] == .string("76") && envelopes[0]?["envelope"] == .number("4186783"))
                #expect(envelopes[0]?["committed"] == .number("989000") && envelopes[0]?["ordered"] == .number("989000"))
                #expect(envelopes[0]?["remaining"] == .number("3197783") && envelopes[0]?["counts"]?["accepte"] == .number("1"))
                #expect(try await call("/api/v1/envelopes?campaign=2022-occitanie", .get, DossierTests.porteur).status == .forbidden)
            }
            let actions = try await store.sql.raw("SELECT action FROM audit_events WHERE object = \(bind: "dossier:\(s.id)") ORDER BY id").all()
                .map { try $0.decode(column: "action", as: String.self) }
            for action in ["dossier.convention", "paiement.proposition", "paiement.validation", "dossier.vsr", "depenses.declaration", "depenses.acceptation", "echeance.revision"] {
                #expect(actions.contains(action), "\(action) absent du journal")
            }
        }
    }
    /// Files, takes, scores and accepts the example dossier through the API; its id.
    static func accepted(_ client: some TestClientProtocol) async throws -> String {
        func call(_ uri: String, _ method: HTTPRequest.Method, _ session: String, _ body: String? = nil, version: Int? = nil) async throws -> TestResponse {
            try await client.execute(uri: uri, method: method, headers: DossierTests.headers(session, version: version), body: body.map { ByteBuffer(string: $0) })
        }
        guard case let .string(id)? = try json(try await call("/api/v1/dossiers", .post, DossierTests.porteur, "{\"title\": \"Paiements par les pages\", \"project\": \(fromFiness)}"))["id"] else {
            throw TestFailure("dossier non créé")
        }
        for item in ["cadreReponse", "autodiagnosticSI", "planFinancement", "devis"] {
            let (h, body) = DossierTests.multipart(item: item, filename: "\(item).pdf", bytes: Array("%PDF-1.7 \(item)".utf8))
            _ = try await client.execute(uri: "/api/v1/dossiers/\(id)/documents", method: .post, headers: h, body: body)
        }
        _ = try await call("/api/v1/dossiers/\(id)/transitions", .post, DossierTests.porteur, "{\"to\": \"depose\"}", version: 1)
        _ = try await call("/api/v1/dossiers/\(id)/transitions", .post, DossierTests.agent, "{\"to\": \"enInstruction\"}", version: 2)
        _ = try await call("/api/v1/dossiers/\(id)/score", .put, DossierTests.agent, "{\"criteria\": {\"enjeux\": 3, \"equipe\": 2, \"planning\": 2, \"securite\": 2, \"interoperabilite\": 3}}", version: 3)
        let accepted = try await call("/api/v1/dossiers/\(id)/transitions", .post, DossierTests.agent, "{\"to\": \"accepte\"}", version: 4)
        guard accepted.status == .ok else { throw TestFailure("acceptation : \(accepted.status)") }
        return id
    }

    /// The same scenario through the dossier's page: every step a form with the page's version.
    @Test(arguments: TestDatabase.available)
    func throughThePages(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await Self.accounts(store)
            func application(_ today: String) -> some ApplicationProtocol { Self.application(store, today) }
            let s = Progress()
            @Sendable func page(_ client: some TestClientProtocol, _ session: String) async throws -> String {
                text(try await client.execute(uri: "/dossiers/\(s.id)", method: .get, headers: [.cookie: "esms_session=\(session)"]))
            }
            @Sendable func post(_ client: some TestClientProtocol, _ session: String, _ fields: String) async throws -> TestResponse {
                let version = formVersion(try await page(client, session))
                return try await client.execute(uri: "/dossiers/\(s.id)/paiements", method: .post,
                                                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_session=\(session)"],
                                                body: ByteBuffer(string: "version=\(version)&\(fields)&csrf=\(testToken)"))
            }
            @Sendable func upload(_ client: some TestClientProtocol, _ session: String, _ fields: [(String, String)], file: String, filename: String) async throws -> TestResponse {
                let version = formVersion(try await page(client, session))
                var body = ""
                for (name, value) in [("csrf", testToken), ("version", version)] + fields {
                    body += "--b\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
                }
                body += "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n\r\n\(file)\r\n--b--\r\n"
                return try await client.execute(uri: "/dossiers/\(s.id)/paiements/fichier", method: .post,
                                                headers: [.contentType: "multipart/form-data; boundary=b", .cookie: "esms_session=\(session)"], body: ByteBuffer(string: body))
            }
            try await application("2022-05-02").test(.router) { client in
                s.id = try await Self.accepted(client)
                var shown = try await page(client, DossierTests.porteur)
                #expect(shown.contains("<h2 id=\"paiements\">Paiements</h2>") && shown.contains("<a href=\"#paiements\">Paiements</a>"))
                #expect(shown.contains("✗ <strong>Convention de financement (P1) : convention de financement ARS–porteur non enregistrée</strong>"))
                #expect(!shown.contains("Enregistrer la convention") && !shown.contains("Proposer l'ordre"))
                // The instructor records the signed convention (its PDF and date) from the page.
                let recorded = try await upload(client, DossierTests.agent, [("action", "convention"), ("kind", "financement"), ("signedAt", "2022-05-02")],
                                                file: "%PDF-1.7 convention signée", filename: "convention.pdf")
                #expect(recorded.status == .seeOther)
                shown = try await page(client, DossierTests.agent)
                #expect(shown.contains("Convention de financement signée le 02/05/2022, enregistrée par agent@ars-occitanie.test"))
                #expect(shown.contains("convention.pdf</a>") && shown.contains("Proposer l'ordre de paiement : Avance"))
                // The advance: proposed by one, refused to the same, validated by the other.
                #expect(try await post(client, DossierTests.agent, "action=ordre&instalment=avance&amount=494+500&orderedAt=2022-05-02&reference=MANDAT-42").status == .seeOther)
                #expect(!(try await page(client, DossierTests.agent)).contains("Valider l'ordre de paiement"))
                let own = try await post(client, DossierTests.agent, "action=validation&instalment=avance")
                #expect(own.status == .forbidden && text(own).contains("Deux personnes pour payer"))
                #expect(try await page(client, Self.secondAgent).contains("Valider l'ordre de paiement : Avance"))
                #expect(try await post(client, Self.secondAgent, "action=validation&instalment=avance").status == .seeOther)
                #expect(try await page(client, DossierTests.porteur).contains("Ordre MANDAT-42 du 02/05/2022, proposé par agent@ars-occitanie.test, validé par second@ars-occitanie.test"))
            }
            try await application("2023-01-15").test(.router) { client in
                #expect(try await post(client, DossierTests.porteur, "action=vsr&vsrDate=2022-07-15").status == .seeOther)
                let refused = try await upload(client, DossierTests.porteur, [("action", "mesures")], file: try Self.measures(bad: true), filename: "mesures.csv")
                #expect(refused.status == .unprocessableContent && text(refused).contains("ligne 3"))
                #expect(try await upload(client, DossierTests.porteur, [("action", "mesures")], file: try Self.measures(), filename: "mesures.csv").status == .seeOther)
                #expect(try await post(client, DossierTests.porteur, "action=depenses&amount=700+000").status == .seeOther)
                var shown = try await page(client, DossierTests.porteur)
                #expect(shown.contains("✗ <strong>Dépenses (condition 3) (P2) : dépenses déclarées : 700 000 € pour 989 000 € accordés, sous 80 % : à accepter explicitement par l&#39;ARS</strong>"))
                #expect(shown.contains("✓ Taux « MSSanté » (P2) : cible de 70 % atteinte (2022-12)") || shown.contains("✓ Taux"))
                #expect(try await post(client, DossierTests.agent, "action=acceptation&motivation=Mat%C3%A9riel+mutualis%C3%A9.").status == .seeOther)
                // The deadline brought forward by the ARS: the dashboard lists the dossier as close to it.
                #expect(try await post(client, DossierTests.agent, "action=echeance&deadline=2023-02-01&motivation=Calendrier+du+programme.").status == .seeOther)
                #expect(try await page(client, DossierTests.porteur).contains("Échéance des cibles : 01/02/2023 (révisée par l&#39;ARS) (P3)"))
                let agentCookie: HTTPFields = [.cookie: "esms_session=\(DossierTests.agent)"]
                let dashboard = text(try await client.execute(uri: "/tableau-de-bord?campaign=2022-occitanie", method: .get, headers: agentCookie))
                #expect(dashboard.contains("<th scope=\"row\">Occitanie (76)</th>") && dashboard.contains("<td class=\"num\">4 186 783 €</td><td class=\"num\">989 000 €</td><td class=\"num\">494 500 €</td><td class=\"num\">3 197 783 €</td>"))
                #expect(dashboard.contains("<td class=\"num\">46 sur 46</td><td class=\"num\">100,0 %</td>"))
                #expect(dashboard.contains("<td>01/02/2023 (révisée)</td><td>échéance dans moins de trois mois</td>"))
                #expect(dashboard.contains("Occitanie (76) : 989 000 € engagés") && dashboard.contains(">Outre-mer</text>") && dashboard.contains(">Mayotte</text>"))
                let csv = text(try await client.execute(uri: "/tableau-de-bord.csv?campaign=2022-occitanie&table=enveloppes", method: .get, headers: agentCookie))
                #expect(csv.contains("Occitanie (76);0;0;0;1;0;0;4186783,00;989000,00;494500,00;3197783,00"), "\(csv)")
                let xlsx = try await client.execute(uri: "/tableau-de-bord.xlsx?campaign=2022-occitanie", method: .get, headers: agentCookie)
                #expect(try XLSXBook(Array(xlsx.body.readableBytesView)).sheetNames == ["Enveloppes", "Usages", "Retards"])
                #expect(try await client.execute(uri: "/tableau-de-bord", method: .get, headers: [.cookie: "esms_session=\(DossierTests.porteur)"]).status == .forbidden)
                // A national reader: one line per region, and their sum.
                try await store.sql.raw("INSERT INTO dossiers (id, title, porteur, campaign, state, version, instruction, region, granted, created_at, updated_at, updated_by) VALUES ('en-idf', 'Autre région', '750000010', '2022-occitanie', 'accepte', 1, 'ARS', '11', '{\"total\": 100000}', '2022-04-01T00:00:00Z', '2022-04-01T00:00:00Z', 'test')").run()
                let national = text(try await client.execute(uri: "/tableau-de-bord?campaign=2022-occitanie", method: .get, headers: [.cookie: "esms_session=\(Self.reader)"]))
                #expect(national.contains("<th scope=\"row\">Île-de-France (11)</th>") && national.contains("<th scope=\"row\">Total</th><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">2</td>"))
                #expect(national.contains("<td class=\"num\">1 089 000 €</td>"))
                #expect(try await post(client, DossierTests.agent, "action=ordre&instalment=solde&amount=494500&orderedAt=2023-01-15&reference=MANDAT-43").status == .seeOther)
                #expect(try await post(client, Self.secondAgent, "action=validation&instalment=solde").status == .seeOther)
                shown = try await page(client, DossierTests.porteur)
                #expect(shown.components(separatedBy: "<td>Ordonné<br>").count == 3, "\(shown.components(separatedBy: "Paiements</h2>").last?.prefix(1500) ?? "")")
            }
        }
    }
}

/// A step of a scenario that could not be taken: the test stops there, saying which.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
