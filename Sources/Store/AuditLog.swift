import Crypto
import Foundation
import Rules
import SQLKit

/// The sealed audit log of `access.md`: append-only, each event holding the SHA-256 of the event
/// before it and its own hash over its canonical content, so that an edited, inserted or deleted
/// event breaks the chain. The table's triggers refuse UPDATE and DELETE; `verify` finds what went
/// around them (a row written by hand, a trigger dropped).
public struct AuditLog: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public enum Outcome: String, Sendable, CaseIterable {
        case success, failure
    }

    public struct Event: Sendable, Equatable {
        public let id: Int
        /// ISO 8601, UTC.
        public let at: String
        public let actor: String
        public let action: String
        public let object: String
        public let outcome: Outcome
        public let remote: String?
        /// Never a password, token, session identifier, NIR/INS or health data.
        public let details: JSON
        public let previousHash: String
        public let hash: String

        public var json: JSON {
            .object([("id", .int(id)), ("at", .string(at)), ("actor", .string(actor)), ("action", .string(action)),
                     ("object", .string(object)), ("outcome", .string(outcome.rawValue)), ("remote", remote.map(JSON.string) ?? .null),
                     ("details", details), ("previousHash", .string(previousHash)), ("hash", .string(hash))])
        }
    }

    /// The hash before the first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256 over the previous hash and the event's fields, each on its own line in a fixed order
    /// (JSON strings, so that no field can run into the next).
    static func hash(id: Int, at: String, actor: String, action: String, object: String, outcome: Outcome,
                     remote: String?, details: String, previous: String) -> String {
        let fields: [JSON] = [.int(id), .string(at), .string(actor), .string(action), .string(object), .string(outcome.rawValue),
                              remote.map(JSON.string) ?? .null, .string(details), .string(previous)]
        let canonical = fields.map { $0.rendered(indent: false) }.joined(separator: "\n")
        return SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Appends an event after the last one, in one transaction that holds the log (events are
    /// chained in the order they are written, whatever the number of server processes).
    @discardableResult
    public func append(actor: String, action: String, object: String, outcome: Outcome = .success,
                       remote: String? = nil, details: JSON = .object([])) async throws -> Event {
        try await store.transaction(immediate: true) {
            try await record(actor: actor, action: action, object: object, outcome: outcome, remote: remote, details: details)
        }
    }

    /// Appends an event within the caller's transaction (`store.transaction(immediate: true)`): the
    /// change and its event are written together or not at all.
    @discardableResult
    public func record(actor: String, action: String, object: String, outcome: Outcome = .success,
                       remote: String? = nil, details: JSON = .object([])) async throws -> Event {
        let at = Timestamp.now()
        let detailsText = details.rendered(indent: false)
        if store.dialect == .postgres {
            try await store.sql.raw("SELECT pg_advisory_xact_lock(\(literal: Self.lockKey))").run()
        }
        let last = try await store.sql.raw("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").first()
        let id = (try last?.decode(column: "id", as: Int.self) ?? 0) + 1
        let previous = try last?.decode(column: "hash", as: String.self) ?? Self.genesis
        let hash = Self.hash(id: id, at: at, actor: actor, action: action, object: object, outcome: outcome,
                             remote: remote, details: detailsText, previous: previous)
        try await store.sql.insert(into: "audit_events")
            .columns("id", "at", "actor", "action", "object", "outcome", "remote", "details", "previous_hash", "hash")
            .values(SQLBind(id), SQLBind(at), SQLBind(actor), SQLBind(action), SQLBind(object), SQLBind(outcome.rawValue),
                    SQLBind(remote), SQLBind(detailsText), SQLBind(previous), SQLBind(hash))
            .run()
        return Event(id: id, at: at, actor: actor, action: action, object: object, outcome: outcome, remote: remote,
                     details: details, previousHash: previous, hash: hash)
    }

    /// "audt" in ASCII: the advisory lock that orders appends on PostgreSQL.
    static let lockKey = 0x6175_6474

    /// The result of `verify`: the number of events, and the first one that breaks the chain.
    public struct Verification: Sendable, Equatable {
        public let events: Int
        public let broken: (id: Int, reason: String)?

        public init(events: Int, broken: (id: Int, reason: String)?) { self.events = events; self.broken = broken }

        public static func == (a: Verification, b: Verification) -> Bool {
            a.events == b.events && a.broken?.id == b.broken?.id && a.broken?.reason == b.broken?.reason
        }
    }

    /// Recomputes every hash in order: an edited event no longer matches its hash, a deleted or
    /// inserted one breaks the numbering and the link to the previous hash.
    public func verify() async throws -> Verification {
        var previous = Self.genesis, expected = 1, count = 0
        for row in try await store.sql.raw("SELECT id, at, actor, action, object, outcome, remote, details, previous_hash, hash FROM audit_events ORDER BY id").all() {
            count += 1
            let id = try row.decode(column: "id", as: Int.self)
            func broken(_ reason: String) -> Verification { Verification(events: count, broken: (id, reason)) }
            if id != expected { return broken(id > expected ? "événement \(expected) manquant avant l'événement \(id)" : "numéro \(id) en double ou hors d'ordre") }
            let stored = try row.decode(column: "previous_hash", as: String.self)
            if stored != previous { return broken("ne suit pas l'événement précédent (empreinte précédente différente)") }
            guard let outcome = Outcome(rawValue: try row.decode(column: "outcome", as: String.self)) else { return broken("issue inconnue") }
            let hash = Self.hash(id: id, at: try row.decode(column: "at", as: String.self), actor: try row.decode(column: "actor", as: String.self),
                                 action: try row.decode(column: "action", as: String.self), object: try row.decode(column: "object", as: String.self),
                                 outcome: outcome, remote: try row.decode(column: "remote", as: String?.self),
                                 details: try row.decode(column: "details", as: String.self), previous: stored)
            if hash != (try row.decode(column: "hash", as: String.self)) { return broken("contenu modifié (son empreinte ne correspond plus)") }
            previous = hash
            expected += 1
        }
        return Verification(events: count, broken: nil)
    }

    /// The events, oldest first, filtered by object, actor and day (UTC) of the event.
    public func events(object: String? = nil, actor: String? = nil, since: CalendarDate? = nil) async throws -> [Event] {
        var query = store.sql.select()
            .columns("id", "at", "actor", "action", "object", "outcome", "remote", "details", "previous_hash", "hash")
            .from("audit_events")
        if let object { query = query.where("object", .equal, SQLBind(object)) }
        if let actor { query = query.where("actor", .equal, SQLBind(actor)) }
        if let since { query = query.where("at", .greaterThanOrEqual, SQLBind(since.description)) }
        return try await query.orderBy("id").all().map { row in
            let details = try row.decode(column: "details", as: String.self)
            return Event(id: try row.decode(column: "id", as: Int.self), at: try row.decode(column: "at", as: String.self),
                         actor: try row.decode(column: "actor", as: String.self), action: try row.decode(column: "action", as: String.self),
                         object: try row.decode(column: "object", as: String.self),
                         outcome: Outcome(rawValue: try row.decode(column: "outcome", as: String.self)) ?? .failure,
                         remote: try row.decode(column: "remote", as: String?.self),
                         details: (try? JSON.parse(details)) ?? .string(details),
                         previousHash: try row.decode(column: "previous_hash", as: String.self), hash: try row.decode(column: "hash", as: String.self))
        }
    }
}
