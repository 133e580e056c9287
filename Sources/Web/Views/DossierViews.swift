import Rules
import Store

/// `/dossiers` (`Templates/dossiers.mustache`): the dossiers the signed-in account sees, filtered
/// by state; for a porteur, the form that files a grappe as a new dossier.
struct DossierListView: PageView {
    static let template = "dossiers"
    let layout = Layout(title: "Dossiers", section: .dossiers)
    let action = SiteURL.dossiers.path
    let states: [Option]
    let campaigns: [Option]
    let department: String
    let unknownDepartment: String?
    let counts: [Count]
    let rows: [Row]
    let count: Int
    let newDossier: NewDossier?
    let message: Message?
    /// For instructors and readers: the ranking and the exports of their scope.
    let instruction: Instruction?

    struct Instruction {
        let ranking = SiteURL.ranking.path
        let dashboard = SiteURL.dashboard.path
        let exportCSV = SiteURL.apiDossiersExportCSV.path
        let exportXLSX = SiteURL.apiDossiersExportXLSX.path
    }

    /// The filters of the list (state, campaign, department); unknown values are ignored and said.
    struct Filter {
        let state: DossierState?
        let campaign: String?
        let department: String?
        let catalogue: CampaignCatalogue
        var unknownDepartment: String? = nil

        init(state: DossierState?, campaign: String?, department: String?, catalogue: CampaignCatalogue) {
            self.state = state; self.campaign = campaign; self.department = department; self.catalogue = catalogue
        }
    }

    /// How many dossiers are in each state, with the link that shows them.
    struct Count {
        let label: String
        let count: Int
        let href: String
        let current: Bool
    }

    struct Row {
        let href: String
        let title: String
        let state: String
        let campaign: String
        let porteur: String
        let routing: String
        let requested: String
        let granted: String
        let updated: String
    }

    struct NewDossier {
        let grappes: [Option]
        let action = SiteURL.dossiers.path
    }

    init(dossiers: [DossierSummary], all: [DossierSummary], filter: Filter, grappes: [SavedGrappe], porteur: Bool, instructs: Bool, message: Message? = nil) {
        instruction = instructs ? Instruction() : nil
        let state = filter.state
        states = [Option("", "Tous les états", selected: state == nil ? "" : nil)]
            + DossierState.allCases.map { Option($0.rawValue, Show.sentenceCase($0.french), selected: state?.rawValue) }
        campaigns = [Option("", "Toutes les campagnes", selected: filter.campaign == nil ? "" : nil)]
            + filter.catalogue.campaigns.map { Option($0.id, "\($0.id) — \($0.label)", selected: filter.campaign) }
        department = filter.department ?? ""
        unknownDepartment = filter.unknownDepartment
        func href(_ s: DossierState) -> String {
            var query = ["state=\(s.rawValue)"]
            if let c = filter.campaign { query.append("campaign=\(c.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") }
            if let d = filter.department { query.append("department=\(d)") }
            return SiteURL.dossiers.path + "?" + query.joined(separator: "&")
        }
        counts = DossierState.allCases.compactMap { s in
            let n = all.filter { $0.state == s }.count
            return n == 0 ? nil : Count(label: Show.sentenceCase(s.french), count: n, href: href(s), current: s == state)
        }
        rows = dossiers.map { d in
            Row(href: SiteURL.dossier(d.id).path, title: d.title, state: Show.sentenceCase(d.state.french), campaign: d.campaign, porteur: d.porteur,
                routing: DossierView.routing(instruction: d.instruction, region: d.region), requested: d.requested.map(Show.euros) ?? "—",
                granted: DossierView.euros(d.granted?["total"]), updated: FrenchTime.dateTime(d.updatedAt))
        }
        count = dossiers.count
        newDossier = porteur ? NewDossier(grappes: grappes.map { Option($0.id, $0.name) }) : nil
        self.message = message
    }
}

/// `/dossiers/{id}` (`Templates/dossier.mustache`): the dossier as its reader may see it — its
/// state and routing, the checklist with the uploads, what blocks filing, the assessment (live or
/// frozen), score and decision, messages, private annotations (instructors), history; and the forms
/// of the transitions its side may make, each carrying the version it was built from.
struct DossierView: PageView {
    static let template = "dossier"
    let layout: Layout
    let title: String
    let state: String
    let version: Int
    let porteur: String
    let campaign: String
    let routing: String
    let instructor: String?
    let filedAt: String?
    let message: Message?
    let unmet: [String]
    let checklist: [Line]
    let uploadAction: String
    let canUpload: Bool
    let uploadItems: [Option]
    let assessment: Summary?
    let assessmentProblem: String?
    let frozen: Bool
    let score: Score?
    let granted: [Amount]
    let decision: String?
    let transitions: [TransitionForm]
    let transitionAction: String
    let scoreForm: ScoreForm?
    let messages: [Note]
    let messageAction: String?
    let annotations: [Note]
    let annotationAction: String?
    let isInstructor: Bool
    let history: [Event]
    /// The decision letter, once the dossier is accepted or refused.
    let decisionHref: String?
    let conventionHref: String?
    let payments: PaymentsSection?
    /// The sections of the page, linked at its top (keyboard: one tab stop each, no script).
    let tabs: [Tab]
    let project: ProjectPart?
    /// The priorities of the call the dossier holds (W5), in the call's order.
    let priorities: [String]
    let showAvis: Bool
    let avis: [AvisLine]
    let avisAction: String?
    let answerForms: [AnswerForm]

    struct Tab {
        let href: String
        let label: String
    }

    struct ProjectPart {
        let kind: String
        let solution: String
        let organismes: String
        let count: Int
        let establishments: [EstablishmentRow]
    }

    struct EstablishmentRow {
        let finessET: String
        let name: String
        let sector: String
        let department: String
        let kind: String
    }

    struct AvisLine {
        let expert: String
        let question: String
        let due: String
        let asked: String
        let answer: String
        let comment: String
    }

    struct AnswerForm {
        let action: String
        let question: String
        let id: String
        let answers: [Option]
    }

    struct GrantField {
        let name: String
        let id: String
        let label: String
        let value: String
        let ceiling: String
    }

    struct Check {
        let name: String
        let id: String
        let label: String
        let checked: Bool
    }

    struct Line {
        let label: String
        let item: String
        let status: String
        let missing: Bool
        let why: String
        let documents: [Document]
    }

    struct Document {
        let href: String
        let filename: String
        let size: String
        let sha256: String
        let uploaded: String
    }

    struct Summary {
        let outcome: String
        let total: String
        let instruction: String
        let eligible: String
        let excluded: [String]
    }

    struct Score {
        let criteria: [Amount]
        let total: String
        let comment: String
    }

    struct Amount {
        let label: String
        let value: String
    }

    struct TransitionForm {
        let to: String
        let label: String
        let needsMessage: Bool
        let needsReason: Bool
        let reasons: [Option]
        let id: String
        /// On acceptance: the small-OG items the ARS modulates, up to their frozen ceilings (D3).
        let grantFields: [GrantField]
    }

    struct ScoreForm {
        let action: String
        let criteria: [Criterion]
        /// The call's priorities only the instructor can say (W5), as checkboxes.
        let priorities: [Check]
    }

    struct Criterion {
        let name: String
        let label: String
        let options: [Option]
    }

    struct Note {
        let at: String
        let author: String
        let body: String
    }

    struct Event {
        let at: String
        let actor: String
        let change: String
        let message: String
    }

    static let criterionLabels = ["enjeux": "Enjeux du projet", "equipe": "Équipe projet", "planning": "Planning",
                                  "securite": "Sécurité", "interoperabilite": "Interopérabilité"]

    static func euros(_ json: JSON?) -> String {
        guard let cents = json?.cents else { return "—" }
        return Show.euros(cents)
    }

    static func routing(_ d: Dossier) -> String { routing(instruction: d.instruction, region: d.region) }

    static func routing(instruction: String?, region: String?) -> String {
        switch instruction {
        case "CNSA"?: return "CNSA (national)"
        case "ARS"?: return region.flatMap { Territory.region(code: $0) }.map { "ARS \($0.name)" } ?? "ARS"
        default: return "non déposé"
        }
    }

    static func label(_ to: DossierState, from: DossierState) -> String {
        switch to {
        case .enInstruction where from == .accepte || from == .refuse: return "Revenir sur la décision (retour en instruction)"
        case .depose: return "Déposer le dossier"
        case .enInstruction: return "Prendre en instruction"
        case .correctionDemandee: return "Demander une correction"
        case .accepte: return "Accepter"
        case .refuse: return "Refuser"
        case .classeSansSuite: return "Classer sans suite"
        case .brouillon: return "Revenir en brouillon"
        }
    }

    /// What the page reads beside the dossier: the caller's side and identity, the live project and
    /// assessment, the exchanges, and the call's priorities.
    struct Context {
        let sides: Set<DossierSide>
        let viewer: String
        let expert: Bool
        let checklist: [ChecklistLine]
        let documents: [DossierRepository.Document]
        let project: Project?
        let live: Assessment?
        let problem: String?
        let messages: [DossierRepository.Note]
        let annotations: [DossierRepository.Note]
        let avis: [DossierRepository.Avis]
        let history: [JSON]
        let priorities: [Priority]
        let listedPriorities: [Priority]
        /// The accepted dossier's schedule (payments.md) and the revisions of its deadline.
        let payments: DossierRepository.Payments?
        let deadlineHistory: [JSON]
    }

    init(dossier d: Dossier, _ c: Context, message: Message? = nil, unmet: [String] = []) {
        let sides = c.sides, checklist = c.checklist, documents = c.documents, live = c.live, problem = c.problem
        let messages = c.messages, annotations = c.annotations, history = c.history
        layout = Layout(title: d.title, section: .dossiers)
        title = d.title
        state = Show.sentenceCase(d.state.french)
        version = d.version
        porteur = d.porteur
        campaign = d.campaign
        routing = Self.routing(d)
        instructor = d.instructor
        filedAt = d.filedAt.map(FrenchTime.dateTime)
        self.message = message
        self.unmet = unmet
        self.checklist = checklist.map { line in
            let docs = documents.filter { $0.item == line.item.rawValue }
            return Line(label: line.item.french, item: line.item.rawValue,
                        status: docs.isEmpty ? (line.required ? "Manquante (obligatoire)" : "Facultative") : "Déposée",
                        missing: docs.isEmpty && line.required, why: line.why,
                        documents: docs.map { doc in
                            Document(href: SiteURL.dossierDocument(d.id, document: doc.id).path, filename: doc.filename,
                                     size: "\((doc.size + 1023) / 1024) Kio", sha256: String(doc.sha256.prefix(16)) + "…", uploaded: FrenchTime.dateTime(doc.uploadedAt))
                        })
        }
        uploadAction = SiteURL.dossierDocuments(d.id).path
        canUpload = sides.contains(.porteur) && d.state.editable
        uploadItems = checklist.map { Option($0.item.rawValue, $0.item.french) }
        frozen = !d.state.editable
        if frozen, let a = d.frozen?["assessment"] {
            var excluded: [String] = []
            if case let .array(items)? = a["excluded"] {
                excluded = items.compactMap { e in
                    guard case let .string(name)? = e["name"], case let .string(reason)? = e["reason"] else { return nil }
                    return "\(name) : \(reason)"
                }
            }
            assessment = Summary(outcome: Self.outcome(a["outcome"]), total: Self.euros(a["funding"]?["total"]),
                                 instruction: Self.routing(d), eligible: a["eligibleEstablishments"].map { $0.rendered(indent: false) } ?? "—", excluded: excluded)
        } else if let live {
            assessment = Summary(outcome: Self.outcome(.string(live.outcome.rawValue)), total: Show.euros(live.funding.total),
                                 instruction: live.instruction == .CNSA ? "CNSA (national)" : (live.pivotRegion.map { "ARS \($0.name)" } ?? "ARS"),
                                 eligible: "\(live.eligibleEstablishments)", excluded: live.excluded.map { "\($0.name) : \($0.reason)" })
        } else {
            assessment = nil
        }
        assessmentProblem = problem
        if let s = d.score, case let .object(values)? = s["criteria"] {
            score = Score(criteria: values.map { Amount(label: Self.criterionLabels[$0.0] ?? $0.0, value: "\($0.1.rendered(indent: false)) / \(DossierScore.maximum)") },
                          total: "\(s["total"]?.rendered(indent: false) ?? "—") / \(DossierScore.criteria.count * DossierScore.maximum)",
                          comment: { if case let .string(c)? = s["comment"] { return c } else { return "" } }())
        } else {
            score = nil
        }
        granted = d.granted.map { g in Grant.items.map { Amount(label: $0.french, value: Self.euros(g[$0.rawValue])) } + [Amount(label: "Total", value: Self.euros(g["total"]))] } ?? []
        decision = d.decision
        decisionHref = d.state == .accepte || d.state == .refuse ? SiteURL.dossierDecision(d.id).path : nil
        conventionHref = d.state == .accepte ? SiteURL.dossierConvention(d.id).path : nil
        transitions = DossierTransition.targets(from: d.state).compactMap { to in
            guard let line = DossierTransition.line(from: d.state, to: to), !line.by.isDisjoint(with: sides) else { return nil }
            let needsMessage = to == .correctionDemandee || to == .refuse || to == .classeSansSuite || (to == .enInstruction && d.state != .depose)
            var fields: [GrantField] = []
            if to == .accepte, let funding = d.frozen?["assessment"]?["funding"] {
                for item in [Assessment.FundingItem.equipment, .amoaMarche, .amoaProjet] {
                    guard let ceiling = funding[item.rawValue]?.cents, ceiling > 0 else { continue }
                    fields.append(GrantField(name: "granted.\(item.rawValue)", id: "granted-\(item.rawValue)", label: item.french,
                                             value: CSV.euros(ceiling), ceiling: Show.euros(ceiling)))
                }
            }
            return TransitionForm(to: to.rawValue, label: Self.label(to, from: d.state), needsMessage: needsMessage, needsReason: to == .correctionDemandee,
                                  reasons: CorrectionReason.allCases.map { Option($0.rawValue, $0.rawValue) }, id: "transition-\(to.rawValue)",
                                  grantFields: fields)
        }
        transitionAction = SiteURL.dossierTransitions(d.id).path
        isInstructor = sides.contains(.instructeur)
        scoreForm = sides.contains(.instructeur) && d.state == .enInstruction
            ? ScoreForm(action: SiteURL.dossierScore(d.id).path, criteria: DossierScore.criteria.map { name in
                let current = d.score?["criteria"]?[name].map { $0.rendered(indent: false) }
                return Criterion(name: name, label: Self.criterionLabels[name] ?? name,
                                 options: (0...DossierScore.maximum).map { Option("\($0)", "\($0)", selected: current) })
            }, priorities: c.listedPriorities.filter(\.setByInstructor).map { p in
                Check(name: "priority.\(p.rawValue)", id: "priority-\(p.rawValue)", label: Show.sentenceCase(p.french), checked: c.priorities.contains(p))
            })
            : nil
        priorities = c.priorities.map { Show.sentenceCase($0.french) }
        if let p = c.project {
            let kinds: [ProjectKind: String] = [.acquisition: "acquisition", .miseEnConformite: "mise en conformité", .mixte: "mixte"]
            project = ProjectPart(kind: kinds[p.kind] ?? p.kind.rawValue, solution: "\(p.solution.name) (\(p.solution.editor))",
                                  organismes: p.organismes.map { "\($0.name) (FINESS EJ \($0.finessEJ), \($0.essmsCount) ESSMS)" }.joined(separator: " ; "),
                                  count: p.establishments.count,
                                  establishments: p.establishments.map { e in
                                      EstablishmentRow(finessET: e.finessET ?? "—", name: e.name, sector: "\(e.sector.rawValue) — \(e.sector.label)",
                                                       department: e.department.code, kind: kinds[e.kind ?? p.kind] ?? "")
                                  })
        } else {
            project = nil
        }
        showAvis = sides.contains(.instructeur) || c.expert
        avis = c.avis.filter { sides.contains(.instructeur) || $0.expert == c.viewer }.map { a in
            AvisLine(expert: a.expert, question: a.question, due: a.dueDate.flatMap { CalendarDate(iso: $0)?.french } ?? "—",
                     asked: FrenchTime.dateTime(a.askedAt), answer: a.answer.map(Self.answerLabel) ?? "en attente", comment: a.comment ?? "")
        }
        avisAction = sides.contains(.instructeur) && d.state != .brouillon ? SiteURL.dossierAvis(d.id).path : nil
        answerForms = c.expert ? c.avis.filter { $0.expert == c.viewer }.map { a in
            AnswerForm(action: SiteURL.avisAnswer(a.id).path, question: a.question, id: "avis-\(a.id)",
                       answers: DossierRepository.answers.map { Option($0, Self.answerLabel($0), selected: a.answer) })
        } : []
        var tabs = [Tab(href: "#projet", label: "Projet"), Tab(href: "#pieces", label: "Pièces"), Tab(href: "#evaluation", label: "Évaluation")]
        if showAvis { tabs.append(Tab(href: "#avis", label: "Avis")) }
        payments = c.payments.map { PaymentsSection(dossier: d, $0, documents: documents, history: c.deadlineHistory, sides: sides, viewer: c.viewer) }
        if payments != nil { tabs.append(Tab(href: "#paiements", label: "Paiements")) }
        if sides.contains(.instructeur) { tabs.append(Tab(href: "#annotations", label: "Annotations privées")) }
        tabs += [Tab(href: "#messagerie", label: "Messagerie"), Tab(href: "#historique", label: "Historique")]
        self.tabs = tabs
        self.messages = messages.map { Note(at: FrenchTime.dateTime($0.at), author: $0.author, body: $0.body) }
        messageAction = sides.isEmpty ? nil : SiteURL.dossierMessages(d.id).path
        self.annotations = sides.contains(.instructeur) ? annotations.map { Note(at: FrenchTime.dateTime($0.at), author: $0.author, body: $0.body) } : []
        annotationAction = sides.contains(.instructeur) ? SiteURL.dossierAnnotations(d.id).path : nil
        self.history = history.map { e in
            func text(_ key: String) -> String { if case let .string(s)? = e[key] { return s } else { return "" } }
            let from = DossierState(rawValue: text("from")).map { Show.sentenceCase($0.french) }
            let to = DossierState(rawValue: text("to")).map { Show.sentenceCase($0.french) } ?? text("to")
            return Event(at: FrenchTime.dateTime(text("at")), actor: text("actor"), change: from.map { "\($0) → \(to)" } ?? "Création (\(to))",
                         message: [text("reason"), text("message")].filter { !$0.isEmpty }.joined(separator: " — "))
        }
    }

    static func answerLabel(_ answer: String) -> String {
        switch answer {
        case "favorable": return "Favorable"
        case "defavorable": return "Défavorable"
        case "reserve": return "Favorable avec réserves"
        default: return answer
        }
    }

    static func outcome(_ json: JSON?) -> String {
        switch json {
        case .string("recevable")?: return "Recevable"
        case .string("nonRecevable")?: return "Non recevable"
        case .string("aDeciderParARS")?: return "À décider par l'ARS"
        default: return "—"
        }
    }
}
