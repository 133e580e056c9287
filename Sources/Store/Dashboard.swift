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
        func scope(_ instruction: String?, _ region: String?) -> String? { instruction == "CNSA" ? "national" : region }
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
        let latest = try await store.sql.raw("""
            SELECT d.instruction, d.region, m.persons, m.active_records, m.active_with_projet, m.active_with_event, m.mss_messages_sent, m.dmp_fed_persons
            FROM usage_measure m
            JOIN (SELECT u.finess_et, MAX(u.month) AS month FROM usage_measure u
                  JOIN dossier_establishments e ON e.finess_et = u.finess_et
                  JOIN dossiers d ON d.id = e.dossier AND d.state = \(bind: accepted) AND d.campaign = \(bind: id)
                  GROUP BY u.finess_et) l ON l.finess_et = m.finess_et AND l.month = m.month
            JOIN dossier_establishments e ON e.finess_et = m.finess_et
            JOIN dossiers d ON d.id = e.dossier AND d.state = \(bind: accepted) AND d.campaign = \(bind: id)
            """).all()
        let targets: [Indicator: Int] = [.mss: grid.targetMssante, .dmp: grid.targetDmp, .activeRecords: grid.targetDui, .withProjet: grid.targetDui, .withEvent: grid.targetDui]
        var meeting: [Indicator: Int] = [:]
        var measured = 0
        for row in latest {
            guard scope(try row.decode(column: "instruction", as: String?.self), try row.decode(column: "region", as: String?.self)).map(seen.contains) == true else { continue }
            func count(_ column: String) throws -> Int { try row.decode(column: column, as: Int.self) }
            let persons = try count("persons"), active = try count("active_records")
            let rates: [Indicator: Rate] = [
                .mss: Rate(numerator: try count("mss_messages_sent"), denominator: persons), .dmp: Rate(numerator: try count("dmp_fed_persons"), denominator: persons),
                .activeRecords: Rate(numerator: active, denominator: persons), .withProjet: Rate(numerator: try count("active_with_projet"), denominator: active),
                .withEvent: Rate(numerator: try count("active_with_event"), denominator: active),
            ]
            measured += 1
            for (indicator, rate) in rates where rate.meets(targets[indicator] ?? 100) == true { meeting[indicator, default: 0] += 1 }
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
