import ArgumentParser
import Foundation
import Rules

/// `esms campaigns [ID]`: the campaigns with every parameter, its source and notes.
struct Campaigns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Liste les campagnes connues, avec chaque paramètre, sa source et ses notes."
    )

    @Argument(help: "Identifiant d'une campagne (toutes si absent).")
    var id: String?

    @Option(help: "Format de sortie : json ou text.")
    var format: OutputFormat = .json

    @OptionGroup var campaigns: CampaignOptions

    func run() async throws {
        try await reporting {
            print(try CampaignListing.render(id: id, format: format, catalogue: try campaigns.catalogue()), terminator: "")
        }
    }
}

public enum CampaignListing {
    public static func render(id: String?, format: OutputFormat, catalogue: CampaignCatalogue = .bundled) throws(UserFacingError) -> String {
        var campaigns = catalogue.campaigns
        if let id {
            guard let c = catalogue.campaign(id) else {
                throw UserFacingError("campagne inconnue « \(Limits.quote(id)) » ; campagnes connues : \(catalogue.campaigns.map(\.id).joined(separator: ", "))")
            }
            campaigns = [c]
        }
        switch format {
        case .json: return JSON.array(campaigns.map(\.json)).rendered() + "\n"
        case .text: return campaigns.map(\.text).joined(separator: "\n")
        }
    }
}
