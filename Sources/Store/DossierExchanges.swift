import Crypto
import Foundation
import Rules
import SQLKit

/// What is exchanged around a dossier: its score, messages and private annotations, expert
/// opinions (avis) and documents — each an audit event in its transaction.
extension DossierRepository {
    // MARK: Score, messages, annotations

    public func setScore(_ id: String, from version: Int, _ score: DossierScore, by actor: String) async throws -> DossierChange {
        try await changing(id, from: version, by: actor) { d in
            guard d.state == .enInstruction else { throw DossierError.conflict("la note se donne en instruction (dossier \(d.state.french))") }
            d.score = score.json
            try await audit.record(actor: actor, action: "dossier.note", object: "dossier:\(d.id)", details: .object([("total", .int(score.total))]))
        }
    }

    public struct Note: Sendable, Equatable {
        public let id: Int
        public let kind: String
        public let at: String
        public let author: String
        public let body: String
        public var json: JSON { .object([("id", .int(id)), ("at", .string(at)), ("author", .string(author)), ("body", .string(body))]) }
    }

    /// Appends a message (both sides see it) or a private annotation (instructors only).
    public func addNote(_ id: String, kind: String, body: String, by actor: String) async throws -> Note {
        let body = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty, body.count <= 10_000 else { throw DossierError.invalid(InputError(path: "body", reason: "texte de 1 à 10 000 caractères attendu")) }
        let at = Timestamp.now()
        return try await store.transaction(immediate: true) {
            let rows = try await store.sql.insert(into: "dossier_notes").columns("dossier", "kind", "at", "author", "body")
                .values(SQLBind(id), SQLBind(kind), SQLBind(at), SQLBind(actor), SQLBind(body)).returning("id").all()
            try await audit.record(actor: actor, action: kind == "annotation" ? "dossier.annotation" : "dossier.message", object: "dossier:\(id)")
            return Note(id: try rows.first?.decode(column: "id", as: Int.self) ?? 0, kind: kind, at: at, author: actor, body: body)
        }
    }

    public func notes(_ id: String, kind: String) async throws -> [Note] {
        try await store.sql.select().columns("id", "kind", "at", "author", "body").from("dossier_notes").where("dossier", .equal, SQLBind(id))
            .where("kind", .equal, SQLBind(kind)).orderBy("id").all().map { row in
                Note(id: try row.decode(column: "id", as: Int.self), kind: try row.decode(column: "kind", as: String.self),
                     at: try row.decode(column: "at", as: String.self), author: try row.decode(column: "author", as: String.self),
                     body: try row.decode(column: "body", as: String.self))
            }
    }

    public func history(_ id: String) async throws -> [JSON] {
        try await store.sql.select().columns("at", "actor", "from_state", "to_state", "message", "reason").from("dossier_history")
            .where("dossier", .equal, SQLBind(id)).orderBy("id").all().map { row in
                .object([("at", .string(try row.decode(column: "at", as: String.self))), ("actor", .string(try row.decode(column: "actor", as: String.self))),
                         ("from", (try row.decode(column: "from_state", as: String?.self)).map(JSON.string) ?? .null),
                         ("to", .string(try row.decode(column: "to_state", as: String.self))),
                         ("message", (try row.decode(column: "message", as: String?.self)).map(JSON.string) ?? .null),
                         ("reason", (try row.decode(column: "reason", as: String?.self)).map(JSON.string) ?? .null)])
            }
    }

    // MARK: Avis

    public struct Avis: Sendable, Equatable {
        public let id: String
        public let dossier: String
        public let expert: String
        public let question: String
        public let dueDate: String?
        public let askedBy: String
        public let askedAt: String
        public let answer: String?
        public let comment: String?
        public let answeredAt: String?

        public var json: JSON {
            .object([("id", .string(id)), ("dossier", .string(dossier)), ("expert", .string(expert)), ("question", .string(question)),
                     ("dueDate", dueDate.map(JSON.string) ?? .null), ("askedBy", .string(askedBy)), ("askedAt", .string(askedAt)),
                     ("answer", answer.map(JSON.string) ?? .null), ("comment", comment.map(JSON.string) ?? .null),
                     ("answeredAt", answeredAt.map(JSON.string) ?? .null)])
        }
    }

    public static let answers = ["favorable", "defavorable", "reserve"]
    static let avisColumns = ["id", "dossier", "expert", "question", "due_date", "asked_by", "asked_at", "answer", "comment", "answered_at"]

    /// An instructor asks an expert's opinion: the expert must be an account with the `expert` role.
    public func askAvis(_ id: String, expert: String, question: String, dueDate: String?, by actor: String) async throws -> Avis {
        let expert = expert.trimmingCharacters(in: .whitespaces).lowercased()
        let question = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty, question.count <= 10_000 else { throw DossierError.invalid(InputError(path: "question", reason: "question de 1 à 10 000 caractères attendue")) }
        if let dueDate {
            guard let day = CalendarDate(iso: dueDate) else { throw DossierError.invalid(InputError(path: "dueDate", reason: "date attendue au format AAAA-MM-JJ")) }
            guard day >= today() else { throw DossierError.invalid(InputError(path: "dueDate", reason: "l'échéance (\(day.french)) est passée")) }
        }
        guard try await store.sql.select().column("email").from("user_roles").where("email", .equal, SQLBind(expert))
            .where("role", .equal, SQLBind(Role.expert.rawValue)).first() != nil else {
            throw DossierError.invalid(InputError(path: "expert", reason: "aucun compte expert « \(Limits.quote(expert)) »"))
        }
        let avis = Avis(id: GrappeRepository.newID(), dossier: id, expert: expert, question: question, dueDate: dueDate, askedBy: actor,
                        askedAt: Timestamp.now(), answer: nil, comment: nil, answeredAt: nil)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dossier_avis").columns("id", "dossier", "expert", "question", "due_date", "asked_by", "asked_at")
                .values(SQLBind(avis.id), SQLBind(id), SQLBind(expert), SQLBind(question), SQLBind(dueDate), SQLBind(actor), SQLBind(avis.askedAt)).run()
            try await audit.record(actor: actor, action: "dossier.avis.demande", object: "dossier:\(id)", details: .object([("expert", .string(expert))]))
        }
        return avis
    }

    public func avis(dossier: String? = nil, expert: String? = nil) async throws -> [Avis] {
        var query = store.sql.select().columns(Self.avisColumns).from("dossier_avis")
        if let dossier { query = query.where("dossier", .equal, SQLBind(dossier)) }
        if let expert { query = query.where("expert", .equal, SQLBind(expert)) }
        return try await query.orderBy("asked_at").all().map(Self.avisRow)
    }

    /// The expert answers (once; a second answer replaces the first and both are in the audit log).
    public func answerAvis(_ avisID: String, expert: String, answer: String, comment: String?) async throws -> Avis? {
        guard Self.answers.contains(answer) else { throw DossierError.invalid(InputError(path: "answer", reason: "avis attendu : \(Self.answers.joined(separator: ", "))")) }
        if let comment, comment.count > 10_000 { throw DossierError.invalid(InputError(path: "comment", reason: "10 000 caractères au plus")) }
        return try await store.transaction(immediate: true) {
            guard let row = try await store.sql.select().columns(Self.avisColumns).from("dossier_avis").where("id", .equal, SQLBind(avisID))
                .where("expert", .equal, SQLBind(expert)).first() else { return nil }
            let before = try Self.avisRow(row)
            try await store.sql.update("dossier_avis").set("answer", to: SQLBind(answer)).set("comment", to: SQLBind(comment))
                .set("answered_at", to: SQLBind(Timestamp.now())).where("id", .equal, SQLBind(avisID)).run()
            try await audit.record(actor: expert, action: "dossier.avis.reponse", object: "dossier:\(before.dossier)", details: .object([("avis", .string(answer))]))
            return try await store.sql.select().columns(Self.avisColumns).from("dossier_avis").where("id", .equal, SQLBind(avisID)).first().map(Self.avisRow)
        }
    }

    static func avisRow(_ row: any SQLRow) throws -> Avis {
        Avis(id: try row.decode(column: "id", as: String.self), dossier: try row.decode(column: "dossier", as: String.self),
             expert: try row.decode(column: "expert", as: String.self), question: try row.decode(column: "question", as: String.self),
             dueDate: try row.decode(column: "due_date", as: String?.self), askedBy: try row.decode(column: "asked_by", as: String.self),
             askedAt: try row.decode(column: "asked_at", as: String.self), answer: try row.decode(column: "answer", as: String?.self),
             comment: try row.decode(column: "comment", as: String?.self), answeredAt: try row.decode(column: "answered_at", as: String?.self))
    }

    // MARK: Documents

    public struct Document: Sendable, Equatable {
        public let id: String
        public let item: String
        public let filename: String
        public let size: Int
        public let sha256: String
        public let contentType: String
        public let uploadedAt: String
        public let uploadedBy: String

        public var json: JSON {
            .object([("id", .string(id)), ("item", .string(item)), ("filename", .string(filename)), ("size", .int(size)),
                     ("sha256", .string(sha256)), ("contentType", .string(contentType)), ("uploadedAt", .string(uploadedAt)),
                     ("uploadedBy", .string(uploadedBy))])
        }
    }

    static let documentColumns = ["id", "item", "filename", "size", "sha256", "content_type", "uploaded_at", "uploaded_by"]

    public func documents(_ id: String) async throws -> [Document] {
        try await store.sql.select().columns(Self.documentColumns).from("dossier_documents").where("dossier", .equal, SQLBind(id))
            .orderBy("uploaded_at").all().map(Self.document)
    }

    /// Stores a document and its record in one transaction, with its SHA-256; an audit event.
    public func addDocument(_ id: String, item: ChecklistItem, filename: String, contentType: String, bytes: [UInt8], by actor: String) async throws -> Document {
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let document = Document(id: GrappeRepository.newID(), item: item.rawValue, filename: String(filename.prefix(200)), size: bytes.count,
                                sha256: sha, contentType: contentType, uploadedAt: Timestamp.now(), uploadedBy: actor)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dossier_documents")
                .columns("id", "dossier", "item", "filename", "size", "sha256", "content_type", "content", "uploaded_at", "uploaded_by")
                .values(SQLBind(document.id), SQLBind(id), SQLBind(document.item), SQLBind(document.filename), SQLBind(document.size),
                        SQLBind(sha), SQLBind(contentType), SQLBind(Data(bytes)), SQLBind(document.uploadedAt), SQLBind(actor)).run()
            try await audit.record(actor: actor, action: "dossier.document.depot", object: "dossier:\(id)",
                                   details: .object([("piece", .string(item.rawValue)), ("sha256", .string(sha)), ("taille", .int(bytes.count))]))
        }
        return document
    }

    /// A document's record and content; reading it is an audit event.
    public func document(_ id: String, _ documentID: String, by actor: String) async throws -> (Document, [UInt8])? {
        guard let row = try await store.sql.select().columns(Self.documentColumns + ["content"]).from("dossier_documents")
            .where("dossier", .equal, SQLBind(id)).where("id", .equal, SQLBind(documentID)).first() else { return nil }
        let document = try Self.document(row)
        let content = try row.decode(column: "content", as: Data.self)
        try await audit.append(actor: actor, action: "dossier.document.lecture", object: "dossier:\(id)", details: .object([("document", .string(documentID))]))
        return (document, [UInt8](content))
    }

    static func document(_ row: any SQLRow) throws -> Document {
        Document(id: try row.decode(column: "id", as: String.self), item: try row.decode(column: "item", as: String.self),
                 filename: try row.decode(column: "filename", as: String.self), size: try row.decode(column: "size", as: Int.self),
                 sha256: try row.decode(column: "sha256", as: String.self), contentType: try row.decode(column: "content_type", as: String.self),
                 uploadedAt: try row.decode(column: "uploaded_at", as: String.self), uploadedBy: try row.decode(column: "uploaded_by", as: String.self))
    }
}
