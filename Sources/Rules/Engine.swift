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

/// Published worked examples whose totals do not follow their own rates ([002] annexes): the
/// engine computes from the rates and reports the published figure as a known erratum.
private let publishedErrata: [(referencing: Referencing, establishments: Int, usage: Cents, software: Cents, total: Cents)] = [
    (.segur, 64, 371_000_00, 752_000_00, 1_123_000_00),
    (.sad, 64, 371_000_00, 602_000_00, 973_000_00),
]

private struct Evaluation {
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
                flag(.E5, .confortActivity(finessET: es[index].finessET!, name: es[index].name), ars: true)
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

    // MARK: §5 Funding

    mutating func tiered(_ item: TieredAmount.Item, kind: ProjectKind, _ tiers: Tiers, count: Int, key: ParameterKey, sadTiers: Bool = false) -> Cents {
        let amount = TieredAmount(item: item, kind: kind, mixte: project.kind == .mixte, referencing: project.solution.referencing,
                                  sadTiers: sadTiers, parts: tiers.split(count))
        explain(item == .usage ? .usage : .software, .tiered(amount), source: source(key))
        return amount.total
    }

    func isSmall(_ og: Project.Organisme) -> (small: Bool, threshold: Int, department: Department?) { campaign.smallOG(og) }

    mutating func amounts(_ eligible: [Member], nAcquisition: Int, nConformite: Int) -> Assessment.Funding {
        var f = Assessment.Funding()
        if nAcquisition > 0 {
            f.usage += tiered(.usage, kind: .acquisition, grid.usageAcquisition, count: nAcquisition, key: .usageAcquisition)
            if project.solution.referencing == .sad, let tiers = grid.softwareSad {
                f.software = tiered(.software, kind: .acquisition, tiers, count: nAcquisition, key: .softwareSad, sadTiers: true)
            } else {
                f.software = tiered(.software, kind: .acquisition, grid.softwareSegur, count: nAcquisition, key: .softwareSegur)
            }
        }
        if nConformite > 0 {
            f.usage += tiered(.usage, kind: .miseEnConformite, grid.usageMiseEnConformite, count: nConformite, key: .usageMiseEnConformite)
        }
        erratum(f, nAcquisition: nAcquisition, nConformite: nConformite)

        // §5.2 Small OG (D2, D3)
        var smallEstablishments = 0
        for (o, og) in project.organismes.enumerated() {
            let judged = isSmall(og)
            guard judged.small else { continue }
            var n = 0
            for m in eligible where m.organisme == o { n += 1 }
            guard n > 0 else { continue }
            smallEstablishments += n
            explain(.D2, .smallOG(finessEJ: og.finessEJ, name: og.name, essms: og.essmsCount, department: judged.department?.code, threshold: judged.threshold, inProject: n),
                    source: source(judged.threshold == grid.smallOGThreshold ? .smallOGThreshold : .smallOGThresholdOverseas))
        }
        if smallEstablishments > 0 {
            f.equipment = smallEstablishments * grid.smallOGEquipment
            explain(.equipment, .equipmentCeiling(establishments: smallEstablishments, each: grid.smallOGEquipment, total: f.equipment), source: source(.equipment))
            f.amoaProjet = grid.smallOGAmoaProjet
            explain(.amoaProjet, .amoaProjetCeiling(f.amoaProjet), source: source(.amoaProjet))
            if nAcquisition > 0, let amoa = grid.smallOGAmoaMarche {
                f.amoaMarche = amoa
                explain(.amoaMarche, .amoaMarcheCeiling(amoa), source: source(.amoaMarche))
            }
            flag(.D3, .smallOGCeilings(total: f.smallOG), source: "[003] Q26, Q29", ars: true)
        }
        explain(.fUsage, .fundingTotal(f.total), source: source(nAcquisition > 0 ? .usageAcquisition : .usageMiseEnConformite))
        return f
    }

    /// The funding items with the facts that compute them and the source of their parameter.
    func fundingLines(_ f: Assessment.Funding) -> [Assessment.FundingLine] {
        Assessment.FundingItem.allCases.map { item in
            let (facts, source) = fundingFacts[item]
            return .init(item: item, amount: f[item], source: source ?? item.rule.source, facts: facts)
        }
    }

    mutating func erratum(_ f: Assessment.Funding, nAcquisition: Int, nConformite: Int) {
        guard campaign.id == "2022" || campaign.extends == "2022", nConformite == 0 else { return }
        for e in publishedErrata where e.referencing == project.solution.referencing && e.establishments == nAcquisition {
            explain(.fErratum, .publishedErratum(establishments: nAcquisition, publishedTotal: e.total, publishedUsage: e.usage, publishedSoftware: e.software,
                                                 computedUsage: f.usage, computedSoftware: f.software))
        }
    }

    // MARK: §6 SONS

    mutating func sonsEstimate(_ eligible: [Member], nConformite: Int) -> [Assessment.SonsOrder] {
        let referencing = project.solution.referencing
        guard nConformite > 0, referencing == .segur || referencing == .segurCandidate else {
            if nConformite > 0 {
                explain(.S3, .noSonsEstimate)
            }
            return []
        }
        var orders: [Assessment.SonsOrder] = []
        var social: UInt8 = 0 // one bit per social sector
        for (o, og) in project.organismes.enumerated() {
            var n = 0
            for m in eligible where m.organisme == o && m.kind == .miseEnConformite {
                n += 1
                if !m.sector.isMedicoSocial { social |= 1 << m.sector.index }
            }
            guard n > 0 else { continue }
            let base = grid.sonsPerOGTotal ? max(og.essmsCount, n) : n
            let tranche = grid.sonsScale.first { base >= $0.from && base <= ($0.to ?? Int.max) }!
            let total = tranche.amount * n
            let advance = total * grid.sonsAdvancePercent / 100
            orders.append(.init(finessEJ: og.finessEJ, establishments: n, tranche: tranche.tranche, perEstablishment: tranche.amount,
                                advancePercent: grid.sonsAdvancePercent, advance: advance))
            explain(.S4, .sonsTranche(finessEJ: og.finessEJ, name: og.name, base: base, tranche: tranche.tranche, establishments: n, each: tranche.amount, total: total),
                    source: source(.sonsScale))
            explain(.S5, .sonsAdvance(finessEJ: og.finessEJ, percent: grid.sonsAdvancePercent, advance: advance, balance: total - advance), source: source(.sonsAdvance))
        }
        explain(.S1, .sonsBeneficiary)
        explain(.D4, .sonsTrancheBase(perOGTotal: grid.sonsPerOGTotal), source: source(.sonsBase))
        if social != 0 {
            flag(.S2, .sonsLaterDomains(sectors: Sector.allCases.filter { social & (1 << $0.index) != 0 }))
        }
        if referencing == .segurCandidate {
            flag(.S3, .sonsCandidate(days: grid.sonsReferencingDelayDays), source: source(.sonsReferencingDelay))
        }
        if let opening = grid.sonsOpening, let lastOrder = grid.sonsLastOrder, let lastBalance = grid.sonsLastBalance {
            explain(.S6, .sonsCalendar(opening: opening, lastOrder: lastOrder, lastBalance: lastBalance), source: source(.sonsOpening))
        }
        explain(.S7, .sonsScope)
        if let cutoff = grid.sonsNoCancellationAfter {
            flag(.S8, .sonsNoCancellation(after: cutoff), source: source(.sonsNoCancellation))
        }
        return orders
    }

    // MARK: §7 Payments

    mutating func explainPayments(advance: Assessment.Payment, solde: Assessment.Payment, smallOG: Cents, counts: (acquisition: Int, conformite: Int)) {
        explain(.P1, .advance(percent: advance.percent, amount: advance.amount), source: advance.source)
        explain(.P2, .solde(percent: solde.percent, amount: solde.amount, targetMssante: grid.targetMssante, targetDui: grid.targetDui), source: solde.source)
        let hasAcq = counts.acquisition > 0, hasMec = counts.conformite > 0
        explain(.P3, .targetDeadlines(miseEnConformiteMonths: hasMec ? grid.deadlineMiseEnConformiteMonths : nil, acquisitionMonths: hasAcq ? grid.deadlineAcquisitionMonths : nil),
                source: source(hasAcq ? .deadlineAcquisition : .deadlineConformite))
        if smallOG > 0 {
            explain(.P4, .smallOGPaidAlike(smallOG))
        }
    }

    mutating func envelope(total: Cents) {
        guard let envelope = grid.envelope else { return }
        let source = source(.envelope)
        if total > envelope {
            flag(.envelope, .envelopeExceeded(total: total, envelope: envelope), source: source, ars: true)
        } else {
            explain(.envelope, .envelopeShare(total: total, permille: total * 1000 / envelope, envelope: envelope), source: source)
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

/// The facts of each funding item and the source of the first, held inline (no allocation for an
/// assessment that funds nothing).
struct FundingFacts {
    typealias Line = (facts: [Fact], source: String?)
    var usage: Line = ([], nil), software: Line = ([], nil), equipment: Line = ([], nil)
    var amoaMarche: Line = ([], nil), amoaProjet: Line = ([], nil)

    subscript(item: Assessment.FundingItem) -> Line {
        get {
            switch item {
            case .usage: return usage
            case .software: return software
            case .equipment: return equipment
            case .amoaMarche: return amoaMarche
            case .amoaProjet: return amoaProjet
            }
        }
        set {
            switch item {
            case .usage: usage = newValue
            case .software: software = newValue
            case .equipment: equipment = newValue
            case .amoaMarche: amoaMarche = newValue
            case .amoaProjet: amoaProjet = newValue
            }
        }
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
