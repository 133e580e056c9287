import Foundation
import Logging
import Mail
import Rules
import Store

/// Where and how MSSanté messages leave (`dui.md`): the operator's SMTP server
/// (`ESMS_MSSANTE_SMTP_URL`), the certificates (`ESMS_MSSANTE_CA`, `ESMS_MSSANTE_CERT`,
/// `ESMS_MSSANTE_KEY`), the sender when the establishment has no address of its own
/// (`ESMS_MSSANTE_FROM`).
public struct MSSanteSettings: Sendable {
    public static let defaultFrom = "ne-pas-repondre@esms.localhost"
    public var endpoint: SMTPEndpoint
    public var tls: SMTPTLS
    public var from: String

    public init(endpoint: SMTPEndpoint, tls: SMTPTLS = SMTPTLS(), from: String = MSSanteSettings.defaultFrom) {
        self.endpoint = endpoint; self.tls = tls; self.from = from
    }

    /// An address of the MSSanté space: `…@…mssante.fr`.
    public static func isMSSanteAddress(_ text: String) -> Bool {
        guard MailMessage.isAddress(text), let domain = text.split(separator: "@").last?.lowercased() else { return false }
        return domain == "mssante.fr" || domain.hasSuffix(".mssante.fr")
    }

    /// The settings from the environment; nil when `ESMS_MSSANTE_SMTP_URL` is not set; every problem named.
    static func resolve(_ environment: [String: String], problems: inout [String]) -> MSSanteSettings? {
        guard let url = environment["ESMS_MSSANTE_SMTP_URL"], !url.isEmpty else { return nil }
        guard let endpoint = SMTPEndpoint(url: url) else {
            problems.append("ESMS_MSSANTE_SMTP_URL invalide « \(Limits.quote(url)) » (attendu smtp://hôte:port ou smtps://hôte:port)")
            return nil
        }
        var tls = SMTPTLS()
        for (name, keyPath) in [("ESMS_MSSANTE_CA", \SMTPTLS.trustRoots), ("ESMS_MSSANTE_CERT", \SMTPTLS.certificate), ("ESMS_MSSANTE_KEY", \SMTPTLS.key)] {
            guard let path = environment[name], !path.isEmpty else { continue }
            if FileManager.default.isReadableFile(atPath: path) { tls[keyPath: keyPath] = path } else { problems.append("\(name) « \(Limits.quote(path)) » : fichier illisible") }
        }
        if (tls.certificate == nil) != (tls.key == nil) { problems.append("ESMS_MSSANTE_CERT et ESMS_MSSANTE_KEY vont ensemble (certificat client et sa clé)") }
        let from = environment["ESMS_MSSANTE_FROM"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultFrom
        if !MailMessage.isAddress(from) { problems.append("ESMS_MSSANTE_FROM invalide « \(Limits.quote(from)) » (une adresse attendue)") }
        return MSSanteSettings(endpoint: endpoint, tls: tls, from: from)
    }
}

/// Sends a queued document by MSSanté and records the outcome; retries the sendings whose time has
/// come (run by `esms serve` every 30 seconds, and at start: a message queued when the server
/// stopped leaves when it starts again).
public struct MSSanteSender: Sendable {
    let settings: MSSanteSettings
    let records: DUIRepository
    let finess: FinessRepository

    /// The actor of the audit events of the retries.
    static let queueActor = "file-mssante"

    /// One attempt of a sending taken for it; the sending as recorded after it.
    func attempt(_ sending: DUIRepository.Sending, by actor: String) async throws -> DUIRepository.Sending? {
        guard let recipient = sending.recipient, let (document, person, pdf) = try await records.document(sending.document) else {
            return try await records.settle(sending.id, .refused("document introuvable"), by: actor)
        }
        let message = try await message(sendingID: sending.id, document: document, person: person, pdf: pdf, to: recipient)
        let client = SMTPClient(endpoint: settings.endpoint, tls: settings.tls)
        let outcome: DUIRepository.Attempt
        do {
            outcome = .accepted("accepté par le serveur : \(try await client.send(message))")
        } catch let error as SMTPError {
            outcome = error.isPermanent ? .refused(error.description) : .failed(error.description)
        } catch {
            outcome = .failed("\(error)")
        }
        return try await records.settle(sending.id, outcome, by: actor)
    }

    /// The message of a document: from the establishment's MSSanté address (or the default), the
    /// PDF attached; for a `qualifiee` identity, the INS in the subject's structured part.
    func message(sendingID: String, document: DUIRepository.Entry, person: DUIRepository.Person, pdf: [UInt8], to recipient: String) async throws -> MailMessage {
        let text = PersonName.text, identity = person.identity
        let title = text(document.body["title"])
        var subject = title
        if identity["identityStatus"] == .string(IdentityStatus.qualifiee.rawValue), case let .string(nir)? = identity["ins"]?["nir"],
           case let .string(oid)? = identity["ins"]?["oid"] {
            subject = "[INS \(nir)^^^&\(oid)&ISO] \(title)"
        }
        let name = PersonName.of(identity)
        let establishment = try await finess.establishment(person.finessET)?.name ?? person.finessET
        let from = try await records.mssanteAddress(finessET: person.finessET) ?? settings.from
        let date = PersonName.day(document.body["date"])
        let body = """
        Bonjour,

        Vous trouverez en pièce jointe le document « \(title) » du \(date) concernant \(name), né(e) le \(PersonName.day(identity["birthDate"])).

        \(establishment) (FINESS \(person.finessET))
        Message envoyé par la messagerie sécurisée de santé depuis le dossier usager de l'établissement.
        """
        let filename = (title.isEmpty ? "document" : title).map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined().prefix(60) + ".pdf"
        return MailMessage(id: sendingID, from: from, to: recipient, subject: subject, body: body,
                           attachments: [.init(filename: String(filename), contentType: "application/pdf", data: pdf)])
    }

    /// Tries every due sending once; how many were tried.
    @discardableResult
    public func retryDue(now: Date = Date()) async throws -> Int {
        var tried = 0
        for sending in try await records.dueMSSante(now: now) where try await records.claim(sending, now: now) {
            _ = try await attempt(sending, by: Self.queueActor)
            tried += 1
        }
        return tried
    }

    /// The queue's loop, until the task is cancelled.
    public func run(every interval: Duration = .seconds(30), logger: Logger) async {
        while !Task.isCancelled {
            do {
                let tried = try await retryDue()
                if tried > 0 { logger.info("file MSSanté : \(tried) envoi(s) retenté(s)") }
            } catch {
                logger.error("file MSSanté : \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }
}
