import Foundation
import Hummingbird
import Registry
import Rules
import Store

/// The French pages for porteurs and instructors: server-rendered, usable without JavaScript.
struct Pages: Sendable {
    let site: Site

    func register(on routes: Routes) {
        let id = SiteURL.id, et = SiteURL.et
        routes.get(SiteURL.home.path) { _, _ in try await home() }
        routes.get(SiteURL.finess.path) { request, _ in try await search(request) }
        routes.get(SiteURL.campaigns.path) { _, _ in CampaignsView(catalogue: site.engine.catalogue).response() }
        routes.get(SiteURL.sources.path) { _, _ in SourcesView().response() }
        routes.get(SiteURL.grappes.path) { _, _ in GrappeListView(grappes: try await site.visibleGrappes(), catalogue: site.engine.catalogue, today: site.today()).response() }
        routes.post(SiteURL.grappes.path) { request, _ in try await createGrappe(request) }
        routes.post(SiteURL.addFromSearch.path) { request, _ -> Response in
            let pairs = try await Form.readPairs(request)
            let ets = pairs.filter { $0.0 == "finessET" }.map { $0.1.trimmingCharacters(in: .whitespaces) }
            guard let id = pairs.last(where: { $0.0 == "grappe" })?.1 else { return notFound("Grappe manquante.") }
            guard !ets.isEmpty else {
                return try await grappePage(id, print: false, message: "Aucun établissement coché : rien n'a été ajouté.", status: .unprocessableContent)
            }
            return try await addFromSearch(id, ets: ets)
        }
        routes.get(SiteURL.grappe(id).path) { _, context in try await grappePage(try context.parameters.require("id"), print: false) }
        routes.get(SiteURL.grappePrint(id).path) { _, context in try await grappePage(try context.parameters.require("id"), print: true) }
        routes.get(SiteURL.grappePrintPDF(id).path) { _, context in try await grappePage(try context.parameters.require("id"), print: true, pdf: true) }
        routes.post(SiteURL.grappeSettings(id).path) { request, context in try await updateSettings(try context.parameters.require("id"), request) }
        routes.post(SiteURL.grappeEstablishments(id).path) { request, context in try await addEstablishment(try context.parameters.require("id"), request) }
        routes.post(SiteURL.removeEstablishment(id, et: et).path) { request, context in
            try await removeEstablishment(try context.parameters.require("id"), try context.parameters.require("et"), request)
        }
        routes.post(SiteURL.establishmentKind(id, et: et).path) { request, context in
            try await setKind(try context.parameters.require("id"), try context.parameters.require("et"), request)
        }
        routes.post(SiteURL.grappePaste(id).path) { request, context in try await paste(try context.parameters.require("id"), request) }
        routes.post(SiteURL.grappeFacts(id).path) { request, context in try await setFacts(try context.parameters.require("id"), request) }
        routes.get(SiteURL.establishmentsCSV(id).path) { _, context in try await establishmentsCSV(try context.parameters.require("id")) }
        routes.get(SiteURL.amountsCSV(id).path) { _, context in try await amountsCSV(try context.parameters.require("id")) }
    }

    /// Applies a page form to the version of the grappe it was built from (its `version` field):
    /// a form built from an older version changes nothing and shows who changed the grappe since.
    /// `apply` edits the grappe, or returns the response of a refusal.
    func change(_ id: String, _ form: [String: String], then location: SiteURL,
                onStale: ((SavedGrappe, String) async throws -> Response)? = nil,
                _ apply: (inout SavedGrappe) async throws -> Response?) async throws -> Response {
        guard let current = try await site.visibleGrappe(id) else { return notFound("Grappe inconnue.") }
        let stale: (SavedGrappe, Int) async throws -> Response = { now, sent in
            let message = API.staleMessage(now, sent: sent)
            if let onStale { return try await onStale(now, message) }
            return try await grappePage(id, print: false, message: message, status: .conflict)
        }
        guard let text = form["version"], let version = Int(text) else {
            return try await grappePage(id, print: false, message: "Formulaire incomplet (version de la grappe absente) : rien n'a été modifié.", status: .badRequest)
        }
        guard version == current.version else { return try await stale(current, version) }
        var grappe = current
        if let refusal = try await apply(&grappe) { return refusal }
        do {
            switch try await site.grappes.update(id, from: version, name: grappe.name, project: grappe.project, by: site.author) {
            case .notFound: return notFound("Grappe inconnue.")
            case let .stale(now): return try await stale(now, version)
            case .updated: return redirect(location)
            }
        } catch let e as InputError {
            return try await grappePage(id, print: false, message: "Modification refusée : \(e.description).", status: .unprocessableContent)
        }
    }

    func redirect(_ location: SiteURL) -> Response {
        Response(status: .seeOther, headers: [.location: location.path])
    }

    func notFound(_ what: String) -> Response {
        ErrorPage(heading: "Introuvable", sentence: what).response(status: .notFound)
    }

    // MARK: Home, search

    func home() async throws -> Response {
        HomeView(grappes: try await site.visibleGrappes(limit: 10), catalogue: site.engine.catalogue, today: site.today(),
                 records: try await DUIPages(site: site).establishmentsKept()).response()
    }

    func search(_ request: Request) async throws -> Response {
        let query = Form.query(request)
        let text = query["q"] ?? ""
        let department = query["department"].flatMap { $0.isEmpty ? nil : $0 }
        let sector = query["sector"].flatMap { $0.isEmpty ? nil : $0 }
        var view = FinessView(text: text, department: department, sector: sector)
        if !text.trimmingCharacters(in: .whitespaces).isEmpty {
            if let department, Territory.department(department) == nil {
                view.unknownDepartment(department)
            } else {
                let found = try await site.finess.search(text, department: department, sector: sector.flatMap(Sector.init(rawValue:)), limit: 50)
                let owners = try await site.finess.legalEntityNames(found.map(\.finessEJ))
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                view.show(found, owners: owners, grappes: try await site.visibleGrappes(limit: 50), text: text,
                          organisme: found.first.flatMap { $0.finessEJ == trimmed ? trimmed : nil })
            }
        }
        return view.response()
    }

    // MARK: Grappes

    /// A new grappe: no solution, referencing nor procurement chosen for the porteur — no verdict
    /// nor amount is shown until they are (`missingChoices`).
    static func emptyProject(campaign: String) -> JSON {
        .object([
            ("campaign", .string(campaign)), ("kind", .string("acquisition")), ("solution", .object([])),
            ("porteur", .null), ("nationalRepresentativeness", .bool(false)), ("matureProjectOwner", .bool(false)),
            ("establishments", .array([])),
        ])
    }

    func createGrappe(_ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        let name = form["name"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let campaign = form["campaign"] ?? ""
        let scopes = site.porteurScopes
        let owner = form["porteur"].flatMap { scopes.contains($0) ? $0 : nil } ?? scopes.first
        guard !name.isEmpty, site.engine.catalogue.campaign(campaign) != nil, let owner else {
            return NewGrappeView(catalogue: site.engine.catalogue, today: site.today()).response(status: .unprocessableContent)
        }
        var project = Self.emptyProject(campaign: campaign).setting("porteur", .string(owner))
        if let et = form["finessET"], FinessNumber.isValid(et) {
            project = project.setting("establishments", .array([.object([("finessET", .string(et))])]))
        }
        let grappe = try await site.grappes.create(name: String(name.prefix(120)), project: project, owner: owner, by: site.author)
        return redirect(.grappe(grappe.id))
    }

    func updateSettings(_ id: String, _ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        return try await change(id, form, then: .grappe(id)) { grappe in
            var p = grappe.project
            if let name = form["name"]?.trimmingCharacters(in: .whitespaces), !name.isEmpty { grappe.name = String(name.prefix(120)) }
            if let c = form["campaign"], site.engine.catalogue.campaign(c) != nil { p = p.setting("campaign", .string(c)) }
            if let k = form["kind"], ProjectKind(rawValue: k) != nil {
                // Into a grappe mixte, each establishment keeps the project's former kind as its own
                // until the porteur changes it; out of it, the per-establishment kinds are kept for a
                // return and ignored by the evaluation.
                if k == ProjectKind.mixte.rawValue, case let .string(former)? = p["kind"], former != k, case let .array(items)? = p["establishments"] {
                    p = p.setting("establishments", .array(items.map { $0["kind"] == nil ? $0.setting("kind", .string(former)) : $0 }))
                }
                p = p.setting("kind", .string(k))
            }
            if let r = form["procurement"], Project.Procurement(rawValue: r) != nil { p = p.setting("procurement", .string(r)) }
            var solution = p["solution"] ?? .object([])
            if let n = form["solutionName"]?.trimmingCharacters(in: .whitespaces), !n.isEmpty { solution = solution.setting("name", .string(String(n.prefix(200)))) }
            if let e = form["solutionEditor"]?.trimmingCharacters(in: .whitespaces), !e.isEmpty { solution = solution.setting("editor", .string(String(e.prefix(200)))) }
            if let r = form["referencing"], Referencing(rawValue: r) != nil { solution = solution.setting("referencing", .string(r)) }
            p = p.setting("solution", solution)
            if let porteur = form["porteur"], .string(porteur) != p["porteur"] {
                guard site.porteurScopes.contains(porteur) else {
                    return try await grappePage(id, print: false, message: "Porteur « \(Limits.quote(porteur)) » refusé : vous êtes porteur pour \(site.porteurScopes.joined(separator: ", ")) seulement.", status: .unprocessableContent)
                }
                p = p.setting("porteur", .string(porteur))
            }
            p = p.setting("matureProjectOwner", .bool(form["matureProjectOwner"] == "on"))
            p = p.setting("nationalRepresentativeness", .bool(form["nationalRepresentativeness"] == "on"))
            p = try await settingCCP(p, form["subjectToPublicProcurementCode"] == "on")
            if let d = form["filingDate"] { p = p.setting("filingDate", CalendarDate(iso: d).map { .string($0.description) } ?? .null) }
            grappe.project = p
            return nil
        }
    }

    func addEstablishment(_ id: String, _ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        let et = form["finessET"]?.trimmingCharacters(in: .whitespaces) ?? ""
        return try await change(id, form, then: .grappe(id)) { grappe in
            guard FinessNumber.isValid(et), let found = try await site.finess.establishment(et) else {
                return try await grappePage(id, print: false, message: "Numéro FINESS ET « \(Limits.quote(et)) » invalide ou absent du registre.", status: .unprocessableContent)
            }
            guard Self.adding(et, ej: found.finessEJ, to: &grappe) else {
                return try await grappePage(id, print: false, message: "La grappe compte déjà \(Limits.establishmentsPerProject.grouped) établissements, le maximum.", status: .unprocessableContent)
            }
            return nil
        }
    }

    /// Adding from the search results: the person did not see the grappe, so the establishments
    /// are added to its latest version (again if another change came first), never over another
    /// change. Numbers that are invalid or unknown are named, and nothing is added then.
    func addFromSearch(_ id: String, ets: [String]) async throws -> Response {
        guard try await site.visibleGrappe(id) != nil else { return notFound("Grappe inconnue.") }
        var found: [(et: String, ej: String)] = []
        var unknown: [String] = []
        for et in ets.prefix(Limits.establishmentsPerProject) {
            if FinessNumber.isValid(et), let e = try await site.finess.establishment(et) { found.append((et, e.finessEJ)) } else { unknown.append(et) }
        }
        guard unknown.isEmpty else {
            return try await grappePage(id, print: false, message: "Rien n'a été ajouté : numéro FINESS ET invalide ou absent du registre : \(unknown.map { "« \(Limits.quote($0)) »" }.joined(separator: ", ")).", status: .unprocessableContent)
        }
        var full = false
        let outcome = try await site.grappes.modify(id, by: site.author) { current in
            var grappe = current
            full = !found.allSatisfy { Self.adding($0.et, ej: $0.ej, to: &grappe) }
            return full || grappe == current ? nil : grappe
        }
        if case .notFound = outcome { return notFound("Grappe inconnue.") }
        if full { return try await grappePage(id, print: false, message: "La grappe dépasserait \(Limits.establishmentsPerProject.grouped) établissements, le maximum : rien n'a été ajouté.", status: .unprocessableContent) }
        return redirect(.grappe(id))
    }

    /// Adds an establishment (once) and, when the grappe has none, its organisme as porteur;
    /// false when the grappe is full.
    static func adding(_ et: String, ej: String, to grappe: inout SavedGrappe) -> Bool {
        var items: [JSON] = []
        if case let .array(list)? = grappe.project["establishments"] { items = list }
        if items.contains(where: { $0["finessET"] == .string(et) }) { return true }
        guard items.count < Limits.establishmentsPerProject else { return false }
        var entry: [(String, JSON)] = [("finessET", .string(et))]
        if grappe.project["kind"] == .string("mixte") { entry.append(("kind", .string("acquisition"))) }
        items.append(.object(entry))
        grappe.project = grappe.project.setting("establishments", .array(items))
        if grappe.project["porteur"] == nil || grappe.project["porteur"] == .null {
            grappe.project = grappe.project.setting("porteur", .string(ej))
        }
        return true
    }

    func removeEstablishment(_ id: String, _ et: String, _ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        return try await change(id, form, then: .grappe(id)) { grappe in
            guard case let .array(items)? = grappe.project["establishments"] else { return notFound("Grappe illisible.") }
            grappe.project = grappe.project.setting("establishments", .array(items.filter { $0["finessET"] != .string(et) }))
            return nil
        }
    }

    func setKind(_ id: String, _ et: String, _ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        return try await change(id, form, then: .grappe(id)) { grappe in
            guard let kind = form["kind"], kind == "acquisition" || kind == "miseEnConformite",
                  case let .array(items)? = grappe.project["establishments"] else { return redirect(.grappe(id)) }
            grappe.project = grappe.project.setting("establishments", .array(items.map { $0["finessET"] == .string(et) ? $0.setting("kind", .string(kind)) : $0 }))
            return nil
        }
    }

    /// A pasted list, one FINESS number per line: an ET adds the establishment, an EJ all the open
    /// ESSMS of the organisme. All or nothing: a line invalid or unknown is named with its number,
    /// nothing is added, and the list comes back to be corrected.
    func paste(_ id: String, _ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        let text = form["numbers"] ?? ""
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count <= Limits.establishmentsPerProject * 2 else {
            return try await grappePage(id, print: false, message: "Liste trop longue : \(Limits.establishmentsPerProject * 2) lignes au plus.", status: .unprocessableContent, pasted: text)
        }
        var found: [(et: String, ej: String)] = []
        var problems: [String] = []
        for (index, number) in lines.enumerated() where !number.isEmpty {
            let line = "ligne \(index + 1) « \(Limits.quote(number)) »"
            if let problem = FinessNumber.problem(number) { problems.append("\(line) : \(problem.french)"); continue }
            if let e = try await site.finess.establishment(number) { found.append((e.finessET, e.finessEJ)); continue }
            let members = try await site.finess.essms(ofLegalEntity: number)
            if members.isEmpty { problems.append("\(line) : ni établissement ni organisme ayant des ESSMS ouverts dans le registre"); continue }
            found += members.map { ($0.finessET, $0.finessEJ) }
        }
        if found.isEmpty && problems.isEmpty { problems.append("aucun numéro dans la liste") }
        guard problems.isEmpty else {
            return try await grappePage(id, print: false, message: "Rien n'a été ajouté : \(problems.joined(separator: " ; ")). Corrigez ou retirez ces lignes, puis renvoyez la liste.",
                                        status: .unprocessableContent, pasted: text)
        }
        return try await change(id, form, then: .grappe(id)) { grappe in
            guard found.allSatisfy({ Self.adding($0.et, ej: $0.ej, to: &grappe) }) else {
                return try await grappePage(id, print: false, message: "La grappe dépasserait \(Limits.establishmentsPerProject.grouped) établissements, le maximum : rien n'a été ajouté.", status: .unprocessableContent, pasted: text)
            }
            return nil
        }
    }

    /// R2: the porteur's organisme entry carries whether it is subject to the code de la commande
    /// publique; the entry is written from the registry the first time (name, ESSMS count,
    /// department), as the API would be given it.
    func settingCCP(_ project: JSON, _ ccp: Bool) async throws -> JSON {
        guard case let .string(porteur)? = project["porteur"] else { return project }
        var organismes: [JSON] = []
        if case let .array(given)? = project["organismes"] { organismes = given }
        if let index = organismes.firstIndex(where: { $0["finessEJ"] == .string(porteur) }) {
            organismes[index] = organismes[index].setting("subjectToPublicProcurementCode", .bool(ccp))
        } else {
            guard ccp, let entity = try await site.finess.legalEntity(porteur) else { return project }
            var members: [(String, JSON)] = [("finessEJ", .string(porteur)), ("name", .string(entity.name)),
                                             ("essmsCount", .int(try await site.finess.essmsCount(ofLegalEntity: porteur))),
                                             ("subjectToPublicProcurementCode", .bool(true))]
            if let d = entity.department, Territory.department(d) != nil { members.append(("department", .string(d))) }
            organismes.append(.object(members))
        }
        return project.setting("organismes", .array(organismes))
    }

    /// The facts only the porteur knows of each establishment, from one form: a box not ticked
    /// removes the fact (the registry's reading, or false); the SONS software ordered is a text.
    func setFacts(_ id: String, _ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        return try await change(id, form, then: .grappe(id)) { grappe in
            guard case let .array(items)? = grappe.project["establishments"] else { return redirect(.grappe(id)) }
            var updated: [JSON] = []
            for item in items {
                guard case let .string(et)? = item["finessET"] else { updated.append(item); continue }
                var e = item
                for fact in EstablishmentsTable.Fact.allCases {
                    let ticked = form["\(fact.rawValue).\(et)"] == "on"
                    switch fact {
                    case .notEssms: e = ticked ? e.setting("essms", .bool(false)) : e.removing("essms")
                    default: e = ticked ? e.setting(fact.field, .bool(true)) : e.removing(fact.field)
                    }
                }
                let sons = (form["sons.\(et)"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                e = sons.isEmpty ? e.removing("sonsOrderSoftware") : e.setting("sonsOrderSoftware", .string(String(sons.prefix(200))))
                updated.append(e)
            }
            grappe.project = grappe.project.setting("establishments", .array(updated))
            return nil
        }
    }

    /// What the porteur has still to choose before the grappe is evaluated, in French; empty when
    /// everything is chosen.
    static func missingChoices(_ project: JSON) -> [String] {
        let solution = project["solution"] ?? .object([])
        return [(solution["name"], "le nom de la solution DUI"), (solution["editor"], "son éditeur"),
                (solution["referencing"], "son référencement"), (project["procurement"], "la procédure d'achat")]
            .filter { chosen($0.0) == nil }.map(\.1)
    }

    /// A choice the porteur made: a non-blank text; nil otherwise.
    static func chosen(_ value: JSON?) -> String? {
        if case let .string(s)? = value, !s.trimmingCharacters(in: .whitespaces).isEmpty { return s }
        return nil
    }

    /// The sentence said in place of the verdict while choices are missing.
    static func pendingSentence(_ missing: [String]) -> String? {
        guard let last = missing.last else { return nil }
        let list = missing.count == 1 ? last : missing.dropLast().joined(separator: ", ") + " et " + last
        return "Choisissez \(list) dans « Le projet », puis « Mettre à jour l'évaluation » : le verdict et les montants s'affichent ensuite."
    }

    /// The grappe as the engine reads it: per-establishment natures only in a grappe mixte; a choice
    /// not made yet takes a neutral value, only to complete the establishments from the registry —
    /// the assessment is then not shown (`missingChoices`).
    func evaluable(_ project: JSON) -> JSON {
        var project = project
        if !Self.missingChoices(project).isEmpty {
            let solution = project["solution"] ?? .object([])
            func chosen(_ value: JSON?, else neutral: String) -> JSON { .string(Self.chosen(value) ?? neutral) }
            project = project.setting("solution", .object([("name", chosen(solution["name"], else: "—")), ("editor", chosen(solution["editor"], else: "—")),
                                                           ("referencing", chosen(solution["referencing"], else: Referencing.segur.rawValue))]))
            project = project.setting("procurement", chosen(project["procurement"], else: Project.Procurement.sad.rawValue))
        }
        guard project["kind"] != .string("mixte"), case let .array(items)? = project["establishments"] else { return project }
        return project.setting("establishments", .array(items.map { $0.removing("kind") }))
    }

    func grappePage(_ id: String, print: Bool, pdf: Bool = false, message: String? = nil, status: HTTPResponse.Status = .ok, pasted: String = "") async throws -> Response {
        guard let grappe = try await site.visibleGrappe(id) else { return notFound("Grappe inconnue : « \(Limits.quote(id)) ».") }
        var project: Project? = nil
        var assessment: Assessment? = nil
        var problem: String? = nil
        let pending = Self.pendingSentence(Self.missingChoices(grappe.project))
        if case let .array(items)? = grappe.project["establishments"], !items.isEmpty {
            do {
                let assessed = try await site.assess(evaluable(grappe.project))
                project = assessed.project
                if pending == nil { assessment = assessed.assessment }
            } catch let e as InputError {
                problem = e.description
            } catch let e as AssessmentError {
                problem = e.description
            }
        }
        let catalogue = site.engine.catalogue
        if print {
            let view = GrappePrintView(grappe: grappe, project: project, assessment: assessment, problem: problem ?? pending,
                                       message: message, catalogue: catalogue)
            return pdf ? await PDF.response(view.html, filename: "evaluation-\(grappe.id).pdf") : view.response(status: status)
        }
        return GrappeView(grappe: grappe, project: project, assessment: assessment, problem: problem, pending: pending,
                          message: message, catalogue: catalogue, today: site.today(), pasted: pasted).response(status: status)
    }

    // MARK: CSV

    func establishmentsCSV(_ id: String) async throws -> Response {
        guard let grappe = try await site.visibleGrappe(id) else { return notFound("Grappe inconnue.") }
        var rows = [["FINESS ET", "Nom", "FINESS EJ", "Organisme", "Secteur", "Département", "Nature", "Éligible", "Règle d'exclusion"]]
        if case let .array(items)? = grappe.project["establishments"], !items.isEmpty,
           let (project, assessment) = try? await site.assess(evaluable(grappe.project)) {
            let excluded = Dictionary(assessment.excluded.compactMap { e in e.finessET.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
            let pending = !Self.missingChoices(grappe.project).isEmpty
            for e in project.establishments {
                let og = project.organismes.first { $0.finessEJ == e.finessEJ }
                let x = e.finessET.flatMap { excluded[$0] }
                let eligible = pending ? "à évaluer : solution et procédure d'achat à choisir" : x == nil ? "oui" : "non"
                rows.append([e.finessET ?? "", e.name, e.finessEJ, og?.name ?? "", e.sector.rawValue, e.department.code,
                             (e.kind ?? project.kind).rawValue, eligible, pending ? "" : x.map { "\($0.rule.rawValue) : \($0.reason)" } ?? ""])
            }
        }
        return CSV.response(rows, filename: "grappe-\(id)-etablissements.csv")
    }

    func amountsCSV(_ id: String) async throws -> Response {
        guard let grappe = try await site.visibleGrappe(id) else { return notFound("Grappe inconnue.") }
        var rows = [["Poste", "Montant (€)", "Règle", "Source"]]
        guard case let .array(items)? = grappe.project["establishments"], !items.isEmpty else {
            rows.append(["Recevabilité", "projet non évaluable : aucun établissement", "", ""])
            return CSV.response(rows, filename: "grappe-\(id)-montants.csv")
        }
        if let pending = Self.pendingSentence(Self.missingChoices(grappe.project)) {
            rows.append(["Recevabilité", "projet non évaluable : \(pending)", "", ""])
            return CSV.response(rows, filename: "grappe-\(id)-montants.csv")
        }
        let assessed: Assessment
        do { assessed = try await site.assess(evaluable(grappe.project)).assessment } catch {
            rows.append(["Recevabilité", "projet non évaluable : \(SecurityMiddleware.message(error))", "", ""])
            return CSV.response(rows, filename: "grappe-\(id)-montants.csv")
        }
        // The outcome first, with each refusal: a 0,00 never reads as a small subsidy.
        let outcome = ["recevable": "Recevable", "nonRecevable": "Non recevable", "aDeciderParARS": "À décider par l'ARS"][assessed.outcome.rawValue] ?? assessed.outcome.rawValue
        rows.append(["Recevabilité", outcome, "", ""])
        for refusal in assessed.refusals { rows.append(["Refus : \(refusal.text)", "", refusal.rule.rawValue, refusal.source]) }
        for line in assessed.fundingLines {
            rows.append([line.item.french, CSV.euros(line.amount), line.rule.rawValue, line.source])
        }
        rows.append(["Total", CSV.euros(assessed.funding.total), "", ""])
        for p in assessed.payments {
            rows.append(["\(p.instalment.french) \(p.percent) %", CSV.euros(p.amount), p.instalment.rule.rawValue, ""])
        }
        for s in assessed.sons {
            rows.append(["Prestation Ségur (SONS) \(s.finessEJ), tranche \(s.tranche)", CSV.euros(s.total), "S4", RuleID.S4.source])
        }
        return CSV.response(rows, filename: "grappe-\(id)-montants.csv")
    }
}

/// `application/x-www-form-urlencoded` bodies.
enum Form {
    /// Every field in order, a name repeated as many times as it was sent (checkboxes).
    static func readPairs(_ request: Request) async throws -> [(String, String)] {
        let buffer = try await request.body.collect(upTo: BodyLimit.form)
        return pairs(String(buffer: buffer))
    }

    static func pairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func read(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: BodyLimit.form)
        return parse(String(buffer: buffer))
    }

    /// The query string, decoded as a form is: `+` is a space, `%2B` a plus sign.
    static func query(_ request: Request) -> [String: String] { parse(request.uri.query ?? "") }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in pairs(text) { fields[name] = value }
        return fields
    }
}

/// Semicolon-separated, UTF-8 with a byte order mark, CRLF: what Excel opens as is in France.
enum CSV {

    /// `98900000` → `989000,00`: decimal comma, no thousands separator, so that Excel reads a number.
    static func euros(_ cents: Cents) -> String {
        let rest = cents.magnitude % 100
        return "\(cents < 0 ? "-" : "")\(cents.magnitude / 100),\(rest < 10 ? "0" : "")\(rest)"
    }

    static func response(_ rows: [[String]], filename: String) -> Response {
        let text = "\u{FEFF}" + rows.map { $0.map(Spreadsheet.cell).joined(separator: ";") }.joined(separator: "\r\n") + "\r\n"
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
