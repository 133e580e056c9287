import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Rules
import Store

/// What a handler knows of its request beyond the request itself: the remote address and who is
/// calling (set by `SecurityMiddleware` from the session cookie or the bearer token).
public struct SiteContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: Channel?
    var principal: Principal?
    /// The credential the principal came with (to end that session, or keep it at a password change).
    var token: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    public var remoteAddress: SocketAddress? { channel?.remoteAddress }

    /// The remote address as the audit log writes it.
    var remote: String? { remoteAddress?.ipAddress }
}

/// Who may call a route (`access.md`, « Roles »). Object scopes — a grappe's owner, a region — are
/// checked by the handler, which answers 404 outside them.
enum Access: Sendable, Equatable {
    /// Anyone, signed in or not: the simulator, campaigns, FINESS search, rules, health.
    case everyone
    /// Any account, including one that must still enrol its second factor (account page, sign-out).
    case account
    /// An account holding one of these roles.
    case roles(Set<Role>)

    static let porteur = Access.roles([.porteur])
}

/// The role × route matrix, declared once: every route the server registers has its line here, and
/// a route without one is refused to everyone (deny by default). `AccessMatrixTests` walks it
/// whole, for every role, inside and outside its scope, on both databases.
enum AccessMatrix {
    struct Key: Hashable, Sendable {
        let method: HTTPRequest.Method
        let path: String
    }

    static let id = SiteURL.id, et = SiteURL.et

    static let rules: [Key: Access] = {
        var rules: [Key: Access] = [:]
        func allow(_ method: HTTPRequest.Method, _ url: SiteURL, _ access: Access) { rules[Key(method: method, path: url.path)] = access }
        // Public: what anonymous users had before accounts.
        allow(.get, .home, .everyone)
        allow(.get, .finess, .everyone)
        allow(.get, .campaigns, .everyone)
        allow(.get, .health, .everyone)
        allow(.get, .metrics, .everyone)
        allow(.get, .openAPI, .everyone)
        allow(.get, .asset(":file"), .everyone)
        allow(.post, .apiSimulations, .everyone)
        allow(.get, .apiCampaigns, .everyone)
        allow(.get, .decisionsCSV, .everyone)
        allow(.get, .sources, .everyone)
        allow(.get, .apiCampaign(id), .everyone)
        allow(.get, .apiFinessSearch, .everyone)
        allow(.get, .apiFiness(":number"), .everyone)
        // Signing in and out, one's own account.
        allow(.get, .signIn, .everyone)
        allow(.post, .signIn, .everyone)
        allow(.post, .apiSessions, .everyone)
        allow(.post, .signOut, .account)
        allow(.delete, .apiCurrentSession, .account)
        allow(.get, .account, .account)
        allow(.post, .accountPassword, .account)
        allow(.post, .accountSecondFactor, .account)
        allow(.post, .accountSecondFactorConfirmation, .account)
        // Grappes: the porteur whose EJ owns them (access.md: « grappes … whose porteur is that EJ »).
        for url: SiteURL in [.grappes, .grappe(id), .grappePrint(id), .grappePrintPDF(id), .establishmentsCSV(id), .amountsCSV(id), .usage(id), .usageTemplate(id), .usageReportCSV(id), .usageReportXLSX(id), .apiGrappes, .apiGrappe(id)] {
            allow(.get, url, .porteur)
        }
        for url: SiteURL in [.grappes, .addFromSearch, .grappeSettings(id), .grappeEstablishments(id), .removeEstablishment(id, et: et),
                             .establishmentKind(id, et: et), .grappeFacts(id), .grappePaste(id), .usageDates(id), .usageMeasures(id), .apiGrappes] {
            allow(.post, url, .porteur)
        }
        allow(.put, .apiGrappe(id), .porteur)
        // Dossiers (dossiers.md): each sees those of its scopes (404 otherwise); the side it takes on
        // one (porteur, instructor of the routed scope) decides what it may do there (403 otherwise).
        let readers = Access.roles([.porteur, .instructeur, .expert, .lecteur])
        let sides = Access.roles([.porteur, .instructeur])
        allow(.get, .apiDossiers, readers)
        allow(.post, .apiDossiers, .porteur)
        allow(.get, .apiDossier(id), readers)
        allow(.put, .apiDossierProject(id), .porteur)
        allow(.post, .apiDossierTransitions(id), sides)
        allow(.put, .apiDossierScore(id), .roles([.instructeur]))
        allow(.post, .apiDossierMessages(id), sides)
        allow(.post, .apiDossierAnnotations(id), .roles([.instructeur]))
        allow(.post, .apiDossierDocuments(id), sides)
        allow(.get, .apiDossierDocument(id, document: ":document"), readers)
        allow(.get, .apiRanking, .roles([.instructeur, .lecteur]))
        allow(.get, .apiDossiersExportCSV, .roles([.instructeur, .lecteur]))
        allow(.get, .apiDossiersExportXLSX, .roles([.instructeur, .lecteur]))
        allow(.post, .apiDossierAvis(id), .roles([.instructeur]))
        allow(.get, .apiAvis, .roles([.expert]))
        allow(.put, .apiAvisAnswer(id), .roles([.expert]))
        // payments.md: the schedule for all who see the dossier; the money by the instructor (two
        // of them to pay); the porteur's measures, VSR and expenses.
        allow(.get, .apiDossierPayments(id), readers)
        allow(.post, .apiDossierPayments(id), .roles([.instructeur]))
        allow(.post, .apiPaymentValidation(id, instalment: SiteURL.instalment), .roles([.instructeur]))
        allow(.post, .apiPaymentCancellation(id, instalment: SiteURL.instalment), .roles([.instructeur]))
        allow(.post, .apiDossierConventions(id), .roles([.instructeur]))
        allow(.post, .apiDossierMeasures(id), sides)
        allow(.put, .apiDossierVSR(id), sides)
        allow(.put, .apiDossierExpenses(id), sides)
        allow(.put, .apiDossierDeadline(id), .roles([.instructeur]))
        allow(.get, .apiEnvelopes, .roles([.instructeur, .lecteur]))
        // dui.md: the persons of an establishment for its professionals and direction only; the
        // measures (counts) also for the instructors and readers of a dossier containing it.
        let keepers = Access.roles([.professionnel, .direction])
        allow(.get, .apiEssmsPersons(":et"), keepers)
        allow(.post, .apiEssmsPersons(":et"), keepers)
        allow(.get, .apiPerson(id), keepers)
        allow(.put, .apiPerson(id), keepers)
        for (segment, _) in DUIAPI.segments { allow(.post, .apiPersonEntries(id, segment: segment), keepers) }
        allow(.get, .apiEssmsMeasures(":et"), .roles([.professionnel, .direction, .instructeur, .lecteur]))
        allow(.get, .apiEssmsAdmissions(":et"), keepers)
        allow(.post, .apiEssmsAdmissions(":et"), keepers)
        for url: SiteURL in [.apiAdmission(id), .apiStay(id), .apiProjet(id)] { allow(.put, url, keepers) }
        allow(.post, .apiDocumentDMP(id), keepers)
        allow(.post, .apiDocumentMSSante(id), keepers)
        for url: SiteURL in [.duiPersons(":et"), .duiAgenda(":et"), .duiIndicators(":et"), .duiPerson(id)] { allow(.get, url, keepers) }
        for url: SiteURL in [.duiPersonNotes(id), .duiPersonMSSante(id), .duiPersonDMP(id)] { allow(.post, url, keepers) }
        allow(.put, .apiEssmsMSSante(":et"), .roles([.direction]))
        allow(.get, .dossiers, readers)
        allow(.post, .dossiers, .porteur)
        allow(.get, .dossier(id), readers)
        allow(.get, .dossierDecision(id), readers)
        allow(.get, .dossierDecisionPDF(id), readers)
        allow(.get, .dossierConvention(id), readers)
        allow(.get, .dossierConventionPDF(id), readers)
        allow(.post, .dossierAvis(id), .roles([.instructeur]))
        allow(.get, .ranking, .roles([.instructeur, .lecteur]))
        allow(.post, .avisAnswer(id), .roles([.expert]))
        allow(.post, .dossierTransitions(id), sides)
        allow(.post, .dossierScore(id), .roles([.instructeur]))
        allow(.post, .dossierMessages(id), sides)
        allow(.post, .dossierAnnotations(id), .roles([.instructeur]))
        allow(.post, .dossierDocuments(id), sides)
        allow(.post, .dossierPayments(id), sides)
        for url: SiteURL in [.dashboard, .dashboardCSV, .dashboardXLSX] { allow(.get, url, .roles([.instructeur, .lecteur])) }
        allow(.post, .dossierPaymentFiles(id), sides)
        allow(.get, .dossierDocument(id, document: ":document"), readers)
        return rules
    }()

    static func access(_ method: HTTPRequest.Method, _ path: String) -> Access? { rules[Key(method: method, path: path)] }
}

/// Applies a route's line of the matrix before its handler: no credentials → 401 (API) or the
/// sign-in page; a second factor still to enrol → the account page; a role not in the line → 403.
enum Gate {
    static func refusal(_ access: Access?, _ request: Request, _ context: SiteContext) -> Response? {
        if access == .everyone { return nil }
        guard let principal = context.principal else {
            if SecurityMiddleware.isAPI(request) {
                var response = JSONResponse.error(.unauthorized, path: nil, "authentification requise : Authorization: Bearer JETON (POST /api/v1/sessions ou esms users token)")
                response.headers[.wwwAuthenticate] = "Bearer realm=\"esms\""
                return response
            }
            return Response(status: .seeOther, headers: [.location: SiteURL.signInReturning(to: request.uri.description).path])
        }
        if access == .account { return nil }
        if principal.mustEnrolSecondFactor {
            if SecurityMiddleware.isAPI(request) {
                return JSONResponse.error(.forbidden, path: nil, "second facteur requis pour vos rôles : activez-le depuis la page Mon compte (/compte)")
            }
            return Response(status: .seeOther, headers: [.location: SiteURL.account.path])
        }
        if case let .roles(roles)? = access, principal.assignments.contains(where: { roles.contains($0.role) }) { return nil }
        return SecurityMiddleware.failure(request, status: .forbidden, "accès refusé : vos rôles (\(principal.assignments.map(\.description).joined(separator: ", "))) ne permettent pas cette action")
    }
}

/// Who is signed in, for the page being built (the header shows it): set by `SecurityMiddleware`
/// for the time of one request, as the anti-CSRF token is.
enum Viewer {
    @TaskLocal static var current: Principal?
}
