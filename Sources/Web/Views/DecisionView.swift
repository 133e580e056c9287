import Rules
import Store

/// `/dossiers/{id}/decision` (`Templates/decision.mustache`): the decision letter of a dossier,
/// filled from the dossier, the frozen assessment and the campaign — the parties, the
/// establishments, the amounts granted, the two instalments, the usage targets and the deadline;
/// for a refusal, its motivation and the means and time limits of appeal.
struct DecisionView: PageView {
    static let template = "decision"
    let layout: Layout
    let attribuant: String
    let reference: String
    let decidedOn: String
    let title: String
    let campaign: String
    let beneficiary: String
    let porteur: String
    let accepted: Bool
    let motivation: String?
    let establishments: [Establishment]
    let establishmentCount: Int
    let excluded: [String]
    let amounts: [Line]
    let total: String
    let instalments: [Line]
    let targets: [Line]
    let deadline: String
    let dossierHref: String
    let pdfHref: String

    struct Establishment {
        let finessET: String
        let name: String
    }

    struct Line {
        let label: String
        let value: String
    }

    /// `members`: the establishments of the frozen project, read with the registry (FINESS ET, name).
    init(dossier d: Dossier, decidedOn: String, beneficiary: String, members: [(finessET: String, name: String)], grid: Grid?) {
        layout = Layout(title: "Décision — \(d.title)", section: .dossiers)
        attribuant = DossierView.routing(d)
        reference = d.id
        self.decidedOn = CalendarDate(iso: decidedOn)?.french ?? decidedOn
        title = d.title
        campaign = d.campaign
        self.beneficiary = beneficiary
        porteur = d.porteur
        accepted = d.state == .accepte
        motivation = d.decision
        let assessment = d.frozen?["assessment"]
        var excludedETs = Set<String>()
        var excluded: [String] = []
        if case let .array(items)? = assessment?["excluded"] {
            for e in items {
                if case let .string(et)? = e["finessET"] { excludedETs.insert(et) }
                if case let .string(name)? = e["name"], case let .string(reason)? = e["reason"] { excluded.append("\(name) : \(reason)") }
            }
        }
        self.excluded = excluded
        let establishments = members.filter { !excludedETs.contains($0.finessET) }.map { Establishment(finessET: $0.finessET, name: $0.name) }
        self.establishments = establishments
        establishmentCount = establishments.count
        let granted = d.granted
        amounts = Grant.items.map { Line(label: $0.french, value: DossierView.euros(granted?[$0.rawValue])) }
        total = DossierView.euros(granted?["total"])
        // The instalments of the granted total: the advance rounded down to the cent, the solde the rest (P1, P2).
        var instalments: [Line] = []
        if let cents = granted?["total"]?.cents, let grid {
            let advance = cents * grid.advancePercent / 100
            instalments = [
                Line(label: "Avance (\(grid.advancePercent) %) à la signature des conventions (\(RuleID.P1.rawValue))", value: Show.euros(advance)),
                Line(label: "Solde (\(100 - grid.advancePercent) %) à l'atteinte des cibles d'usage (\(RuleID.P2.rawValue))", value: Show.euros(cents - advance)),
            ]
        }
        self.instalments = instalments
        targets = grid.map { g in [
            Line(label: "Part des usagers avec un dossier usager informatisé actif (DUI)", value: "\(g.targetDui) %"),
            Line(label: "Documents envoyés par messagerie sécurisée de santé (MSSanté)", value: "\(g.targetMssante) %"),
            Line(label: "Usagers dont le DMP est alimenté", value: "\(g.targetDmp) %"),
        ] } ?? []
        let kind: String = { if case let .string(k)? = d.frozen?["project"]?["kind"] { return k } else { return "acquisition" } }()
        deadline = grid.map { g in
            let months = kind == "miseEnConformite" ? g.deadlineMiseEnConformiteMonths : g.deadlineAcquisitionMonths
            return "\(months) mois à compter de la signature de la convention de financement (\(RuleID.P3.rawValue))"
        } ?? "—"
        dossierHref = SiteURL.dossier(d.id).path
        pdfHref = SiteURL.dossierDecisionPDF(d.id).path
    }
}
