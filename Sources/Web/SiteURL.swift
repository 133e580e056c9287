/// Every page of the site, every form target and every API path, declared once: the routes are registered from
/// these cases (with `:id` parameters) and every link and redirect is built from them. Each page's
/// case names its view model (`Views/`) and its template (`Templates/`); a refusal is `ErrorPage`.
enum SiteURL: Sendable {
    /// `HomeView`, `Templates/home.mustache`
    case home
    /// `FinessView`, `Templates/finess.mustache`
    case finess
    /// `CampaignsView`, `Templates/campaigns.mustache`
    case campaigns
    /// GET: `GrappeListView`, `Templates/grappes.mustache`; POST refused: `NewGrappeView`, `Templates/new-grappe.mustache`
    case grappes
    /// Adding an establishment from the FINESS search results.
    case addFromSearch
    /// `GrappeView`, `Templates/grappe.mustache` (with `establishments` and `assessment`)
    case grappe(String)
    /// `GrappePrintView`, `Templates/grappe-print.mustache`
    case grappePrint(String)
    /// The same evaluation as PDF (WeasyPrint), at most two A4 pages for 46 establishments.
    case grappePrintPDF(String)
    case grappeSettings(String)
    case grappeEstablishments(String)
    case removeEstablishment(String, et: String)
    case establishmentKind(String, et: String)
    /// The facts of the grappe's establishments (E1, E3, E4, E5, R5), one form for all.
    case grappeFacts(String)
    /// A pasted list of FINESS numbers (ET, or EJ for all the organisme's ESSMS).
    case grappePaste(String)
    case establishmentsCSV(String)
    case amountsCSV(String)
    /// `UsageView`, `Templates/usage.mustache` (with `usage-chart`)
    case usage(String)
    case usageDates(String)
    case usageMeasures(String)
    /// The measures file to fill: the header and one line per establishment for this month.
    case usageTemplate(String)
    /// The usage report as the CSV of `usage.md` (what `esms usage report --format csv` prints).
    case usageReportCSV(String)
    case usageReportXLSX(String)
    /// `SignInView`, `Templates/sign-in.mustache`
    case signIn
    /// The sign-in page, back to `retour` once signed in.
    case signInReturning(to: String)
    case signOut
    /// `AccountView`, `Templates/account.mustache`
    case account
    case accountPassword
    /// POST: `SecondFactorView`, `Templates/second-factor.mustache`
    case accountSecondFactor
    case accountSecondFactorConfirmation
    /// `DossierListView`, `Templates/dossiers.mustache`; POST creates one from a grappe
    case dossiers
    /// `DossierView`, `Templates/dossier.mustache`
    case dossier(String)
    /// `DecisionView`, `Templates/decision.mustache`
    case dossierDecision(String)
    /// The same letter as PDF (WeasyPrint).
    case dossierDecisionPDF(String)
    /// `ConventionView`, `Templates/convention.mustache`
    /// `RankingView`, `Templates/ranking.mustache`
    case ranking
    /// `SourcesView`, `Templates/sources.mustache`: the source documents; `source(code)` is one
    /// entry, `reading(anchor)` one of the platform's readings (`PlatformReading`).
    case sources
    case source(String)
    case reading(String)
    case dossierConvention(String)
    /// Page forms: an instructor asks an expert's opinion; the expert answers it.
    case dossierAvis(String)
    case avisAnswer(String)
    case dossierConventionPDF(String)
    /// The payments section's forms: `dossierPayments` (fields), `dossierPaymentFiles` (a signed
    /// convention or a measures file, multipart).
    case dossierPayments(String)
    /// `DashboardView`, `Templates/dashboard.mustache`, and its exports.
    case dashboard
    case dashboardCSV
    case dashboardXLSX
    case dossierPaymentFiles(String)
    case dossierTransitions(String)
    case dossierScore(String)
    case dossierMessages(String)
    case dossierAnnotations(String)
    case dossierDocuments(String)
    case dossierDocument(String, document: String)
    case openAPI
    case health
    case metrics
    case asset(String)
    // The JSON API (`openapi.yaml`).
    case apiSimulations
    case apiCampaigns
    case apiCampaign(String)
    case apiFinessSearch
    case apiFiness(String)
    case apiGrappes
    case apiGrappe(String)
    case apiSessions
    case apiCurrentSession
    case apiDossiers
    case apiDossiersExportCSV
    case apiDossiersExportXLSX
    case apiDossier(String)
    case apiDossierProject(String)
    case apiDossierTransitions(String)
    case apiDossierScore(String)
    /// payments.md: the schedule and the payment orders, their validation and cancellation, the
    /// conventions, the usage follow-up (measures, VSR, expenses, deadline), the envelopes.
    case apiDossierPayments(String)
    case apiPaymentValidation(String, instalment: String)
    case apiPaymentCancellation(String, instalment: String)
    case apiDossierConventions(String)
    case apiDossierMeasures(String)
    case apiDossierVSR(String)
    case apiDossierExpenses(String)
    case apiDossierDeadline(String)
    case apiEnvelopes
    /// dui.md: an establishment's persons and measures, a person's record and its entries.
    case apiEssmsPersons(String)
    case apiEssmsMeasures(String)
    case apiPerson(String)
    case apiPersonEntries(String, segment: String)
    case apiEssmsAdmissions(String)
    case apiAdmission(String)
    case apiStay(String)
    case apiProjet(String)
    case apiDocumentDMP(String)
    case apiDocumentMSSante(String)
    case duiPersons(String)
    case duiAgenda(String)
    case duiIndicators(String)
    case duiPerson(String)
    case duiPersonNotes(String)
    case duiPersonMSSante(String)
    case duiPersonDMP(String)
    case apiEssmsMSSante(String)
    case apiDossierMessages(String)
    case apiDossierAnnotations(String)
    case apiDossierDocuments(String)
    case apiDossierDocument(String, document: String)
    case apiRanking
    case apiDossierAvis(String)
    case apiAvis
    case apiAvisAnswer(String)
    /// The accepted dossiers as open data (SCDL « Subventions »).
    case decisionsCSV
    /// Every path under the API, for its own 404 and 405.
    case apiAll

    var path: String {
        switch self {
        case .home: return "/"
        case .finess: return "/finess"
        case .campaigns: return "/campagnes"
        case .grappes: return "/grappes"
        case .addFromSearch: return "/grappes/ajouter"
        case let .grappe(id): return "/grappes/\(id)"
        case let .grappePrint(id): return "/grappes/\(id)/impression"
        case let .grappePrintPDF(id): return "/grappes/\(id)/impression.pdf"
        case let .grappeSettings(id): return "/grappes/\(id)/parametres"
        case let .grappeEstablishments(id): return "/grappes/\(id)/etablissements"
        case let .removeEstablishment(id, et): return "/grappes/\(id)/etablissements/\(et)/retirer"
        case let .establishmentKind(id, et): return "/grappes/\(id)/etablissements/\(et)/nature"
        case let .grappeFacts(id): return "/grappes/\(id)/faits"
        case let .grappePaste(id): return "/grappes/\(id)/liste"
        case let .establishmentsCSV(id): return "/grappes/\(id)/etablissements.csv"
        case let .amountsCSV(id): return "/grappes/\(id)/montants.csv"
        case let .usage(id): return "/grappes/\(id)/usages"
        case let .usageDates(id): return "/grappes/\(id)/usages/dates"
        case let .usageMeasures(id): return "/grappes/\(id)/usages/mesures"
        case let .usageTemplate(id): return "/grappes/\(id)/usages/modele.csv"
        case let .usageReportCSV(id): return "/grappes/\(id)/usages/rapport.csv"
        case let .usageReportXLSX(id): return "/grappes/\(id)/usages/rapport.xlsx"
        case .signIn: return "/connexion"
        case let .signInReturning(to): return "/connexion?retour=\(to.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        case .signOut: return "/deconnexion"
        case .account: return "/compte"
        case .accountPassword: return "/compte/mot-de-passe"
        case .accountSecondFactor: return "/compte/second-facteur"
        case .accountSecondFactorConfirmation: return "/compte/second-facteur/confirmation"
        case .dossiers: return "/dossiers"
        case let .dossier(id): return "/dossiers/\(id)"
        case let .dossierDecision(id): return "/dossiers/\(id)/decision"
        case let .dossierDecisionPDF(id): return "/dossiers/\(id)/decision.pdf"
        case .ranking: return "/classement"
        case .sources: return "/sources"
        case let .source(code): return "/sources#s\(code)"
        case let .reading(anchor): return "/sources#\(anchor)"
        case let .dossierConvention(id): return "/dossiers/\(id)/convention"
        case let .dossierAvis(id): return "/dossiers/\(id)/avis"
        case let .avisAnswer(id): return "/avis/\(id)"
        case let .dossierConventionPDF(id): return "/dossiers/\(id)/convention.pdf"
        case let .dossierPayments(id): return "/dossiers/\(id)/paiements"
        case .dashboard: return "/tableau-de-bord"
        case .dashboardCSV: return "/tableau-de-bord.csv"
        case .dashboardXLSX: return "/tableau-de-bord.xlsx"
        case let .dossierPaymentFiles(id): return "/dossiers/\(id)/paiements/fichier"
        case let .dossierTransitions(id): return "/dossiers/\(id)/transitions"
        case let .dossierScore(id): return "/dossiers/\(id)/note"
        case let .dossierMessages(id): return "/dossiers/\(id)/messages"
        case let .dossierAnnotations(id): return "/dossiers/\(id)/annotations"
        case let .dossierDocuments(id): return "/dossiers/\(id)/pieces"
        case let .dossierDocument(id, document): return "/dossiers/\(id)/pieces/\(document)"
        case .openAPI: return "/openapi.yaml"
        case .health: return "/health"
        case .metrics: return "/metrics"
        case let .asset(file): return "/assets/\(file)"
        case .apiSimulations: return "/api/v1/simulations"
        case .apiCampaigns: return "/api/v1/campaigns"
        case let .apiCampaign(id): return "/api/v1/campaigns/\(id)"
        case .apiFinessSearch: return "/api/v1/finess"
        case let .apiFiness(number): return "/api/v1/finess/\(number)"
        case .apiGrappes: return "/api/v1/grappes"
        case let .apiGrappe(id): return "/api/v1/grappes/\(id)"
        case .apiSessions: return "/api/v1/sessions"
        case .apiCurrentSession: return "/api/v1/sessions/current"
        case .apiDossiers: return "/api/v1/dossiers"
        case .apiDossiersExportCSV: return "/api/v1/dossiers/export.csv"
        case .apiDossiersExportXLSX: return "/api/v1/dossiers/export.xlsx"
        case let .apiDossier(id): return "/api/v1/dossiers/\(id)"
        case let .apiDossierProject(id): return "/api/v1/dossiers/\(id)/project"
        case let .apiDossierTransitions(id): return "/api/v1/dossiers/\(id)/transitions"
        case let .apiDossierScore(id): return "/api/v1/dossiers/\(id)/score"
        case let .apiDossierPayments(id): return "/api/v1/dossiers/\(id)/payments"
        case let .apiPaymentValidation(id, instalment): return "/api/v1/dossiers/\(id)/payments/\(instalment)/validation"
        case let .apiPaymentCancellation(id, instalment): return "/api/v1/dossiers/\(id)/payments/\(instalment)/cancellation"
        case let .apiDossierConventions(id): return "/api/v1/dossiers/\(id)/conventions"
        case let .apiDossierMeasures(id): return "/api/v1/dossiers/\(id)/measures"
        case let .apiDossierVSR(id): return "/api/v1/dossiers/\(id)/vsr"
        case let .apiDossierExpenses(id): return "/api/v1/dossiers/\(id)/expenses"
        case let .apiDossierDeadline(id): return "/api/v1/dossiers/\(id)/deadline"
        case .apiEnvelopes: return "/api/v1/envelopes"
        case let .apiEssmsPersons(et): return "/api/v1/essms/\(et)/persons"
        case let .apiEssmsMeasures(et): return "/api/v1/essms/\(et)/measures"
        case let .apiPerson(id): return "/api/v1/persons/\(id)"
        case let .apiPersonEntries(id, segment): return "/api/v1/persons/\(id)/\(segment)"
        case let .apiEssmsAdmissions(et): return "/api/v1/essms/\(et)/admissions"
        case let .apiAdmission(id): return "/api/v1/admissions/\(id)"
        case let .apiStay(id): return "/api/v1/stays/\(id)"
        case let .apiProjet(id): return "/api/v1/projets/\(id)"
        case let .apiDocumentDMP(id): return "/api/v1/documents/\(id)/dmp"
        case let .apiDocumentMSSante(id): return "/api/v1/documents/\(id)/mssante"
        case let .duiPersons(et): return "/etablissements/\(et)/personnes"
        case let .duiAgenda(et): return "/etablissements/\(et)/agenda"
        case let .duiIndicators(et): return "/etablissements/\(et)/indicateurs"
        case let .duiPerson(id): return "/personnes/\(id)"
        case let .duiPersonNotes(id): return "/personnes/\(id)/notes"
        case let .duiPersonMSSante(id): return "/personnes/\(id)/mssante"
        case let .duiPersonDMP(id): return "/personnes/\(id)/dmp"
        case let .apiEssmsMSSante(et): return "/api/v1/essms/\(et)/mssante"
        case let .apiDossierMessages(id): return "/api/v1/dossiers/\(id)/messages"
        case let .apiDossierAnnotations(id): return "/api/v1/dossiers/\(id)/annotations"
        case let .apiDossierDocuments(id): return "/api/v1/dossiers/\(id)/documents"
        case let .apiDossierDocument(id, document): return "/api/v1/dossiers/\(id)/documents/\(document)"
        case .apiRanking: return "/api/v1/instruction/ranking"
        case let .apiDossierAvis(id): return "/api/v1/dossiers/\(id)/avis"
        case .apiAvis: return "/api/v1/avis"
        case let .apiAvisAnswer(id): return "/api/v1/avis/\(id)"
        case .decisionsCSV: return "/decisions.csv"
        case .apiAll: return "/api/v1/**"
        }
    }

    /// The route pattern: `:id` and `:et` in place of the values.
    static let id = ":id", et = ":et", instalment = ":instalment"

    /// Where a page goes back to after sign-in: one of our own paths (`/…`, never `//host` nor a
    /// scheme), else the home page.
    static func ownPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"), text.count <= 500,
              !text.contains(where: { $0.isWhitespace || $0.isNewline }) else { return home.path }
        return text
    }
}

/// The main menu: the pages a person reaches from every page.
enum Section: String, Sendable {
    case home, finess, grappes, dossiers, campaigns

    var url: SiteURL {
        switch self {
        case .home: return .home
        case .finess: return .finess
        case .grappes: return .grappes
        case .dossiers: return .dossiers
        case .campaigns: return .campaigns
        }
    }

    var label: String {
        switch self {
        case .home: return "Accueil"
        case .finess: return "Rechercher dans FINESS"
        case .grappes: return "Grappes"
        case .dossiers: return "Dossiers"
        case .campaigns: return "Campagnes et paramètres"
        }
    }

    static let menu: [Section] = [.home, .finess, .grappes, .dossiers, .campaigns]
}
