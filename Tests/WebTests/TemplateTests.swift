import Foundation
import Rules
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

    /// The DUI's indicators for an establishment whose sector the campaign exempts from the MSSanté
    /// and DMP targets (U4: PJM): no target said, drawn nor ticked for those two.
    @Test func anExemptEstablishmentsIndicatorsShowNoMssanteOrDmpTarget() throws {
        let campaign = try #require(Engine().catalogue.campaign("2022"))
        let month = try #require(YearMonth(iso: "2026-10"))
        let rows = [MonthlyMeasure(finessET: "310000013", month: month, persons: 10, activeRecords: 10, activeWithProjet: 9, activeWithEvent: 9,
                                   mssMessagesSent: 9, dmpFedPersons: 9)]
        let view = IndicatorsView(nav: DUINav(finessET: "310000013", name: "Foyer", current: .indicators), from: month, to: month, rows: rows,
                                  targets: campaign.grid.usageTargets(sector: .PJM), source: .init(campaign: campaign, dossier: nil, sector: .PJM))
        #expect(view.targetsSentence.contains(": MSSanté et DMP : pas de cible, le secteur PJM en est exempté (U4), usages du DUI 90 %."))
        #expect(view.rateColumns == ["MSSanté (exempté)", "DMP (exempté)", "actifs (cible 90 %)", "avec projet (cible 90 %)", "avec événement (cible 90 %)"])
        #expect(view.rates.first?.cells == ["90,0 %", "90,0 %", "100,0 % ✓", "90,0 % ✓", "90,0 % ✓"])
        #expect(view.chart?.targets.count == 1)
    }

    @Test func everyRouteOfThePagesIsOneCase() {
        #expect(SiteURL.grappe(SiteURL.id).path == "/grappes/:id")
        #expect(SiteURL.removeEstablishment("g1", et: "310001003").path == "/grappes/g1/etablissements/310001003/retirer")
        #expect(SiteURL.usageMeasures(SiteURL.id).path == "/grappes/:id/usages/mesures")
        #expect(Section.menu.map(\.url.path) == ["/", "/finess", "/grappes", "/dossiers", "/campagnes"])
    }
}
