import Rules
import Store

/// The grappe page: its establishments, its choices, and its assessment with every rule cited.
struct GrappeView {
    let grappe: SavedGrappe
    let project: Project?
    let assessment: Assessment?
    let catalogue: CampaignCatalogue

    var id: String { grappe.id }
    var kind: String { if case let .string(k)? = grappe.project["kind"] { return k } else { return "acquisition" } }

    func page(problem: String?) -> String {
        var out = "<h1>\(HTML.escape(grappe.name))</h1>"
        out += "<p class=\"no-print\"><a class=\"button secondary\" href=\"/grappes/\(id)/impression\">Version imprimable</a> <a class=\"button secondary\" href=\"/grappes/\(id)/etablissements.csv\">Exporter les établissements (CSV)</a> <a class=\"button secondary\" href=\"/grappes/\(id)/montants.csv\">Exporter les montants (CSV)</a> <a class=\"button secondary\" href=\"/grappes/\(id)/usages\">Usages et solde</a></p>"
        out += settingsForm()
        out += establishments(editable: true)
        out += """
        <form method="post" action="/grappes/\(id)/etablissements" class="grid no-print">
          \(Pages.formFields(grappe))
          <div><label for="add-et">Ajouter un établissement par son numéro FINESS ET</label>
          <input id="add-et" name="finessET" inputmode="text" pattern="[0-9][0-9AB][0-9]{7}" maxlength="9" required></div>
          <div><button type="submit">Ajouter</button> <a href="/finess">ou rechercher dans FINESS</a></div>
        </form>
        """
        if let problem {
            out += "<div class=\"error\" role=\"alert\"><p><strong>Le projet ne peut pas encore être évalué :</strong> \(HTML.escape(problem))</p></div>"
        }
        if let assessment { out += AssessmentView(assessment: assessment).html() }
        return out
    }

    func printable(problem: String?) -> String {
        var out = "<h1>Évaluation du projet « \(HTML.escape(grappe.name)) »</h1>"
        out += "<p class=\"muted\">Établie par esms le \(HTML.escape(String(grappe.updatedAt.prefix(10)))) à partir des règles du programme ESMS numérique ; chaque montant et chaque décision citent leur source. À joindre au dossier de candidature.</p>"
        if let project {
            out += "<p><strong>Solution :</strong> \(HTML.escape(project.solution.name)) (\(HTML.escape(project.solution.editor)), \(HTML.escape(project.solution.referencing.french))) · <strong>Procédure d'achat :</strong> \(HTML.escape(project.procurement.french)) · <strong>Porteur :</strong> \(HTML.escape(project.porteur))</p>"
        }
        out += establishments(editable: false)
        if let problem { out += "<p class=\"error\">\(HTML.escape(problem))</p>" }
        if let assessment { out += AssessmentView(assessment: assessment).html() }
        out += "<p class=\"no-print\"><button type=\"button\" data-print>Imprimer</button> <a href=\"/grappes/\(id)\">Retour à la grappe</a></p>"
        return out
    }

    func option(_ value: String, _ label: String, _ selected: String?) -> String {
        "<option value=\"\(HTML.escape(value))\"\(value == selected ? " selected" : "")>\(HTML.escape(label))</option>"
    }

    func string(_ key: String, in json: JSON? = nil) -> String? {
        if case let .string(s)? = (json ?? grappe.project)[key] { return s }
        return nil
    }

    func settingsForm() -> String {
        let p = grappe.project
        let solution = p["solution"] ?? .object([])
        let campaigns = catalogue.campaigns.map { option($0.id, "\($0.id) — \($0.label)", string("campaign")) }.joined()
        let kinds = ProjectKind.allCases.map { option($0.rawValue, $0.french, string("kind")) }.joined()
        let referencings = Referencing.allCases.map { option($0.rawValue, $0.french, string("referencing", in: solution)) }.joined()
        let procurements = Project.Procurement.allCases.map { option($0.rawValue, $0.french, string("procurement")) }.joined()
        var porteurs = [option("", "— choisir —", string("porteur"))]
        for og in project?.organismes ?? [] { porteurs.append(option(og.finessEJ, "\(og.finessEJ) \(og.name)", string("porteur"))) }
        func checked(_ key: String) -> String { p[key] == .bool(true) ? " checked" : "" }
        return """
        <form method="post" action="/grappes/\(id)/parametres" class="no-print" data-autosubmit>
        \(Pages.formFields(grappe))
        <fieldset><legend>Le projet</legend>
        <div class="grid">
          <div><label for="name">Nom de la grappe</label><input id="name" name="name" value="\(HTML.escape(grappe.name))" required></div>
          <div><label for="campaign">Campagne</label><select id="campaign" name="campaign">\(campaigns)</select></div>
          <div><label for="kind">Nature du projet</label><select id="kind" name="kind">\(kinds)</select></div>
          <div><label for="porteur">Porteur (FINESS EJ)</label><select id="porteur" name="porteur">\(porteurs.joined())</select></div>
          <div><label for="solutionName">Solution DUI</label><input id="solutionName" name="solutionName" value="\(HTML.escape(string("name", in: solution) ?? ""))"></div>
          <div><label for="solutionEditor">Éditeur</label><input id="solutionEditor" name="solutionEditor" value="\(HTML.escape(string("editor", in: solution) ?? ""))"></div>
          <div><label for="referencing">Référencement de la solution</label><select id="referencing" name="referencing">\(referencings)</select></div>
          <div><label for="procurement">Procédure d'achat</label><select id="procurement" name="procurement">\(procurements)</select></div>
          <div><label for="filingDate">Date de dépôt (optionnelle)</label><input id="filingDate" name="filingDate" type="date" value="\(HTML.escape(string("filingDate") ?? ""))"></div>
        </div>
        <p class="inline"><input type="checkbox" id="mature" name="matureProjectOwner"\(checked("matureProjectOwner"))> <label for="mature">Maîtrise d'ouvrage mature</label>
        &nbsp; <input type="checkbox" id="national" name="nationalRepresentativeness"\(checked("nationalRepresentativeness"))> <label for="national">Porteur à représentativité nationale</label></p>
        <button type="submit">Mettre à jour l'évaluation</button>
        </fieldset>
        </form>
        """
    }

    func establishments(editable: Bool) -> String {
        guard case let .array(items)? = grappe.project["establishments"], !items.isEmpty else {
            return "<p class=\"notice\">Aucun établissement dans cette grappe : ajoutez-en par leur numéro FINESS ET ou depuis la recherche.</p>"
        }
        guard let project else {
            let list = items.compactMap { item -> String? in if case let .string(et)? = item["finessET"] { return "<li>\(et)</li>" } else { return nil } }
            return "<ul>\(list.joined())</ul>"
        }
        let campaign = catalogue.campaign(project.campaign)
        let excluded = Dictionary(assessment?.excluded.compactMap { e in e.finessET.map { ($0, e) } } ?? [], uniquingKeysWith: { a, _ in a })
        let rows = project.establishments.map { e -> String in
            let og = project.organismes.first { $0.finessEJ == e.finessEJ }
            let small = og.flatMap { o in campaign?.smallOG(o) }
            let status = e.finessET.flatMap { excluded[$0] }.map { "Exclu — \(HTML.escape($0.reason)) (\($0.rule.rawValue), \(HTML.escape($0.source)))" } ?? "Éligible"
            var actions = ""
            if editable, let et = e.finessET {
                if project.kind == .mixte {
                    actions += """
                    <form method="post" action="/grappes/\(id)/etablissements/\(et)/nature" class="inline" data-autosubmit>
                    \(Pages.formFields(grappe))
                    <label for="k-\(et)">Nature</label><select id="k-\(et)" name="kind">\(option("acquisition", "acquisition", e.kind?.rawValue))\(option("miseEnConformite", "mise en conformité", e.kind?.rawValue))</select>
                    <noscript><button type="submit" class="secondary">OK</button></noscript></form>
                    """
                }
                actions += "<form method=\"post\" action=\"/grappes/\(id)/etablissements/\(et)/retirer\" class=\"inline\">\(Pages.formFields(grappe))<button type=\"submit\" class=\"secondary\" aria-label=\"Retirer \(et) de la grappe\">Retirer</button></form>"
            }
            let smallText = small.map { $0.small ? "petit OG (moins de \($0.threshold) ESSMS)" : "non" } ?? "?"
            return "<tr><td>\(e.finessET ?? "—")</td><td>\(HTML.escape(e.name))</td><td>\(e.sector.rawValue)</td><td>\(e.department.code) (\(HTML.escape(e.department.region.name)))</td><td>\(HTML.escape(og.map { "\($0.finessEJ) \($0.name)" } ?? e.finessEJ))</td><td class=\"num\">\(og.map { String($0.essmsCount) } ?? "?")</td><td>\(smallText)</td><td>\(status)</td>\(editable ? "<td class=\"no-print\">\(actions)</td>" : "")</tr>"
        }.joined()
        return """
        <table><caption>Établissements de la grappe (\(project.establishments.count))</caption>
        <thead><tr><th scope="col">FINESS ET</th><th scope="col">Nom</th><th scope="col">Secteur</th><th scope="col">Département</th><th scope="col">Organisme gestionnaire</th><th scope="col" class="num">ESSMS de l'OG</th><th scope="col">Petit OG</th><th scope="col">Éligibilité</th>\(editable ? "<th scope=\"col\" class=\"no-print\">Actions</th>" : "")</tr></thead>
        <tbody>\(rows)</tbody></table>
        """
    }
}

/// An assessment as a page section: outcome, instruction, amounts, instalments, SONS, flags,
/// explanation, each with its rule and source.
struct AssessmentView {
    let assessment: Assessment

    func html() -> String {
        let a = assessment
        let (badge, css, sentence): (String, String, String)
        switch a.outcome {
        case .recevable: (badge, css, sentence) = ("Recevable", "ok", "Le projet remplit les conditions de recevabilité.")
        case .nonRecevable: (badge, css, sentence) = ("Non recevable", "ko", "Le projet n'est pas recevable en l'état : voir les motifs ci-dessous.")
        case .aDeciderParARS: (badge, css, sentence) = ("À décider par l'ARS", "ars", "La recevabilité ou les montants dépendent d'une décision de l'ARS : voir les points d'attention.")
        }
        var who: String
        switch a.instruction {
        case .ARS?: who = "Instruction par l'ARS \(a.pivotRegion.map { "\($0.name) (région pivot \($0.code))" } ?? "")"
        case .CNSA?: who = "Instruction par la CNSA (appel à projets national)"
        case .SONS?: who = "Pas de projet ESMS numérique : l'éditeur est financé par la Prestation Ségur (SONS)"
        case nil: who = "Pas d'instruction"
        }
        var out = """
        <section aria-labelledby="evaluation"><h2 id="evaluation">Évaluation</h2>
        <p role="status"><span class="badge \(css)">\(badge)</span> \(HTML.escape(sentence))</p>
        <p>\(HTML.escape(who)). Campagne \(HTML.escape(a.campaign)) (\(HTML.escape(a.campaignLabel)), règles \(HTML.escape(a.ruleSetVersion))). \(a.eligibleEstablishments) établissement\(a.eligibleEstablishments > 1 ? "s" : "") éligible\(a.eligibleEstablishments > 1 ? "s" : "") sur \(a.establishments).</p>
        """
        if !a.refusals.isEmpty {
            out += "<h3>Motifs de non-recevabilité</h3><ul>" + a.refusals.map { "<li>✗ \(HTML.escape(sentenceCase($0.text))) (\($0.rule.rawValue), \(HTML.escape($0.source)))</li>" }.joined() + "</ul>"
        }
        if !a.excluded.isEmpty {
            out += "<h3>Établissements exclus</h3><ul>" + a.excluded.map { "<li>✗ \($0.finessET ?? "sans FINESS") \(HTML.escape($0.name)) : \(HTML.escape($0.reason)) (\($0.rule.rawValue), \(HTML.escape($0.source)))</li>" }.joined() + "</ul>"
        }
        let f = a.funding
        let rows = a.fundingLines.map { line -> String in
            let detail = line.facts.map { HTML.escape($0.french) }.joined(separator: "<br>")
            return "<tr><th scope=\"row\">\(Self.label(line.item))</th><td class=\"num\">\(HTML.euros(line.amount))</td><td>\(detail.isEmpty ? "—" : detail)</td><td>\(line.rule.rawValue), \(HTML.escape(line.source))</td></tr>"
        }.joined()
        out += """
        <table><caption>Financement ESMS numérique : \(HTML.euros(f.total))</caption>
        <thead><tr><th scope="col">Poste</th><th scope="col" class="num">Montant</th><th scope="col">Calcul</th><th scope="col">Règle et source</th></tr></thead>
        <tbody>\(rows)<tr><th scope="row">Total</th><td class="num"><strong>\(HTML.euros(f.total))</strong></td><td></td><td></td></tr></tbody></table>
        """
        if a.outcome != .nonRecevable {
            let rows = a.payments.map { p in
                "<tr><th scope=\"row\">\(p.instalment.french) \(p.percent) %</th><td class=\"num\">\(HTML.euros(p.amount))</td><td>\(p.instalment.condition)</td><td>\(p.instalment.rule.rawValue), \(HTML.escape(p.source))</td></tr>"
            }.joined(separator: "\n")
            out += """
            <table><caption>Versements</caption>
            <thead><tr><th scope="col">Versement</th><th scope="col" class="num">Montant</th><th scope="col">Condition</th><th scope="col">Règle et source</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            """
        }
        if !a.sons.isEmpty {
            let rows = a.sons.map { "<tr><td>\($0.finessEJ)</td><td class=\"num\">\($0.establishments)</td><td>\($0.tranche)</td><td class=\"num\">\(HTML.euros($0.perEstablishment))</td><td class=\"num\">\(HTML.euros($0.total))</td><td class=\"num\">\(HTML.euros($0.advance))</td><td class=\"num\">\(HTML.euros($0.balance))</td></tr>" }.joined()
            out += """
            <table><caption>Prestation Ségur (SONS) estimée par organisme, payée par l'État à l'éditeur (S4, [002] SONS)</caption>
            <thead><tr><th scope="col">FINESS EJ</th><th scope="col" class="num">ESSMS</th><th scope="col">Tranche</th><th scope="col" class="num">Par ESSMS</th><th scope="col" class="num">Total TTC</th><th scope="col" class="num">Avance \(a.sons[0].advancePercent) %</th><th scope="col" class="num">Solde sur VA</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        }
        if !a.flags.isEmpty {
            out += "<h3>Points d'attention</h3><ul>" + a.flags.map { "<li>⚠ \(HTML.escape(sentenceCase($0.text))) (\($0.rule.rawValue), \(HTML.escape($0.source)))</li>" }.joined() + "</ul>"
        }
        out += "<details open><summary><h3 class=\"inline-heading\">Explication, règle par règle</h3></summary><ol>" +
            a.explanation.map { "<li>\(HTML.escape(sentenceCase($0.text))) <span class=\"muted\">(\($0.rule.rawValue), \(HTML.escape($0.source)))</span></li>" }.joined() +
            "</ol></details></section>"
        return out
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

    func sentenceCase(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }
}
