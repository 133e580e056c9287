import Foundation
import Rules
import Store

/// The instructor's heavy reads as their handlers build them — the list, the ranking, the XLSX
/// export — shared by the API and by `esms bench instruction`, which times them without HTTP.
public struct InstructionWork: Sendable {
    let dossiers: DossierRepository

    public init(dossiers: DossierRepository) { self.dossiers = dossiers }

    /// `GET /dossiers` for `principal`, rendered: its bytes.
    public func listBytes(for principal: Principal) async throws -> Int {
        Self.json(try await dossiers.list(for: principal)).rendered(indent: false).utf8.count
    }

    /// `GET /instruction/ranking` of a campaign and a scope, rendered: its bytes.
    public func rankingBytes(campaign: String, scope: String) async throws -> Int {
        try await ranking(campaign: campaign, scope: scope).rendered(indent: false).utf8.count
    }

    /// `GET /dossiers/export.xlsx` for `principal`: the rows of its sheets and its bytes.
    public func xlsxSize(for principal: Principal) async throws -> (rows: [Int], bytes: Int) {
        let (workbook, data) = try await xlsx(for: principal)
        return (workbook.sheets.map(\.rows.count), data.count)
    }

    static func json(_ list: [DossierSummary]) -> JSON { .array(list.map(DossierAPI.summary)) }

    func ranking(campaign: String, scope: String) async throws -> JSON {
        let (envelope, committed, lines) = try await dossiers.ranking(campaign: campaign, scope: scope)
        return .object([
            ("campaign", .string(campaign)), ("scope", .string(scope)), ("envelope", envelope.map(JSON.euros) ?? .null),
            ("committed", .euros(committed)), ("remaining", envelope.map { .euros($0 - committed) } ?? .null),
            ("note", envelope == nil ? .string("la campagne ne donne pas d'enveloppe : l'acceptation n'est pas limitée") : .null),
            ("dossiers", .array(lines.map { l in
                .object([("id", .string(l.candidate.id)), ("title", .string(l.candidate.title)), ("state", .string(l.candidate.state.rawValue)),
                         ("priorities", .array(l.candidate.priorities.map(JSON.string))), ("score", l.candidate.score.map(JSON.int) ?? .null),
                         ("amount", .euros(l.candidate.amount)), ("cumulative", .euros(l.cumulative)), ("fitsEnvelope", .bool(l.fitsEnvelope))])
            })),
        ])
    }

    func xlsx(for principal: Principal) async throws -> (Workbook, Data) {
        let workbook = try await DossierExport(dossiers: dossiers).workbook(for: principal)
        return (workbook, try await workbook.xlsx())
    }
}
