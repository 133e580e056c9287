import Foundation

/// One parameter of a campaign as written in its data file: a value, its source and its notes,
/// and for a conflict between sources the alternative reading.
public struct Parameter: Sendable {
    public let key: String
    /// The value as written: a number, a string, a list, `tiers`/`tranches`, or null when the
    /// campaign has no such item.
    public let value: JSON
    public let unit: String?
    public let source: String
    public let notes: String
    public let alternative: String?
    /// The campaign whose file set this value (an overlay may inherit it from its national grid).
    public let definedIn: String
    /// A value changed during the call: every value with the dates it is in force, contiguous, the
    /// last open-ended; `value`, `source` and `notes` are those of the first. Empty when the value
    /// holds for the whole campaign.
    public let history: [DatedValue]

    /// The value in force on a day (`value` outside `history`).
    public func inForce(on date: CalendarDate) -> DatedValue? {
        history.last { $0.from <= date }
    }
}

/// One value of a dated parameter, as OpenFisca dates a legislation parameter.
public struct DatedValue: Sendable {
    public let from: CalendarDate
    /// The last day in force; nil for the value in force since `from` until further notice.
    public let to: CalendarDate?
    public let value: JSON
    public let source: String
    public let notes: String
}

/// A marginal scale by rank: ranks `from…to` get `amount` each.
public struct Tiers: Sendable, Equatable {
    public struct Tier: Sendable, Equatable {
        public let from: Int
        public let to: Int?
        public let amount: Cents
    }
    public let tiers: [Tier]

    /// The ranks `from...to` of one tier that `count` ranked items reach, at `amount` each.
    public struct Part: Sendable, Equatable {
        public let from: Int
        public let to: Int
        public let amount: Cents
        public var count: Int { to - from + 1 }
        public var total: Cents { count * amount }
        public init(from: Int, to: Int, amount: Cents) { self.from = from; self.to = to; self.amount = amount }
    }

    /// The parts of `count` ranked items, tier by tier.
    public func split(_ count: Int) -> [Part] {
        var parts: [Part] = []
        for t in tiers where count >= t.from {
            parts.append(Part(from: t.from, to: min(count, t.to ?? Int.max), amount: t.amount))
        }
        return parts
    }

    public func total(_ count: Int) -> Cents {
        var sum = 0
        for t in tiers where count >= t.from { sum += (min(count, t.to ?? Int.max) - t.from + 1) * t.amount }
        return sum
    }
}

public struct SonsTranche: Sendable, Equatable {
    public let tranche: String
    public let from: Int
    public let to: Int?
    public let amount: Cents
}

public enum Referencing: String, CaseIterable, Sendable {
    case segur, segurCandidate, sad, none

    public var french: String {
        switch self {
        case .segur: return "référencé Ségur"
        case .segurCandidate: return "candidat au référencement Ségur"
        case .sad: return "référencé SAD seulement"
        case .none: return "non référencé"
        }
    }
}

public enum ProjectKind: String, CaseIterable, Sendable {
    case acquisition, miseEnConformite, mixte

    public var french: String {
        switch self {
        case .acquisition: return "Projet d'acquisition"
        case .miseEnConformite: return "Projet de mise en conformité"
        case .mixte: return "Projet mixte (acquisition et mise en conformité)"
        }
    }
}

/// A filing window of a regional call for projects (W1, W2, W3).
public struct FilingWindow: Sendable, Equatable {
    public enum Scope: String, Sendable { case any, regional, multiRegional }
    public let rule: RuleID
    public let label: String
    public let from: CalendarDate
    public let to: CalendarDate
    public let kinds: Set<ProjectKind>
    public let sectors: Set<Sector>
    public let scope: Scope
}

/// The typed values the engine reads, resolved once when the campaign is loaded.
public struct Grid: Sendable {
    public let groupThreshold: Int
    public let groupThresholdOverseas: Int
    public let nationalThreshold: Int
    public let idealSize: ClosedRange<Int>?
    public let usageAcquisition: Tiers
    public let softwareSegur: Tiers
    public let softwareSad: Tiers?
    public let usageMiseEnConformite: Tiers
    public let smallOGEquipment: Cents
    public let smallOGAmoaMarche: Cents?
    public let smallOGAmoaProjet: Cents
    public let smallOGThreshold: Int
    public let smallOGThresholdOverseas: Int
    public let smallOGInclusive: Bool
    public let e4AnySonsOrderExcludes: Bool
    public let acquisitionReferencingMedico: Set<Referencing>
    public let acquisitionReferencingSocial: Set<Referencing>
    public let miseEnConformiteReferencing: Set<Referencing>
    public let sadMandatory: Bool
    public let sonsScale: [SonsTranche]
    public let sonsPerOGTotal: Bool
    public let sonsAdvancePercent: Int
    public let sonsReferencingDelayDays: Int
    public let sonsOpening: CalendarDate?
    public let sonsLastOrder: CalendarDate?
    public let sonsLastBalance: CalendarDate?
    public let sonsNoCancellationAfter: CalendarDate?
    public let advancePercent: Int
    public let targetMssante: Int
    public let targetDmp: Int
    public let targetDui: Int
    /// P2 condition 3: below this share of the subsidy, the ARS judges the expenses.
    public let expensesThresholdPercent: Int
    public let deadlineMiseEnConformiteMonths: Int
    public let deadlineAcquisitionMonths: Int
    /// U4: the sectors exempt from the MSSanté and DMP targets.
    public let nationalServicesExempt: Set<Sector>
    public let windows: [FilingWindow]
    public let envelope: Cents?
    /// W5: the priorities of the call, in its order (`Priority`).
    public let priorities: [Priority]
}

public final class Campaign: Sendable {
    public let id: String
    public let label: String
    public let ruleSetVersion: String
    public let extends: String?
    /// INSEE code of the region of a regional campaign.
    public let region: String?
    public let period: (from: CalendarDate, to: CalendarDate)
    /// Every parameter, in the order of the national grid.
    public let parameters: [Parameter]
    /// The grid in force from the campaign's start.
    public var grid: Grid { grids[0].grid }
    /// The grid of each stretch of the call: one, unless a parameter is dated (`history`).
    let grids: [(from: CalendarDate, grid: Grid, sources: [String])]

    /// The parameters with dated values (most campaigns have none).
    let datedKeys: [ParameterKey]

    init(id: String, label: String, ruleSetVersion: String, extends: String?, region: String?,
         period: (from: CalendarDate, to: CalendarDate), parameters: [Parameter], grids: [(from: CalendarDate, grid: Grid, sources: [String])]) {
        self.id = id; self.label = label; self.ruleSetVersion = ruleSetVersion; self.extends = extends
        self.region = region; self.period = period; self.parameters = parameters; self.grids = grids
        datedKeys = ParameterKey.allCases.filter { !parameters[$0.rawValue].history.isEmpty }
    }

    public func parameter(_ key: String) -> Parameter? { parameters.first { $0.key == key } }

    /// The grid and the sources in force on a day (the first stretch before the campaign's start).
    public func rules(on date: CalendarDate?) -> (grid: Grid, sources: [String]) {
        guard grids.count > 1, let date, let stretch = grids.last(where: { $0.from <= date }) else { return (grids[0].grid, grids[0].sources) }
        return (stretch.grid, stretch.sources)
    }

    /// The dated parameters and the value of each in force on a day: what an explanation cites.
    public func datedValues(on date: CalendarDate) -> [(key: ParameterKey, value: DatedValue)] {
        datedKeys.compactMap { key in parameters[key.rawValue].inForce(on: date).map { (key, $0) } }
    }
}

/// Why a campaign file cannot be used: it names the campaign and the parameter.
public struct CampaignError: Error, Sendable, Equatable, CustomStringConvertible {
    public let campaign: String
    public let parameter: String?
    public let reason: String

    public var description: String {
        if let parameter { return "campagne \(campaign), paramètre \(parameter) : \(reason)" }
        return "campagne \(campaign) : \(reason)"
    }
}

/// The campaigns the tool knows: the bundled data files, validated on load.
public struct CampaignCatalogue: Sendable {
    public let campaigns: [Campaign]

    public func campaign(_ id: String) -> Campaign? { campaigns.first { $0.id == id } }

    /// The national grid: the campaign that neither extends another nor belongs to a region.
    public var nationalGrid: Campaign? { campaigns.first { $0.extends == nil && $0.region == nil } }

    /// The campaigns shipped with the rules (`Sources/Rules/Campaigns/*.json`), read once.
    public static let shipped: Result<CampaignCatalogue, CampaignError> = {
        do { return .success(try loadBundled()) } catch let error as CampaignError { return .failure(error) } catch {
            return .failure(CampaignError(campaign: "*", parameter: nil, reason: "\(error)"))
        }
    }()

    /// The shipped campaigns. `esms` checks `shipped` before running any command (`Entry`), and the
    /// tests load every file: a failure here is a broken build, never a request.
    public static var bundled: CampaignCatalogue {
        switch shipped {
        case let .success(catalogue): return catalogue
        case let .failure(error): preconditionFailure("campagnes livrées illisibles : \(error)")
        }
    }

    public static func loadBundled() throws -> CampaignCatalogue {
        try load(files: try bundledFiles())
    }

    /// The text of the shipped campaign files, by name.
    public static func bundledFiles() throws -> [(name: String, text: String)] {
        guard let directory = Bundle.module.url(forResource: "Campaigns", withExtension: nil) else {
            throw CampaignError(campaign: "*", parameter: nil, reason: "dossier des campagnes introuvable")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        var files: [(name: String, text: String)] = []
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            files.append((name, String(decoding: data, as: UTF8.self)))
        }
        return files
    }

    /// The shipped campaigns and those of `files` (an ARS's own calls), validated as the shipped
    /// ones; an error names the file, then the campaign, the parameter and the reason.
    public static func withAdded(_ files: [(name: String, text: String)]) throws(CampaignError) -> CampaignCatalogue {
        let shipped: [(name: String, text: String)]
        do { shipped = try bundledFiles() } catch { throw CampaignError(campaign: "*", parameter: nil, reason: "\(error)") }
        for file in files {
            do { _ = try load(files: shipped + [file]) } catch {
                throw CampaignError(campaign: "\(file.name) : \(error.campaign)", parameter: error.parameter, reason: error.reason)
            }
        }
        return try load(files: shipped + files)
    }

    /// Loads campaign files given as text; national grids first, then the overlays that extend them.
    public static func load(files: [(name: String, text: String)]) throws(CampaignError) -> CampaignCatalogue {
        var raw: [RawCampaign] = []
        for file in files {
            let json: JSON
            do { json = try JSON.parse(file.text) } catch {
                throw CampaignError(campaign: file.name, parameter: nil, reason: error.description)
            }
            raw.append(try RawCampaign(json, file: file.name))
        }
        var ids = Set<String>()
        for r in raw where !ids.insert(r.id).inserted {
            throw CampaignError(campaign: r.id, parameter: nil, reason: "identifiant de campagne en double")
        }
        var loaded: [Campaign] = []
        for r in raw where r.extends == nil { loaded.append(try r.resolve(base: nil)) }
        for r in raw where r.extends != nil {
            guard let base = raw.first(where: { $0.id == r.extends }), base.extends == nil else {
                throw CampaignError(campaign: r.id, parameter: "extends", reason: "la grille nationale « \(Limits.quote(r.extends!)) » est inconnue")
            }
            loaded.append(try r.resolve(base: base))
        }
        return CampaignCatalogue(campaigns: loaded.sorted { $0.id < $1.id })
    }
}
