import Registry
import Rules
import Store

/// `/` (`Templates/home.mustache`): the search form, a new grappe, the recent grappes.
struct HomeView: PageView {
    static let template = "home"
    let layout = Layout(title: "Accueil", section: .home)
    let search: SearchForm
    /// For a porteur: the form of a new grappe and its recent grappes; signed out, the sign-in link.
    let newGrappe: NewGrappeForm?
    let recent: [GrappeLink]
    let porteur: Bool
    let signIn = SiteURL.signIn.path

    struct GrappeLink {
        let href: String
        let name: String
        let updated: String
    }

    init(grappes: [SavedGrappe], catalogue: CampaignCatalogue) {
        search = SearchForm(text: "", department: nil, sector: nil)
        porteur = Viewer.current?.has(.porteur) == true
        newGrappe = porteur ? NewGrappeForm(catalogue: catalogue) : nil
        recent = grappes.map { GrappeLink(href: SiteURL.grappe($0.id).path, name: $0.name, updated: Show.day($0.updatedAt)) }
    }
}

/// The FINESS search form (`Templates/search-form.mustache`).
struct SearchForm {
    let action = SiteURL.finess.path
    let text: String
    let department: String
    let sectors: [Option]

    init(text: String, department: String?, sector: String?) {
        self.text = text
        self.department = department ?? ""
        sectors = [Option("", "Tous", selected: sector)] + Sector.allCases.map { Option($0.rawValue, "\($0.rawValue) — \($0.label)", selected: sector) }
    }
}

/// The new grappe form (`Templates/new-grappe-form.mustache`): a name and a campaign.
struct NewGrappeForm {
    let action = SiteURL.grappes.path
    let campaigns: [Option]
    let preset: String?
    /// The organismes (FINESS EJ) the porteur signed in acts for: a choice when there are several.
    let porteurs: [Option]
    let choosePorteur: Bool

    init(catalogue: CampaignCatalogue, preset: String? = nil) {
        campaigns = catalogue.campaigns.map { Option($0.id, "\($0.id) — \($0.label)") }
        self.preset = preset
        porteurs = (Viewer.current?.scopes(.porteur) ?? []).map { Option($0, "FINESS EJ \($0)") }
        choosePorteur = porteurs.count > 1
    }
}
