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

/// `dui.md` through the API, on both databases: a person's identity checked (the NIR key, the RNIV
/// rule), entries refused with their field, the record read and traced, and the measures computed
/// from the records — counts for the establishment's professional, nothing for anyone else.
@Suite("DUI : personnes, dossiers et mesures")
struct DUIAPITests {
    static let professional = "esmss_" + String(repeating: "e1", count: 32)
    static let otherRegion = "esmss_" + String(repeating: "e2", count: 32)

    @Test(arguments: TestDatabase.available)
    func recordsMakeTheMeasures(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await DemoRegistry.importIfEmpty(into: store)
            try await DossierTests.open(store, "soignant@ehpad.test", "professionnel:315000018", session: Self.professional)
            try await DossierTests.open(store, "agent@ars-idf.test", "instructeur:11", session: Self.otherRegion)
            try await DossierTests.open(store, "porteur@d.test", "porteur:310100011", session: DossierTests.porteur)
            var logger = Logger(label: "esms.test")
            logger.logLevel = TestLogging.level
            let outbox = FileManager.default.temporaryDirectory.appendingPathComponent("esms-dmp-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: outbox, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: outbox) }
            let app = buildApplication(site: Site(store: store, today: CalendarDate(iso: "2025-03-31"), dmpOutbox: outbox), configuration: ServerConfiguration(database: store.location), logger: logger)
            try await app.test(.router) { client in
                func call(_ uri: String, _ method: HTTPRequest.Method, _ body: String? = nil, as session: String = Self.professional, version: Int? = nil) async throws -> TestResponse {
                    try await client.execute(uri: uri, method: method, headers: DossierTests.headers(session, version: version), body: body.map { ByteBuffer(string: $0) })
                }
                func path(_ response: TestResponse) throws -> JSON? { try json(response)["error"]?["path"] }
                let identity = "\"birthName\": \"DUPONT\", \"firstNames\": [\"Jeanne\", \"Marie\"], \"birthDate\": \"1938-04-12\", \"sex\": \"F\", \"birthPlace\": \"31555\""
                // The RNIV rule: qualifiee needs the INS and a high-trust document; the NIR's key is checked.
                let unqualified = try await call("/api/v1/essms/315000018/persons", .post, "{\(identity), \"identityStatus\": \"qualifiee\", \"identityDocument\": {\"type\": \"livretFamille\", \"checkedOn\": \"2025-01-10\"}}")
                let unqualifiedPath = try path(unqualified)
                #expect(unqualified.status == .unprocessableContent && unqualifiedPath == .string("identityStatus"))
                let badKey = try await call("/api/v1/essms/315000018/persons", .post, "{\(identity), \"ins\": {\"nir\": \"238043155500190\", \"oid\": \"1.2.250.1.213.1.4.8\"}, \"identityStatus\": \"recuperee\"}")
                let badKeyPath = try path(badKey)
                #expect(badKey.status == .unprocessableContent && badKeyPath == .string("ins.nir"))
                let nir = "2380431555001" + String(format: "%02d", 97 - Int(2380431555001 % 97))
                let created = try await call("/api/v1/essms/315000018/persons", .post,
                                             "{\(identity), \"ins\": {\"nir\": \"\(nir)\", \"oid\": \"1.2.250.1.213.1.4.8\"}, \"identityStatus\": \"qualifiee\", \"identityDocument\": {\"type\": \"CNI\", \"checkedOn\": \"2025-01-10\"}}")
                #expect(created.status == .created)
                guard case let .string(id)? = try json(created)["id"] else { Issue.record("personne non créée"); return }
                // Entries, each refused with its field when wrong.
                let backwards = try await call("/api/v1/persons/\(id)/stays", .post, "{\"start\": \"2025-01-15\", \"end\": \"2025-01-10\", \"mode\": \"hebergementPermanent\"}")
                let backwardsPath = try path(backwards)
                #expect(backwards.status == .unprocessableContent && backwardsPath == .string("end"))
                let lateReview = try await call("/api/v1/persons/\(id)/projets", .post, "{\"elaboratedOn\": \"2025-02-01\", \"nextReview\": \"2026-03-01\", \"status\": \"enCours\"}")
                let lateReviewPath = try path(lateReview)
                #expect(lateReview.status == .unprocessableContent && lateReviewPath == .string("nextReview"))
                let future = try await call("/api/v1/persons/\(id)/notes", .post, "{\"date\": \"2025-04-01\", \"category\": \"soin\", \"text\": \"Demain.\"}")
                let futurePath = try path(future)
                #expect(future.status == .unprocessableContent && futurePath == .string("date"))
                for (segment, body) in [("stays", "{\"start\": \"2025-01-15\", \"end\": null, \"mode\": \"hebergementPermanent\"}"),
                                        ("notes", "{\"date\": \"2025-02-03\", \"category\": \"transmission\", \"text\": \"Bonne nuit.\"}"),
                                        ("events", "{\"start\": \"2025-02-10T14:00\", \"type\": \"atelier mémoire\", \"status\": \"prevu\"}"),
                                        ("events", "{\"start\": \"2025-03-12\", \"type\": \"sortie\", \"status\": \"annule\"}"),
                                        ("projets", "{\"elaboratedOn\": \"2025-02-01\", \"nextReview\": \"2026-01-31\", \"status\": \"valide\", \"agreedOn\": \"2025-02-01\", \"needs\": [\"mobilité\"], \"objectives\": [{\"label\": \"Marcher chaque jour\", \"status\": \"enCours\", \"due\": \"2025-06-30\"}]}"),
                                        ("contacts", "{\"kind\": \"personneDeConfiance\", \"name\": \"Paul Dupont\", \"phone\": \"0600000000\"}"),
                                        ("documents", "{\"type\": \"dlu\", \"title\": \"DLU\", \"date\": \"2025-02-20\", \"content\": \"\(Data("%PDF-1.7 dlu".utf8).base64EncodedString())\"}")] {
                    #expect(try await call("/api/v1/persons/\(id)/\(segment)", .post, body).status == .created, "\(segment)")
                }
                // The record, read and traced with the person's id.
                let record = try json(try await call("/api/v1/persons/\(id)", .get))
                #expect(record["ins"]?["nir"] == .string(nir) && record["identityStatus"] == .string("qualifiee"))
                #expect(record["events"]?[1]?["status"] == .string("annule") && record["documents"]?[0]?["size"] == .number("12"))
                let traced = try await store.sql.raw("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'dui.personne.lecture' AND object = \(bind: "personne:\(id)")").first()
                #expect(try traced?.decode(column: "n", as: Int.self) == 1)
                // A stale identity changes nothing.
                #expect(try await call("/api/v1/persons/\(id)", .put, "{\(identity), \"identityStatus\": \"validee\"}", version: 7).status == .preconditionFailed)
                #expect(try await call("/api/v1/persons/\(id)", .put, "{\(identity), \"usedName\": \"MARTIN\", \"identityStatus\": \"validee\"}", version: 1).status == .ok)
                // The measures of dui.md: January present only; February active with its PP and its event;
                // March present, its only entry a cancelled event.
                let measures = try json(try await call("/api/v1/essms/315000018/measures?from=2025-01&to=2025-03", .get))
                guard case let .array(rows) = measures else { Issue.record("mesures"); return }
                #expect(rows.map { $0["persons"] } == [.number("1"), .number("1"), .number("1")])
                #expect(rows.map { $0["activeRecords"] } == [.number("0"), .number("1"), .number("0")])
                #expect(rows.map { $0["activeWithProjet"] } == [.number("0"), .number("1"), .number("0")])
                #expect(rows.map { $0["activeWithEvent"] } == [.number("0"), .number("1"), .number("0")])
                // The waiting list: a request moves along its statuses only, a refusal needs its reason.
                let request = try await call("/api/v1/essms/315000018/admissions", .post, "{\"person\": \"\(id)\", \"receivedOn\": \"2024-12-01\", \"origin\": \"MDPH 31-2024-0042\", \"status\": \"recue\"}")
                #expect(request.status == .created)
                guard case let .string(admission)? = try json(request)["id"] else { Issue.record("demande"); return }
                let strangerRequest = try await call("/api/v1/essms/315000018/admissions", .post, "{\"person\": \"inconnue\", \"receivedOn\": \"2024-12-01\", \"status\": \"recue\"}")
                let strangerPath = try path(strangerRequest)
                #expect(strangerRequest.status == .unprocessableContent && strangerPath == .string("person"))
                let jump = try await call("/api/v1/admissions/\(admission)", .put, "{\"person\": \"\(id)\", \"receivedOn\": \"2024-12-01\", \"status\": \"admise\"}", version: 1)
                #expect(jump.status == .unprocessableContent && String(buffer: jump.body).contains("« recue » → « admise » impossible ; depuis « recue » : enEtude, annulee"))
                let noReason = try await call("/api/v1/admissions/\(admission)", .put, "{\"person\": \"\(id)\", \"receivedOn\": \"2024-12-01\", \"status\": \"refusee\"}", version: 1)
                let noReasonPath = try path(noReason)
                #expect(noReason.status == .unprocessableContent && noReasonPath == .string("reason"))
                #expect(try await call("/api/v1/admissions/\(admission)", .put, "{\"person\": \"\(id)\", \"receivedOn\": \"2024-12-01\", \"status\": \"enEtude\"}", version: 1).status == .ok)
                #expect(try await call("/api/v1/admissions/\(admission)", .put, "{\"person\": \"\(id)\", \"receivedOn\": \"2024-12-01\", \"status\": \"acceptee\"}", version: 1).status == .preconditionFailed)
                let waiting = try json(try await call("/api/v1/essms/315000018/admissions", .get))
                #expect(waiting[0]?["status"] == .string("enEtude") && waiting[0]?["waiting"] == .bool(true) && waiting[0]?["version"] == .number("2"))
                // The DMP: only for a qualified identity; the CDA and its metadata in the outbox, the
                // submission counted in March's dmpFedPersons.
                guard case let .string(document)? = record["documents"]?[0]?["id"] else { Issue.record("document"); return }
                let unqualifiedDMP = try await call("/api/v1/documents/\(document)/dmp", .post, "{}")
                let unqualifiedDMPPath = try path(unqualifiedDMP)
                #expect(unqualifiedDMP.status == .unprocessableContent && unqualifiedDMPPath == .string("identityStatus"))
                #expect(try await call("/api/v1/persons/\(id)", .put, "{\(identity), \"ins\": {\"nir\": \"\(nir)\", \"oid\": \"1.2.250.1.213.1.4.8\"}, \"identityStatus\": \"qualifiee\", \"identityDocument\": {\"type\": \"passeport\", \"checkedOn\": \"2025-03-01\"}}", version: 2).status == .ok)
                let submitted = try await call("/api/v1/documents/\(document)/dmp", .post, "{}")
                let outcome = try json(submitted)["outcome"]
                #expect(submitted.status == .created && outcome == .string("ok"))
                let files = try FileManager.default.contentsOfDirectory(atPath: outbox).sorted()
                #expect(files == ["dmp-\(document)-2025-03-31.json", "dmp-\(document)-2025-03-31.xml"])
                let cda = try String(contentsOfFile: "\(outbox)/dmp-\(document)-2025-03-31.xml", encoding: .utf8)
                #expect(cda.contains("<id root=\"1.2.250.1.213.1.4.8\" extension=\"\(nir)\"/>") && cda.contains("<family qualifier=\"BR\">DUPONT</family><given>Jeanne</given><given>Marie</given>"))
                #expect(cda.contains("representation=\"B64\">\(Data("%PDF-1.7 dlu".utf8).base64EncodedString())</text>") && cda.contains("extension=\"1315000018\""))
                let fed = try json(try await call("/api/v1/essms/315000018/measures?from=2025-03&to=2025-03", .get))
                #expect(fed[0]?["persons"] == .number("1") && fed[0]?["dmpFedPersons"] == .number("1"))
                // A stay closed by replacing it: March no longer counts the person.
                guard case let .string(stay)? = record["stays"]?[0]?["id"] else { Issue.record("séjour"); return }
                #expect(try await call("/api/v1/stays/\(stay)", .put, "{\"start\": \"2025-01-15\", \"end\": \"2025-02-28\", \"mode\": \"hebergementPermanent\"}", version: 1).status == .ok)
                let closed = try json(try await call("/api/v1/essms/315000018/measures?from=2025-02&to=2025-03", .get))
                #expect(closed[0]?["persons"] == .number("1") && closed[1]?["persons"] == .number("0"))
                // Nobody else sees a person; another region's instructor not even the counts.
                #expect(try await call("/api/v1/persons/\(id)", .get, as: DossierTests.porteur).status == .forbidden)
                #expect(try await call("/api/v1/essms/315000018/measures", .get, as: Self.otherRegion).status == .notFound)
                #expect(try await call("/api/v1/essms/315000026/persons", .get).status == .notFound)
            }
        }
    }
}

/// #13: the demo DUI — a year of fictitious records whose measures move month by month and read
/// as `usage.md` rows; created once.
@Suite("DUI de démonstration")
struct DemoDUITests {
    @Test(arguments: TestDatabase.available)
    func aYearOfRecordsMakesMovingIndicators(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            let today = CalendarDate(iso: "2026-11-25")!
            #expect(try await DemoDUI.createIfEmpty(in: store, today: today) == 43)
            #expect(try await DemoDUI.createIfEmpty(in: store, today: today) == 0)
            let rows = try await DUIRepository(store: store, today: { today }).measures(finessET: DemoDUI.establishment, from: YearMonth(iso: "2025-12")!, to: YearMonth(iso: "2026-11")!)
            #expect(rows.count == 12)
            #expect((try? MonthlyMeasure.checkPlausible(rows)) != nil)
            #expect(rows.allSatisfy { $0.persons >= 28 && $0.persons <= 40 })
            // More records are active at the end of the year than at its start, and some PP are in force.
            #expect(rows[11].activeRecords > rows[0].activeRecords && rows[11].activeWithProjet > 0)
            #expect(rows.reduce(0) { $0 + $1.mssMessagesSent } == 20)
            // The monthly activity kept by each entry added is what a rebuild from the entries gives.
            let records = DUIRepository(store: store, today: { today })
            try await records.rebuildActivity(finessET: DemoDUI.establishment)
            #expect(try await records.measures(finessET: DemoDUI.establishment, from: YearMonth(iso: "2025-12")!, to: YearMonth(iso: "2026-11")!) == rows)
        }
    }
}
