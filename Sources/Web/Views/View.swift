import Foundation
import Hummingbird
import Mustache
import Rules
import Store

/// A page: a view model rendered by the template of the same name in `Templates/` (`home` →
/// `Templates/home.mustache`). Templates escape every value (`{{name}}`); a test refuses the
/// unescaped forms, so a value can only reach a page escaped.
protocol PageView {
    static var template: String { get }
    var layout: Layout { get }
}

extension PageView {
    func response(status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    var html: String { Templates.render(self, Self.template) }
}

/// The templates shipped with the server, parsed once.
enum Templates {
    /// Every page's template; `esms` checks them all before it serves (`shipped`).
    static let pages = [HomeView.template, FinessView.template, CampaignsView.template, GrappeListView.template, NewGrappeView.template,
                        GrappeView.template, GrappePrintView.template, UsageView.template, ErrorPage.template,
                        SignInView.template, AccountView.template, DossierListView.template, DossierView.template, DecisionView.template,
                        ConventionView.template, RankingView.template, SourcesView.template, DashboardView.template,
                        DUIPersonsView.template, PersonView.template, AgendaView.template, IndicatorsView.template]

    /// The parsed templates, or why they cannot be used: one that does not parse, a page's missing.
    static let shipped: Result<MustacheLibrary, TemplateError> = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            do { try library.register(text, named: name) } catch {
                return .failure(TemplateError(description: "gabarit \(name) illisible : \(error)"))
            }
        }
        if let missing = pages.first(where: { library.getTemplate(named: $0) == nil }) {
            return .failure(TemplateError(description: "gabarit \(missing) absent de Templates/"))
        }
        return .success(library)
    }()

    /// The text of every `Templates/*.mustache` file, by name.
    static let sources: [(name: String, text: String)] = {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return files.filter { $0.hasSuffix(".mustache") }.sorted().compactMap { file in
            (try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)).map { (String(file.dropLast(".mustache".count)), $0) }
        }
    }()

    /// The page, or — templates being checked before serving, this cannot happen on a running
    /// server — a plain French page rather than a crash.
    static func render(_ model: Any, _ template: String) -> String {
        guard case let .success(library) = shipped, let text = library.render(model, withTemplate: template) else { return unavailable }
        return text
    }

    static let unavailable = "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Page indisponible — ESMS numérique</title></head><body><main><h1>Page indisponible</h1><p>Cette page ne peut pas être affichée : l'installation d'esms est incomplète. Prévenez l'équipe qui l'exploite.</p></main></body></html>"
}

public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// What the server needs beyond the shipped rules: nil when its templates read, else why.
public enum ShippedTemplates {
    public static var problem: String? {
        if case let .failure(e) = Templates.shipped { return e.description }
        return nil
    }
}

/// What every page shows around its content: its title, the menu, who is signed in (with the
/// sign-out button) or the sign-in link, the footer links, and the anti-CSRF token its forms carry.
struct Layout {
    let title: String
    let menu: [MenuItem]
    let csrf: String
    let viewer: SignedIn?
    let signIn = SiteURL.signIn.path
    let home = SiteURL.home.path
    let stylesheet = SiteURL.asset("site.css").path
    let script = SiteURL.asset("site.js").path
    let openAPI = SiteURL.openAPI.path
    let sources = SiteURL.sources.path
    let health = SiteURL.health.path

    struct MenuItem {
        let href: String
        let label: String
        let current: Bool
    }

    /// The account in the header: its name, its roles, its page, the sign-out form.
    struct SignedIn {
        let name: String
        let email: String
        let roles: String
        let account = SiteURL.account.path
        let signOut = SiteURL.signOut.path
    }

    init(title: String, section: Section? = nil) {
        self.title = title
        self.menu = Section.menu.map { MenuItem(href: $0.url.path, label: $0.label, current: $0 == section) }
        self.csrf = CSRF.token
        self.viewer = Viewer.current.map { p in
            SignedIn(name: p.name, email: p.email, roles: p.assignments.map(\.description).joined(separator: ", "))
        }
    }
}

/// An `<option>` of a select.
struct Option {
    let value: String
    let label: String
    let selected: Bool

    init(_ value: String, _ label: String, selected: String? = nil) {
        self.value = value; self.label = label; self.selected = value == selected
    }
}

/// A page that says why a request was refused or found nothing.
struct ErrorPage: PageView {
    static let template = "error"
    let layout: Layout
    let heading: String
    let sentence: String
    let home = SiteURL.home.path

    init(heading: String, sentence: String) {
        layout = Layout(title: heading)
        self.heading = heading
        self.sentence = sentence
    }
}

/// Money and dates as the pages show them.
enum Show {
    static func euros(_ cents: Cents) -> String { Money.format(cents) }

    /// `2026-11-25T15:02:11Z` → `2026-11-25`.
    static func day(_ iso: String) -> String { String(iso.prefix(10)) }

    static func sentenceCase(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }
}

/// Times of the store (ISO 8601, UTC) as a person in France reads them.
enum FrenchTime {
    /// `2026-11-25T15:02:11Z` → `25/11/2026 à 16:02`, in Europe/Paris.
    static func dateTime(_ iso: String) -> String {
        guard let date = Timestamp.date(iso) else { return iso }
        let c = paris.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(c.day))/\(two(c.month))/\(c.year ?? 0) à \(two(c.hour)):\(two(c.minute))"
    }

    static let paris: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris") ?? .gmt
        return calendar
    }()

    /// The day in Europe/Paris of a timestamp (`2026-11-25T23:30:00Z` → 2026-11-26); a bare day
    /// (`2022-06-01`) is itself.
    static func day(_ iso: String) -> CalendarDate? {
        if iso.count == 10 { return CalendarDate(iso: iso) }
        guard let date = Timestamp.date(iso) else { return CalendarDate(iso: String(iso.prefix(10))) }
        let c = paris.dateComponents([.year, .month, .day], from: date)
        guard let y = c.year, let m = c.month, let d = c.day else { return nil }
        return CalendarDate(iso: "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)")
    }
}
