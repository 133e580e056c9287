import Foundation
import Testing
@testable import Web

/// The templates: every value escaped by construction, no programme figure typed into a page.
@Suite("Gabarits")
struct TemplateTests {
    @Test func everyTemplateParsesAndEscapesEveryValue() throws {
        let sources = Templates.sources
        #expect(sources.count >= 15)
        // Every template parses and every page's is there: what `esms serve` checks before serving.
        #expect(ShippedTemplates.problem == nil)
        let library = try Templates.shipped.get()
        for (name, text) in sources {
            // `{{{x}}}` and `{{&x}}` would print a value without escaping it.
            #expect(!text.contains("{{{") && !text.contains("{{&"), "\(name) : valeur non échappée")
            #expect(library.getTemplate(named: name) != nil, "\(name) : gabarit illisible")
        }
        #expect(Templates.pages.allSatisfy { library.getTemplate(named: $0) != nil })
    }

    /// Shares, amounts and campaign identifiers come from the campaign or the assessment.
    @Test func noProgrammeFigureIsTypedIntoATemplate() throws {
        let figure = /[0-9]+ ?(%|€)|20[0-9]{2}/
        for (name, text) in Templates.sources {
            let visible = text.replacing(/<svg[^>]*>|<[a-z]+ [^>]*>/, with: "")
            #expect(visible.firstMatch(of: figure) == nil, "\(name) : chiffre du programme écrit dans le gabarit")
        }
    }

    @Test func everyRouteOfThePagesIsOneCase() {
        #expect(SiteURL.grappe(SiteURL.id).path == "/grappes/:id")
        #expect(SiteURL.removeEstablishment("g1", et: "310001003").path == "/grappes/g1/etablissements/310001003/retirer")
        #expect(SiteURL.usageMeasures(SiteURL.id).path == "/grappes/:id/usages/mesures")
        #expect(Section.menu.map(\.url.path) == ["/", "/finess", "/grappes", "/dossiers", "/campagnes"])
    }
}
