import Rules

/// `/campagnes` (`Templates/campaigns.mustache`): every parameter of every campaign with its
/// source, its notes and the other reading of a conflict.
struct CampaignsView: PageView {
    static let template = "campaigns"
    let layout = Layout(title: "Campagnes et paramètres", section: .campaigns)
    let campaigns: [CampaignModel]

    struct CampaignModel {
        let id: String
        let label: String
        let ruleSetVersion: String
        let from: String
        let to: String
        let extends: String?
        let region: String?
        let parameters: [Parameter]
    }

    struct Parameter {
        let key: String
        let value: String
        let unit: String?
        let source: Cited
        let notes: String
        let alternative: String?
        let inheritedFrom: String?
        /// A value changed during the call: each value with its dates and source.
        let history: [String]
    }

    init(catalogue: CampaignCatalogue) {
        campaigns = catalogue.campaigns.map { c in
            CampaignModel(
                id: c.id, label: c.label, ruleSetVersion: c.ruleSetVersion, from: c.period.from.french, to: c.period.to.french,
                extends: c.extends, region: c.region.flatMap(Territory.region(code:))?.name,
                parameters: c.parameters.map { p in
                    Parameter(key: p.key, value: p.value.rendered(indent: false), unit: p.unit, source: Cited(p.source), notes: p.notes,
                              alternative: p.alternative, inheritedFrom: p.definedIn != c.id ? p.definedIn : nil,
                              history: p.history.map { h in
                                  "\(h.to.map { "Du \(h.from.french) au \($0.french)" } ?? "Depuis le \(h.from.french)") : \(h.value.rendered(indent: false)) (\(h.source))"
                              })
                })
        }
    }
}
