import Foundation
import Rules
import SQLKit

/// The DUI records of establishments (`shared/spec/dui.md`): persons with their identity, and the
/// entries of their records. Every read and change of a person's record is an audit event naming
/// the person; the measures are counts, never a person.
public struct DUIRepository: Sendable {
    public let store: Store
    let today: @Sendable () -> CalendarDate

    public init(store: Store, today: @escaping @Sendable () -> CalendarDate) {
        self.store = store
        self.today = today
    }

    var audit: AuditLog { AuditLog(store: store) }

    public struct Person: Sendable, Equatable {
        public let id: String
        public let finessET: String
        public let version: Int
        public let identity: JSON
        public let updatedAt: String
        public let updatedBy: String
    }

    public struct Entry: Sendable, Equatable {
        public let id: String
        public let person: String
        public let kind: DUIInput.Kind
        public let body: JSON
        public let version: Int
        public let createdAt: String
        public let createdBy: String

        public var json: JSON {
            .object([("id", .string(id)), ("version", .int(version))] + (body.objectPairs ?? []) + [("createdAt", .string(createdAt)), ("createdBy", .string(createdBy))])
        }
    }

    static let entryColumns = ["id", "person", "kind", "body", "version", "created_at", "created_by"]

    static func entry(_ row: any SQLRow) throws -> Entry? {
        guard let kind = DUIInput.Kind(rawValue: try row.decode(column: "kind", as: String.self)) else { return nil }
        return Entry(id: try row.decode(column: "id", as: String.self), person: try row.decode(column: "person", as: String.self), kind: kind,
                     body: try JSON.parse(try row.decode(column: "body", as: String.self)), version: try row.decode(column: "version", as: Int.self),
                     createdAt: try row.decode(column: "created_at", as: String.self), createdBy: try row.decode(column: "created_by", as: String.self))
    }


    static func person(_ row: any SQLRow) throws -> Person {
        Person(id: try row.decode(column: "id", as: String.self), finessET: try row.decode(column: "finess_et", as: String.self),
               version: try row.decode(column: "version", as: Int.self), identity: try JSON.parse(try row.decode(column: "identity", as: String.self)),
               updatedAt: try row.decode(column: "updated_at", as: String.self), updatedBy: try row.decode(column: "updated_by", as: String.self))
    }

    /// A new person of the establishment; the identity checked (`DUIInput.person`).
    public func createPerson(finessET: String, _ json: JSON, by actor: String) async throws -> Person {
        let identity = try DUIInput.person(json, today: today())
        let now = Timestamp.now()
        let person = Person(id: GrappeRepository.newID(), finessET: finessET, version: 1, identity: identity, updatedAt: now, updatedBy: actor)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dui_persons").columns("id", "finess_et", "version", "identity", "created_at", "updated_at", "updated_by")
                .values(SQLBind(person.id), SQLBind(finessET), SQLBind(1), SQLBind(identity.rendered(indent: false)), SQLBind(now), SQLBind(now), SQLBind(actor)).run()
            try await audit.record(actor: actor, action: "dui.personne.creation", object: "personne:\(person.id)", details: .object([("etablissement", .string(finessET))]))
        }
        return person
    }

    /// The establishment's persons, each with its current stay (`stay`, null when none); the
    /// list's reading is an audit event.
    public func persons(finessET: String, by actor: String) async throws -> [(person: Person, stay: JSON?)] {
        let people = try await store.sql.select().columns("id", "finess_et", "version", "identity", "updated_at", "updated_by").from("dui_persons")
            .where("finess_et", .equal, SQLBind(finessET)).orderBy("id").all().map(Self.person)
        let day = today().description
        var stays: [String: JSON] = [:]
        let rows = try await store.sql.select().columns(SQLColumn("person", table: "e"), SQLColumn("body", table: "e"))
            .from(SQLAlias(SQLIdentifier("dui_entries"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("dui_persons"), as: SQLIdentifier("p")), on: SQLColumn("id", table: "p"), .equal, SQLColumn("person", table: "e"))
            .where(SQLColumn("finess_et", table: "p"), .equal, SQLBind(finessET)).where(SQLColumn("kind", table: "e"), .equal, SQLBind(DUIInput.Kind.stay.rawValue))
            .where(SQLColumn("day", table: "e"), .lessThanOrEqual, SQLBind(day)).all()
        for row in rows {
            let body = try JSON.parse(try row.decode(column: "body", as: String.self))
            if case let .string(end)? = body["end"], end < day { continue }
            stays[try row.decode(column: "person", as: String.self)] = body
        }
        try await audit.record(actor: actor, action: "dui.personnes.lecture", object: "etablissement:\(finessET)", details: .object([("personnes", .int(people.count))]))
        return people.map { ($0, stays[$0.id]) }
    }

    /// A person and every entry of the record; the reading is an audit event naming the person.
    public func record(_ id: String, by actor: String) async throws -> (person: Person, entries: [Entry])? {
        guard let person = try await find(id) else { return nil }
        let entries = try await store.sql.select().columns(Self.entryColumns).from("dui_entries")
            .where("person", .equal, SQLBind(id)).orderBy("day").orderBy("created_at").orderBy("id").all().compactMap(Self.entry)
        try await audit.record(actor: actor, action: "dui.personne.lecture", object: "personne:\(id)")
        return (person, entries)
    }

    /// The person's row without its entries and without an audit event (access checks).
    public func find(_ id: String) async throws -> Person? {
        try await store.sql.select().columns("id", "finess_et", "version", "identity", "updated_at", "updated_by").from("dui_persons")
            .where("id", .equal, SQLBind(id)).first().map(Self.person)
    }

    public enum Change: Sendable, Equatable {
        case changed(Person)
        case stale(current: Person)
        case notFound
    }

    /// Replaces the identity at `version` (`If-Match`).
    public func replaceIdentity(_ id: String, from version: Int, _ json: JSON, by actor: String) async throws -> Change {
        let identity = try DUIInput.person(json, today: today())
        return try await store.transaction(immediate: true) {
            guard let current = try await find(id) else { return .notFound }
            guard current.version == version else { return .stale(current: current) }
            let now = Timestamp.now()
            try await store.sql.update("dui_persons").set("identity", to: SQLBind(identity.rendered(indent: false))).set("version", to: SQLBind(version + 1))
                .set("updated_at", to: SQLBind(now)).set("updated_by", to: SQLBind(actor)).where("id", .equal, SQLBind(id)).run()
            try await audit.record(actor: actor, action: "dui.personne.modification", object: "personne:\(id)")
            return .changed(Person(id: id, finessET: current.finessET, version: version + 1, identity: identity, updatedAt: now, updatedBy: actor))
        }
    }

    /// Appends an entry to a person's record (no `If-Match`: it overwrites nobody's work).
    public func addEntry(_ person: String, _ kind: DUIInput.Kind, _ json: JSON, by actor: String) async throws -> Entry {
        let entry = try DUIInput.entry(kind, json, today: today())
        let id = GrappeRepository.newID(), now = Timestamp.now()
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dui_entries").columns("id", "person", "kind", "day", "until", "status", "body", "created_at", "created_by")
                .values(SQLBind(id), SQLBind(person), SQLBind(kind.rawValue), SQLBind(entry.day?.description), SQLBind(entry.until?.description), SQLBind(entry.status),
                        SQLBind(entry.json.rendered(indent: false)), SQLBind(now), SQLBind(actor)).run()
            if let content = entry.content {
                try await store.sql.insert(into: "dui_contents").columns("id", "content").values(SQLBind(id), SQLBind(Data(content))).run()
            }
            // The month's activity: a note, a document or an event not cancelled (events are only appended).
            if let day = entry.day, kind == .note || kind == .document || (kind == .event && entry.status != DUIRecord.EventStatus.annule.rawValue) {
                let event = kind == .event ? 1 : 0
                try await store.sql.raw("""
                    INSERT INTO dui_person_months (person, month, event) VALUES (\(bind: person), \(bind: YearMonth(day).description), \(bind: event))
                    ON CONFLICT (person, month) DO UPDATE SET event = CASE WHEN excluded.event = 1 THEN 1 ELSE dui_person_months.event END
                    """).run()
            }
            try await audit.record(actor: actor, action: "dui.\(kind.rawValue).ajout", object: "personne:\(person)", details: .object([("entree", .string(id))]))
        }
        return Entry(id: id, person: person, kind: kind, body: entry.json, version: 1, createdAt: now, createdBy: actor)
    }

    /// An entry and the establishment of its person (for the access check), without audit.
    public func findEntry(_ id: String) async throws -> (entry: Entry, finessET: String)? {
        guard let entry = try await store.sql.select().columns(Self.entryColumns).from("dui_entries").where("id", .equal, SQLBind(id)).first().flatMap(Self.entry),
              let person = try await find(entry.person) else { return nil }
        return (entry, person.finessET)
    }

    /// An admission request of the establishment for one of its persons.
    public func addAdmission(finessET: String, _ json: JSON, by actor: String) async throws -> Entry {
        guard case let .string(person)? = json["person"], let found = try await find(person), found.finessET == finessET else {
            throw InputError(path: "person", reason: "personne inconnue de cet établissement : enregistrez-la d'abord (POST /essms/\(finessET)/persons)")
        }
        return try await addEntry(person, .admission, json, by: actor)
    }

    /// The establishment's admission requests, the waiting ones first, oldest first.
    public func admissions(finessET: String, by actor: String) async throws -> [Entry] {
        let list = try await store.sql.select().columns(Self.entryColumns.map { SQLColumn($0, table: "e") })
            .from(SQLAlias(SQLIdentifier("dui_entries"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("dui_persons"), as: SQLIdentifier("p")), on: SQLColumn("id", table: "p"), .equal, SQLColumn("person", table: "e"))
            .where(SQLColumn("finess_et", table: "p"), .equal, SQLBind(finessET)).where(SQLColumn("kind", table: "e"), .equal, SQLBind(DUIInput.Kind.admission.rawValue))
            .orderBy(SQLColumn("day", table: "e")).orderBy(SQLColumn("id", table: "e")).all().compactMap(Self.entry)
        try await audit.record(actor: actor, action: "dui.admissions.lecture", object: "etablissement:\(finessET)", details: .object([("demandes", .int(list.count))]))
        return list.filter { $0.body["waiting"] == .bool(true) } + list.filter { $0.body["waiting"] != .bool(true) }
    }

    public enum EntryChange: Sendable, Equatable {
        case changed(Entry)
        case stale(current: Entry)
        case notFound
    }

    /// Replaces a stay, a projet or an admission request at `version` (`If-Match`); an admission
    /// moves only along its statuses and stays the same person's.
    public func replaceEntry(_ id: String, _ kind: DUIInput.Kind, from version: Int, _ json: JSON, by actor: String) async throws -> EntryChange {
        let entry = try DUIInput.entry(kind, json, today: today())
        return try await store.transaction(immediate: true) {
            guard let current = try await store.sql.select().columns(Self.entryColumns).from("dui_entries").where("id", .equal, SQLBind(id)).first().flatMap(Self.entry),
                  current.kind == kind else { return .notFound }
            guard current.version == version else { return .stale(current: current) }
            if kind == .admission {
                guard entry.json["person"] == .string(current.person) else { throw InputError(path: "person", reason: "une demande d'admission reste celle de sa personne") }
                if case let .string(was)? = current.body["status"], let from = DUIInput.AdmissionStatus(rawValue: was),
                   let to = entry.status.flatMap(DUIInput.AdmissionStatus.init(rawValue:)), to != from, !from.next.contains(to) {
                    throw InputError(path: "status", reason: "« \(from.rawValue) » → « \(to.rawValue) » impossible ; depuis « \(from.rawValue) » : \(from.next.isEmpty ? "aucun" : from.next.map(\.rawValue).joined(separator: ", "))")
                }
            }
            try await store.sql.update("dui_entries").set("day", to: SQLBind(entry.day?.description)).set("until", to: SQLBind(entry.until?.description))
                .set("status", to: SQLBind(entry.status)).set("body", to: SQLBind(entry.json.rendered(indent: false))).set("version", to: SQLBind(version + 1))
                .where("id", .equal, SQLBind(id)).run()
            try await audit.record(actor: actor, action: "dui.\(kind.rawValue).modification", object: "personne:\(current.person)", details: .object([("entree", .string(id))]))
            return .changed(Entry(id: id, person: current.person, kind: kind, body: entry.json, version: version + 1, createdAt: current.createdAt, createdBy: current.createdBy))
        }
    }

    /// The monthly measures of `usage.md` for the establishment, computed from its records by the
    /// definitions of `dui.md` (`DUIMeasures`). Counts only: no audit of a person.
    public func measures(finessET: String, from: YearMonth, to: YearMonth) async throws -> [MonthlyMeasure] {
        var records: [String: DUIRecord] = [:]
        // Stays and projets: a few per person, read whole.
        let spans = try await store.sql.select().columns(SQLColumn("person", table: "e"), SQLColumn("kind", table: "e"), SQLColumn("day", table: "e"),
                                                         SQLColumn("until", table: "e"), SQLColumn("status", table: "e"))
            .from(SQLAlias(SQLIdentifier("dui_entries"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("dui_persons"), as: SQLIdentifier("p")), on: SQLColumn("id", table: "p"), .equal, SQLColumn("person", table: "e"))
            .where(SQLColumn("finess_et", table: "p"), .equal, SQLBind(finessET))
            .where(SQLColumn("kind", table: "e"), .in, SQLBind.group([DUIInput.Kind.stay.rawValue, DUIInput.Kind.projet.rawValue])).all()
        for row in spans {
            guard let day = try row.decode(column: "day", as: String?.self).flatMap(CalendarDate.init(iso:)) else { continue }
            let person = try row.decode(column: "person", as: String.self)
            let until = try row.decode(column: "until", as: String?.self).flatMap(CalendarDate.init(iso:))
            var r = records[person] ?? DUIRecord()
            if try row.decode(column: "kind", as: String.self) == DUIInput.Kind.stay.rawValue {
                r.stays.append(.init(start: day, end: until))
            } else if let until {
                r.projets.append(.init(elaboratedOn: day, nextReview: until, agreed: try row.decode(column: "status", as: String?.self) == DUIInput.ProjetStatus.valide.rawValue))
            }
            records[person] = r
        }
        // Notes, documents and events: only whether a person has one in a month matters — one row
        // per person and month (`dui_person_months`, kept with every entry added).
        let months = try await store.sql.select().columns(SQLColumn("person", table: "m"), SQLColumn("month", table: "m"), SQLColumn("event", table: "m"))
            .from(SQLAlias(SQLIdentifier("dui_person_months"), as: SQLIdentifier("m")))
            .join(SQLAlias(SQLIdentifier("dui_persons"), as: SQLIdentifier("p")), on: SQLColumn("id", table: "p"), .equal, SQLColumn("person", table: "m"))
            .where(SQLColumn("finess_et", table: "p"), .equal, SQLBind(finessET))
            .where(SQLColumn("month", table: "m"), .greaterThanOrEqual, SQLBind(from.description)).where(SQLColumn("month", table: "m"), .lessThanOrEqual, SQLBind(to.description)).all()
        for row in months {
            guard let month = YearMonth(iso: try row.decode(column: "month", as: String.self)), let first = CalendarDate(iso: month.description + "-01") else { continue }
            let person = try row.decode(column: "person", as: String.self)
            var r = records[person] ?? DUIRecord()
            if try row.decode(column: "event", as: Int.self) == 1 { r.events.append((first, .realise)) } else { r.entries.append(first) }
            records[person] = r
        }
        // The successful sendings (MSSanté) and submissions (DMP) of the establishment's documents.
        let sent = try await store.sql.select().columns(SQLColumn("person", table: "e"), SQLColumn("channel", table: "s"), SQLColumn("day", table: "s"))
            .from(SQLAlias(SQLIdentifier("dui_sendings"), as: SQLIdentifier("s")))
            .join(SQLAlias(SQLIdentifier("dui_entries"), as: SQLIdentifier("e")), on: SQLColumn("id", table: "e"), .equal, SQLColumn("document", table: "s"))
            .join(SQLAlias(SQLIdentifier("dui_persons"), as: SQLIdentifier("p")), on: SQLColumn("id", table: "p"), .equal, SQLColumn("person", table: "e"))
            .where(SQLColumn("finess_et", table: "p"), .equal, SQLBind(finessET)).where(SQLColumn("outcome", table: "s"), .equal, SQLBind(Sending.Outcome.ok.rawValue)).all()
        for row in sent {
            guard let day = CalendarDate(iso: try row.decode(column: "day", as: String.self)),
                  let channel = Sending.Channel(rawValue: try row.decode(column: "channel", as: String.self)) else { continue }
            let person = try row.decode(column: "person", as: String.self)
            var r = records[person] ?? DUIRecord()
            if channel == .dmp { r.dmpSubmitted.append(day) } else { r.mssSent.append(day) }
            records[person] = r
        }
        return DUIMeasures.monthly(finessET: finessET, records: Array(records.values), from: from, to: to)
    }

    /// The entries that make a record active in their month, and the month's row made from them.
    static let activeEntries = "e.day IS NOT NULL AND (e.kind IN ('note', 'document') OR (e.kind = 'event' AND e.status <> 'annule'))"
    static let activityRow = "INSERT INTO dui_person_months (person, month, event) SELECT e.person, substr(e.day, 1, 7), MAX(CASE WHEN e.kind = 'event' THEN 1 ELSE 0 END)"

    /// The backfill of migration 17: every record's monthly activity from its entries.
    static let activityBackfill = "\(activityRow) FROM dui_entries e WHERE \(activeEntries) GROUP BY e.person, substr(e.day, 1, 7)"

    /// The monthly activity of an establishment's records computed again from their entries,
    /// after entries were written without `addEntry` (a bulk load); in one transaction.
    public func rebuildActivity(finessET: String) async throws {
        try await store.transaction(immediate: true) {
            try await store.sql.raw("DELETE FROM dui_person_months WHERE person IN (SELECT id FROM dui_persons WHERE finess_et = \(bind: finessET))").run()
            try await store.sql.raw("""
                \(unsafeRaw: Self.activityRow) FROM dui_entries e JOIN dui_persons p ON p.id = e.person
                WHERE p.finess_et = \(bind: finessET) AND \(unsafeRaw: Self.activeEntries) GROUP BY e.person, substr(e.day, 1, 7)
                """).run()
        }
    }

    /// Those of these establishments whose DUI runs on the platform (at least one person).
    public func establishmentsWithRecords(_ ets: [String]) async throws -> Set<String> {
        var found: Set<String> = []
        for start in stride(from: 0, to: ets.count, by: 500) {
            let chunk = Array(ets[start..<min(start + 500, ets.count)])
            for row in try await store.sql.select().distinct().column("finess_et").from("dui_persons").where("finess_et", .in, SQLBind.group(chunk)).all() {
                found.insert(try row.decode(column: "finess_et", as: String.self))
            }
        }
        return found
    }

    /// A document of a person's record with its PDF, and the person (for an outgoing document).
    public func document(_ id: String) async throws -> (entry: Entry, person: Person, pdf: [UInt8])? {
        guard let (entry, _) = try await findEntry(id), entry.kind == .document, let person = try await find(entry.person),
              let row = try await store.sql.select().column("content").from("dui_contents").where("id", .equal, SQLBind(id)).first() else { return nil }
        return (entry, person, Array(try row.decode(column: "content", as: Data.self)))
    }

    /// Records a sending or a submission, dated on the server's today; an audit event naming the person.
    public func recordSending(document: Entry, channel: Sending.Channel, recipient: String?, outcome: Sending.Outcome, detail: String?, by actor: String) async throws -> Sending {
        let sending = Sending(id: GrappeRepository.newID(), document: document.id, channel: channel, recipient: recipient, day: today(), outcome: outcome,
                              detail: detail, attempts: 1, nextAttempt: nil)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "dui_sendings").columns("id", "document", "channel", "recipient", "day", "outcome", "detail", "at", "by_user")
                .values(SQLBind(sending.id), SQLBind(document.id), SQLBind(channel.rawValue), SQLBind(recipient), SQLBind(sending.day.description),
                        SQLBind(outcome.rawValue), SQLBind(detail), SQLBind(Timestamp.preciseNow()), SQLBind(actor)).run()
            try await audit.record(actor: actor, action: "dui.document.\(channel.rawValue)", object: "personne:\(document.person)",
                                   details: .object([("document", .string(document.id)), ("resultat", .string(outcome.rawValue))]))
        }
        return sending
    }
}

extension JSON {
    /// The pairs of an object; nil for anything else.
    public var objectPairs: [(String, JSON)]? {
        if case let .object(pairs) = self { return pairs }
        return nil
    }
}
