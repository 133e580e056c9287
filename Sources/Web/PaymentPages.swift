import Foundation
import Hummingbird
import Rules
import Store

/// The forms of the « Paiements » section of an accepted dossier (`payments.md` through the
/// pages): every one carries the dossier's version and goes through the same repository calls as
/// the API; a refusal is said on the dossier's page and changes nothing.
struct PaymentPages: Sendable {
    let site: Site
    var pages: DossierPages { DossierPages(site: site) }
    var dossiers: DossierRepository { site.dossiers }

    func register(on routes: Routes) {
        let id = SiteURL.id
        routes.post(SiteURL.dossierPayments(id).path) { request, context in
            try await pages.changing(request, context) { d, version, form, principal in try await change(d, version, form, principal) }
        }
        routes.post(SiteURL.dossierPaymentFiles(id).path) { request, context in try await file(request, context) }
        routes.get(SiteURL.dashboard.path) { request, context in
            try await withDashboard(request, context) { d in DashboardView(d, catalogue: site.engine.catalogue).response() }
        }
        routes.get(SiteURL.dashboardCSV.path) { request, context in
            try await withDashboard(request, context) { d in
                guard let table = Form.query(request)["table"].flatMap(DashboardTable.init(rawValue:)) else {
                    return ErrorPage(heading: "Tableau inconnu", sentence: "Tableau attendu : \(DashboardTable.allCases.map(\.rawValue).joined(separator: ", ")).").response(status: .badRequest)
                }
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"tableau-de-bord-\(table.rawValue).csv\""],
                                body: .init(byteBuffer: ByteBuffer(string: Workbook(sheets: [table.sheet(d)]).csv())))
            }
        }
        routes.get(SiteURL.dashboardXLSX.path) { request, context in
            try await withDashboard(request, context) { d in
                let data = try await Workbook(sheets: DashboardTable.allCases.map { $0.sheet(d) }).xlsx()
                return Response(status: .ok, headers: [.contentType: DocumentKind.xlsx.contentType, .contentDisposition: "attachment; filename=\"tableau-de-bord.xlsx\""],
                                body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
    }

    /// The dashboard of the campaign asked (else the first of the caller's regions, else the first
    /// of the catalogue) over the caller's scopes; a national reader sees every scope.
    func withDashboard(_ request: Request, _ context: SiteContext, _ respond: (Dashboard) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let catalogue = site.engine.catalogue
        let scopes = Array(Set(principal.scopes(.instructeur) + principal.scopes(.lecteur))).sorted()
        let every = principal.scopes(.lecteur).contains("national")
        let asked = Form.query(request)["campaign"].flatMap { $0.isEmpty ? nil : $0 }
        if let asked, catalogue.campaign(asked) == nil {
            return ErrorPage(heading: "Campagne inconnue", sentence: "Campagne « \(Limits.quote(asked)) » inconnue ; campagnes : \(catalogue.campaigns.map(\.id).joined(separator: ", ")).").response(status: .notFound)
        }
        let id = asked ?? catalogue.campaigns.first { c in c.region.map(scopes.contains) ?? false }?.id ?? catalogue.campaigns.first?.id ?? ""
        guard let dashboard = try await dossiers.dashboard(campaign: id, scopes: scopes.filter { $0 != "national" || !every }, every: every) else {
            return ErrorPage(heading: "Aucune campagne", sentence: "Le catalogue des campagnes est vide.").response(status: .notFound)
        }
        return try await respond(dashboard)
    }

    static func requireInstructor(_ sides: Set<DossierSide>) throws {
        guard sides.contains(.instructeur) else { throw DossierError.forbidden("réservé à l'instructeur du dossier") }
    }

    /// An amount typed in euros (« 494 500 », « 12000,50 »), as the API's JSON number.
    static func euros(_ text: String?, path: String) throws -> JSON {
        switch Amount.formEuros(text ?? "", limit: Limits.expensesCents) {
        case let .success(cents): return .euros(cents)
        case let .failure(e): throw DossierError.invalid(InputError(path: path, reason: "montant \(e.description)"))
        }
    }

    func change(_ d: Dossier, _ version: Int, _ form: [String: String], _ principal: Principal) async throws -> DossierChange {
        let sides = DossierRepository.sides(principal, d), by = principal.email
        func instalment() throws -> Assessment.Instalment { try PaymentsAPI.instalment(form["instalment"], path: "instalment") }
        switch form["action"] {
        case "ordre":
            try Self.requireInstructor(sides)
            return try await dossiers.proposePayment(d.id, from: version, instalment: try instalment(), amount: try Self.euros(form["amount"], path: "amount"),
                                                     orderedAt: form["orderedAt"], reference: form["reference"], by: by)
        case "validation":
            try Self.requireInstructor(sides)
            return try await dossiers.validatePayment(d.id, from: version, instalment: try instalment(), by: by)
        case "annulation":
            try Self.requireInstructor(sides)
            return try await dossiers.cancelPayment(d.id, from: version, instalment: try instalment(), motivation: form["motivation"], by: by)
        case "echeance":
            try Self.requireInstructor(sides)
            return try await dossiers.reviseDeadline(d.id, from: version, deadline: form["deadline"], motivation: form["motivation"], by: by)
        case "acceptation":
            return try await dossiers.setExpenses(d.id, from: version, body: .object([("accepted", .bool(true)), ("motivation", .string(form["motivation"] ?? ""))]),
                                                  sides: sides, by: by)
        case "depenses":
            return try await dossiers.setExpenses(d.id, from: version, body: .object([("amount", try Self.euros(form["amount"], path: "amount"))]), sides: sides, by: by)
        case "vsr":
            guard !sides.isEmpty else { throw DossierError.forbidden("réservé au porteur et à l'instructeur du dossier") }
            return try await dossiers.setVSR(d.id, from: version, vsrDate: form["vsrDate"], by: by)
        default:
            throw DossierError.invalid(InputError(path: "action", reason: "action inconnue"))
        }
    }

    /// A signed convention (uploaded as the dossier's document, then recorded) or a measures file.
    func file(_ request: Request, _ context: SiteContext) async throws -> Response {
        let body = try await request.body.collect(upTo: BodyLimit.upload)
        let parts = Multipart.parts(body, contentType: request.headers[.contentType] ?? "") ?? []
        var form: [String: String] = [:]
        for name in ["version", "action", "kind", "signedAt"] { form[name] = parts.firstPart(named: name).map { String(buffer: $0.body) } }
        let file = parts.firstPart(named: "file")
        return try await pages.changing(form: form, context) { d, version, form, principal in
            let sides = DossierRepository.sides(principal, d)
            guard let file, file.body.readableBytes > 0 else { throw DossierError.invalid(InputError(path: "file", reason: "aucun fichier reçu")) }
            let bytes = Array(file.body.readableBytesView)
            switch form["action"] {
            case "mesures":
                guard !sides.isEmpty else { throw DossierError.forbidden("réservé au porteur et à l'instructeur du dossier") }
                return try await dossiers.importMeasures(d.id, from: version, text: String(decoding: bytes, as: UTF8.self), by: principal.email).0
            case "convention":
                try Self.requireInstructor(sides)
                guard let kind = form["kind"].flatMap(DossierRepository.ConventionKind.init(rawValue:)) else {
                    throw DossierError.invalid(InputError(path: "kind", reason: "convention attendue : financement ou partenariat"))
                }
                // Nothing is stored from a stale page or with a date the record would refuse.
                guard version == d.version else { return .stale(current: d) }
                guard let signed = form["signedAt"].flatMap(CalendarDate.init(iso:)), signed <= site.today() else {
                    throw DossierError.invalid(InputError(path: "signedAt", reason: "date de signature attendue, au plus aujourd'hui"))
                }
                let filename = Multipart.filename(file) ?? "\(kind.item.rawValue).pdf"
                guard let type = DocumentKind.recognise(bytes, filename: filename) else {
                    throw DossierError.invalid(InputError(path: "file", reason: "« \(Limits.quote(filename)) » n'est ni PDF, ni ODT, ODS, DOCX, XLSX, CSV, PNG ou JPEG"))
                }
                let document = try await dossiers.addDocument(d.id, item: kind.item, filename: filename, contentType: type.contentType, bytes: bytes, by: principal.email)
                return try await dossiers.recordConvention(d.id, from: version, kind: kind, signedAt: signed.description, document: document.id, by: principal.email)
            default:
                throw DossierError.invalid(InputError(path: "action", reason: "action inconnue"))
            }
        }
    }
}

/// The dashboard page as the server renders it, for `esms bench dashboard`.
public enum DashboardPage {
    /// The size of the page's HTML.
    public static func bytes(_ dashboard: Dashboard, catalogue: CampaignCatalogue) -> Int {
        DashboardView(dashboard, catalogue: catalogue).html.utf8.count
    }
}
