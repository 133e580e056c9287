import Foundation
import Rules
import SQLKit

/// The dashboard of a campaign (`payments.md`, « Envelopes and dashboards »): per scope, the
/// dossiers by state and the envelope's consumption; over the funded establishments, the share
/// meeting each usage target on their last measured month; the accepted dossiers late or close to
/// their deadline. Four queries, whatever the number of dossiers.
public struct Dashboard: Sendable {
    public let campaign: String
    public let envelopes: [DossierRepository.Envelope]
    /// Establishments of the accepted dossiers of the scopes, and those with a measure.
    public let funded: Int
    public let measured: Int
    /// Per indicator: how many measured establishments meet its target on their last month.
    public let meeting: [Indicator: Int]
    public let targets: [Indicator: Int]
    public let late: [Late]

    public struct Late: Sendable, Equatable {
        public let id: String
        public let title: String
        public let scope: String
        public let deadline: CalendarDate
        public let revised: Bool
        /// The deadline is past (else it is within three months).
        public let past: Bool
    }
}

extension DossierRepository {
    /// `scopes`: the caller's (`national` for the CNSA's dossiers, else region codes); `every`: a
    /// national reader, who sees every scope.
    public func dashboard(campaign id: String, scopes: [String], every: Bool) async throws -> Dashboard? {
        guard let campaign = engine.catalogue.campaign(id) else { return nil }
        let day = today()
        let grid = campaign.rules(on: day).grid
        let envelopes = try await envelopes(campaign: id, scopes: scopes, every: every)
        let seen = Set(envelopes.map(\.scope))
        func scope(_ instruction: String?, _ region: String?) -> String? { Dossier.scope(instruction: instruction, region: region) }
        let accepted = DossierState.accepte.rawValue

        // The funded establishments and the last measured month of each.
        let funded = try await store.sql.select().column(SQLColumn("instruction", table: "d")).column(SQLColumn("region", table: "d"))
            .column(SQLFunction("COUNT", args: SQLColumn("finess_et", table: "e")), as: "n")
            .from(SQLAlias(SQLIdentifier("dossier_establishments"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("dossiers"), as: SQLIdentifier("d")), on: SQLColumn("id", table: "d"), .equal, SQLColumn("dossier", table: "e"))
            .where(SQLColumn("state", table: "d"), .equal, SQLBind(accepted)).where(SQLColumn("campaign", table: "d"), .equal, SQLBind(id))
            .groupBy(SQLColumn("instruction", table: "d")).groupBy(SQLColumn("region", table: "d")).all()
        var fundedCount = 0
        for row in funded where scope(try row.decode(column: "instruction", as: String?.self), try row.decode(column: "region", as: String?.self)).map(seen.contains) == true {
            fundedCount += try row.decode(column: "n", as: Int.self)
        }
        // The last month of each funded establishment, kept with the measures (`usage_latest`),
        // counted in the database per scope: a target is met when numerator × 100 ≥ target ×
        // denominator, as `Rate.meets` says it (a zero denominator meets nothing).
        let targets: [Indicator: Int] = [.mss: grid.targetMssante, .dmp: grid.targetDmp, .activeRecords: grid.targetDui, .withProjet: grid.targetDui, .withEvent: grid.targetDui]
        func meets(_ numerator: String, _ denominator: String, _ indicator: Indicator) -> SQLQueryString {
            "SUM(CASE WHEN m.\(unsafeRaw: denominator) > 0 AND CAST(m.\(unsafeRaw: numerator) AS BIGINT) * 100 >= CAST(m.\(unsafeRaw: denominator) AS BIGINT) * \(literal: targets[indicator] ?? 100) THEN 1 ELSE 0 END)"
        }
        let latest = try await store.sql.raw("""
            SELECT d.instruction, d.region, COUNT(*) AS measured,
                \(meets("mss_messages_sent", "persons", .mss)) AS mss, \(meets("dmp_fed_persons", "persons", .dmp)) AS dmp,
                \(meets("active_records", "persons", .activeRecords)) AS active, \(meets("active_with_projet", "active_records", .withProjet)) AS projet,
                \(meets("active_with_event", "active_records", .withEvent)) AS event
            FROM dossier_establishments e
            JOIN dossiers d ON d.id = e.dossier AND d.state = \(bind: accepted) AND d.campaign = \(bind: id)
            JOIN usage_latest m ON m.finess_et = e.finess_et
            GROUP BY d.instruction, d.region
            """).all()
        var meeting: [Indicator: Int] = [:]
        var measured = 0
        for row in latest {
            guard scope(try row.decode(column: "instruction", as: String?.self), try row.decode(column: "region", as: String?.self)).map(seen.contains) == true else { continue }
            measured += try row.decode(column: "measured", as: Int.self)
            for (indicator, column) in [(Indicator.mss, "mss"), (.dmp, "dmp"), (.activeRecords, "active"), (.withProjet, "projet"), (.withEvent, "event")] {
                meeting[indicator, default: 0] += try row.decode(column: column, as: Int?.self) ?? 0
            }
        }

        // The accepted dossiers whose solde is not ordered, their deadline past or within three months.
        let rows = try await store.sql.raw("""
            SELECT d.id, d.title, d.instruction, d.region, d.kind, c.signed_at, f.deadline, p.validated_by, p.cancelled
            FROM dossiers d
            LEFT JOIN dossier_conventions c ON c.dossier = d.id AND c.kind = 'financement'
            LEFT JOIN dossier_followup f ON f.dossier = d.id
            LEFT JOIN dossier_payments p ON p.dossier = d.id AND p.instalment = 'solde'
            WHERE d.state = \(bind: accepted) AND d.campaign = \(bind: id)
            """).all()
        var late: [Dashboard.Late] = []
        let soon = day.adding(months: 3)
        for row in rows {
            guard let s = scope(try row.decode(column: "instruction", as: String?.self), try row.decode(column: "region", as: String?.self)), seen.contains(s),
                  try row.decode(column: "validated_by", as: String?.self) == nil, try row.decode(column: "cancelled", as: String?.self) == nil,
                  let signed = try row.decode(column: "signed_at", as: String?.self).flatMap(CalendarDate.init(iso:)) else { continue }
            let revised = try row.decode(column: "deadline", as: String?.self).flatMap(CalendarDate.init(iso:))
            let kind = try row.decode(column: "kind", as: String?.self)
            let months = kind == ProjectKind.miseEnConformite.rawValue ? grid.deadlineMiseEnConformiteMonths : grid.deadlineAcquisitionMonths
            let deadline = revised ?? signed.adding(months: months)
            guard deadline <= soon else { continue }
            late.append(Dashboard.Late(id: try row.decode(column: "id", as: String.self), title: try row.decode(column: "title", as: String.self), scope: s,
                                       deadline: deadline, revised: revised != nil, past: deadline < day))
        }
        late.sort { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        return Dashboard(campaign: id, envelopes: envelopes, funded: fundedCount, measured: measured, meeting: meeting, targets: targets, late: late)
    }
}
