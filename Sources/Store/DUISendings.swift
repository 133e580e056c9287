import Foundation
import Rules
import SQLKit

extension DUIRepository {
    /// A sending of a document by MSSanté or its submission to the DMP, with its outcome: `ok`,
    /// `echec` (refused by the server, or given up), or `enAttente` (a failure to be retried).
    public struct Sending: Sendable, Equatable {
        public enum Channel: String, Sendable { case mssante, dmp }
        public enum Outcome: String, Sendable { case ok, echec, enAttente }
        public let id: String
        public let document: String
        public let channel: Channel
        public let recipient: String?
        /// The day of the sending: of its success once sent (`dui.md`: dated when it happens).
        public let day: CalendarDate
        public let outcome: Outcome
        public let detail: String?
        public let attempts: Int
        /// When it is tried again (ISO 8601, UTC), for an `enAttente` sending.
        public let nextAttempt: String?

        public var json: JSON {
            .object([("id", .string(id)), ("document", .string(document)), ("channel", .string(channel.rawValue)), ("recipient", recipient.map(JSON.string) ?? .null),
                     ("day", .string(day.description)), ("outcome", .string(outcome.rawValue)), ("detail", detail.map(JSON.string) ?? .null),
                     ("attempts", .int(attempts)), ("nextAttempt", nextAttempt.map(JSON.string) ?? .null)])
        }

        static let columns = ["id", "document", "channel", "recipient", "day", "outcome", "detail", "attempts", "next_attempt"]

        static func read(_ row: any SQLRow) throws -> Sending? {
            guard let channel = Channel(rawValue: try row.decode(column: "channel", as: String.self)),
                  let outcome = Outcome(rawValue: try row.decode(column: "outcome", as: String.self)),
                  let day = CalendarDate(iso: try row.decode(column: "day", as: String.self)) else { return nil }
            return Sending(id: try row.decode(column: "id", as: String.self), document: try row.decode(column: "document", as: String.self), channel: channel,
                           recipient: try row.decode(column: "recipient", as: String?.self), day: day, outcome: outcome,
                           detail: try row.decode(column: "detail", as: String?.self), attempts: try row.decode(column: "attempts", as: Int.self),
                           nextAttempt: try row.decode(column: "next_attempt", as: String?.self))
        }
    }

    /// What one attempt of an MSSanté sending gave.
    public enum Attempt: Sendable {
        case accepted(String)
        case refused(String)
        case failed(String)
    }

    /// The waits between the attempts of a sending that fails for a passing reason (the server
    /// unreachable, a 4xx reply): 1 min, 5 min, 15 min, 1 h, 4 h, 12 h, 24 h; then it is given up,
    /// `echec` with the last reason, on the page and in the API — never silently lost.
    public static let mssanteRetryDelays: [Int] = [60, 300, 900, 3_600, 14_400, 43_200, 86_400]

    /// How long an attempt holds a sending before another process may take it.
    static let attemptLease: TimeInterval = 300



    /// A sending queued, held for the attempt the caller makes at once; an audit event naming the person.
    public func queueMSSante(document: Entry, recipient: String, by actor: String, now: Date = Date()) async throws -> Sending {
        let sending = Sending(id: GrappeRepository.newID(), document: document.id, channel: .mssante, recipient: recipient, day: today(), outcome: .enAttente,
                              detail: nil, attempts: 0, nextAttempt: Timestamp.string(now.addingTimeInterval(Self.attemptLease)))
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dui_sendings").columns("id", "document", "channel", "recipient", "day", "outcome", "detail", "at", "by_user", "attempts", "next_attempt")
                .values(SQLBind(sending.id), SQLBind(document.id), SQLBind(Sending.Channel.mssante.rawValue), SQLBind(recipient), SQLBind(sending.day.description),
                        SQLBind(sending.outcome.rawValue), SQLBind(String?.none), SQLBind(Timestamp.preciseNow()), SQLBind(actor), SQLBind(0), SQLBind(sending.nextAttempt)).run()
            try await audit.record(actor: actor, action: "dui.document.mssante", object: "personne:\(document.person)",
                                   details: .object([("document", .string(document.id)), ("envoi", .string(sending.id)), ("resultat", .string("enAttente"))]))
        }
        return sending
    }

    public func sending(_ id: String) async throws -> Sending? {
        try await store.sql.select().columns(Sending.columns).from("dui_sendings").where("id", .equal, SQLBind(id)).first().flatMap(Sending.read)
    }

    /// The sendings of a person's documents, oldest first.
    public func sendings(person: String) async throws -> [Sending] {
        try await store.sql.select().columns(Sending.columns.map { SQLColumn($0, table: "s") })
            .from(SQLAlias(SQLIdentifier("dui_sendings"), as: SQLIdentifier("s")))
            .join(SQLAlias(SQLIdentifier("dui_entries"), as: SQLIdentifier("e")), on: SQLColumn("id", table: "e"), .equal, SQLColumn("document", table: "s"))
            .where(SQLColumn("person", table: "e"), .equal, SQLBind(person)).orderBy(SQLColumn("at", table: "s")).orderBy(SQLColumn("id", table: "s")).all()
            .compactMap(Sending.read)
    }

    /// The outcome of an attempt: accepted (dated today), refused for good, or failed — to be
    /// retried after the next delay, or given up after the last. An audit event naming the person.
    public func settle(_ id: String, _ attempt: Attempt, by actor: String, now: Date = Date()) async throws -> Sending? {
        guard let current = try await sending(id), current.outcome == .enAttente, let (document, _) = try await findEntry(current.document) else { return try await sending(id) }
        let attempts = current.attempts + 1
        var outcome = Sending.Outcome.enAttente, detail: String, next: String? = nil, day = current.day
        switch attempt {
        case let .accepted(reply): outcome = .ok; detail = reply; day = today()
        case let .refused(reason): outcome = .echec; detail = reason
        case let .failed(reason):
            if attempts > Self.mssanteRetryDelays.count {
                outcome = .echec; detail = "abandonné après \(attempts) tentatives : \(reason)"
            } else {
                detail = reason; next = Timestamp.string(now.addingTimeInterval(TimeInterval(Self.mssanteRetryDelays[attempts - 1])))
            }
        }
        try await store.transaction(immediate: true) {
            try await store.sql.update("dui_sendings").set("outcome", to: SQLBind(outcome.rawValue)).set("detail", to: SQLBind(detail))
                .set("attempts", to: SQLBind(attempts)).set("next_attempt", to: SQLBind(next)).set("day", to: SQLBind(day.description))
                .where("id", .equal, SQLBind(id)).run()
            try await audit.record(actor: actor, action: "dui.document.mssante", object: "personne:\(document.person)",
                                   details: .object([("document", .string(document.id)), ("envoi", .string(id)), ("resultat", .string(outcome.rawValue)),
                                                     ("tentative", .int(attempts))]))
        }
        return try await sending(id)
    }

    /// The MSSanté sendings whose next attempt is due, oldest first.
    public func dueMSSante(now: Date = Date(), limit: Int = 100) async throws -> [Sending] {
        try await store.sql.select().columns(Sending.columns).from("dui_sendings")
            .where("outcome", .equal, SQLBind(Sending.Outcome.enAttente.rawValue)).where("next_attempt", .lessThanOrEqual, SQLBind(Timestamp.string(now)))
            .orderBy("next_attempt").limit(limit).all().compactMap(Sending.read)
    }

    /// Takes a due sending for one attempt: true for the one process that moved its next attempt
    /// (several servers on one PostgreSQL never send a message twice at once).
    public func claim(_ sending: Sending, now: Date = Date()) async throws -> Bool {
        guard let previous = sending.nextAttempt else { return false }
        let rows = try await store.sql.update("dui_sendings").set("next_attempt", to: SQLBind(Timestamp.string(now.addingTimeInterval(Self.attemptLease))))
            .where("id", .equal, SQLBind(sending.id)).where("outcome", .equal, SQLBind(Sending.Outcome.enAttente.rawValue))
            .where("next_attempt", .equal, SQLBind(previous)).returning("id").all()
        return !rows.isEmpty
    }

    /// The establishment's MSSanté address, if set.
    public func mssanteAddress(finessET: String) async throws -> String? {
        try await store.sql.select().column("mssante_address").from("dui_establishments").where("finess_et", .equal, SQLBind(finessET)).first()?
            .decode(column: "mssante_address", as: String.self)
    }

    /// Sets the establishment's MSSanté address (checked by the caller).
    public func setMSSanteAddress(finessET: String, _ address: String, by actor: String) async throws {
        try await store.transaction(immediate: true) {
            try await store.sql.delete(from: "dui_establishments").where("finess_et", .equal, SQLBind(finessET)).run()
            try await store.sql.insert(into: "dui_establishments").columns("finess_et", "mssante_address", "updated_at", "updated_by")
                .values(SQLBind(finessET), SQLBind(address), SQLBind(Timestamp.now()), SQLBind(actor)).run()
            try await audit.record(actor: actor, action: "dui.etablissement.mssante", object: "essms:\(finessET)", details: .object([("adresse", .string(address))]))
        }
    }
}

extension DUIRepository {
    /// The establishment's agenda: the events starting from `from` to `to` (days, both included),
    /// each with its person, in order; the reading is an audit event naming the persons shown.
    public func agenda(finessET: String, from: CalendarDate, to: CalendarDate, by actor: String) async throws -> [(person: Person, event: Entry)] {
        let rows = try await store.sql.select().columns(Self.entryColumns.map { SQLColumn($0, table: "e") })
            .column(SQLColumn("identity", table: "p")).column(SQLColumn("version", table: "p"), as: "person_version")
            .column(SQLColumn("updated_at", table: "p")).column(SQLColumn("updated_by", table: "p"))
            .from(SQLAlias(SQLIdentifier("dui_entries"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("dui_persons"), as: SQLIdentifier("p")), on: SQLColumn("id", table: "p"), .equal, SQLColumn("person", table: "e"))
            .where(SQLColumn("finess_et", table: "p"), .equal, SQLBind(finessET)).where(SQLColumn("kind", table: "e"), .equal, SQLBind(DUIInput.Kind.event.rawValue))
            .where(SQLColumn("day", table: "e"), .greaterThanOrEqual, SQLBind(from.description)).where(SQLColumn("day", table: "e"), .lessThanOrEqual, SQLBind(to.description))
            .orderBy(SQLColumn("day", table: "e")).orderBy(SQLColumn("id", table: "e")).limit(5_000).all()
        var list: [(Person, Entry)] = []
        for row in rows {
            guard let entry = try Self.entry(row) else { continue }
            let person = Person(id: entry.person, finessET: finessET, version: try row.decode(column: "person_version", as: Int.self),
                                identity: try JSON.parse(try row.decode(column: "identity", as: String.self)),
                                updatedAt: try row.decode(column: "updated_at", as: String.self), updatedBy: try row.decode(column: "updated_by", as: String.self))
            list.append((person, entry))
        }
        let persons = Array(Set(list.map(\.0.id))).sorted()
        try await audit.record(actor: actor, action: "dui.agenda.lecture", object: "etablissement:\(finessET)",
                               details: .object([("du", .string(from.description)), ("au", .string(to.description)), ("personnes", .array(persons.map(JSON.string)))]))
        return list
    }
}
