import Rules
import Store

/// `/grappes/:id` (`Templates/grappe.mustache`): the grappe's choices, its establishments and
/// its assessment with every rule cited.
struct GrappeView: PageView {
    static let template = "grappe"
    let layout: Layout
    let message: String?
    let name: String
    let version: Int
    let links: Links
    let settings: Settings
    let establishments: EstablishmentsTable
    let addAction: String
    let problem: String?
    /// What the porteur has still to choose before any verdict or amount is shown.
    let pending: String?
    let assessment: AssessmentModel?
    /// The grappe's call is not open today: said at the top of the page.
    let callNotice: String?
    let pasteAction: String
    /// A refused list, given back to be corrected.
    let pasted: String

    struct Links {
        let grappe: String
        let print: String
        let establishmentsCSV: String
        let amountsCSV: String
        let usage: String
        let finess = SiteURL.finess.path

        init(_ id: String) {
            grappe = SiteURL.grappe(id).path
            print = SiteURL.grappePrint(id).path
            establishmentsCSV = SiteURL.establishmentsCSV(id).path
            amountsCSV = SiteURL.amountsCSV(id).path
            usage = SiteURL.usage(id).path
        }
    }

    /// The project's choices, as the settings form shows them.
    struct Settings {
        let action: String
        let name: String
        let campaigns: [Option]
        let kinds: [Option]
        let porteurs: [Option]
        let solutionName: String
        let solutionEditor: String
        let referencings: [Option]
        let procurements: [Option]
        let filingDate: String
        let mature: Bool
        let national: Bool
        /// R2: the porteur is subject to the code de la commande publique.
        let ccp: Bool

        init(grappe: SavedGrappe, project: Project?, catalogue: CampaignCatalogue) {
            let p = grappe.project
            let solution = p["solution"] ?? .object([])
            func string(_ key: String, in json: JSON? = nil) -> String? {
                if case let .string(s)? = (json ?? p)[key] { return s }
                return nil
            }
            action = SiteURL.grappeSettings(grappe.id).path
            name = grappe.name
            campaigns = catalogue.campaigns.map { Option($0.id, "\($0.id) — \($0.label)", selected: string("campaign")) }
            kinds = ProjectKind.allCases.map { Option($0.rawValue, $0.french, selected: string("kind")) }
            // The porteur saved is offered even before an establishment brings its organisme's name.
            let organismes = (project?.organismes ?? []).map { Option($0.finessEJ, "\($0.finessEJ) \($0.name)", selected: string("porteur")) }
            let saved = string("porteur").flatMap { p in organismes.contains { $0.value == p } ? nil : Option(p, "FINESS EJ \(p)", selected: p) }
            porteurs = [Option("", "— choisir —", selected: string("porteur"))] + organismes + (saved.map { [$0] } ?? [])
            solutionName = string("name", in: solution) ?? ""
            solutionEditor = string("editor", in: solution) ?? ""
            // A choice not made yet is offered as « — à choisir — », never preselected.
            referencings = [Option("", "— à choisir —", selected: string("referencing", in: solution) ?? "")]
                + Referencing.allCases.map { Option($0.rawValue, $0.french, selected: string("referencing", in: solution)) }
            procurements = [Option("", "— à choisir —", selected: string("procurement") ?? "")]
                + Project.Procurement.allCases.map { Option($0.rawValue, $0.french, selected: string("procurement")) }
            filingDate = string("filingDate") ?? ""
            mature = p["matureProjectOwner"] == .bool(true)
            national = p["nationalRepresentativeness"] == .bool(true)
            var ccp = false
            if case let .array(organismes)? = p["organismes"], let porteur = p["porteur"] {
                ccp = organismes.contains { $0["finessEJ"] == porteur && $0["subjectToPublicProcurementCode"] == .bool(true) }
            }
            self.ccp = ccp
        }
    }

    init(grappe: SavedGrappe, project: Project?, assessment: Assessment?, problem: String?, pending: String?, message: String?, catalogue: CampaignCatalogue, today: CalendarDate, pasted: String = "") {
        layout = Layout(title: grappe.name, section: .grappes)
        pasteAction = SiteURL.grappePaste(grappe.id).path
        self.pasted = pasted
        let campaignID: String? = if case let .string(c)? = grappe.project["campaign"] { c } else { nil }
        callNotice = campaignID.flatMap { catalogue.campaign($0) }.flatMap { CallStatus.notice($0, on: today) }
        self.message = message
        name = grappe.name
        version = grappe.version
        links = Links(grappe.id)
        settings = Settings(grappe: grappe, project: project, catalogue: catalogue)
        establishments = EstablishmentsTable(grappe: grappe, project: project, assessment: assessment, catalogue: catalogue, editable: true)
        addAction = SiteURL.grappeEstablishments(grappe.id).path
        self.problem = problem
        self.pending = pending
        self.assessment = assessment.map(AssessmentModel.init)
    }
}

/// `/grappes/:id/impression` (`Templates/grappe-print.mustache`): the assessment to join to the
/// application, without forms.
struct GrappePrintView: PageView {
    static let template = "grappe-print"
    let layout: Layout
    let message: String?
    let name: String
    let updated: String
    let solution: Solution?
    let establishments: EstablishmentsTable
    let problem: String?
    let assessment: AssessmentModel?
    let links: GrappeView.Links
    let pdfHref: String

    struct Solution {
        let name: String
        let editor: String
        let referencing: String
        let procurement: String
        let porteur: String
    }

    init(grappe: SavedGrappe, project: Project?, assessment: Assessment?, problem: String?, message: String?, catalogue: CampaignCatalogue) {
        pdfHref = SiteURL.grappePrintPDF(grappe.id).path
        layout = Layout(title: "Évaluation — \(grappe.name)")
        self.message = message
        name = grappe.name
        updated = FrenchTime.dateTime(grappe.updatedAt)
        solution = project.map { Solution(name: $0.solution.name, editor: $0.solution.editor, referencing: $0.solution.referencing.french,
                                          procurement: $0.procurement.french, porteur: $0.porteur) }
        establishments = EstablishmentsTable(grappe: grappe, project: project, assessment: assessment, catalogue: catalogue, editable: false)
        self.problem = problem
        self.assessment = assessment.map(AssessmentModel.init)
        links = GrappeView.Links(grappe.id)
    }
}

/// The establishments of a grappe (`Templates/establishments.mustache`), with their eligibility
/// and, on the editable page, the forms to remove one or set its kind in a grappe mixte.
struct EstablishmentsTable {
    let editable: Bool
    /// No establishment yet.
    let none: Bool
    /// The FINESS numbers of a grappe whose project cannot be read yet.
    let pending: [String]
    let caption: String
    let rows: [Row]
    /// On the editable page: the facts of every establishment, one form (closed by default).
    let facts: FactsForm?

    /// What only the porteur knows of an establishment, and the rule each one feeds.
    enum Fact: String, CaseIterable {
        case prior, notEssms, confort, national

        var field: String {
            switch self {
            case .prior: return "priorEsmsNumeriqueFunding"
            case .notEssms: return "essms"
            case .confort: return "confortActivity"
            case .national: return "attachedToNationalEntity"
            }
        }

        var label: String {
            switch self {
            case .prior: return "Déjà financé par ESMS numérique (E3)"
            case .notEssms: return "N'est pas un ESSMS au sens de l'article L. 312-1 du CASF (E1)"
            case .confort: return "Service mêlant activités de confort et essentielles (E5)"
            case .national: return "Rattaché à une entité nationale (R5)"
            }
        }

        var header: String {
            switch self {
            case .prior: return "Déjà financé (E3)"
            case .notEssms: return "Pas un ESSMS (E1)"
            case .confort: return "Confort (E5)"
            case .national: return "Entité nationale (R5)"
            }
        }
    }

    struct FactsForm {
        let action: String
        let headers: [String]
        let rows: [FactRow]
    }

    struct FactRow {
        let finessET: String
        let name: String
        let checks: [FactCheck]
        let sonsName: String
        let sonsID: String
        let sons: String
    }

    struct FactCheck {
        let name: String
        let id: String
        let label: String
        let checked: Bool
    }

    struct Row {
        let finessET: String
        let name: String
        let sector: String
        let department: String
        let organisme: String
        let essms: String
        let small: String
        let status: String
        let kind: KindForm?
        let remove: String?
    }

    struct KindForm {
        let action: String
        let options: [Option]
    }

    init(grappe: SavedGrappe, project: Project?, assessment: Assessment?, catalogue: CampaignCatalogue, editable: Bool) {
        self.editable = editable
        var items: [JSON] = []
        if case let .array(list)? = grappe.project["establishments"] { items = list }
        none = items.isEmpty
        guard let project, !items.isEmpty else {
            pending = items.compactMap { if case let .string(et)? = $0["finessET"] { return et } else { return nil } }
            caption = ""
            rows = []
            facts = nil
            return
        }
        facts = editable ? FactsForm(action: SiteURL.grappeFacts(grappe.id).path, headers: Fact.allCases.map(\.header) + ["SONS déjà commandé (E4)"],
                                     rows: project.establishments.compactMap { e in
            guard let et = e.finessET else { return nil }
            let given = items.first { $0["finessET"] == .string(et) }
            func ticked(_ fact: Fact) -> Bool {
                fact == .notEssms ? given?["essms"] == .bool(false) : given?[fact.field] == .bool(true)
            }
            return FactRow(finessET: et, name: e.name,
                           checks: Fact.allCases.map { f in FactCheck(name: "\(f.rawValue).\(et)", id: "\(f.rawValue)-\(et)", label: "\(f.label) : \(e.name) (\(et))", checked: ticked(f)) },
                           sonsName: "sons.\(et)", sonsID: "sons-\(et)", sons: e.sonsOrderSoftware ?? "")
        }) : nil
        pending = []
        caption = "Établissements de la grappe (\(project.establishments.count))"
        let campaign = catalogue.campaign(project.campaign)
        let excluded = Dictionary(assessment?.excluded.compactMap { e in e.finessET.map { ($0, e) } } ?? [], uniquingKeysWith: { a, _ in a })
        rows = project.establishments.map { e in
            let og = project.organismes.first { $0.finessEJ == e.finessEJ }
            let small = og.flatMap { campaign?.smallOG($0) }
            let status = assessment == nil ? "À évaluer"
                : e.finessET.flatMap { excluded[$0] }.map { "Exclu — \($0.reason) (\($0.rule.rawValue), \($0.source))" } ?? "Éligible"
            var kind: KindForm? = nil, remove: String? = nil
            if editable, let et = e.finessET {
                if project.kind == .mixte {
                    kind = KindForm(action: SiteURL.establishmentKind(grappe.id, et: et).path,
                                    options: [Option(ProjectKind.acquisition.rawValue, "acquisition", selected: e.kind?.rawValue),
                                              Option(ProjectKind.miseEnConformite.rawValue, "mise en conformité", selected: e.kind?.rawValue)])
                }
                remove = SiteURL.removeEstablishment(grappe.id, et: et).path
            }
            return Row(finessET: e.finessET ?? "—", name: e.name, sector: e.sector.rawValue,
                       department: "\(e.department.code) (\(e.department.region.name))",
                       organisme: og.map { "\($0.finessEJ) \($0.name)" } ?? e.finessEJ, essms: og.map { String($0.essmsCount) } ?? "?",
                       small: small.map { $0.small ? "petit OG (moins de \($0.threshold) ESSMS)" : "non" } ?? "?",
                       status: status, kind: kind, remove: remove)
        }
    }
}

/// An assessment as a page section (`Templates/assessment.mustache`): outcome, instruction,
/// amounts, instalments, SONS, flags, explanation, each with its rule and source.
struct AssessmentModel {
    let badge: String
    let badgeClass: String
    let sentence: String
    let instruction: String
    let campaign: String
    let campaignLabel: String
    let ruleSetVersion: String
    let eligible: String
    let refusals: [Line]
    let excluded: [Excluded]
    let funding: [FundingRow]
    let total: String
    let payments: [PaymentRow]
    let sons: Sons?
    let flags: [Line]
    let explanation: [Line]

    struct Line {
        let text: String
        let rule: String
        let source: Cited
        /// What would change the outcome (refusals and flags).
        let nextStep: String?

        /// `capitalised`: the sentence starts with a capital, as a list item of its own.
        init(_ e: Assessment.Entry, capitalised: Bool = true) {
            text = capitalised ? Show.sentenceCase(e.text) : e.text; rule = e.rule.rawValue; source = Cited(e.source)
            nextStep = e.fact.nextStep
        }
    }

    struct Excluded {
        let finessET: String
        let name: String
        let reason: String
        let rule: String
        let source: Cited
    }

    struct FundingRow {
        let label: String
        let amount: String
        let calculations: [String]
        let rule: String
        let source: Cited
    }

    struct PaymentRow {
        let label: String
        let amount: String
        let condition: String
        let rule: String
        let source: Cited
    }

    struct Sons {
        let rule = RuleID.S4.rawValue
        let source = Cited(RuleID.S4.source)
        let advanceHeading: String
        let orders: [Order]

        struct Order {
            let finessEJ: String
            let establishments: Int
            let tranche: String
            let perEstablishment: String
            let total: String
            let advance: String
            let balance: String
        }
    }

    init(_ a: Assessment) {
        switch a.outcome {
        case .recevable: (badge, badgeClass, sentence) = ("Recevable", "ok", "Le projet remplit les conditions de recevabilité.")
        case .nonRecevable: (badge, badgeClass, sentence) = ("Non recevable", "ko", "Le projet n'est pas recevable en l'état : voir les motifs ci-dessous.")
        case .aDeciderParARS: (badge, badgeClass, sentence) = ("À décider par l'ARS", "ars", "La recevabilité ou les montants dépendent d'une décision de l'ARS : voir les points d'attention.")
        }
        switch a.instruction {
        case .ARS?: instruction = "Instruction par l'ARS \(a.pivotRegion.map { "\($0.name) — région pivot : \($0.name) (\($0.code))" } ?? "")"
        case .CNSA?: instruction = "Instruction par la CNSA (appel à projets national)"
        case .SONS?: instruction = "Pas de projet ESMS numérique : l'éditeur est financé par la Prestation Ségur (SONS)"
        case nil: instruction = "Pas d'instruction"
        }
        campaign = a.campaign
        campaignLabel = a.campaignLabel
        ruleSetVersion = a.ruleSetVersion
        let n = a.eligibleEstablishments
        eligible = "\(n) établissement\(n > 1 ? "s" : "") éligible\(n > 1 ? "s" : "") sur \(a.establishments)"
        refusals = a.refusals.map { Line($0) }
        excluded = a.excluded.map { Excluded(finessET: $0.finessET ?? "sans FINESS", name: $0.name, reason: $0.reason, rule: $0.rule.rawValue, source: Cited($0.source)) }
        funding = a.fundingLines.map { line in
            FundingRow(label: Self.label(line.item), amount: Show.euros(line.amount), calculations: line.facts.map(\.french),
                       rule: line.rule.rawValue, source: Cited(line.source))
        }
        total = Show.euros(a.funding.total)
        payments = a.outcome == .nonRecevable ? [] : a.payments.map { p in
            PaymentRow(label: "\(p.instalment.french) \(p.percent) %", amount: Show.euros(p.amount), condition: p.instalment.condition,
                       rule: p.instalment.rule.rawValue, source: Cited(p.source))
        }
        sons = a.sons.isEmpty ? nil : Sons(
            advanceHeading: "Avance \(a.sons[0].advancePercent) %",
            orders: a.sons.map { s in
                .init(finessEJ: s.finessEJ, establishments: s.establishments, tranche: s.tranche, perEstablishment: Show.euros(s.perEstablishment),
                      total: Show.euros(s.total), advance: Show.euros(s.advance), balance: Show.euros(s.balance))
            })
        flags = a.flags.map { Line($0) }
        explanation = a.explanation.map { Line($0) }
    }

    /// The page's longer names of the funding items: who receives the money, which are ceilings.
    static func label(_ item: Assessment.FundingItem) -> String {
        switch item {
        case .usage: return "Usages (forfait aux ESSMS)"
        case .software: return "Logiciel (part éditeur)"
        case .equipment: return "Matériel, petit OG (plafond)"
        case .amoaMarche: return "AMOA marché, petit OG (plafond)"
        case .amoaProjet: return "AMOA projet, petit OG (plafond)"
        }
    }
}

/// A source text with each citation of a source document (`[003]`) linked to its entry on the
/// sources page (`Templates/cited.mustache`).
struct Cited {
    let parts: [Part]

    struct Part {
        let text: String
        let citationHref: String?
    }

    /// The platform's readings in words, then each `[00x]` of the rest: every one a link.
    init(_ source: String) {
        parts = PlatformReading.words(source).flatMap { piece -> [Part] in
            if let reading = piece.reading { return [Part(text: piece.text, citationHref: SiteURL.reading(reading.anchor).path)] }
            return SourceDocument.parts(piece.text).map { Part(text: $0.text, citationHref: $0.document.map { SiteURL.source($0.rawValue).path }) }
        }
    }
}
