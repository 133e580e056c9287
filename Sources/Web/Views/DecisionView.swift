import Rules
import Store

/// What an accepted dossier grants, as the decision letter and the convention state it: the
/// parties, the establishments financed (and those excluded), the amounts granted, the two
/// instalments, the usage targets and the deadline — from the dossier, its frozen assessment and
/// its campaign.
struct GrantTerms {
    let attribuant: String
    let reference: String
    let title: String
    let campaign: String
    let campaignLabel: String
    let kind: String
    let solution: String
    let beneficiary: String
    let porteur: String
    let establishments: [Establishment]
    let establishmentCount: Int
    let excluded: [String]
    let amounts: [Line]
    let total: String
    let instalments: [Line]
    let targets: [Line]
    let deadline: String
    let expensesRule: String

    struct Establishment {
        let finessET: String
        let name: String
    }

    struct Line {
        let label: String
        let value: String
    }

    /// `members`: the establishments of the frozen project, read with the registry (FINESS ET, name).
    init(dossier d: Dossier, beneficiary: String, members: [(finessET: String, name: String)], campaign: Campaign?, grid: Grid?) {
        attribuant = DossierView.routing(d)
        reference = d.id
        title = d.title
        self.campaign = d.campaign
        campaignLabel = campaign?.label ?? d.campaign
        self.beneficiary = beneficiary
        porteur = d.porteur
        let project = d.frozen?["project"]
        let kind: String = { if case let .string(k)? = project?["kind"] { return k } else { return "acquisition" } }()
        self.kind = ProjectKind(rawValue: kind).map { $0 == .miseEnConformite ? "mise en conformité" : $0 == .mixte ? "projet mixte (acquisition et mise en conformité)" : "acquisition" } ?? kind
        if case let .string(name)? = project?["solution"]?["name"], case let .string(editor)? = project?["solution"]?["editor"] {
            solution = "\(name) (\(editor))"
        } else {
            solution = "—"
        }
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
        deadline = grid.map { g in
            let months = kind == "miseEnConformite" ? g.deadlineMiseEnConformiteMonths : g.deadlineAcquisitionMonths
            return "\(months) mois à compter de la signature de la convention de financement (\(RuleID.P3.rawValue))"
        } ?? "—"
        expensesRule = grid.map { g in
            "les dépenses engagées ne sont pas notablement inférieures à la subvention : en deçà de \(g.expensesThresholdPercent) % de la subvention, l'agence apprécie les dépenses déclarées (\(RuleID.P2.rawValue))"
        } ?? "—"
    }
}

/// `/dossiers/{id}/decision` (`Templates/decision.mustache`): the decision letter of a dossier —
/// for an acceptance, the terms granted; for a refusal, its motivation and the means and time
/// limits of appeal.
struct DecisionView: PageView {
    static let template = "decision"
    let layout: Layout
    let terms: GrantTerms
    let decidedOn: String
    let accepted: Bool
    let motivation: String?
    let dossierHref: String
    let pdfHref: String

    init(dossier d: Dossier, decidedOn: String, terms: GrantTerms) {
        layout = Layout(title: "Décision — \(d.title)", section: .dossiers)
        self.terms = terms
        self.decidedOn = CalendarDate(iso: decidedOn)?.french ?? decidedOn
        accepted = d.state == .accepte
        motivation = d.decision
        dossierHref = SiteURL.dossier(d.id).path
        pdfHref = SiteURL.dossierDecisionPDF(d.id).path
    }
}

/// `/dossiers/{id}/convention` (`Templates/convention.mustache`): the funding convention of an
/// accepted dossier between the agency and the porteur, its articles filled with the terms
/// granted; the dates and signatures are left to the parties.
struct ConventionView: PageView {
    static let template = "convention"
    let layout: Layout
    let terms: GrantTerms
    let decidedOn: String
    let dossierHref: String
    let pdfHref: String

    init(dossier d: Dossier, decidedOn: String, terms: GrantTerms) {
        layout = Layout(title: "Convention de financement — \(d.title)", section: .dossiers)
        self.terms = terms
        self.decidedOn = CalendarDate(iso: decidedOn)?.french ?? decidedOn
        dossierHref = SiteURL.dossier(d.id).path
        pdfHref = SiteURL.dossierConventionPDF(d.id).path
    }
}
