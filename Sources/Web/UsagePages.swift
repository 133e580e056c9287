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
        let id = SiteURL.id
        routes.get(SiteURL.usage(id).path) { _, context in try await page(try context.parameters.require("id")) }
        routes.post(SiteURL.usageDates(id).path) { request, context in try await setDates(try context.parameters.require("id"), request) }
        routes.post(SiteURL.usageMeasures(id).path) { request, context in try await upload(try context.parameters.require("id"), request) }
        routes.get(SiteURL.usageTemplate(id).path) { _, context in try await template(try context.parameters.require("id")) }
        routes.get(SiteURL.usageReportCSV(id).path) { _, context in try await reportCSV(try context.parameters.require("id")) }
        routes.get(SiteURL.usageReportXLSX(id).path) { _, context in try await reportXLSX(try context.parameters.require("id")) }
    }

    /// The report of the page as CSV, or the page saying why there is none.
    func reportCSV(_ id: String) async throws -> Response {
        try await withReport(id) { report, _ in
            Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"usages-\(id).csv\""],
                     body: .init(byteBuffer: ByteBuffer(string: report.csv)))
        }
    }

    /// The report as a workbook: the project's rates month by month, each establishment's, and the
    /// corrections of the measures.
    func reportXLSX(_ id: String) async throws -> Response {
        try await withReport(id) { report, ets in
            let corrections = try await usage.corrections(for: ets, limit: 10_000).latest
            let data = try await Self.workbook(report, corrections: corrections).xlsx()
            return Response(status: .ok, headers: [.contentType: DocumentKind.xlsx.contentType, .contentDisposition: "attachment; filename=\"usages-\(id).xlsx\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    static func workbook(_ report: UsageReport, corrections: [UsageRepository.Correction]) -> Workbook {
        func rates(_ m: MonthRates) -> [Workbook.Cell] {
            Indicator.allCases.map { i in m.rates[i]?.value.map(Workbook.Cell.percent) ?? .empty }
        }
        let names = Indicator.allCases.map { "\($0.french) (%)" }
        return Workbook(sheets: [
            .init(name: "Projet", columns: ["Mois"] + names + ["MSSanté et DMP mesurés sur (mois)"],
                  rows: report.projectMonths.map { m in [.text(m.month.description)] + rates(m) + [.integer(m.nationalServicesMonths)] }),
            .init(name: "Etablissements", columns: ["FINESS ET", "Nom", "Secteur", "Mois"] + names,
                  rows: report.establishments.flatMap { e in e.months.map { m in [.text(e.finessET), .text(e.name), .text(e.sector.label), .text(m.month.description)] + rates(m) } }),
            .init(name: "Corrections", columns: ["Le", "FINESS ET", "Mois", "Ce qui a changé", "Par", "Fichier"],
                  rows: (UsageView.Corrections(corrections, total: corrections.count)?.rows ?? []).map { r in
                      [.text(r.when), .text(r.finessET), .text(r.month), .text(r.changes), .text(r.by), .text(r.source)]
                  }),
        ])
    }

    /// The report of a grappe with measures, or the page saying why there is none.
    func withReport(_ id: String, _ respond: (UsageReport, [String]) async throws -> Response) async throws -> Response {
        guard let grappe = try await site.visibleGrappe(id) else { return pages.notFound("Grappe inconnue.") }
        let report: UsageReport, ets: [String]
        do {
            let (project, _) = try await site.assess(pages.evaluable(grappe.project))
            let dates = try UsageProject.dates(grappe.project, project: project)
            ets = project.establishments.compactMap(\.finessET)
            let measures = try await usage.measures(for: ets)
            guard !measures.isEmpty else { return try await page(id, message: "Pas de rapport : aucune mesure enregistrée.", status: .notFound) }
            report = try site.engine.usageReport(dates, measures: measures, asOf: site.today())
        } catch {
            return try await page(id, message: "Pas de rapport : \(error).", status: .unprocessableContent)
        }
        return try await respond(report, ets)
    }

    /// The measures file to fill in (`usage.md` columns, which the import reads): one line per
    /// establishment of the grappe for the current month, the counts left blank.
    func template(_ id: String) async throws -> Response {
        guard let grappe = try await site.visibleGrappe(id) else { return pages.notFound("Grappe inconnue.") }
        var ets: [String] = []
        if case let .array(items)? = grappe.project["establishments"] {
            ets = items.compactMap { if case let .string(et)? = $0["finessET"] { return et } else { return nil } }
        }
        let today = site.today()
        let month = "\(today.year)-\(today.month < 10 ? "0" : "")\(today.month)"
        let rows = [MeasuresFile.columns] + ets.map { [$0, month] + Array(repeating: "", count: MeasuresFile.columns.count - 2) }
        return CSV.response(rows, filename: "mesures-\(id)-\(month).csv")
    }

    /// A refused file's problems, those of one kind grouped (« 315 lignes (2, 3, 4, 5, 6…), colonne
    /// finessET : établissement absent du projet, par exemple « 310001003 » »), in file order.
    static func grouped(_ problems: [MeasuresFile.Problem]) -> [String] {
        func pattern(_ reason: String) -> (text: String, example: String?) {
            var text = "", example: String? = nil, inQuote = false, quoted = ""
            for c in reason {
                if c == "«" { inQuote = true; quoted = ""; continue }
                if c == "»", inQuote { inQuote = false; if example == nil { example = quoted.trimmingCharacters(in: .whitespaces) }; continue }
                if inQuote { quoted.append(c) } else { text.append(c) }
            }
            return (text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "), example)
        }
        var order: [String] = []
        var groups: [String: [MeasuresFile.Problem]] = [:]
        for p in problems {
            let key = (p.column ?? "") + "\u{1F}" + pattern(p.reason).text
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(p)
        }
        return order.flatMap { key -> [String] in
            let group = groups[key] ?? []
            guard group.count > 3, let first = group.first else { return group.map(\.description) }
            let (text, example) = pattern(first.reason)
            let lines = group.prefix(5).map { String($0.line) }.joined(separator: ", ") + (group.count > 5 ? "…" : "")
            return ["\(group.count) lignes (\(lines))\(first.column.map { ", colonne \($0)" } ?? "") : \(text)\(example.map { ", par exemple « \($0) »" } ?? "")"]
        }
    }

    /// `typed`: what the person sent in the dates form, shown again when refused; `invalid`: the
    /// refused fields and why (announced with the field).
    func page(_ id: String, message: String? = nil, refused: [String] = [], status: HTTPResponse.Status = .ok,
              typed: [String: String] = [:], invalid: [String: String] = [:]) async throws -> Response {
        guard let grappe = try await site.visibleGrappe(id) else { return pages.notFound("Grappe inconnue : « \(Limits.quote(id)) ».") }
        var view = UsageView(grappe: grappe, message: message, refused: refused, typed: typed, invalid: invalid)
        do {
            let (project, _) = try await site.assess(pages.evaluable(grappe.project))
            let dates = try UsageProject.dates(grappe.project, project: project)
            let ets = project.establishments.compactMap(\.finessET)
            let (latest, total) = try await usage.corrections(for: ets, limit: 100)
            view.corrections = UsageView.Corrections(latest, total: total)
            let measures = try await usage.measures(for: ets)
            if measures.isEmpty {
                view.notice = "Aucune mesure enregistrée pour les établissements de cette grappe."
            } else {
                view.report = UsageView.Report(try site.engine.usageReport(dates, measures: measures, asOf: site.today()))
            }
        } catch let e as InputError {
            view.notice = "Le rapport d'usage demande un projet évaluable et sa date d'engagement : \(e.description)."
        } catch let e as UsageError {
            view.failure = e.description
        } catch let e as AssessmentError {
            view.failure = e.description
        }
        return view.response(status: status)
    }

    func setDates(_ id: String, _ request: Request) async throws -> Response {
        let form = try await Form.read(request)
        return try await pages.change(id, form, then: .usage(id), onStale: { _, message in
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
        guard let grappe = try await site.visibleGrappe(id) else { return pages.notFound("Grappe inconnue.") }
        let body = try await request.body.collect(upTo: BodyLimit.upload)
        let form = Multipart.upload(body, contentType: request.headers[.contentType] ?? "")
        guard let file = form?.measures, file.body.readableBytes > 0 else {
            return try await page(id, message: "Aucun fichier de mesures reçu.", refused: ["choisissez un fichier CSV"], status: .unprocessableContent)
        }
        guard let text = String(validating: file.body.readableBytesView, as: UTF8.self) else {
            return try await page(id, message: "Fichier refusé : rien n'a été enregistré.",
                                  refused: ["le fichier n'est pas un texte CSV en UTF-8 : enregistrez-le au format « CSV UTF-8 » puis envoyez-le à nouveau"], status: .unprocessableContent)
        }
        let project: Project
        do { project = try await site.assess(pages.evaluable(grappe.project)).project } catch {
            return try await page(id, message: "La grappe doit être évaluable avant d'y associer des mesures.", refused: ["\(error)"], status: .unprocessableContent)
        }
        do {
            let rows = try await MeasuresFile.parseOffEventLoop(text, file: "fichier envoyé", establishments: Set(project.establishments.compactMap(\.finessET)))
            let counts = try await usage.importMeasures(rows, by: site.author, source: "page web, grappe \(id)")
            return try await page(id, message: "Mesures enregistrées : \(counts.added) ajoutées, \(counts.replaced) corrigées (historique conservé), \(counts.unchanged) inchangées.")
        } catch let refused as MeasuresFile.Refused {
            return try await page(id, message: "Fichier refusé : rien n'a été enregistré.", refused: Self.grouped(refused.problems), status: .unprocessableContent)
        }
    }
}

/// `multipart/form-data` bodies, read by multipart-kit.
enum Multipart {
    /// The page upload: the measures file and the anti-CSRF token (the author is the signed-in account).
    struct Upload {
        var measures: MultipartPart?
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
        return Upload(measures: parts.firstPart(named: "measures"), csrf: text("csrf"))
    }

    /// The `filename` of a part's `Content-Disposition`.
    static func filename(_ part: MultipartPart) -> String? {
        guard let disposition = part.headers.first(name: "Content-Disposition"), let range = disposition.range(of: "filename=\"") else { return nil }
        let name = disposition[range.upperBound...].prefix { $0 != "\"" }
        return name.isEmpty ? nil : String(name)
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
