import Foundation
import Hummingbird
import Rules
import Store

/// Signing in and out of the pages, and one's own account (`access.md`, « Signing in »).
struct AccountPages: Sendable {
    let site: Site

    var secureCookies: Bool { site.publicURL?.lowercased().hasPrefix("https://") == true }

    func register(on routes: Routes) {
        routes.get(SiteURL.signIn.path) { request, context -> Response in
            if context.principal != nil { return redirect(SiteURL.ownPath(Form.query(request)["retour"])) }
            return SignInView(returnTo: SiteURL.ownPath(Form.query(request)["retour"])).response()
        }
        routes.post(SiteURL.signIn.path) { request, context in try await signIn(request, context) }
        routes.post(SiteURL.signOut.path) { _, context -> Response in
            if let token = context.token { try await site.sessions.signOut(token: token, remote: context.remote) }
            var response = redirect(SiteURL.home.path)
            response.setCookie(SecurityMiddleware.sessionCookie(nil, secure: secureCookies))
            return response
        }
        routes.get(SiteURL.account.path) { _, context in try account(context) }
        routes.post(SiteURL.accountPassword.path) { request, context in try await changePassword(request, context) }
        routes.post(SiteURL.accountSecondFactor.path) { _, context -> Response in
            let principal = try account(of: context)
            let (_, url) = try await site.sessions.beginSecondFactor(email: principal.email)
            // The key as apps take it by hand: the base-32 form the otpauth URL carries.
            let key = URLComponents(string: url)?.queryItems?.first { $0.name == "secret" }?.value ?? ""
            return AccountView(principal: principal, enrolment: .init(url: url, secret: key)).response()
        }
        routes.post(SiteURL.accountSecondFactorConfirmation.path) { request, context -> Response in
            let principal = try account(of: context)
            let form = try await Form.read(request)
            guard try await site.sessions.confirmSecondFactor(email: principal.email, code: form["code"] ?? "", remote: context.remote) else {
                return AccountView(principal: principal, message: Message(text: "Code incorrect : recommencez l'activation et saisissez le code affiché à l'instant.", refused: true))
                    .response(status: .unprocessableContent)
            }
            return redirect(SiteURL.account.path + "?fait=second-facteur")
        }
    }

    func redirect(_ path: String) -> Response { Response(status: .seeOther, headers: [.location: path]) }

    func account(of context: SiteContext) throws -> Principal {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        return principal
    }

    func account(_ context: SiteContext) throws -> Response {
        let principal = try account(of: context)
        return AccountView(principal: principal).response()
    }

    func signIn(_ request: Request, _ context: SiteContext) async throws -> Response {
        let form = try await Form.read(request)
        let email = String((form["email"] ?? "").prefix(254)), returnTo = SiteURL.ownPath(form["retour"])
        let code = form["otp"].flatMap { $0.isEmpty ? nil : $0 }
        switch try await site.sessions.signIn(email: email, password: form["password"] ?? "", code: code, remote: context.remote) {
        case let .signedIn(token, _, principal):
            // The previous session of this browser, if any, ends: a new identifier at each sign-in.
            if let old = context.token, old != token { try await site.sessions.signOut(token: old, remote: context.remote) }
            var response = redirect(principal.mustEnrolSecondFactor ? SiteURL.account.path : returnTo)
            response.setCookie(SecurityMiddleware.sessionCookie(token, secure: secureCookies))
            return response
        case .refused:
            return SignInView(email: email, returnTo: returnTo, message: Message(text: SignInMessage.refused + ".", refused: true)).response(status: .unauthorized)
        case .codeRequired:
            return SignInView(email: email, returnTo: returnTo, message: Message(text: Show.sentenceCase(SignInMessage.codeRequired) + ".", refused: true), codeRequired: true)
                .response(status: .unauthorized)
        case .locked:
            var response = SignInView(email: email, returnTo: returnTo, message: Message(text: Show.sentenceCase(SignInMessage.locked) + ".", refused: true))
                .response(status: .tooManyRequests)
            response.headers[.retryAfter] = String(SessionRepository.failureWindow)
            return response
        }
    }

    func changePassword(_ request: Request, _ context: SiteContext) async throws -> Response {
        let principal = try account(of: context)
        let form = try await Form.read(request)
        do {
            try await site.sessions.changePassword(email: principal.email, current: form["current"] ?? "", new: form["new"] ?? "",
                                                   keeping: context.token, remote: context.remote)
        } catch let e as AccountError {
            return AccountView(principal: principal, message: Message(text: Show.sentenceCase(e.description) + " : rien n'a été modifié.", refused: true))
                .response(status: .unprocessableContent)
        }
        return AccountView(principal: principal, message: Message(text: "Mot de passe changé ; vos autres sessions sont fermées.", refused: false)).response()
    }
}

/// The answers to a sign-in, the same on the pages and the API.
enum SignInMessage {
    /// Whatever was wrong — email, password, code, a disabled account (access.md).
    static let refused = "Identifiant ou mot de passe incorrect"
    static let codeRequired = "code à usage unique requis : votre compte a un second facteur"
    static let locked = "trop d'échecs de connexion : ce compte est verrouillé \(SessionRepository.failureWindow / 60) minutes"
}
