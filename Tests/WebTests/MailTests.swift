import Foundation
@testable import Mail
import Rules
import Testing

@Suite("MSSanté : client SMTP contre un vrai serveur sur la boucle locale", .serialized)
struct MailTests {
    static let pdf = Array("%PDF-1.4\n% document de test\n.ligne commençant par un point\n%%EOF\n".utf8)

    static func message(to recipient: String = "dr.martin@chu-test.mssante.fr") -> MailMessage {
        MailMessage(id: "essai-1", from: "ehpad@esms.mssante.fr", to: recipient, subject: "Lettre de liaison — Mme Dupont",
                    body: "Bonjour,\nVeuillez trouver la lettre de liaison en pièce jointe.\n",
                    attachments: [.init(filename: "lettre.pdf", contentType: "application/pdf", data: pdf)])
    }

    @Test("STARTTLS puis certificat client : le serveur reçoit le message et son PDF intact")
    func startTLSWithClientCertificate() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let client = SMTPClient(endpoint: SMTPEndpoint(host: "127.0.0.1", port: sink.port, security: .startTLS),
                                tls: SMTPTLS(trustRoots: sink.ca, certificate: sink.clientCertificate, key: sink.clientKey))
        let reply = try await client.send(Self.message())
        #expect(reply.code == 250)
        let received = try sink.received()
        #expect(received.count == 1)
        let envelope = received[0].envelope
        #expect(envelope["from"] == .string("ehpad@esms.mssante.fr"))
        #expect(envelope["to"] == .array([.string("dr.martin@chu-test.mssante.fr")]))
        #expect(envelope["tls"] == .bool(true))
        #expect(envelope["clientCertificate"]?["commonName"] == .string("esms-mssante-test"))
        let text = received[0].message
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(text.contains("Content-Disposition: attachment; filename=\"lettre.pdf\""))
        // The attachment decoded from the message as received is the PDF, byte for byte.
        let part = try #require(text.components(separatedBy: "filename=\"lettre.pdf\"").last)
        let base64 = part.components(separatedBy: "\r\n\r\n")[1].components(separatedBy: "\r\n--")[0].replacingOccurrences(of: "\r\n", with: "")
        #expect(Data(base64Encoded: base64).map(Array.init) == Self.pdf)
    }

    @Test("Sans certificat client, le serveur qui l'exige refuse : une erreur, pas un envoi")
    func withoutClientCertificate() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let client = SMTPClient(endpoint: SMTPEndpoint(host: "127.0.0.1", port: sink.port, security: .startTLS), tls: SMTPTLS(trustRoots: sink.ca))
        await #expect(throws: SMTPError.self) { try await client.send(Self.message()) }
        #expect(try sink.received().isEmpty)
    }

    @Test("Un destinataire refusé (550) est un échec définitif ; 451 un échec à réessayer ; un port fermé aussi")
    func failures() async throws {
        let sink = try SMTPSink(failData: 1, reject: "inconnu")
        defer { sink.stop() }
        let client = SMTPClient(endpoint: SMTPEndpoint(host: "127.0.0.1", port: sink.port, security: .startTLS),
                                tls: SMTPTLS(trustRoots: sink.ca, certificate: sink.clientCertificate, key: sink.clientKey))
        do {
            _ = try await client.send(Self.message(to: "inconnu@chu-test.mssante.fr"))
            Issue.record("un destinataire refusé doit échouer")
        } catch let error as SMTPError {
            #expect(error.isPermanent)
            #expect(error.description.contains("550"))
        }
        do {
            _ = try await client.send(Self.message())
            Issue.record("le premier message doit recevoir 451")
        } catch let error as SMTPError {
            #expect(!error.isPermanent)
            #expect(error.description.contains("451"))
        }
        let reply = try await client.send(Self.message())
        #expect(reply.code == 250)
        #expect(try sink.received().count == 1)
        let closed = SMTPClient(endpoint: SMTPEndpoint(host: "127.0.0.1", port: 9, security: .startTLS))
        do {
            _ = try await closed.send(Self.message())
            Issue.record("un port fermé doit échouer")
        } catch let error as SMTPError {
            #expect(!error.isPermanent)
        }
    }

    @Test("Adresses, URL du serveur, bourrage des points, objet encodé")
    func pieces() {
        #expect(SMTPEndpoint(url: "smtp://mail.example.mssante.fr:587") == SMTPEndpoint(host: "mail.example.mssante.fr", port: 587, security: .startTLS))
        #expect(SMTPEndpoint(url: "smtps://127.0.0.1") == SMTPEndpoint(host: "127.0.0.1", port: 465, security: .implicitTLS))
        #expect(SMTPEndpoint(url: "http://x") == nil)
        #expect(SMTPEndpoint(url: "smtp://x:99999") == nil)
        #expect(MailMessage.isAddress("a.b@c.mssante.fr"))
        #expect(!MailMessage.isAddress("a b@c.fr"))
        #expect(!MailMessage.isAddress("a@b@c.fr"))
        #expect(!MailMessage.isAddress("a@localhost"))
        #expect(MailMessage.dotStuffed("a\r\n.b\r\n..c") == "a\r\n..b\r\n...c")
        #expect(MailMessage.encodedWord("ASCII seulement") == "ASCII seulement")
        #expect(MailMessage.encodedWord("é") == "=?UTF-8?B?w6k=?=")
    }
}
