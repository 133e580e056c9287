import Registry
import Rules
import Store

/// `/finess` (`Templates/finess.mustache`): the search and its results, each with a form to add
/// it to a grappe.
struct FinessView: PageView {
    static let template = "finess"
    let layout = Layout(title: "Rechercher dans FINESS", section: .finess)
    let search: SearchForm
    var error: String? = nil
    var none: String? = nil
    var results: Results? = nil

    struct Results {
        let caption: String
        let addAction = SiteURL.addFromSearch.path
        let grappes: [Option]
        let rows: [Row]
        /// Searching an organisme's FINESS EJ: its ESSMS come ticked, to add them all at once.
        let organisme: String?
    }

    struct Row {
        let finessET: String
        let name: String
        let address: String
        let town: String
        let category: String
        let sector: String
        let finessEJ: String
        let organisme: String
        let checked: Bool
    }

    init(text: String, department: String?, sector: String?) {
        search = SearchForm(text: text, department: department, sector: sector)
    }

    mutating func unknownDepartment(_ department: String) {
        error = "Département INSEE inconnu « \(Limits.quote(department)) » : attendu 01…95, 2A, 2B, 971…974 ou 976."
    }

    mutating func show(_ found: [RegistryEstablishment], owners: [String: String], grappes: [SavedGrappe], text: String, organisme: String?) {
        guard !found.isEmpty else {
            none = "Aucun établissement ne correspond à « \(Limits.quote(text)) »."
            return
        }
        results = Results(
            caption: "\(found.count) établissement\(found.count > 1 ? "s" : "") trouvé\(found.count > 1 ? "s" : "")",
            grappes: grappes.map { Option($0.id, $0.name) },
            rows: found.map { e in
                Row(finessET: e.finessET, name: e.name, address: e.address ?? "", town: e.town ?? "", category: e.categoryLabel ?? e.category,
                    sector: e.sector.map { "\($0.rawValue)\(e.sectorDecision == .review ? " (à confirmer)" : "")" } ?? (e.essms ? "à préciser" : "hors ESSMS"),
                    finessEJ: e.finessEJ, organisme: owners[e.finessEJ] ?? "", checked: organisme != nil && e.essms)
            },
            organisme: organisme.map { ej in "Les établissements de l'organisme \(owners[ej] ?? ej) (FINESS EJ \(ej)) : ses ESSMS sont cochés, pour les ajouter d'un coup." })
    }
}
