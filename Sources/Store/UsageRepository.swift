import Foundation
import Rules
import SQLKit

/// Monthly usage measures in the store: one value per ESSMS and month, a correction replacing the
/// earlier value, and every change kept with who made it, when, and from which file.
public struct UsageRepository: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public struct ImportCounts: Sendable, Equatable {
        public var added = 0, replaced = 0, unchanged = 0
        public init(added: Int = 0, replaced: Int = 0, unchanged: Int = 0) { self.added = added; self.replaced = replaced; self.unchanged = unchanged }
    }

    public struct Change: Sendable, Equatable {
        public let previous: JSON?
        public let current: JSON
        public let changedAt: String
        public let changedBy: String
        public let source: String
    }

    static func counts(_ m: MonthlyMeasure) -> JSON {
        .object([("persons", .int(m.persons)), ("activeRecords", .int(m.activeRecords)), ("activeWithProjet", .int(m.activeWithProjet)),
                 ("activeWithEvent", .int(m.activeWithEvent)), ("mssMessagesSent", .int(m.mssMessagesSent)), ("dmpFedPersons", .int(m.dmpFedPersons))])
    }

    /// Stores the measures in one transaction; the same value again changes nothing.
    public func importMeasures(_ measures: [MonthlyMeasure], by author: String, source: String) async throws -> ImportCounts {
        try await store.transaction(immediate: true) { try await write(measures, by: author, source: source) }
    }

    /// The writes of an import, inside the caller's transaction (a dossier's measures go with the
    /// change of the dossier).
    func write(_ measures: [MonthlyMeasure], by author: String, source: String) async throws -> ImportCounts {
        // Nothing the usage computation would refuse is ever stored.
        do { try MonthlyMeasure.checkPlausible(measures) } catch { throw StoreError(error.description) }
        let ets = Array(Set(measures.map(\.finessET)))
        let now = Timestamp.now()
        var existing: [String: MonthlyMeasure] = [:]
        for m in try await self.measures(for: ets) { existing["\(m.finessET)|\(m.month)"] = m }
        var counts = ImportCounts()
        for m in measures {
            let previous = existing["\(m.finessET)|\(m.month)"]
            if previous == m { counts.unchanged += 1; continue }
            if previous == nil {
                counts.added += 1
                try await store.sql.insert(into: "usage_measure")
                    .columns("finess_et", "month", "persons", "active_records", "active_with_projet", "active_with_event", "mss_messages_sent", "dmp_fed_persons", "changed_at", "changed_by")
                    .values(SQLBind(m.finessET), SQLBind(m.month.description), SQLBind(m.persons), SQLBind(m.activeRecords), SQLBind(m.activeWithProjet),
                            SQLBind(m.activeWithEvent), SQLBind(m.mssMessagesSent), SQLBind(m.dmpFedPersons), SQLBind(now), SQLBind(author))
                    .run()
            } else {
                counts.replaced += 1
                try await store.sql.update("usage_measure")
                    .set("persons", to: SQLBind(m.persons)).set("active_records", to: SQLBind(m.activeRecords))
                    .set("active_with_projet", to: SQLBind(m.activeWithProjet)).set("active_with_event", to: SQLBind(m.activeWithEvent))
                    .set("mss_messages_sent", to: SQLBind(m.mssMessagesSent)).set("dmp_fed_persons", to: SQLBind(m.dmpFedPersons))
                    .set("changed_at", to: SQLBind(now)).set("changed_by", to: SQLBind(author))
                    .where("finess_et", .equal, SQLBind(m.finessET)).where("month", .equal, SQLBind(m.month.description))
                    .run()
            }
            try await store.sql.insert(into: "usage_measure_history")
                .columns("finess_et", "month", "previous", "current", "changed_at", "changed_by", "source")
                .values(SQLBind(m.finessET), SQLBind(m.month.description), previous.map { SQLBind(Self.counts($0).rendered(indent: false)) } ?? SQLBind(String?.none),
                        SQLBind(Self.counts(m).rendered(indent: false)), SQLBind(now), SQLBind(author), SQLBind(source))
                .run()
        }
        // The last month of each establishment of the import, kept for the dashboard.
        var latest: [String: MonthlyMeasure] = [:]
        for m in measures where latest[m.finessET].map({ $0.month < m.month }) ?? true { latest[m.finessET] = m }
        for m in latest.values {
            try await store.sql.raw("""
                INSERT INTO usage_latest (finess_et, month, persons, active_records, active_with_projet, active_with_event, mss_messages_sent, dmp_fed_persons)
                VALUES (\(bind: m.finessET), \(bind: m.month.description), \(bind: m.persons), \(bind: m.activeRecords), \(bind: m.activeWithProjet),
                        \(bind: m.activeWithEvent), \(bind: m.mssMessagesSent), \(bind: m.dmpFedPersons))
                ON CONFLICT (finess_et) DO UPDATE SET month = excluded.month, persons = excluded.persons, active_records = excluded.active_records,
                    active_with_projet = excluded.active_with_projet, active_with_event = excluded.active_with_event,
                    mss_messages_sent = excluded.mss_messages_sent, dmp_fed_persons = excluded.dmp_fed_persons
                WHERE excluded.month >= usage_latest.month
                """).run()
        }
        // Counts of the import only: the measures themselves stay in their history.
        try await AuditLog(store: store).record(actor: author, action: "usage.import", object: "usage:\(source)", details: .object([
            ("etablissements", .int(ets.count)), ("ajoutees", .int(counts.added)), ("corrigees", .int(counts.replaced)), ("inchangees", .int(counts.unchanged)),
        ]))
        return counts
    }

    /// The stored measures of these establishments.
    public func measures(for ets: [String]) async throws -> [MonthlyMeasure] {
        var out: [MonthlyMeasure] = []
        for start in stride(from: 0, to: ets.count, by: 500) {
            let chunk = Array(ets[start..<min(start + 500, ets.count)])
            let rows = try await store.sql.select().columns("*").from("usage_measure")
                .where("finess_et", .in, SQLBind.group(chunk)).orderBy("finess_et").orderBy("month").all()
            for row in rows {
                guard let month = YearMonth(iso: try row.decode(column: "month", as: String.self)) else { continue }
                out.append(MonthlyMeasure(
                    finessET: try row.decode(column: "finess_et", as: String.self), month: month,
                    persons: try row.decode(column: "persons", as: Int.self), activeRecords: try row.decode(column: "active_records", as: Int.self),
                    activeWithProjet: try row.decode(column: "active_with_projet", as: Int.self), activeWithEvent: try row.decode(column: "active_with_event", as: Int.self),
                    mssMessagesSent: try row.decode(column: "mss_messages_sent", as: Int.self), dmpFedPersons: try row.decode(column: "dmp_fed_persons", as: Int.self)))
            }
        }
        return out
    }

    /// A correction: a stored measure replaced by another value, with its establishment and month.
    public struct Correction: Sendable, Equatable {
        public let finessET: String
        public let month: YearMonth
        public let change: Change
    }

    /// The latest corrections (values replaced, not first entries) of these establishments, newest
    /// first, at most `limit`; and how many there are in all.
    public func corrections(for ets: [String], limit: Int = 100) async throws -> (latest: [Correction], total: Int) {
        var all: [Correction] = []
        for start in stride(from: 0, to: ets.count, by: 500) {
            let chunk = Array(ets[start..<min(start + 500, ets.count)])
            let rows = try await store.sql.select().columns("id", "finess_et", "month", "previous", "current", "changed_at", "changed_by", "source")
                .from("usage_measure_history").where("finess_et", .in, SQLBind.group(chunk)).where(SQLColumn("previous"), .isNot, SQLLiteral.null)
                .orderBy("id", .descending).limit(limit).all()
            for row in rows {
                guard let month = YearMonth(iso: try row.decode(column: "month", as: String.self)) else { continue }
                all.append(Correction(finessET: try row.decode(column: "finess_et", as: String.self), month: month, change: Change(
                    previous: try JSON.parse(try row.decode(column: "previous", as: String.self)), current: try JSON.parse(try row.decode(column: "current", as: String.self)),
                    changedAt: try row.decode(column: "changed_at", as: String.self), changedBy: try row.decode(column: "changed_by", as: String.self),
                    source: try row.decode(column: "source", as: String.self))))
            }
        }
        var total = 0
        for start in stride(from: 0, to: ets.count, by: 500) {
            let chunk = Array(ets[start..<min(start + 500, ets.count)])
            let row = try await store.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("usage_measure_history")
                .where("finess_et", .in, SQLBind.group(chunk)).where(SQLColumn("previous"), .isNot, SQLLiteral.null).first()
            total += try row?.decode(column: "n", as: Int.self) ?? 0
        }
        return (Array(all.sorted { $0.change.changedAt > $1.change.changedAt }.prefix(limit)), total)
    }

    /// Every change of one measure, oldest first.
    public func history(finessET: String, month: YearMonth) async throws -> [Change] {
        let rows = try await store.sql.select().columns("previous", "current", "changed_at", "changed_by", "source").from("usage_measure_history")
            .where("finess_et", .equal, SQLBind(finessET)).where("month", .equal, SQLBind(month.description)).orderBy("id").all()
        return try rows.map { row in
            let previous = try row.decodeNil(column: "previous") ? nil : try JSON.parse(try row.decode(column: "previous", as: String.self))
            return Change(previous: previous, current: try JSON.parse(try row.decode(column: "current", as: String.self)),
                          changedAt: try row.decode(column: "changed_at", as: String.self), changedBy: try row.decode(column: "changed_by", as: String.self),
                          source: try row.decode(column: "source", as: String.self))
        }
    }
}
