/// The amounts of an assessment: ESMS numérique funding (§5), the Prestation Ségur (§6), the
/// instalments and the envelope (§7, §9).
extension Evaluation {
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
            // Amounts the ARS modulates are a flag, not the outcome (simulation.md, « outcome »).
            flag(.D3, .smallOGCeilings(total: f.smallOG), source: "[003] Q26, Q29")
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

/// Published worked examples whose totals do not follow their own rates ([002] annexes): the
/// engine computes from the rates and reports the published figure as a known erratum.
let publishedErrata: [(referencing: Referencing, establishments: Int, usage: Cents, software: Cents, total: Cents)] = [
    (.segur, 64, 371_000_00, 752_000_00, 1_123_000_00),
    (.sad, 64, 371_000_00, 602_000_00, 973_000_00),
]

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
