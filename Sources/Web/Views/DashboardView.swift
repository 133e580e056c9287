import Rules
import Store

/// `/tableau-de-bord` (`Templates/dashboard.mustache`): a campaign's dossiers by state and envelope
/// consumption per scope, a map of the regions (server-rendered SVG, every region labelled with
/// its figure, readable without colour, overseas regions as insets), the share of funded
/// establishments meeting each usage target, the dossiers late or close to their deadline.
struct DashboardView: PageView {
    static let template = "dashboard"
    let layout = Layout(title: "Tableau de bord", section: .dossiers)
    let campaign: String
    let campaignLabel: String
    let campaigns: [Option]
    let states: [String]
    let scopes: [ScopeLine]
    let map: RegionMap
    let usageCaption: String
    let usage: [UsageLine]
    let late: [LateLine]
    let lateCaption: String
    let exports: [Export]
    /// The page lists the first ones; the CSV and the XLSX have them all.
    static let lateShown = 100

    struct ScopeLine {
        let scope: String
        let counts: [String]
        let envelope: String
        let committed: String
        let ordered: String
        let remaining: String
    }

    struct UsageLine {
        let indicator: String
        let target: String
        let meeting: String
        let share: String
    }

    struct LateLine {
        let href: String
        let title: String
        let scope: String
        let deadline: String
        let situation: String
    }

    struct Export {
        let href: String
        let label: String
    }

    static func scopeName(_ scope: String) -> String {
        scope == "national" ? "National (CNSA)" : Territory.region(code: scope).map { "\($0.name) (\($0.code))" } ?? scope
    }

    static let shownStates = DossierState.allCases.filter { $0 != .brouillon }

    init(_ d: Dashboard, catalogue: CampaignCatalogue) {
        campaign = d.campaign
        campaignLabel = catalogue.campaign(d.campaign)?.label ?? ""
        campaigns = catalogue.campaigns.map { Option($0.id, "\($0.id) — \($0.label)", selected: d.campaign) }
        states = Self.shownStates.map { Show.sentenceCase($0.french) }
        scopes = d.lines.map { e in
            ScopeLine(scope: e.scope == DashboardTable.total ? "Total" : Self.scopeName(e.scope), counts: Self.shownStates.map { String(e.counts[$0] ?? 0) },
                      envelope: e.envelope.map(Money.format) ?? "sans enveloppe", committed: Money.format(e.committed), ordered: Money.format(e.ordered),
                      remaining: e.remaining.map(Money.format) ?? "—")
        }
        map = RegionMap(d.envelopes)
        usageCaption = "Établissements financés atteignant chaque cible sur leur dernier mois mesuré : \(d.measured) mesurés sur \(d.funded) financés"
        usage = Indicator.allCases.map { i in
            let n = d.meeting[i] ?? 0
            return UsageLine(indicator: Show.sentenceCase(i.french), target: "\(d.targets[i] ?? 0) %", meeting: "\(n) sur \(d.measured)",
                             share: d.measured == 0 ? "non mesurable" : UsageReport.percent(Double(n) / Double(d.measured)))
        }
        lateCaption = d.late.count > Self.lateShown
            ? "Dossiers acceptés sans solde ordonné, échéance passée ou dans moins de trois mois : les \(Self.lateShown) plus proches sur \(d.late.count) (tous dans l'export)"
            : "Dossiers acceptés sans solde ordonné, échéance passée ou dans moins de trois mois (\(d.late.count))"
        late = d.late.prefix(Self.lateShown).map { l in
            LateLine(href: SiteURL.dossier(l.id).path, title: l.title, scope: Self.scopeName(l.scope), deadline: l.deadline.french + (l.revised ? " (révisée)" : ""),
                     situation: l.past ? "échéance passée, solde non ordonné" : "échéance dans moins de trois mois")
        }
        exports = [Export(href: SiteURL.dashboardXLSX.path + "?campaign=\(d.campaign)", label: "Tout le tableau de bord (XLSX)")]
            + DashboardTable.allCases.map { Export(href: SiteURL.dashboardCSV.path + "?campaign=\(d.campaign)&table=\($0.rawValue)", label: "\($0.title) (CSV)") }
    }
}

extension Dashboard {
    /// One line per scope and, over several, their sum (the national view sums the regions).
    var lines: [DossierRepository.Envelope] {
        guard envelopes.count > 1 else { return envelopes }
        let amounts = envelopes.compactMap(\.envelope)
        var total = DossierRepository.Envelope(scope: DashboardTable.total, campaign: campaign, envelope: amounts.isEmpty ? nil : amounts.reduce(0, +))
        for e in envelopes {
            total.committed += e.committed
            total.ordered += e.ordered
            for (state, n) in e.counts { total.counts[state, default: 0] += n }
        }
        return envelopes + [total]
    }
}

/// The tables of the dashboard, each exported as CSV and as a sheet of the XLSX.
enum DashboardTable: String, CaseIterable {
    case enveloppes, usages, retards

    /// The scope of the sum line.
    static let total = "total"

    var title: String {
        switch self {
        case .enveloppes: return "Dossiers et enveloppes par périmètre"
        case .usages: return "Cibles d'usage"
        case .retards: return "Dossiers en retard ou proches de l'échéance"
        }
    }

    func sheet(_ d: Dashboard) -> Workbook.Sheet {
        switch self {
        case .enveloppes:
            return Workbook.Sheet(name: "Enveloppes", columns: ["Périmètre"] + DashboardView.shownStates.map { Show.sentenceCase($0.french) } + ["Enveloppe (€)", "Engagé (€)", "Ordonné (€)", "Restant (€)"],
                                  rows: d.lines.map { e in
                                      [.text(e.scope == Self.total ? "Total" : DashboardView.scopeName(e.scope))] + DashboardView.shownStates.map { .integer(e.counts[$0] ?? 0) }
                                          + [e.envelope.map(Workbook.Cell.euros) ?? .empty, .euros(e.committed), .euros(e.ordered), e.remaining.map(Workbook.Cell.euros) ?? .empty]
                                  })
        case .usages:
            return Workbook.Sheet(name: "Usages", columns: ["Indicateur", "Cible (%)", "Établissements atteignant la cible", "Établissements mesurés", "Part"],
                                  rows: Indicator.allCases.map { i in
                                      [.text(Show.sentenceCase(i.french)), .integer(d.targets[i] ?? 0), .integer(d.meeting[i] ?? 0), .integer(d.measured),
                                       d.measured == 0 ? .empty : .percent(Double(d.meeting[i] ?? 0) / Double(d.measured))]
                                  })
        case .retards:
            return Workbook.Sheet(name: "Retards", columns: ["Dossier", "Intitulé", "Périmètre", "Échéance", "Révisée", "Situation"],
                                  rows: d.late.map { l in
                                      [.text(l.id), .text(l.title), .text(DashboardView.scopeName(l.scope)), .date(l.deadline), .text(l.revised ? "oui" : "non"),
                                       .text(l.past ? "échéance passée, solde non ordonné" : "échéance dans moins de trois mois")]
                                  })
        }
    }
}

/// The regions as a tile map: one labelled tile per region at its approximate place, the five
/// overseas regions in a framed row below. Each tile says its figures in words (committed amount,
/// accepted dossiers); a tile with activity is also outlined thicker, never only coloured.
struct RegionMap {
    let width = 1030, height = 680
    let description: String
    let tiles: [Tile]
    let insetLabelY = "560"

    struct Tile {
        let x, y, width, height, nameX, nameY, figureY, countY: String
        let name: String
        let figure: String
        let count: String
        let strokeWidth: String
    }

    /// (column, row) of each metropolitan region; the overseas ones follow in a row.
    static let places: [String: (Double, Double)] = [
        "32": (2, 0), "28": (1, 1), "11": (2, 1), "44": (3, 1), "53": (0, 2), "52": (1, 2), "24": (2, 2), "27": (3, 2),
        "75": (1, 3), "84": (3, 3), "76": (1.5, 4), "93": (3, 4), "94": (4.0, 3.6),
    ]
    static let overseas = ["01", "02", "03", "04", "06"]

    init(_ envelopes: [DossierRepository.Envelope]) {
        let byScope = Dictionary(envelopes.map { ($0.scope, $0) }, uniquingKeysWith: { a, _ in a })
        let w = 204.0, h = 96.0
        func tile(_ region: Region, x: Double, y: Double) -> Tile {
            let e = byScope[region.code]
            let accepted = e?.counts[.accepte] ?? 0
            return Tile(x: String(Int(x)), y: String(Int(y)), width: String(Int(w - 8)), height: String(Int(h - 8)),
                        nameX: String(Int(x + 8)), nameY: String(Int(y + 22)), figureY: String(Int(y + 46)), countY: String(Int(y + 68)),
                        name: region.name, figure: e.map { "\(Money.format($0.committed)) engagés" } ?? "hors périmètre",
                        count: e.map { "\($0.counts[.accepte] ?? 0) accepté\(accepted > 1 ? "s" : ""), \(Money.format($0.ordered)) ordonnés" } ?? "",
                        strokeWidth: accepted > 0 ? "3" : "1")
        }
        var tiles: [Tile] = []
        for region in Territory.regions {
            if let (c, r) = Self.places[region.code] { tiles.append(tile(region, x: 10 + c * w, y: 10 + r * (h + 6))) }
        }
        for (i, code) in Self.overseas.enumerated() {
            if let region = Territory.region(code: code) { tiles.append(tile(region, x: 10 + Double(i) * w, y: 574)) }
        }
        self.tiles = tiles
        let active = envelopes.filter { ($0.counts[.accepte] ?? 0) > 0 }.map { "\(DashboardView.scopeName($0.scope)) : \(Money.format($0.committed)) engagés" }
        description = "Carte des régions : chaque région porte le montant engagé et le nombre de dossiers acceptés. " + (active.isEmpty ? "Aucun dossier accepté." : active.joined(separator: " ; ") + ".")
    }
}
