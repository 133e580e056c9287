import Rules
import Store

/// `/classement` (`Templates/ranking.mustache`): the ranking of a scope's dossiers of a campaign
/// against its envelope (`dossiers.md`, « Ranking ») — accepted ones first, then by best priority of
/// the call, score and filing time — with the running total and whether each fits.
struct RankingView: PageView {
    static let template = "ranking"
    let layout = Layout(title: "Classement", section: .dossiers)
    let action = SiteURL.ranking.path
    let campaigns: [Option]
    let scopes: [Option]
    let campaignLabel: String
    let scopeLabel: String
    let envelope: String
    let committed: String
    let remaining: String
    let noEnvelope: Bool
    let priorities: [String]
    let rows: [Row]
    let count: Int
    let exportCSV = SiteURL.apiDossiersExportCSV.path
    let exportXLSX = SiteURL.apiDossiersExportXLSX.path

    struct Row {
        let rank: Int
        let href: String
        let title: String
        let state: String
        let priorities: String
        let score: String
        let amount: String
        let cumulative: String
        let fits: String
        let beyond: Bool
    }

    init(campaign: Campaign, scope: String, scopes: [String], catalogue: CampaignCatalogue, envelope: Cents?, committed: Cents, lines: [Ranking.Line], listed: [Priority]) {
        campaigns = catalogue.campaigns.map { Option($0.id, "\($0.id) — \($0.label)", selected: campaign.id) }
        self.scopes = scopes.map { Option($0, $0 == "national" ? "National (CNSA)" : (Territory.region(code: $0).map { "ARS \($0.name)" } ?? $0), selected: scope) }
        campaignLabel = campaign.label
        scopeLabel = scope == "national" ? "CNSA (national)" : (Territory.region(code: scope).map { "ARS \($0.name)" } ?? scope)
        self.envelope = envelope.map(Show.euros) ?? "—"
        self.committed = Show.euros(committed)
        remaining = envelope.map { Show.euros($0 - committed) } ?? "—"
        noEnvelope = envelope == nil
        priorities = listed.enumerated().map { "\($0.offset + 1). \(Show.sentenceCase($0.element.french))" }
        let labels = Dictionary(uniqueKeysWithValues: Priority.allCases.map { ($0.rawValue, $0.french) })
        rows = lines.enumerated().map { i, l in
            let c = l.candidate
            return Row(rank: i + 1, href: SiteURL.dossier(c.id).path, title: c.title, state: Show.sentenceCase(c.state.french),
                       priorities: c.priorities.compactMap { labels[$0] }.joined(separator: " ; "),
                       score: c.score.map { "\($0) / \(DossierScore.criteria.count * DossierScore.maximum)" } ?? "non noté",
                       amount: Show.euros(c.amount), cumulative: Show.euros(l.cumulative),
                       fits: l.fitsEnvelope ? "Oui" : "Non : au-delà de l'enveloppe", beyond: !l.fitsEnvelope)
        }
        count = lines.count
    }
}
