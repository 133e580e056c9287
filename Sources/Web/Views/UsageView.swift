import Foundation
import Rules
import Store

/// `/grappes/:id/usages` (`Templates/usage.mustache`): the dates and measures forms, then the
/// five project rates month by month against the campaign's targets (a chart readable without
/// colour, and a table), the establishments that hold the project back, the deadline, the solde
/// decision and why.
struct UsageView: PageView {
    static let template = "usage"
    let layout: Layout
    let name: String
    let version: Int
    let back: String
    let message: Message?
    let refused: [String]
    let dates: DatesForm
    let uploadAction: String
    /// What each column of the measures file (`usage.md`) counts, in French.
    static let columnLabels = ["finessET": "numéro FINESS de l'établissement", "month": "mois, AAAA-MM", "persons": "personnes accompagnées",
                               "activeRecords": "dossiers usagers actifs", "activeWithProjet": "dossiers actifs avec un projet personnalisé",
                               "activeWithEvent": "dossiers actifs avec un événement d'agenda", "mssMessagesSent": "documents envoyés par MSSanté",
                               "dmpFedPersons": "personnes dont le DMP est alimenté"]
    /// The columns of the measures file, each with what it counts.
    let columns = MeasuresFile.columns.map { name in Self.columnLabels[name].map { "\(name) (\($0))" } ?? name }.joined(separator: ", ")
    let templateHref: String
    let reportHref: String
    let reportXLSXHref: String
    /// The latest corrections of a stored measure (#14: the correction history visible).
    var corrections: Corrections? = nil

    struct Corrections {
        let caption: String
        let rows: [Row]

        struct Row {
            let when: String
            let finessET: String
            let month: String
            let changes: String
            let by: String
            let source: String
        }

        /// nil when no measure was ever corrected.
        init?(_ latest: [UsageRepository.Correction], total: Int) {
            guard total > 0 else { return nil }
            caption = total > latest.count ? "Corrections des mesures : les \(latest.count) dernières sur \(total)" : "Corrections des mesures (\(total))"
            rows = latest.map { c in
                let changed = MeasuresFile.columns.dropFirst(2).compactMap { column -> String? in
                    guard let before = c.change.previous?[column], let after = c.change.current[column], before != after else { return nil }
                    return "\(UsageView.columnLabels[column] ?? column) : \(before.rendered(indent: false)) → \(after.rendered(indent: false))"
                }
                return Row(when: FrenchTime.dateTime(c.change.changedAt), finessET: c.finessET, month: c.month.description,
                           changes: changed.joined(separator: " ; "), by: c.change.changedBy, source: c.change.source)
            }
        }
    }
    var notice: String? = nil
    var failure: String? = nil
    var report: Report? = nil

    struct Message {
        let text: String
        let refused: Bool
    }

    struct DatesForm {
        let action: String
        let fields: [Field]

        struct Field {
            let id: String
            let label: String
            let type: String?
            let decimal: Bool
            let required: Bool
            let value: String
            let error: String?
        }

        /// `typed`: what the person sent, shown again when refused; `invalid`: the refused fields and why.
        init(grappe: SavedGrappe, typed: [String: String], invalid: [String: String]) {
            action = SiteURL.usageDates(grappe.id).path
            func value(_ key: String) -> String {
                if let text = typed[key] { return String(text.prefix(200)) }
                switch grappe.project[key] {
                case let .string(s)?: return s
                case let .number(n)?: return n
                default: return ""
                }
            }
            func field(_ id: String, _ label: String, date: Bool, required: Bool = false) -> Field {
                Field(id: id, label: label, type: date ? "date" : nil, decimal: !date, required: required, value: value(id), error: invalid[id])
            }
            fields = [
                field("commitmentDate", "Date d'engagement (signature de la convention)", date: true, required: true),
                field("vsrDate", "Date de la VSR (optionnelle)", date: true),
                field("expenses", "Dépenses déclarées, en euros (optionnel)", date: false),
            ]
        }
    }

    /// The report of the measures stored for the grappe's establishments.
    struct Report {
        let decision: String
        let decisionClass: String
        let soldeSentence: String
        let rules = "\(RuleID.P2.rawValue), \(RuleID.P3.rawValue)"
        let failing: [String]
        let chart: UsageChart?
        let columns: [String]
        let months: [Month]
        let behindCaption: String
        let behind: [Behind]
        let explanation: [AssessmentModel.Line]

        struct Month {
            let month: String
            let cells: [String]
        }

        struct Behind {
            let finessET: String
            let name: String
            let unmet: String
        }

        /// « Échéance le 1 mars 2027 (3 mois restants), au … », or, once past, since when it is.
        static func deadline(_ deadline: CalendarDate, asOf: CalendarDate, monthsLeft: Int) -> String {
            guard asOf > deadline else {
                return "Échéance le \(deadline.french) (\(monthsLeft) mois restant\(monthsLeft > 1 ? "s" : "")), au \(asOf.french)."
            }
            let months = (asOf.year * 12 + asOf.month) - (deadline.year * 12 + deadline.month) - (asOf.day < deadline.day ? 1 : 0)
            let since = months < 1 ? "depuis moins d'un mois" : "depuis \(months) mois"
            return "Échéance du \(deadline.french) dépassée \(since), au \(asOf.french)."
        }

        init(_ r: UsageReport) {
            switch r.solde.decision {
            case .releasable: (decisionClass, decision) = ("ok", "Solde libérable")
            case .notYet: (decisionClass, decision) = ("ars", "Solde pas encore libérable")
            case .late: (decisionClass, decision) = ("ko", "Échéance dépassée : l'ARS décide")
            }
            soldeSentence = "Montant du solde : \(Show.euros(r.solde.amount)). " + Self.deadline(r.deadline, asOf: r.asOf, monthsLeft: r.monthsLeft)
            failing = r.solde.failing.map { f in
                let name = Indicator(rawValue: f.indicator)?.french ?? "dépenses / subvention"
                return "\(name) : \(UsageReport.percent(f.value)) pour une cible de \(UsageReport.percent(f.target))"
            }
            chart = UsageChart(report: r)
            columns = Indicator.allCases.map { "\($0.short) (cible \(r.targets[$0]!) %)" }
            months = r.projectMonths.map { m in
                Month(month: m.month.description, cells: Indicator.allCases.map { i in
                    guard let rate = m.rates[i] else { return i.isNationalService ? "— (comptée dans la 1re mesure)" : "—" }
                    // U1: the first MSSanté and DMP measure covers three months, so it may pass 100 %.
                    let first = i.isNationalService && m.nationalServicesMonths > 1 ? " (1re mesure, sur \(m.nationalServicesMonths) mois)" : ""
                    return "\(UsageReport.percent(rate.value))\(rate.meets(r.targets[i]!) == true ? " ✓" : "")\(first)"
                })
            }
            let late = r.establishments.filter { !$0.unmet.isEmpty }
            behindCaption = "Établissements qui retiennent le projet, les plus en retard d'abord (\(late.count))"
            behind = late.prefix(100).map { e in
                Behind(finessET: e.finessET, name: e.name,
                       unmet: e.unmet.map { "\($0.indicator.french) \(UsageReport.percent($0.value)) (cible \($0.target) %)" }.joined(separator: " ; "))
            }
            explanation = r.explanation.map { AssessmentModel.Line($0, capitalised: false) }
        }
    }

    init(grappe: SavedGrappe, message: String?, refused: [String], typed: [String: String], invalid: [String: String]) {
        layout = Layout(title: "Usages — \(grappe.name)", section: .grappes)
        name = grappe.name
        version = grappe.version
        back = SiteURL.grappe(grappe.id).path
        self.message = message.map { Message(text: $0, refused: !refused.isEmpty) }
        self.refused = Array(refused.prefix(50)) + (refused.count > 50 ? ["… et \(refused.count - 50) autre(s) problème(s)"] : [])
        dates = DatesForm(grappe: grappe, typed: typed, invalid: invalid)
        uploadAction = SiteURL.usageMeasures(grappe.id).path
        templateHref = SiteURL.usageTemplate(grappe.id).path
        reportHref = SiteURL.usageReportCSV(grappe.id).path
        reportXLSXHref = SiteURL.usageReportXLSX(grappe.id).path
    }
}

/// The five project rates as a line chart (`Templates/usage-chart.mustache`): each indicator has
/// its own dash pattern and marker, named in the legend, so that no information is carried by
/// colour alone; the target lines are the campaign's.
struct UsageChart {
    let width = 760, height = 320
    let title: String
    let caption: String
    let description: String
    let ceiling: String
    let grid: [GridLine]
    let targets: [TargetLine]
    let months: [Label]
    let lines: [Line]
    let legend: [LegendItem]

    struct GridLine { let x1, x2, y, labelX, labelY, label: String }
    struct TargetLine { let x1, x2, y, labelY, label: String }
    struct Label { let x, y, label: String }
    struct Line { let dash: String?; let points: String; let markers: [Marker] }
    struct LegendItem { let x1, x2, y: String; let dash: String?; let marker: Marker; let textX, textY, label: String }

    /// One of the five marker shapes.
    struct Marker {
        struct Circle { let cx, cy: String }
        struct Square { let x, y: String }
        struct Path { let d: String; let fill: String?; let stroke: String? }
        var circle: Circle? = nil
        var square: Square? = nil
        var path: Path? = nil
    }

    init?(report: UsageReport) {
        self.init(months: report.projectMonths, targets: report.targets, title: "Taux du projet par mois",
                  caption: "Taux du projet (agrégat des ESSMS éligibles)")
    }

    init?(months: [MonthRates], targets: [Indicator: Int], title: String, caption: String) {
        guard let first = months.first, let last = months.last else { return nil }
        self.title = title
        self.caption = caption
        // The right margin holds half of the last month's label (« 2026-06 », centred on its point).
        let width = Double(self.width), height = Double(self.height), left = 50.0, right = 30.0, top = 20.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        let maxValue = 1.2
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func x(_ i: Int) -> Double { months.count == 1 ? left + plotW / 2 : left + plotW * Double(i) / Double(months.count - 1) }
        func y(_ v: Double) -> Double { top + plotH * (1 - min(v, maxValue) / maxValue) }
        let styles: [Indicator: (dash: String?, marker: String)] = [
            .mss: (nil, "circle"), .dmp: ("8 4", "square"), .activeRecords: ("2 3", "triangle"), .withProjet: ("12 4 2 4", "diamond"), .withEvent: ("4 4", "cross"),
        ]
        func marker(_ kind: String, _ cx: Double, _ cy: Double) -> Marker {
            switch kind {
            case "circle": return Marker(circle: .init(cx: f(cx), cy: f(cy)))
            case "square": return Marker(square: .init(x: f(cx - 4), y: f(cy - 4)))
            case "triangle": return Marker(path: .init(d: "M\(f(cx)) \(f(cy - 5)) L\(f(cx + 5)) \(f(cy + 4)) L\(f(cx - 5)) \(f(cy + 4)) Z", fill: "#3a3a3a", stroke: nil))
            case "diamond": return Marker(path: .init(d: "M\(f(cx)) \(f(cy - 5)) L\(f(cx + 5)) \(f(cy)) L\(f(cx)) \(f(cy + 5)) L\(f(cx - 5)) \(f(cy)) Z", fill: "#fff", stroke: "#161616"))
            default: return Marker(path: .init(d: "M\(f(cx - 4)) \(f(cy - 4)) L\(f(cx + 4)) \(f(cy + 4)) M\(f(cx + 4)) \(f(cy - 4)) L\(f(cx - 4)) \(f(cy + 4))", fill: nil, stroke: "#161616"))
            }
        }
        // The targets of the campaign, each drawn once: MSSanté and DMP share one, the DUI uses another.
        var targetValues: [Int] = []
        for i in Indicator.allCases { if let t = targets[i], !targetValues.contains(t) { targetValues.append(t) } }
        targetValues.sort()
        let targetText = targetValues.map { "\($0) %" }
        description = "Cinq courbes, une par indicateur, de \(first.month) à \(last.month) ; lignes de cible à \(targetText.joined(separator: " et ")). Les valeurs sont dans le tableau qui suit."
        ceiling = "\(Int((maxValue * 100).rounded())) %"
        grid = stride(from: 0.0, through: maxValue, by: 0.2).map { v in
            GridLine(x1: f(left), x2: f(width - right), y: f(y(v)), labelX: f(left - 6), labelY: f(y(v) + 4), label: "\(Int((v * 100).rounded())) %")
        }
        self.targets = targetValues.map { t in
            let v = Double(t) / 100
            return TargetLine(x1: f(left), x2: f(width - right), y: f(y(v)), labelY: f(y(v) - 4), label: "cible \(t) %")
        }
        let step = max(1, months.count / 12)
        self.months = months.enumerated().compactMap { i, m in
            i % step == 0 || i == months.count - 1 ? Label(x: f(x(i)), y: f(height - bottom + 16), label: m.month.description) : nil
        }
        lines = Indicator.allCases.compactMap { indicator in
            let style = styles[indicator]!
            var points: [(Double, Double)] = []
            for (i, m) in months.enumerated() { if let v = m.rates[indicator]?.value { points.append((x(i), y(v))) } }
            guard !points.isEmpty else { return nil }
            return Line(dash: style.dash, points: points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " "), markers: points.map { marker(style.marker, $0.0, $0.1) })
        }
        var lx = left
        var legend: [LegendItem] = []
        for indicator in Indicator.allCases {
            let style = styles[indicator]!
            let ly = height - 18
            legend.append(LegendItem(x1: f(lx), x2: f(lx + 26), y: f(ly), dash: style.dash, marker: marker(style.marker, lx + 13, ly),
                                     textX: f(lx + 32), textY: f(ly + 4), label: indicator.short))
            lx += 32 + Double(indicator.short.count) * 7 + 24
        }
        self.legend = legend
    }
}
