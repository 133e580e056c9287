import Foundation
import Rules

/// HTML escaping: every value that reaches a page goes through `escape`.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A page in the French State's conventions: header with the République française block, skip
    /// link, one `main`, a footer; `lang="fr"`, readable without CSS, keyboard focus visible.
    static func page(title: String, active: String = "", body: String) -> String {
        func nav(_ href: String, _ label: String, _ key: String) -> String {
            "<li><a href=\"\(href)\"\(active == key ? " aria-current=\"page\"" : "")>\(label)</a></li>"
        }
        return """
        <!DOCTYPE html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) — ESMS numérique</title>
        <link rel="stylesheet" href="/assets/site.css">
        </head>
        <body>
        <a class="skip" href="#contenu">Aller au contenu</a>
        <header class="header">
          <div class="container header-inner">
            <p class="marianne">République<br>Française</p>
            <div>
              <p class="service"><a href="/">ESMS numérique</a></p>
              <p class="tagline">Simuler, déposer et suivre un projet de dossier usager informatisé</p>
            </div>
          </div>
          <nav class="container" aria-label="Menu principal"><ul class="nav">
            \(nav("/", "Accueil", "home"))\(nav("/finess", "Rechercher dans FINESS", "finess"))\(nav("/grappes", "Grappes", "grappes"))\(nav("/campagnes", "Campagnes et paramètres", "campaigns"))
          </ul></nav>
        </header>
        <main id="contenu" class="container" tabindex="-1">
        \(body)
        </main>
        <footer class="footer"><div class="container">
          <p>Règles du programme ESMS numérique (Ségur du numérique social et médico-social) : chaque résultat cite sa source. Données FINESS : extractions publiques.</p>
          <p><a href="/openapi.yaml">API (OpenAPI 3.1)</a> · <a href="/health">État du service</a></p>
        </div></footer>
        <script src="/assets/site.js" defer></script>
        </body>
        </html>
        """
    }

    static func euros(_ cents: Cents) -> String { escape(Money.format(cents)) }
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
