import Foundation

/// Evaluates a project under its campaign: eligibility (§2), grappe and routing (§3),
/// receivability (§4), funding (§5), SONS (§6), payments (§7), with our decisions (§11).
public struct Engine: Sendable {
    public let catalogue: CampaignCatalogue

    public init(catalogue: CampaignCatalogue = .bundled) { self.catalogue = catalogue }

    /// Evaluates `project` with the campaign's values in force on its filing date, else on `date`
    /// (the day of the simulation), else at the campaign's start.
    public func assess(_ project: Project, on date: CalendarDate? = nil) throws(AssessmentError) -> Assessment {
        guard let campaign = catalogue.campaign(project.campaign) else {
            throw .unknownCampaign(project.campaign, known: catalogue.campaigns.map(\.id))
        }
        var evaluation = Evaluation(project: project, campaign: campaign, date: project.filingDate ?? date)
        return evaluation.run()
    }
}

/// One assessment in progress: §2–§4 and §9 here, §5–§7 in `EngineAmounts.swift`.
struct Evaluation {
    let project: Project
    let campaign: Campaign
    /// The day whose values apply (dated parameters), if any.
    let date: CalendarDate?
    let grid: Grid
    /// The sources of the parameters in force, by `ParameterKey`.
    let sources: [String]

    var excluded: [Assessment.Excluded] = []
    var refusals: [Assessment.Entry] = []
    var flags: [Assessment.Entry] = []
    var explanation: [Assessment.Entry] = []
    /// The facts that compute each funding item, and the source of the first, in `FundingItem` order.
    var fundingFacts = FundingFacts()
    /// A rule asks for the ARS's decision: the outcome is at best `aDeciderParARS`.
    var needsARS = false

    init(project: Project, campaign: Campaign, date: CalendarDate?) {
        self.project = project
        self.campaign = campaign
        self.date = date
        (self.grid, self.sources) = campaign.rules(on: date)
        explanation.reserveCapacity(24)
    }

    /// The source of a parameter in force.
    func source(_ key: ParameterKey) -> String { sources[key.rawValue] }

    /// Records a funding fact in the explanation and on its funding line.
    mutating func explain(_ item: Assessment.FundingItem, _ fact: Fact, source: String) {
        explain(item.rule, fact, source: source)
        fundingFacts[item].facts.append(fact)
        if fundingFacts[item].source == nil { fundingFacts[item].source = source }
    }

    mutating func explain(_ rule: RuleID, _ fact: Fact, source: String? = nil) {
        explanation.append(.init(rule: rule, fact: fact, source: source ?? rule.source))
    }
    mutating func flag(_ rule: RuleID, _ fact: Fact, source: String? = nil, ars: Bool = false) {
        flags.append(.init(rule: rule, fact: fact, source: source ?? rule.source))
        if ars { needsARS = true }
    }
    mutating func refuse(_ rule: RuleID, _ fact: Fact, source: String? = nil) {
        refusals.append(.init(rule: rule, fact: fact, source: source ?? rule.source))
    }

    static func softwareKey(_ name: Substring) -> String {
        let start = name.firstIndex { !$0.isWhitespace } ?? name.endIndex
        let end = name.lastIndex { !$0.isWhitespace }.map(name.index(after:)) ?? start
        return name[start..<end].lowercased()
    }
    static func softwareKey(_ name: String) -> String { softwareKey(name[...]) }

    /// A software name names the project's solution, whatever the case and surrounding spaces.
    func isProjectSoftware(_ name: String) -> Bool {
        // The same text in most projects: the keys are compared only when it differs.
        name == project.solution.name || Self.softwareKey(name) == Self.softwareKey(project.solution.name)
    }

    // MARK: §2 Eligibility of one ESSMS

    /// An eligible establishment, reduced to what the rules count (no reference counting on hot paths).
    struct Member {
        let index: Int
        let organisme: Int
        let sector: Sector
        let regionIndex: Int
        let kind: ProjectKind
    }

    mutating func eligibility() -> [Member] {
        var eligible: [Member] = []
        eligible.reserveCapacity(project.establishments.count)
        var sameSoftwareSons = 0
        // Fields are read in place (`es[index].x`): copying each establishment would retain its strings.
        let es = project.establishments
        for index in es.indices {
            var rule: RuleID? = nil, cause = Assessment.Exclusion.notEssms, source: String? = nil
            if !es[index].essms {
                rule = .E1; cause = .notEssms
            } else if es[index].finessET == nil {
                rule = .E2; cause = .noFinessET
            } else if es[index].priorEsmsNumeriqueFunding {
                rule = .E3; cause = .alreadyFunded; source = "[003] Q30"
            } else if let dossier = es[index].otherApplication {
                rule = .E3; cause = .appliedFor(dossier: dossier); source = "[003] Q30"
            } else if let software = es[index].sonsOrderSoftware {
                if grid.e4AnySonsOrderExcludes {
                    rule = .E4; cause = .sonsOrdered(software: software)
                    source = self.source(.e4Reading)
                } else if !isProjectSoftware(software) {
                    rule = .E4; cause = .sonsOrderedForOtherSoftware(software: software)
                    source = "[003] Q35"
                } else {
                    sameSoftwareSons += 1
                }
            }
            if let rule {
                excluded.append(.init(finessET: es[index].finessET, name: es[index].name, rule: rule, cause: cause, source: source ?? rule.source))
                continue
            }
            if es[index].confortActivity {
                flag(.E5, .confortActivity(finessET: es[index].finessET!, name: es[index].name))
            }
            if es[index].attachedToNationalEntity {
                flag(.R5, .attachedToNationalEntity(finessET: es[index].finessET!, name: es[index].name))
            }
            let organisme = project.organismes.count == 1 ? 0 : project.organismes.firstIndex { $0.finessEJ == es[index].finessEJ } ?? 0
            eligible.append(Member(index: index, organisme: organisme, sector: es[index].sector, regionIndex: es[index].department.regionIndex, kind: project.kind == .mixte ? (es[index].kind ?? .acquisition) : project.kind))
        }
        if sameSoftwareSons > 0 {
            explain(.E4, .sonsOrderedForProjectSoftware(establishments: sameSoftwareSons), source: source(.e4Reading))
        }
        return eligible
    }

    // MARK: Main

    mutating func run() -> Assessment {
        if let date, !campaign.datedKeys.isEmpty {
            for (key, v) in campaign.datedValues(on: date) {
                explain(key.rule ?? grid.windows.first?.rule ?? .W1, .valueInForce(key: key.name, value: v.value.rendered(indent: false), from: v.from, to: v.to, on: date), source: v.source)
            }
        }
        for p in project.provenance {
            if p.needsConfirmation { flag(.finess, .registry(p.fact), source: p.source) } else { explain(.finess, .registry(p.fact), source: p.source) }
        }
        let eligible = eligibility()
        let size = eligible.count
        var nAcquisition = 0
        for m in eligible where m.kind == .acquisition { nAcquisition += 1 }
        let nConformite = size - nAcquisition

        guard size > 0 else {
            refuse(.G3, .noEligibleEstablishment)
            return finish(instruction: nil, pivot: nil, funding: .init(), sons: [], refused: true)
        }

        let pivot = pivotRegion(eligible)
        let instruction = routing(size: size, pivot: pivot)
        grappe(eligible, size: size)
        let field = majority(eligible, size: size)
        if nAcquisition > 0 { acquisitionReceivability(field: field) }
        if nConformite > 0 { conformiteReceivability() }
        if project.kind == .mixte {
            flag(.D6, .mixedGrappe(acquisition: nAcquisition, miseEnConformite: nConformite), ars: true)
            if project.organismes.contains(where: \.subjectToPublicProcurementCode) {
                explain(.R2, .mixedGrappeUnderProcurementCode)
            }
        }
        windows(eligible, pivot: pivot)

        let refused = !refusals.isEmpty
        var funding = Assessment.Funding()
        if !refused {
            funding = amounts(eligible, nAcquisition: nAcquisition, nConformite: nConformite)
        }
        let sons = sonsEstimate(eligible, nConformite: nConformite)
        if nAcquisition > 0 && !refused {
            explain(.E6, .acquisitionExcludesSons(establishments: nAcquisition))
        }
        return finish(instruction: instruction, pivot: pivot, funding: funding, sons: sons, refused: refused, counts: (nAcquisition, nConformite))
    }

    mutating func finish(instruction: Assessment.Instruction?, pivot: Region?, funding: Assessment.Funding,
                         sons: [Assessment.SonsOrder], refused: Bool, counts: (acquisition: Int, conformite: Int) = (0, 0)) -> Assessment {
        let outcome: Assessment.Outcome = refused ? .nonRecevable : (needsARS ? .aDeciderParARS : .recevable)
        let total = funding.total
        let advanceAmount = total * grid.advancePercent / 100
        let advance = Assessment.Payment(instalment: .avance, percent: grid.advancePercent, amount: advanceAmount, source: source(.advance))
        let solde = Assessment.Payment(instalment: .solde, percent: 100 - grid.advancePercent, amount: total - advanceAmount, source: source(.targetMssante))
        if !refused {
            explainPayments(advance: advance, solde: solde, smallOG: funding.smallOG, counts: counts)
            envelope(total: total)
        }
        return Assessment(
            campaign: campaign.id, campaignLabel: campaign.label, ruleSetVersion: campaign.ruleSetVersion,
            kind: project.kind, solution: project.solution, outcome: outcome, instruction: instruction,
            pivotRegion: pivot, establishments: project.establishments.count,
            eligibleEstablishments: project.establishments.count - excluded.count,
            excluded: excluded, funding: funding, fundingLines: fundingLines(funding), sons: sons, advance: advance, solde: solde,
            refusals: refusals, flags: flags, explanation: explanation)
    }

    // MARK: §3 Routing: pivot region, thresholds, national call

    func porteurDepartment() -> Department? {
        guard let og = project.organismes.first(where: { $0.finessEJ == project.porteur }) else { return nil }
        return og.department ?? Territory.department(ofFiness: og.finessEJ)
    }

    mutating func pivotRegion(_ eligible: [Member]) -> Region {
        var counts = [Int](repeating: 0, count: Territory.regions.count)
        for m in eligible { counts[m.regionIndex] += 1 }
        let best = counts.max()!
        var tied: [Int] = []
        var regionsCount = 0
        for (i, c) in counts.enumerated() {
            if c > 0 { regionsCount += 1 }
            if c == best { tied.append(i) }
        }
        var pivotIndex: Int
        if tied.count == 1 {
            pivotIndex = tied[0]
        } else {
            let regions = tied.map { Territory.regions[$0] }
            if let porteur = porteurDepartment(), tied.contains(porteur.regionIndex) {
                pivotIndex = porteur.regionIndex
                explain(.D5, .pivotTieBrokenByPorteur(tied: regions, establishments: best, pivot: Territory.regions[pivotIndex]))
            } else {
                pivotIndex = tied.min { Territory.regions[$0] < Territory.regions[$1] }!
                flag(.G5, .pivotTieUnresolved(tied: regions, establishments: best, proposed: Territory.regions[pivotIndex]), ars: true)
            }
        }
        let pivot = Territory.regions[pivotIndex]
        if regionsCount > 1 {
            explain(.G5, .multiRegional(regions: regionsCount, pivot: pivot, establishments: best))
        }
        if let region = campaign.region, region != pivot.code {
            flag(.G5, .campaignOfAnotherRegion(campaign: campaign.id, regionName: Territory.region(code: region)?.name ?? region, pivot: pivot))
        }
        return pivot
    }

    mutating func routing(size: Int, pivot: Region) -> Assessment.Instruction {
        let overseas = pivot.isOverseasOrCorsica
        let threshold = overseas ? grid.groupThresholdOverseas : grid.groupThreshold
        let thresholdSource = source(overseas ? .groupThresholdOverseas : .groupThreshold)
        if overseas {
            explain(.D1, .overseasThreshold(pivot: pivot, threshold: threshold, mainland: grid.groupThreshold))
        }
        if size == 1 && project.kind == .miseEnConformite {
            refuse(.G3, .aloneInMiseEnConformite, source: "[004]")
            return .SONS
        }
        if size < threshold {
            if project.matureProjectOwner {
                flag(.G3, .underThresholdMature(establishments: size, threshold: threshold), source: thresholdSource, ars: true)
            } else {
                refuse(.G3, .underThreshold(establishments: size, threshold: threshold), source: thresholdSource)
            }
        }
        if project.nationalRepresentativeness {
            explain(.G4, .nationalRepresentativeness)
            return .CNSA
        }
        if size >= grid.nationalThreshold {
            explain(.G3, .nationalCall(establishments: size, threshold: grid.nationalThreshold), source: source(.nationalThreshold))
            return .CNSA
        }
        if size >= threshold {
            explain(.G3, .regionalCall(establishments: size, from: threshold, to: grid.nationalThreshold - 1, pivot: pivot), source: thresholdSource)
        }
        return .ARS
    }

    // MARK: §3 One solution, dominant sector, 2025 target size

    mutating func grappe(_ eligible: [Member], size: Int) {
        let solution = project.solution
        if let m = eligible.first(where: { project.establishments[$0.index].solution.map { !isProjectSoftware($0) } ?? false }) {
            let other = project.establishments[m.index]
            refuse(.G1, .otherSolution(finessET: other.finessET!, name: other.name, solution: other.solution!))
        } else if project.organismes.count > 1 {
            explain(.G1, .oneSolution(organismes: project.organismes.count, solution: solution.name, editor: solution.editor))
        }
        var counts = [Int](repeating: 0, count: Sector.allCases.count)
        for m in eligible { counts[m.sector.index] += 1 }
        let present = counts.filter { $0 > 0 }.count
        if present > 1 {
            let best = counts.max()!
            let sector = Sector.allCases[counts.firstIndex(of: best)!]
            if best * 2 > size {
                explain(.G2, .dominantSector(publics: present, sector: sector, establishments: best, of: size))
            } else {
                flag(.G2, .noDominantSector(publics: present, sector: sector, establishments: best, of: size))
            }
        }
        if let ideal = grid.idealSize, !ideal.contains(size) {
            flag(.G6, .outsideTargetSize(establishments: size, from: ideal.lowerBound, to: ideal.upperBound), source: source(.idealSize))
        }
    }

    // MARK: §4 Receivability

    /// D7: the field holding strictly more than half of the eligible ESSMS.
    mutating func majority(_ eligible: [Member], size: Int) -> MajorityField {
        var medico = 0
        for m in eligible where m.sector.isMedicoSocial { medico += 1 }
        let social = size - medico
        if medico * 2 > size { return .medicoSocial }
        if social * 2 > size { return .social }
        flag(.R1, .noMajorityField(medicoSocial: medico, social: social), source: "[003] Q17", ars: true)
        explain(.D7, .strictMajority(establishments: size))
        return .none
    }

    mutating func acquisitionReceivability(field: MajorityField) {
        let referencing = project.solution.referencing
        let segurEverywhere = !grid.acquisitionReferencingMedico.contains(.sad)
        let allowed = field == .social ? grid.acquisitionReferencingSocial : grid.acquisitionReferencingMedico
        let allowedKey: ParameterKey = field == .social ? .referencingSocial : .referencingMedico
        let allowedList = Referencing.allCases.filter(allowed.contains)
        if !allowed.contains(referencing) {
            if segurEverywhere {
                refuse(.R4, .segurRequiredEverywhere(referencing: referencing), source: source(allowedKey))
            } else {
                refuse(field == .social ? .R1 : .R0, .referencingRefused(field: field, allowed: allowedList, referencing: referencing), source: source(allowedKey))
            }
        } else if segurEverywhere {
            explain(.R4, .segurEverywhereAdmitted(referencing: referencing), source: source(allowedKey))
        } else {
            explain(field == .medicoSocial ? .R0 : .R1, .referencingAdmitted(field: field, allowed: allowedList, referencing: referencing), source: source(allowedKey))
        }

        let porteurCCP = project.organismes.first { $0.finessEJ == project.porteur }?.subjectToPublicProcurementCode ?? false
        let anyCCP = project.organismes.contains(where: \.subjectToPublicProcurementCode)
        switch project.procurement {
        case .none:
            refuse(.D8, .noProcurement)
        case .existingPublicContract where !porteurCCP:
            refuse(.R0, .existingContractWithoutProcurementCode, source: "[004], [000]")
        case .competition where grid.sadMandatory && field != .social:
            refuse(.R0, .sadMandatory, source: source(.sadMandatory))
        case .sad where field == .social && grid.sadMandatory:
            flag(.R0, .sadCoversMedicoSocialOnly, source: "[004], [003] Q15", ars: true)
        default:
            explain(grid.sadMandatory ? .R0 : .R4, .procurementConform(project.procurement, sadMandatory: grid.sadMandatory), source: source(.sadMandatory))
            if anyCCP && project.procurement == .competition {
                flag(.R0, .competitionUnderProcurementCode, source: "[003] Q15")
            }
        }
    }

    mutating func conformiteReceivability() {
        let referencing = project.solution.referencing
        if !grid.miseEnConformiteReferencing.contains(referencing) {
            refuse(.R3, .miseEnConformiteNotReferenced(referencing: referencing), source: source(.referencingConformite))
        } else if referencing == .segurCandidate {
            flag(.R3, .miseEnConformiteCandidate, source: "[003] Q16")
        } else {
            explain(.R3, .miseEnConformiteReferenced, source: source(.referencingConformite))
        }
    }

    // MARK: §9 Windows of the regional call

    mutating func windows(_ eligible: [Member], pivot: Region) {
        guard let date = project.filingDate, !grid.windows.isEmpty else { return }
        let first = eligible[0].regionIndex
        let scope: FilingWindow.Scope = eligible.contains { $0.regionIndex != first } ? .multiRegional : .regional
        var missing: [WindowNeed] = []
        var used: [String] = []
        var seen: UInt32 = 0 // one bit per (kind, sector) pair already checked
        for e in eligible {
            let k = e.kind
            let bit: UInt32 = 1 << (e.sector.index + (k == .acquisition ? 0 : 8))
            guard seen & bit == 0 else { continue }
            seen |= bit
            if let w = grid.windows.first(where: { $0.kinds.contains(k) && $0.sectors.contains(e.sector) && ($0.scope == .any || $0.scope == scope) && $0.from <= date && date <= $0.to }) {
                if !used.contains(w.label) { used.append(w.label) }
            } else {
                missing.append(WindowNeed(kind: k, sector: e.sector))
            }
        }
        let rule = grid.windows[0].rule
        let source = source(.windows)
        if missing.isEmpty {
            explain(rule, .filedInWindows(date: date, windows: used, campaign: campaign.id), source: source)
        } else {
            flag(rule, .filedOutsideWindows(date: date, missing: missing, windows: grid.windows), source: source, ars: true)
        }
    }
}

extension Campaign {
    /// D2: a petit OG has fewer than 15 ESSMS (8 in Corsica and overseas), judged with the OG's own
    /// department (given, else read from its FINESS EJ number); the comparison is a campaign parameter.
    public func smallOG(_ og: Project.Organisme) -> (small: Bool, threshold: Int, department: Department?) {
        let department = og.department ?? Territory.department(ofFiness: og.finessEJ)
        let overseas = department?.region.isOverseasOrCorsica ?? false
        let threshold = overseas ? grid.smallOGThresholdOverseas : grid.smallOGThreshold
        return (grid.smallOGInclusive ? og.essmsCount <= threshold : og.essmsCount < threshold, threshold, department)
    }
}

extension Sector {
    var index: Int {
        switch self {
        case .PA: return 0
        case .PH: return 1
        case .DOM: return 2
        case .PDS: return 3
        case .PDE: return 4
        case .AHI: return 5
        case .PJM: return 6
        }
    }
}
