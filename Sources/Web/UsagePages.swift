import Foundation
import Hummingbird
import MultipartKit
import Rules
import Store

/// The usage page of a saved grappe: the five project rates month by month against their targets
/// (a chart readable without colour, and a table), the establishments that hold the project back,
/// the deadline, the solde decision and why; an upload form for the measures file.
public struct UsagePages: Sendable {
    let site: Site
    let pages: Pages

    var usage: UsageRepository { UsageRepository(store: site.store) }

    func register(on routes: Routes) {
        routes.get("/grappes/:id/usages") { _, context in try await page(try context.parameters.require("id")) }
        routes.post("/grappes/:id/usages/dates") { request, context in try await setDates(try context.parameters.require("id"), request) }
        routes.post("/grappes/:id/usages/mesures") { request, context in try await upload(try context.parameters.require("id"), request) }
    }

    /// `typed`: what the person sent in the dates form, shown again when refused; `invalid`: the
    /// refused fields and why (announced with the field).
    func page(_ id: String, message: String? = nil, refused: [String] = [], status: HTTPResponse.Status = .ok,
              typed: [String: String] = [:], invalid: [String: String] = [:]) async throws -> Response {
        guard let grappe = try await site.grappes.find(id) else { return pages.notFound("Grappe inconnue : « \(Limits.quote(id)) ».") }
        var body = "<h1>Usages du DUI — \(HTML.escape(grappe.name))</h1><p><a href=\"/grappes/\(id)\">Retour à la grappe</a></p>"
        if let message { body += "<p class=\"\(refused.isEmpty ? "notice" : "error")\" role=\"\(refused.isEmpty ? "status" : "alert")\">\(HTML.escape(message))</p>" }
        if !refused.isEmpty {
            body += "<ul class=\"error\">" + refused.prefix(50).map { "<li>\(HTML.escape($0))</li>" }.joined()
                + (refused.count > 50 ? "<li>… et \(refused.count - 50) autre(s) problème(s)</li>" : "") + "</ul>"
        }
        body += datesForm(grappe, typed: typed, invalid: invalid)
        body += uploadForm(id)
        do {
            let (project, _) = try await site.assess(pages.evaluable(grappe.project))
            let dates = try UsageProject.dates(grappe.project, project: project)
            let measures = try await usage.measures(for: project.establishments.compactMap(\.finessET))
            let report = try site.engine.usageReport(dates, measures: measures, asOf: site.today())
            body += reportSection(report, empty: measures.isEmpty)
        } catch let e as InputError {
            body += "<p class=\"notice\">Le rapport d'usage demande un projet évaluable et sa date d'engagement : \(HTML.escape(e.description)).</p>"
        } catch let e as UsageError {
            body += "<p class=\"error\">\(HTML.escape(e.description))</p>"
        } catch let e as AssessmentError {
            body += "<p class=\"error\">\(HTML.escape(e.description))</p>"
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: HTML.page(title: "Usages — \(grappe.name)", active: "grappes", body: body))))
    }

    func datesForm(_ grappe: SavedGrappe, typed: [String: String] = [:], invalid: [String: String] = [:]) -> String {
        func value(_ key: String) -> String {
            if let text = typed[key] { return HTML.escape(String(text.prefix(200))) }
            switch grappe.project[key] {
            case let .string(s)?: return HTML.escape(s)
            case let .number(n)?: return HTML.escape(n)
            default: return ""
            }
        }
        /// A refused field says so, and why, to assistive technologies too.
        func state(_ key: String) -> String {
            guard invalid[key] != nil else { return "" }
            return " aria-invalid=\"true\" aria-describedby=\"\(key)-erreur\""
        }
        func error(_ key: String) -> String {
            invalid[key].map { "<span class=\"hint field-error\" id=\"\(key)-erreur\">\(HTML.escape($0))</span>" } ?? ""
        }
        return """
        <form method="post" action="/grappes/\(grappe.id)/usages/dates" class="grid">
          \(Pages.formFields(grappe))
          <div><label for="commitmentDate">Date d'engagement (signature de la convention)</label><input type="date" id="commitmentDate" name="commitmentDate" value="\(value("commitmentDate"))" required\(state("commitmentDate"))>\(error("commitmentDate"))</div>
          <div><label for="vsrDate">Date de la VSR (optionnelle)</label><input type="date" id="vsrDate" name="vsrDate" value="\(value("vsrDate"))"\(state("vsrDate"))>\(error("vsrDate"))</div>
          <div><label for="expenses">Dépenses déclarées, en euros (optionnel)</label><input id="expenses" name="expenses" inputmode="decimal" value="\(value("expenses"))"\(state("expenses"))>\(error("expenses"))</div>
          <div><button type="submit">Enregistrer les dates</button></div>
        </form>
        """
    }

    func uploadForm(_ id: String) -> String {
        """
        <form method="post" action="/grappes/\(id)/usages/mesures" enctype="multipart/form-data" class="grid">
          \(CSRF.hiddenField)
          <div><label for="measures">Fichier des mesures mensuelles (CSV)<span class="hint">Colonnes : \(MeasuresFile.columns.joined(separator: ", ")) ; séparateur « ; » ou « , » ; une ligne par établissement et par mois.</span></label>
          <input type="file" id="measures" name="measures" accept=".csv,text/csv" required></div>
          <div><label for="author">Votre nom ou service (pour l'historique des corrections)</label><input id="author" name="author" required maxlength="120"></div>
          <div><button type="submit">Envoyer les mesures</button></div>
        </form>
        """
    }

    func setDates(_ id: String, _ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        return try await pages.change(id, form, then: "/grappes/\(id)/usages", onStale: { _, message in
            try await page(id, message: message, status: .conflict)
        }) { grappe in
            var p = grappe.project
            var invalid: [String: String] = [:]
            if let c = form["commitmentDate"], !c.isEmpty {
                if let d = CalendarDate(iso: c) { p = p.setting("commitmentDate", .string(d.description)) } else { invalid["commitmentDate"] = "Date d'engagement « \(Limits.quote(c)) » invalide : attendu AAAA-MM-JJ." }
            }
            if let v = form["vsrDate"] {
                if v.isEmpty { p = p.removing("vsrDate") } else if let d = CalendarDate(iso: v) { p = p.setting("vsrDate", .string(d.description)) } else { invalid["vsrDate"] = "Date de VSR « \(Limits.quote(v)) » invalide : attendu AAAA-MM-JJ." }
            }
            if let e = form["expenses"] {
                if e.allSatisfy(\.isWhitespace) { p = p.removing("expenses") } else {
                    // Only the parsed amount, re-encoded, reaches the stored project.
                    switch Amount.formEuros(e, limit: Limits.expensesCents) {
                    case let .success(cents): p = p.setting("expenses", .euros(cents))
                    case let .failure(error): invalid["expenses"] = "Dépenses déclarées \(error.description)."
                    }
                }
            }
            guard invalid.isEmpty else {
                let order = ["commitmentDate", "vsrDate", "expenses"]
                return try await page(id, message: "Rien n'a été enregistré : corrigez le champ signalé.", refused: order.compactMap { invalid[$0] },
                                      status: .unprocessableContent, typed: form, invalid: invalid)
            }
            grappe.project = p
            return nil
        }
    }

    func upload(_ id: String, _ request: Request) async throws -> Response {
        guard let grappe = try await site.grappes.find(id) else { return pages.notFound("Grappe inconnue.") }
        let body = try await request.body.collect(upTo: BodyLimit.upload)
        let form = Multipart.upload(body, contentType: request.headers[.contentType] ?? "")
        guard let file = form?.measures, file.body.readableBytes > 0 else {
            return try await page(id, message: "Aucun fichier de mesures reçu.", refused: ["choisissez un fichier CSV"], status: .unprocessableContent)
        }
        guard let text = String(validating: file.body.readableBytesView, as: UTF8.self) else {
            return try await page(id, message: "Fichier refusé : rien n'a été enregistré.",
                                  refused: ["le fichier n'est pas un texte CSV en UTF-8 : enregistrez-le au format « CSV UTF-8 » puis envoyez-le à nouveau"], status: .unprocessableContent)
        }
        let author = form?.author?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !author.isEmpty else { return try await page(id, message: "Indiquez votre nom ou service.", refused: ["auteur manquant"], status: .unprocessableContent) }
        let project: Project
        do { project = try await site.assess(pages.evaluable(grappe.project)).project } catch {
            return try await page(id, message: "La grappe doit être évaluable avant d'y associer des mesures.", refused: ["\(error)"], status: .unprocessableContent)
        }
        do {
            let rows = try MeasuresFile.parse(text, file: "fichier envoyé", establishments: Set(project.establishments.compactMap(\.finessET)))
            let counts = try await usage.importMeasures(rows, by: String(author.prefix(120)), source: "page web, grappe \(id)")
            return try await page(id, message: "Mesures enregistrées : \(counts.added) ajoutées, \(counts.replaced) corrigées (historique conservé), \(counts.unchanged) inchangées.")
        } catch let refused as MeasuresFile.Refused {
            return try await page(id, message: "Fichier refusé : rien n'a été enregistré.", refused: refused.problems.map(\.description), status: .unprocessableContent)
        }
    }

    func reportSection(_ r: UsageReport, empty: Bool) -> String {
        if empty { return "<p class=\"notice\">Aucune mesure enregistrée pour les établissements de cette grappe.</p>" }
        let decision: (String, String)
        switch r.solde.decision {
        case .releasable: decision = ("ok", "Solde libérable")
        case .notYet: decision = ("ars", "Solde pas encore libérable")
        case .late: decision = ("ko", "Échéance dépassée : l'ARS décide")
        }
        var out = """
        <section aria-labelledby="solde"><h2 id="solde">Solde</h2>
        <p role="status"><span class="badge \(decision.0)">\(decision.1)</span> Montant du solde : \(HTML.euros(r.solde.amount)). Échéance le \(r.deadline.french) (\(r.monthsLeft) mois restant\(r.monthsLeft > 1 ? "s" : "")), au \(r.asOf.french). (P2, P3)</p>
        """
        if !r.solde.failing.isEmpty {
            out += "<ul>" + r.solde.failing.map { f in
                let name = Indicator(rawValue: f.indicator)?.french ?? "dépenses / subvention"
                return "<li>✗ \(HTML.escape(name)) : \(UsageReport.percent(f.value)) pour une cible de \(UsageReport.percent(f.target))</li>"
            }.joined() + "</ul>"
        }
        out += "</section>"
        out += UsageChart(report: r).svg()
        let header = Indicator.allCases.map { "<th scope=\"col\" class=\"num\">\(HTML.escape($0.short)) (cible \(r.targets[$0]!) %)</th>" }.joined()
        let rows = r.projectMonths.map { m in
            "<tr><th scope=\"row\">\(m.month)</th>" + Indicator.allCases.map { i -> String in
                guard let rate = m.rates[i] else { return "<td class=\"num\">—</td>" }
                let ok = rate.meets(r.targets[i]!) == true
                return "<td class=\"num\">\(UsageReport.percent(rate.value))\(ok ? " ✓" : "")</td>"
            }.joined() + "</tr>"
        }.joined()
        out += "<table><caption>Taux du projet, mois par mois (✓ : cible atteinte)</caption><thead><tr><th scope=\"col\">Mois</th>\(header)</tr></thead><tbody>\(rows)</tbody></table>"
        let behind = r.establishments.filter { !$0.unmet.isEmpty }
        if behind.isEmpty {
            out += "<p>Aucun établissement ne retient le projet sur le dernier mois mesuré.</p>"
        } else {
            var table = "<table><caption>Établissements qui retiennent le projet, les plus en retard d'abord (\(behind.count))</caption><thead><tr><th scope=\"col\">FINESS ET</th><th scope=\"col\">Nom</th><th scope=\"col\">Cibles non atteintes</th></tr></thead><tbody>"
            for e in behind.prefix(100) {
                let unmet: [String] = e.unmet.map { u in
                    let name = HTML.escape(u.indicator.french)
                    return "\(name) \(UsageReport.percent(u.value)) (cible \(u.target) %)"
                }
                table += "<tr><td>\(e.finessET)</td><td>\(HTML.escape(e.name))</td><td>\(unmet.joined(separator: " ; "))</td></tr>"
            }
            out += table + "</tbody></table>"
        }
        out += "<details><summary>Définitions et explication</summary><ul>" + r.explanation.map { "<li>\(HTML.escape($0.text)) <span class=\"muted\">(\($0.rule.rawValue), \(HTML.escape($0.source)))</span></li>" }.joined() + "</ul></details>"
        return out
    }
}

/// The five project rates as a line chart: each indicator has its own dash pattern and marker,
/// named in the legend, so that no information is carried by colour alone.
struct UsageChart {
    let report: UsageReport

    func svg() -> String {
        let months = report.projectMonths
        guard !months.isEmpty else { return "" }
        let width = 760.0, height = 320.0, left = 50.0, right = 20.0, top = 20.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        let maxValue = 1.2
        func x(_ i: Int) -> Double { months.count == 1 ? left + plotW / 2 : left + plotW * Double(i) / Double(months.count - 1) }
        func y(_ v: Double) -> Double { top + plotH * (1 - min(v, maxValue) / maxValue) }
        let styles: [Indicator: (dash: String, marker: String)] = [
            .mss: ("", "circle"), .dmp: ("8 4", "square"), .activeRecords: ("2 3", "triangle"), .withProjet: ("12 4 2 4", "diamond"), .withEvent: ("4 4", "cross"),
        ]
        func marker(_ kind: String, _ cx: Double, _ cy: Double) -> String {
            switch kind {
            case "circle": return "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"4\" fill=\"#fff\" stroke=\"#000091\" stroke-width=\"2\"/>"
            case "square": return "<rect x=\"\(f(cx - 4))\" y=\"\(f(cy - 4))\" width=\"8\" height=\"8\" fill=\"#000091\"/>"
            case "triangle": return "<path d=\"M\(f(cx)) \(f(cy - 5)) L\(f(cx + 5)) \(f(cy + 4)) L\(f(cx - 5)) \(f(cy + 4)) Z\" fill=\"#3a3a3a\"/>"
            case "diamond": return "<path d=\"M\(f(cx)) \(f(cy - 5)) L\(f(cx + 5)) \(f(cy)) L\(f(cx)) \(f(cy + 5)) L\(f(cx - 5)) \(f(cy)) Z\" fill=\"#fff\" stroke=\"#161616\" stroke-width=\"2\"/>"
            default: return "<path d=\"M\(f(cx - 4)) \(f(cy - 4)) L\(f(cx + 4)) \(f(cy + 4)) M\(f(cx + 4)) \(f(cy - 4)) L\(f(cx - 4)) \(f(cy + 4))\" stroke=\"#161616\" stroke-width=\"2\"/>"
            }
        }
        var out = "<figure><svg role=\"img\" aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"Arial, sans-serif\" font-size=\"12\">"
        out += "<title id=\"chart-title\">Taux du projet par mois</title><desc id=\"chart-desc\">Cinq courbes, une par indicateur, de \(months.first!.month) à \(months.last!.month) ; lignes de cible à 70 % et 90 %. Les valeurs sont dans le tableau qui suit.</desc>"
        for v in stride(from: 0.0, through: maxValue, by: 0.2) {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#dddddd\"/><text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(Int((v * 100).rounded())) %</text>"
        }
        for (target, label) in [(0.7, "cible 70 %"), (0.9, "cible 90 %")] {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(target)))\" y2=\"\(f(y(target)))\" stroke=\"#ce0500\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/><text x=\"\(f(width - right))\" y=\"\(f(y(target) - 4))\" text-anchor=\"end\">\(label)</text>"
        }
        let step = max(1, months.count / 12)
        for (i, m) in months.enumerated() where i % step == 0 || i == months.count - 1 {
            out += "<text x=\"\(f(x(i)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\">\(m.month)</text>"
        }
        for indicator in Indicator.allCases {
            let style = styles[indicator]!
            var points: [(Double, Double)] = []
            for (i, m) in months.enumerated() { if let v = m.rates[indicator]?.value { points.append((x(i), y(v))) } }
            guard !points.isEmpty else { continue }
            out += "<polyline fill=\"none\" stroke=\"#161616\" stroke-width=\"1.5\"\(style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\"") points=\"\(points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " "))\"/>"
            for p in points { out += marker(style.marker, p.0, p.1) }
        }
        var lx = left
        for indicator in Indicator.allCases {
            let style = styles[indicator]!
            let ly = height - 18
            out += "<line x1=\"\(f(lx))\" x2=\"\(f(lx + 26))\" y1=\"\(f(ly))\" y2=\"\(f(ly))\" stroke=\"#161616\" stroke-width=\"1.5\"\(style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\"")/>" + marker(style.marker, lx + 13, ly)
            out += "<text x=\"\(f(lx + 32))\" y=\"\(f(ly + 4))\">\(HTML.escape(indicator.short))</text>"
            lx += 32 + Double(indicator.short.count) * 7 + 24
        }
        out += "</svg><figcaption>Taux du projet (agrégat des ESSMS éligibles) ; au-delà de 120 %, le taux MSSanté est tracé à 120 %.</figcaption></figure>"
        return out
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

/// `multipart/form-data` bodies: the text of each field (files included).
/// `multipart/form-data` bodies, read by multipart-kit.
enum Multipart {
    /// The page upload: the measures file, its author, the anti-CSRF token.
    struct Upload {
        var measures: MultipartPart?
        var author: String?
        var csrf: String?
    }

    /// The boundary parameter of a `multipart/form-data` content type.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    /// Nil when the body is not a well-formed multipart body of that content type.
    static func upload(_ body: ByteBuffer, contentType: String) -> Upload? {
        guard let parts = parts(body, contentType: contentType) else { return nil }
        func text(_ name: String) -> String? { parts.firstPart(named: name).map { String(buffer: $0.body) } }
        return Upload(measures: parts.firstPart(named: "measures"), author: text("author"), csrf: text("csrf"))
    }

    static func parts(_ body: ByteBuffer, contentType: String) -> [MultipartPart]? {
        guard let boundary = boundary(contentType), !boundary.isEmpty else { return nil }
        let parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        var headers = HTTPHeaders()
        var content = ByteBuffer()
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { chunk in content.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: headers, body: content))
            headers = HTTPHeaders()
            content = ByteBuffer()
        }
        do { try parser.execute(body) } catch { return nil }
        return parts
    }
}
