import Foundation
import Rules
import Store

/// The export of the dossiers a caller sees (`dossiers.md`: `GET /dossiers/export.csv` and
/// `.xlsx`): the sheets `Dossiers` (one row per filed dossier), `Etablissements` (one row per
/// establishment of each) and `Avis`; the CSV is the first sheet. Drafts are the porteur's own and
/// never exported.
struct DossierExport {
    let dossiers: DossierRepository

    static let dossierColumns = ["id", "intitulé", "porteur", "campagne", "nature", "état", "région", "établissements", "demandé (€)", "accordé (€)",
                                 "note /15", "priorités", "déposé le", "décidé le", "motivation", "instructeur"]
    static let establishmentColumns = ["dossier", "FINESS ET", "FINESS EJ", "établissement", "secteur", "département", "nature", "retenu",
                                       "règle d'exclusion", "motif d'exclusion"]
    static let avisColumns = ["dossier", "expert", "question", "échéance", "demandé par", "demandé le", "avis", "commentaire", "rendu le"]

    /// The workbook of the scope; `sheets: 1` builds only `Dossiers` (the CSV).
    func workbook(for principal: Principal, sheets count: Int = 3) async throws -> Workbook {
        let filed = try await dossiers.list(for: principal, limit: nil, shape: .full).filter { $0.state != .brouillon }
        let ids = filed.map(\.id)
        let decided: Set<DossierState> = [.accepte, .refuse, .classeSansSuite]
        let days = try await dossiers.decisionTimes(ids.enumerated().filter { decided.contains(filed[$0.offset].state) }.map(\.element))
        func day(_ iso: String?) -> Workbook.Cell {
            guard let iso, let d = FrenchTime.day(iso) else { return .empty }
            return .date(d)
        }
        var sheets = [Workbook.Sheet(name: "Dossiers", columns: Self.dossierColumns, rows: filed.map { d in
            [.text(d.id), .text(d.title), .text(d.porteur), .text(d.campaign), .text(d.kind), .text(d.state.rawValue),
             .text(d.region ?? (d.instruction == "CNSA" ? "national" : "")), .integer(d.establishments),
             d.requested.map(Workbook.Cell.euros) ?? .empty, d.granted?["total"]?.cents.map(Workbook.Cell.euros) ?? .empty,
             d.scoreTotal.map(Workbook.Cell.integer) ?? .empty, .text(dossiers.priorities(d).map(\.rawValue).joined(separator: ", ")),
             day(d.filedAt), day(days[d.id]), .text(d.decision), .text(d.instructor)]
        })]
        guard count > 1 else { return Workbook(sheets: sheets) }
        sheets.append(Workbook.Sheet(name: "Etablissements", columns: Self.establishmentColumns, rows: try await dossiers.establishmentLines(ids).map { e in
            [.text(e.dossier), .text(e.finessET), .text(e.finessEJ), .text(e.name), .text(e.sector), .text(e.department), .text(e.kind),
             .text(e.excludedRule == nil ? "oui" : "non"), .text(e.excludedRule), .text(e.excludedReason)]
        }))
        sheets.append(Workbook.Sheet(name: "Avis", columns: Self.avisColumns, rows: try await dossiers.avis(dossiers: ids).map { a in
            [.text(a.dossier), .text(a.expert), .text(a.question), day(a.dueDate), .text(a.askedBy), day(a.askedAt), .text(a.answer),
             .text(a.comment), day(a.answeredAt)]
        }))
        return Workbook(sheets: sheets)
    }

    /// An export reads every dossier of a scope: the audit log says who took which.
    static func audit(_ dossiers: DossierRepository, _ principal: Principal, _ context: SiteContext, format: String, count: Int) async throws {
        _ = try await AuditLog(store: dossiers.store).record(actor: principal.email, action: "dossier.export", object: "dossiers", remote: context.remote,
                                                             details: .object([("format", .string(format)), ("dossiers", .int(count))]))
    }
}
