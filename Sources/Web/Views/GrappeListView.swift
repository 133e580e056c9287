import Rules
import Store

/// `/grappes` (`Templates/grappes.mustache`): the saved grappes and the form for a new one.
struct GrappeListView: PageView {
    static let template = "grappes"
    let layout = Layout(title: "Grappes", section: .grappes)
    let newGrappe: NewGrappeForm
    let grappes: [Row]

    struct Row {
        let href: String
        let name: String
        let establishments: Int
        let updated: String
    }

    init(grappes: [SavedGrappe], catalogue: CampaignCatalogue, today: CalendarDate) {
        newGrappe = NewGrappeForm(catalogue: catalogue, today: today)
        self.grappes = grappes.map { g in
            var count = 0
            if case let .array(items)? = g.project["establishments"] { count = items.count }
            return Row(href: SiteURL.grappe(g.id).path, name: g.name, establishments: count, updated: Show.day(g.updatedAt))
        }
    }
}

/// `POST /grappes` refused (`Templates/new-grappe.mustache`): the form again, with why.
struct NewGrappeView: PageView {
    static let template = "new-grappe"
    let layout = Layout(title: "Nouvelle grappe")
    let newGrappe: NewGrappeForm

    init(catalogue: CampaignCatalogue, today: CalendarDate) { newGrappe = NewGrappeForm(catalogue: catalogue, today: today) }
}
