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

/// `dui.md` through the pages, on the demo DUI (40 fictitious persons of 315000018): the persons
/// with search and the waiting list, a person's tabs, the agenda of a week and a month, the
/// indicators with their definitions and CSV; each reading audited; 404 for anyone else.
@Suite("DUI : les pages du professionnel")
struct DUIPagesTests {
    static let director = "esmss_" + String(repeating: "d3", count: 32)

    @Test(arguments: TestDatabase.available)
    func aProfessionalReadsTheRecords(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await DemoRegistry.importIfEmpty(into: store)
            let today = CalendarDate(iso: "2026-11-25")!
            #expect(try await DemoDUI.createIfEmpty(in: store, today: today) == 43)
            try await DossierTests.open(store, "soignant@ehpad.test", "professionnel:315000018", session: DUIAPITests.professional)
            try await DossierTests.open(store, "direction@og.test", "direction:310100011", session: Self.director)
            try await DossierTests.open(store, "porteur@d.test", "porteur:310100011", session: DossierTests.porteur)
            var logger = Logger(label: "esms.test")
            logger.logLevel = TestLogging.level
            let app = buildApplication(site: Site(store: store, today: today), configuration: ServerConfiguration(database: store.location), logger: logger)
            try await app.test(.router) { client in
                func page(_ uri: String, as session: String = DUIAPITests.professional) async throws -> (status: HTTPResponse.Status, html: String) {
                    let response = try await client.execute(uri: uri, method: .get, headers: [.cookie: "esms_session=\(session)"])
                    return (response.status, text(response))
                }
                // The home page names the establishment kept, for the professional and the OG's direction.
                let home = try await page("/")
                #expect(home.html.contains("/etablissements/315000018/personnes"))
                #expect(try await page("/", as: Self.director).html.contains("/etablissements/315000018/agenda"))
                // The persons, searched without accents or case, and the waiting list.
                let persons = try await page("/etablissements/315000018/personnes")
                #expect(persons.status == .ok && persons.html.contains("Personnes de l&#39;établissement (43)"))
                #expect(persons.html.contains("<h2 id=\"attente\">Liste d'attente</h2>") && persons.html.contains("<td>à l&#39;étude</td>"))
                #expect(persons.html.components(separatedBy: "demande ViaTrajectoire fictive").count - 1 == 3)
                let people = try await DUIRepository(store: store, today: { today }).persons(finessET: "315000018", by: "test")
                // One of the forty accompanied (each has a liaison letter), not one of the three waiting.
                let withDocument = Set(try await store.sql.raw("SELECT person FROM dui_entries WHERE kind = 'document'").all().map { try $0.decode(column: "person", as: String.self) })
                let first = try #require(people.first { withDocument.contains($0.person.id) })
                guard case let .string(birthName)? = first.person.identity["birthName"] else { Issue.record("nom"); return }
                let query = birthName.lowercased().replacingOccurrences(of: " ", with: "+")
                let found = try await page("/etablissements/315000018/personnes?q=\(query)")
                #expect(found.html.contains("Personnes trouvées pour") && found.html.contains("/personnes/\(first.person.id)"))
                let none = try await page("/etablissements/315000018/personnes?q=zzzz")
                #expect(none.html.contains(": 0 sur 43") && none.html.contains("Aucune personne ne correspond"))
                // A person's record, tab by tab; each reading an audit event naming the person.
                let before = try await store.sql.raw("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'dui.personne.lecture' AND object = \(bind: "personne:\(first.person.id)")").first()?.decode(column: "n", as: Int.self) ?? 0
                for (tab, heading) in [("identite", "Statut de l&#39;identité (RNIV)"), ("contacts", "Contacts"), ("sejours", "Séjours"), ("projet", "Projet personnalisé"),
                                       ("agenda", "Agenda"), ("notes", "Notes"), ("documents", "Documents")] {
                    let record = try await page("/personnes/\(first.person.id)?onglet=\(tab)")
                    #expect(record.status == .ok, "\(tab)")
                    #expect(record.html.contains("aria-current=\"page\">\(heading.contains("RNIV") ? "Identité" : heading)</a>"), "\(tab)")
                }
                let after = try await store.sql.raw("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'dui.personne.lecture' AND object = \(bind: "personne:\(first.person.id)")").first()?.decode(column: "n", as: Int.self) ?? 0
                #expect(after - before == 7)
                // The agenda: the week of today (Monday 23 to Sunday 29 November 2026), every day shown; the month.
                let week = try await page("/etablissements/315000018/agenda")
                #expect(week.html.contains("Semaine du 23 novembre au 29 novembre 2026") && week.html.contains("mercredi 25 novembre (aujourd'hui)"))
                #expect(week.html.components(separatedBy: "class=\"agenda-day").count - 1 == 7)
                let month = try await page("/etablissements/315000018/agenda?vue=mois&date=2026-10-10")
                #expect(month.html.contains("Agenda — Octobre 2026") && month.html.contains("événement"))
                let agendaRead = try await store.sql.raw("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'dui.agenda.lecture'").first()?.decode(column: "n", as: Int.self)
                #expect(agendaRead == 2)
                // The indicators: twelve months, the definitions (U2), the rates against the targets; the CSV of usage.md.
                let indicators = try await page("/etablissements/315000018/indicateurs")
                #expect(indicators.html.contains("Définitions") && indicators.html.contains("activeWithProjet") && indicators.html.contains("Taux de l&#39;établissement par mois"))
                #expect(indicators.html.components(separatedBy: "<th scope=\"row\">2026-").count - 1 == 2 * 11)
                // Its targets: the national grid's while no dossier holds the establishment, then its dossier's campaign's.
                #expect(indicators.html.contains("Cibles de la grille nationale (aucun dossier déposé ne porte cet établissement), campagne 2022 ("))
                #expect(indicators.html.contains("MSSanté 70 %, DMP 70 %, usages du DUI 90 %") && indicators.html.contains("MSSanté (cible 70 %)"))
                try await store.sql.raw("INSERT INTO dossiers (id, title, porteur, campaign, state, version, instruction, region, granted, created_at, updated_at, updated_by) VALUES ('dui-tenu', 'Grappe DUI', '310100011', '2022-occitanie', 'accepte', 1, 'ARS', '76', '{\"total\": 100000}', '2022-04-01T00:00:00Z', '2022-04-01T00:00:00Z', 'test')").run()
                try await store.sql.raw("INSERT INTO dossier_establishments (dossier, finess_et) VALUES ('dui-tenu', '315000018')").run()
                let held = try await page("/etablissements/315000018/indicateurs")
                #expect(held.html.contains("Cibles du dossier « Grappe DUI » (dui-tenu), campagne 2022-occitanie ("))
                let csv = try await page("/etablissements/315000018/indicateurs?de=2026-01&a=2026-03&format=csv")
                #expect(csv.html.hasPrefix("finessET;month;persons;activeRecords;activeWithProjet;activeWithEvent;mssMessagesSent;dmpFedPersons\n315000018;2026-01;"))
                #expect(csv.html.split(separator: "\n").count == 4)
                // A note added from the notes tab; a blank one refused, its field named, what was typed kept.
                let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_session=\(DUIAPITests.professional)"]
                let added = try await client.execute(uri: "/personnes/\(first.person.id)/notes", method: .post, headers: form,
                                                     body: ByteBuffer(string: "date=2026-11-25&category=soin&text=Pansement+refait.&csrf=\(testToken)"))
                #expect(added.status == .seeOther && added.headers[.location] == "/personnes/\(first.person.id)?onglet=notes&fait=note")
                let notes = try await page("/personnes/\(first.person.id)?onglet=notes&fait=note")
                #expect(notes.html.contains("role=\"status\">Note ajoutée.</p>") && notes.html.contains("<td>Pansement refait.</td>"))
                let blank = try await client.execute(uri: "/personnes/\(first.person.id)/notes", method: .post, headers: form,
                                                     body: ByteBuffer(string: "date=2026-11-27&category=soin&text=Demain&csrf=\(testToken)"))
                #expect(blank.status == .unprocessableContent && text(blank).contains("role=\"alert\">Date : ") && text(blank).contains(">Demain</textarea>"))
                // Sending by MSSanté from the documents tab: without a configured server, said, nothing sent.
                let documentID = try #require(try await store.sql.raw("SELECT id FROM dui_entries WHERE person = \(bind: first.person.id) AND kind = 'document'").first()?.decode(column: "id", as: String.self))
                let unsent = try await client.execute(uri: "/personnes/\(first.person.id)/mssante", method: .post, headers: form,
                                                      body: ByteBuffer(string: "document=\(documentID)&recipient=dr.martin%40chu-test.mssante.fr&csrf=\(testToken)"))
                #expect(unsent.status == .serviceUnavailable && text(unsent).contains("Messagerie MSSanté non configurée"))
                let wrong = try await client.execute(uri: "/personnes/\(first.person.id)/mssante", method: .post, headers: form,
                                                     body: ByteBuffer(string: "document=\(documentID)&recipient=dr.martin%40gmail.com&csrf=\(testToken)"))
                #expect(wrong.status == .unprocessableContent && text(wrong).contains("role=\"alert\">Adresse MSSanté du destinataire attendue (…@…mssante.fr) ; rien n&#39;a été envoyé."))
                // Submitting to the DMP from the page: without a connector, said, nothing written.
                let undelivered = try await client.execute(uri: "/personnes/\(first.person.id)/dmp", method: .post, headers: form,
                                                           body: ByteBuffer(string: "document=\(documentID)&csrf=\(testToken)"))
                #expect(undelivered.status == .serviceUnavailable && text(undelivered).contains("role=\"alert\">Connecteur DMP non configuré"))
                let documents = try await page("/personnes/\(first.person.id)?onglet=documents")
                #expect(documents.html.contains(">Envoyer par MSSanté</button>") && documents.html.contains(">Verser au DMP</button>"))
                // Nobody else: a porteur is refused by the matrix, another establishment answers 404.
                #expect(try await page("/personnes/\(first.person.id)", as: DossierTests.porteur).status == .forbidden)
                #expect(try await page("/etablissements/315000026/personnes").status == .notFound)
                #expect(try await page("/personnes/inconnue").status == .notFound)
            }
        }
    }
}
