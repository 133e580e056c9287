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
    /// For a professional or a direction: the establishments whose records they keep.
    let records: [RecordsLink]

    struct RecordsLink {
        let name: String
        let finessET: String
        let persons: String
        let agenda: String
        let indicators: String

        init(finessET: String, name: String) {
            self.name = name; self.finessET = finessET
            persons = SiteURL.duiPersons(finessET).path; agenda = SiteURL.duiAgenda(finessET).path; indicators = SiteURL.duiIndicators(finessET).path
        }
    }

    struct GrappeLink {
        let href: String
        let name: String
        let updated: String
    }

    init(grappes: [SavedGrappe], catalogue: CampaignCatalogue, today: CalendarDate, records: [RecordsLink] = []) {
        self.records = records
        search = SearchForm(text: "", department: nil, sector: nil)
        porteur = Viewer.current?.has(.porteur) == true
        newGrappe = porteur ? NewGrappeForm(catalogue: catalogue, today: today) : nil
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
    /// When no call is open today: says so, and what a grappe on a closed one is for.
    let noOpenCall: String?
    let preset: String?
    /// The organismes (FINESS EJ) the porteur signed in acts for: a choice when there are several.
    let porteurs: [Option]
    let choosePorteur: Bool

    /// The calls open today first (the first one chosen), then the closed ones, the latest first.
    init(catalogue: CampaignCatalogue, today: CalendarDate, preset: String? = nil) {
        let open = catalogue.campaigns.filter { CallStatus.isOpen($0, on: today) }
        let closed = catalogue.campaigns.filter { !CallStatus.isOpen($0, on: today) }.sorted { ($0.period.to, $0.id) > ($1.period.to, $1.id) }
        let chosen = open.first?.id
        campaigns = (open + closed).map { c in Option(c.id, "\(c.id) — \(c.label) (\(CallStatus.short(c, on: today)))", selected: chosen) }
        noOpenCall = open.isEmpty
            ? "Aucun appel à projets n'est ouvert le \(today.french) : les campagnes connues de la plateforme sont closes"
              + (closed.first.map { " (la dernière, « \($0.label) », le \($0.period.to.french))" } ?? "")
              + ". Une grappe s'y simule avec les règles de la campagne ; un dossier ne s'y dépose que si la campagne n'a pas de fenêtre de dépôt ou qu'une fenêtre est ouverte. Une ARS ajoute son appel sans code (fichier de campagne)."
            : nil
        self.preset = preset
        porteurs = (Viewer.current?.scopes(.porteur) ?? []).map { Option($0, "FINESS EJ \($0)") }
        choosePorteur = porteurs.count > 1
    }
}

/// Whether a call is open on a day (its period), in words for a person.
enum CallStatus {
    static func isOpen(_ c: Campaign, on day: CalendarDate) -> Bool { c.period.from <= day && day <= c.period.to }

    /// « ouverte jusqu'au 30/12/2022 », « close depuis le 30/12/2022 », « ouvre le 15/03/2022 ».
    static func short(_ c: Campaign, on day: CalendarDate) -> String {
        if isOpen(c, on: day) { return "ouverte jusqu'au \(c.period.to.french)" }
        return day < c.period.from ? "ouvre le \(c.period.from.french)" : "close depuis le \(c.period.to.french)"
    }

    /// The notice of a grappe on a call that is not open today; nil when it is.
    static func notice(_ c: Campaign, on day: CalendarDate) -> String? {
        guard !isOpen(c, on: day) else { return nil }
        let windows = c.rules(on: day).grid.windows.isEmpty
            ? "elle n'a pas de fenêtre de dépôt : un dossier s'y dépose encore."
            : "un dossier ne s'y dépose que dans une de ses fenêtres de dépôt, closes elles aussi."
        return "Campagne « \(c.label) » \(short(c, on: day)) (période du \(c.period.from.french) au \(c.period.to.french)) : l'évaluation applique ses règles ; \(windows)"
    }
}
