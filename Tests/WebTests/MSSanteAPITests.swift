import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Mail
import Rules
import SQLKit
import Store
import Testing
import TestSupport
import Web

/// `dui.md` « MSSanté and the DMP »: a document sent through the API reaches a real SMTP server on
/// loopback (STARTTLS, client certificate) with its PDF; a passing failure waits in the queue and
/// leaves at its retry; a refusal is recorded, not retried; only successes count in the measures.
@Suite("MSSanté : envoi d'un document par l'API, file et reprises", .serialized)
struct MSSanteAPITests {
    @Test(arguments: TestDatabase.available)
    func aDocumentReachesTheServer(_ db: TestDatabase) async throws {
        let sink = try SMTPSink(failData: 1, reject: "inconnu")
        defer { sink.stop() }
        try await db.withStore { store in
            try await DemoRegistry.importIfEmpty(into: store)
            try await DossierTests.open(store, "soignant@ehpad.test", "professionnel:315000018", session: DUIAPITests.professional)
            var logger = Logger(label: "esms.test")
            logger.logLevel = TestLogging.level
            let settings = MSSanteSettings(endpoint: SMTPEndpoint(host: "127.0.0.1", port: sink.port, security: .startTLS),
                                           tls: SMTPTLS(trustRoots: sink.ca, certificate: sink.clientCertificate, key: sink.clientKey))
            let site = Site(store: store, today: CalendarDate(iso: "2025-03-31"), mssante: settings)
            let app = buildApplication(site: site, configuration: ServerConfiguration(database: store.location), logger: logger)
            try await app.test(.router) { client in
                func call(_ uri: String, _ method: HTTPRequest.Method, _ body: String? = nil) async throws -> TestResponse {
                    try await client.execute(uri: uri, method: method, headers: DossierTests.headers(DUIAPITests.professional), body: body.map { ByteBuffer(string: $0) })
                }
                let nir = "2380431555001" + String(format: "%02d", 97 - Int(2380431555001 % 97))
                let created = try json(try await call("/api/v1/essms/315000018/persons", .post,
                    "{\"birthName\": \"DUPONT\", \"firstNames\": [\"Jeanne\"], \"birthDate\": \"1938-04-12\", \"sex\": \"F\", \"birthPlace\": \"31555\", \"ins\": {\"nir\": \"\(nir)\", \"oid\": \"1.2.250.1.213.1.4.8\"}, \"identityStatus\": \"qualifiee\", \"identityDocument\": {\"type\": \"CNI\", \"checkedOn\": \"2025-01-10\"}}"))
                guard case let .string(person)? = created["id"] else { Issue.record("personne non créée"); return }
                _ = try await call("/api/v1/persons/\(person)/stays", .post, "{\"start\": \"2025-01-15\", \"end\": null, \"mode\": \"hebergementPermanent\"}")
                let pdf = Array("%PDF-1.7 lettre de liaison\n".utf8)
                let document = try json(try await call("/api/v1/persons/\(person)/documents", .post,
                    "{\"type\": \"lettreLiaison\", \"title\": \"Lettre de liaison\", \"date\": \"2025-03-30\", \"content\": \"\(Data(pdf).base64EncodedString())\"}"))
                guard case let .string(documentID)? = document["id"] else { Issue.record("document non créé"); return }
                let uri = "/api/v1/documents/\(documentID)/mssante"
                // A recipient outside the MSSanté space is refused with its field.
                let outside = try await call(uri, .post, "{\"recipient\": \"dr.martin@gmail.com\"}")
                let outsidePath = try json(outside)["error"]?["path"]
                #expect(outside.status == .unprocessableContent && outsidePath == .string("recipient"))
                // The server answers 451 to the first message: queued, its next attempt set, nothing received.
                let first = try await call(uri, .post, "{\"recipient\": \"dr.martin@chu-test.mssante.fr\"}")
                let queued = try json(first)
                #expect(first.status == .accepted && queued["outcome"] == .string("enAttente") && queued["attempts"] == .number("1"))
                #expect(queued["detail"].map { "\($0)".contains("451") } == true)
                #expect(try sink.received().isEmpty)
                // Not due yet; due after the first delay (one minute): sent.
                let sender = try #require(site.mssanteSender)
                #expect(try await sender.retryDue(now: Date()) == 0)
                #expect(try await sender.retryDue(now: Date().addingTimeInterval(61)) == 1)
                let received = try sink.received()
                #expect(received.count == 1)
                let message = received.first?.message ?? ""
                #expect(message.contains("Subject: [INS \(nir)^^^&1.2.250.1.213.1.4.8&ISO] Lettre de liaison"))
                #expect(message.contains("From: <\(MSSanteSettings.defaultFrom)>") && message.contains(Data(pdf).base64EncodedString()))
                #expect(received.first?.envelope["clientCertificate"]?["commonName"] == .string("esms-mssante-test"))
                // A recipient the server refuses (550): recorded as a failure, not retried.
                let refused = try await call(uri, .post, "{\"recipient\": \"inconnu@chu-test.mssante.fr\"}")
                let refusal = try json(refused)
                #expect(refused.status == .created && refusal["outcome"] == .string("echec") && refusal["nextAttempt"] == .null)
                #expect(try await sender.retryDue(now: Date().addingTimeInterval(86_400 * 2)) == 0)
                // The record shows each sending of the document; the measures count the success only.
                let record = try json(try await call("/api/v1/persons/\(person)", .get))
                guard case let .array(sendings)? = record["documents"]?[0]?["sendings"] else { Issue.record("envois"); return }
                #expect(sendings.map { $0["outcome"] } == [.string("ok"), .string("echec")])
                #expect(sendings[0]["attempts"] == .number("2") && sendings[0]["day"] == .string("2025-03-31"))
                let measures = try json(try await call("/api/v1/essms/315000018/measures?from=2025-03&to=2025-03", .get))
                #expect(measures[0]?["mssMessagesSent"] == .number("1"))
                let audited = try await store.sql.raw("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'dui.document.mssante' AND object = \(bind: "personne:\(person)")").first()
                #expect(try audited?.decode(column: "n", as: Int.self) == 5)
                // Only the direction sets the establishment's address.
                #expect(try await call("/api/v1/essms/315000018/mssante", .put, "{\"address\": \"ehpad@x.mssante.fr\"}").status == .forbidden)
            }
        }
    }
}
