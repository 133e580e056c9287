import Foundation
import Hummingbird
import Mustache
import Rules

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
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            do { try library.register(text, named: name) } catch { fatalError("gabarit \(name) illisible : \(error)") }
        }
        return library
    }()

    /// The text of every `Templates/*.mustache` file, by name.
    static let sources: [(name: String, text: String)] = {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return files.filter { $0.hasSuffix(".mustache") }.sorted().compactMap { file in
            (try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)).map { (String(file.dropLast(".mustache".count)), $0) }
        }
    }()

    static func render(_ model: Any, _ template: String) -> String {
        guard let text = library.render(model, withTemplate: template) else { fatalError("gabarit \(template) absent") }
        return text
    }
}

/// What every page shows around its content: its title, the menu, the footer links, and the
/// anti-CSRF token its forms carry.
struct Layout {
    let title: String
    let menu: [MenuItem]
    let csrf: String
    let home = SiteURL.home.path
    let stylesheet = SiteURL.asset("site.css").path
    let script = SiteURL.asset("site.js").path
    let openAPI = SiteURL.openAPI.path
    let health = SiteURL.health.path

    struct MenuItem {
        let href: String
        let label: String
        let current: Bool
    }

    init(title: String, section: Section? = nil) {
        self.title = title
        self.menu = Section.menu.map { MenuItem(href: $0.url.path, label: $0.label, current: $0 == section) }
        self.csrf = CSRF.token
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
        guard let date = ISO8601DateFormatter().date(from: iso) else { return iso }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris") ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(c.day))/\(two(c.month))/\(c.year ?? 0) à \(two(c.hour)):\(two(c.minute))"
    }
}
