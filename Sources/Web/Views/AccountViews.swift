import Store

/// `/connexion` (`Templates/sign-in.mustache`): email, password, and the code of a second factor.
struct SignInView: PageView {
    static let template = "sign-in"
    let layout = Layout(title: "Connexion")
    let action = SiteURL.signIn.path
    let email: String
    let returnTo: String
    let message: Message?
    /// Asked again when the account has a second factor.
    let codeRequired: Bool
    let lockout = "Après \(SessionRepository.failureLimit) échecs en \(SessionRepository.failureWindow / 60) minutes, le compte est verrouillé \(SessionRepository.failureWindow / 60) minutes."

    init(email: String = "", returnTo: String, message: Message? = nil, codeRequired: Bool = false) {
        self.email = email
        self.returnTo = returnTo
        self.message = message
        self.codeRequired = codeRequired
    }
}

/// A sentence above a form: what was done (`status`) or refused (`alert`).
struct Message {
    let text: String
    let refused: Bool
}

/// `/compte` (`Templates/account.mustache`): who one is, one's roles, the password form, the
/// second factor (enrolled, or the button that starts it; when started, the otpauth URL as text).
struct AccountView: PageView {
    static let template = "account"
    let layout = Layout(title: "Mon compte")
    let name: String
    let email: String
    let roles: [String]
    let hasSecondFactor: Bool
    let mustEnrol: Bool
    let message: Message?
    let passwordAction = SiteURL.accountPassword.path
    let secondFactorAction = SiteURL.accountSecondFactor.path
    let confirmAction = SiteURL.accountSecondFactorConfirmation.path
    let minimumLength = AccountRepository.minimumPasswordLength
    /// The secret being enrolled: its otpauth URL and its key in base 32, to type in by hand.
    let enrolment: Enrolment?

    struct Enrolment {
        let url: String
        let secret: String
    }

    init(principal: Principal, message: Message? = nil, enrolment: Enrolment? = nil) {
        name = principal.name
        email = principal.email
        roles = principal.assignments.map(\.description)
        hasSecondFactor = principal.hasSecondFactor
        mustEnrol = principal.mustEnrolSecondFactor
        self.message = message
        self.enrolment = enrolment
    }
}
