import Foundation

/// Evaluates a project under its campaign: eligibility (§2), grappe and routing (§3),
/// receivability (§4), funding (§5), SONS (§6), payments (§7), with our decisions (§11).
public struct Engine: Sendable {
    public let catalogue: CampaignCatalogue

    public init(catalogue: CampaignCatalogue = .bundled) { self.catalogue = catalogue }

    public func assess(_ project: Project) throws(AssessmentError) -> Assessment {
        guard let campaign = catalogue.campaign(project.campaign) else {
            throw .unknownCampaign(project.campaign, known: catalogue.campaigns.map(\.id))
        }
        var evaluation = Evaluation(project: project, campaign: campaign)
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
    let grid: Grid

    var excluded: [Assessment.Excluded] = []
    var refusals: [Assessment.Entry] = []
    var flags: [Assessment.Entry] = []
    var explanation: [Assessment.Entry] = []
    /// A rule asks for the ARS's decision: the outcome is at best `aDeciderParARS`.
    var needsARS = false

    init(project: Project, campaign: Campaign) {
        self.project = project
        self.campaign = campaign
        self.grid = campaign.grid
        explanation.reserveCapacity(24)
    }

    mutating func explain(_ rule: RuleID, _ text: String, source: String? = nil) {
        explanation.append(.init(rule: rule, text: text, source: source ?? rule.source))
    }
    mutating func flag(_ rule: RuleID, _ text: String, source: String? = nil, ars: Bool = false) {
        flags.append(.init(rule: rule, text: text, source: source ?? rule.source))
        if ars { needsARS = true }
    }
    mutating func refuse(_ rule: RuleID, _ text: String, source: String? = nil) {
        refusals.append(.init(rule: rule, text: text, source: source ?? rule.source))
    }

    func kind(of e: Project.Establishment) -> ProjectKind { project.kind == .mixte ? (e.kind ?? .acquisition) : project.kind }

    func sameSoftware(_ a: String, _ b: String) -> Bool {
        a.trimmingCharacters(in: .whitespaces).lowercased() == b.trimmingCharacters(in: .whitespaces).lowercased()
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
        for (index, e) in project.establishments.enumerated() {
            var rule: RuleID? = nil, reason = "", source: String? = nil
            if !e.essms {
                rule = .E1; reason = "n'est pas un ESSMS au sens de l'art. L.312-1 CASF"
            } else if e.finessET == nil {
                rule = .E2; reason = "n'a pas de numéro FINESS géographique (ET)"
            } else if e.priorEsmsNumeriqueFunding {
                rule = .E3; reason = "a déjà reçu un financement ESMS numérique (un seul financement par ESSMS)"; source = "[003] Q30"
            } else if let software = e.sonsOrderSoftware {
                if grid.e4AnySonsOrderExcludes {
                    rule = .E4; reason = "a déjà commandé une Prestation Ségur (SONS) pour « \(Limits.quote(software)) » (lecture [004] retenue par la campagne)"
                    source = campaign.source(.e4Reading)
                } else if !sameSoftware(software, project.solution.name) {
                    rule = .E4; reason = "a commandé une Prestation Ségur (SONS) pour un autre logiciel (« \(Limits.quote(software)) »)"
                    source = "[003] Q35"
                } else {
                    sameSoftwareSons += 1
                }
            }
            if let rule {
                excluded.append(.init(finessET: e.finessET, name: e.name, rule: rule, reason: reason, source: source ?? rule.source))
                continue
            }
            if e.confortActivity {
                flag(.E5, "\(e.finessET!) \(e.name) : service mêlant activités essentielles et « confort » ; seule la part essentielle est financée, l'ARS en décide sur la déclaration d'activité", ars: true)
            }
            if e.attachedToNationalEntity {
                flag(.R5, "\(e.finessET!) \(e.name) : rattaché à une entité nationale ; joindre son accord écrit (et l'entité ne propose pas de DUI commun)")
            }
            let organisme = project.organismes.firstIndex { $0.finessEJ == e.finessEJ } ?? 0
            eligible.append(Member(index: index, organisme: organisme, sector: e.sector, regionIndex: e.department.regionIndex, kind: kind(of: e)))
        }
        if sameSoftwareSons > 0 {
            explain(.E4, "\(sameSoftwareSons) ESSMS ont déjà commandé la Prestation Ségur pour le logiciel du projet : admis au financement des usages (lecture [000]/[001]/[003] ; [004], plus strict, les exclurait)",
                    source: campaign.source(.e4Reading))
        }
        return eligible
    }

    // MARK: Main

    mutating func run() -> Assessment {
        for p in project.provenance {
            if p.needsConfirmation { flag(.finess, p.text, source: p.source) } else { explain(.finess, p.text, source: p.source) }
        }
        let eligible = eligibility()
        let size = eligible.count
        var nAcquisition = 0
        for m in eligible where m.kind == .acquisition { nAcquisition += 1 }
        let nConformite = size - nAcquisition

        guard size > 0 else {
            refuse(.G3, "aucun établissement éligible : pas de projet")
            return finish(instruction: nil, pivot: nil, funding: .init(), sons: [], refused: true)
        }

        let pivot = pivotRegion(eligible)
        let instruction = routing(size: size, pivot: pivot)
        grappe(eligible, size: size)
        let field = majority(eligible, size: size)
        if nAcquisition > 0 { acquisitionReceivability(field: field) }
        if nConformite > 0 { conformiteReceivability() }
        if project.kind == .mixte {
            flag(.D6, "grappe mixte (\(nAcquisition) en acquisition, \(nConformite) en mise en conformité) : étudiée au cas par cas par l'ARS", source: RuleID.D6.source, ars: true)
            if project.organismes.contains(where: \.subjectToPublicProcurementCode) {
                explain(.R2, "au moins un OG de la grappe mixte est soumis au code de la commande publique : toute la procédure d'achat suit le CCP")
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
            explain(.E6, "les \(nAcquisition) ESSMS financés pour l'acquisition d'un DUI ne sont pas éligibles à la Prestation Ségur (SONS) vague 1 : un seul financement Ségur vague 1 par ESSMS")
        }
        return finish(instruction: instruction, pivot: pivot, funding: funding, sons: sons, refused: refused, counts: (nAcquisition, nConformite))
    }

    mutating func finish(instruction: Assessment.Instruction?, pivot: Region?, funding: Assessment.Funding,
                         sons: [Assessment.SonsOrder], refused: Bool, counts: (acquisition: Int, conformite: Int) = (0, 0)) -> Assessment {
        let outcome: Assessment.Outcome = refused ? .nonRecevable : (needsARS ? .aDeciderParARS : .recevable)
        let total = funding.total
        let advance = total * grid.advancePercent / 100
        let payments = [
            Assessment.Payment(instalment: "avance", percent: grid.advancePercent, amount: advance),
            Assessment.Payment(instalment: "solde", percent: 100 - grid.advancePercent, amount: total - advance),
        ]
        if !refused {
            explainPayments(total: total, advance: advance, smallOG: funding.smallOG, counts: counts)
            envelope(total: total)
        }
        return Assessment(
            campaign: campaign.id, campaignLabel: campaign.label, ruleSetVersion: campaign.ruleSetVersion,
            kind: project.kind, solution: project.solution, outcome: outcome, instruction: instruction,
            pivotRegion: pivot, establishments: project.establishments.count,
            eligibleEstablishments: project.establishments.count - excluded.count,
            excluded: excluded, funding: funding, sons: sons, payments: payments,
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
            let names = tied.map { Territory.regions[$0] }.sorted().map { "\($0.name) (\($0.code))" }.joined(separator: ", ")
            if let porteur = porteurDepartment(), tied.contains(porteur.regionIndex) {
                pivotIndex = porteur.regionIndex
                explain(.D5, "égalité entre \(names) avec \(best) ESSMS chacune : la région du porteur, \(Territory.regions[pivotIndex].name), est retenue comme région pivot")
            } else {
                pivotIndex = tied.min { Territory.regions[$0] < Territory.regions[$1] }!
                flag(.G5, "égalité entre \(names) avec \(best) ESSMS chacune, sans la région du porteur : les sources ne disent pas quelle ARS est pivot ; \(Territory.regions[pivotIndex].name) est proposée, à confirmer avec les ARS", ars: true)
            }
        }
        let pivot = Territory.regions[pivotIndex]
        if regionsCount > 1 {
            explain(.G5, "projet multi-régional (\(regionsCount) régions) : déposé auprès de l'ARS pivot \(pivot.name) (\(pivot.code)), qui compte \(best) ESSMS du projet")
        }
        if let region = campaign.region, region != pivot.code {
            let name = Territory.region(code: region)?.name ?? region
            flag(.G5, "la campagne \(campaign.id) est celle de l'ARS \(name) ; la région pivot du projet est \(pivot.name) (\(pivot.code))")
        }
        return pivot
    }

    mutating func routing(size: Int, pivot: Region) -> Assessment.Instruction {
        let overseas = pivot.isOverseasOrCorsica
        let threshold = overseas ? grid.groupThresholdOverseas : grid.groupThreshold
        let thresholdSource = campaign.source(overseas ? .groupThresholdOverseas : .groupThreshold)
        if overseas {
            explain(.D1, "région pivot \(pivot.name) (outre-mer ou Corse) : seuil de \(threshold) ESSMS au lieu de \(grid.groupThreshold)")
        }
        if size == 1 && project.kind == .miseEnConformite {
            refuse(.G3, "ESSMS seul en mise en conformité : pas de projet ESMS numérique ; l'éditeur, qui doit être référencé Ségur, est financé par la Prestation Ségur (SONS), sans passer par le SAD", source: "[004]")
            return .SONS
        }
        if size < threshold {
            if project.matureProjectOwner {
                flag(.G3, "grappe de \(size) ESSMS, sous le seuil de \(threshold) : recevable seulement si l'ARS juge la maîtrise d'ouvrage mature (au cas par cas)", source: "\(thresholdSource)", ars: true)
            } else {
                refuse(.G3, "grappe de \(size) ESSMS, sous le seuil de \(threshold), sans maîtrise d'ouvrage mature : PROJET NON RECEVABLE", source: thresholdSource)
            }
        }
        if project.nationalRepresentativeness {
            explain(.G4, "porteur à représentativité nationale : dépôt sur le portail national de la CNSA, quelle que soit la taille")
            return .CNSA
        }
        if size >= grid.nationalThreshold {
            explain(.G3, "\(size) ESSMS éligibles, \(grid.nationalThreshold) ou plus : AAP national, instruit par la CNSA et la DNS", source: campaign.source(.nationalThreshold))
            return .CNSA
        }
        if size >= threshold {
            explain(.G3, "\(size) ESSMS éligibles, de \(threshold) à \(grid.nationalThreshold - 1) : AAP régional, instruit par l'ARS \(pivot.name)", source: thresholdSource)
        }
        return .ARS
    }

    // MARK: §3 One solution, dominant sector, 2025 target size

    mutating func grappe(_ eligible: [Member], size: Int) {
        let solution = project.solution
        if let m = eligible.first(where: { project.establishments[$0.index].solution.map { !sameSoftware($0, solution.name) } ?? false }) {
            let other = project.establishments[m.index]
            refuse(.G1, "\(other.finessET!) \(other.name) prévoit la solution « \(Limits.quote(other.solution!)) » : une seule solution DUI (même éditeur, même hébergement) pour tout le projet")
        } else if project.organismes.count > 1 {
            explain(.G1, "une seule solution DUI pour les \(project.organismes.count) OG de la grappe : \(solution.name) (\(solution.editor))")
        }
        var counts = [Int](repeating: 0, count: Sector.allCases.count)
        for m in eligible { counts[m.sector.index] += 1 }
        let present = counts.filter { $0 > 0 }.count
        if present > 1 {
            let best = counts.max()!
            let sector = Sector.allCases[counts.firstIndex(of: best)!]
            if best * 2 > size {
                explain(.G2, "grappe mixant \(present) publics, dominante \(sector.rawValue) (\(best) sur \(size))")
            } else {
                flag(.G2, "grappe mixant \(present) publics sans secteur majoritaire (le plus représenté : \(sector.rawValue), \(best) sur \(size)) : la mixité doit suivre une stratégie définie par la grappe")
            }
        }
        if let ideal = grid.idealSize, !ideal.contains(size) {
            flag(.G6, "\(size) ESSMS : la taille cible de la campagne est de \(ideal.lowerBound) à \(ideal.upperBound) établissements ; un ESSMS isolé peut rejoindre une grappe déjà financée", source: campaign.source(.idealSize))
        }
    }

    // MARK: §4 Receivability

    enum Field { case medicoSocial, social, none }

    /// D7: the field holding strictly more than half of the eligible ESSMS.
    mutating func majority(_ eligible: [Member], size: Int) -> Field {
        var medico = 0
        for m in eligible where m.sector.isMedicoSocial { medico += 1 }
        let social = size - medico
        if medico * 2 > size { return .medicoSocial }
        if social * 2 > size { return .social }
        flag(.R1, "ni le champ PA/PH/DOM (\(medico)) ni le champ social (\(social)) n'a la majorité des ESSMS éligibles : l'ARS décide des exigences de référencement", source: "[003] Q17", ars: true)
        explain(.D7, "majorité lue comme strictement plus de la moitié des \(size) ESSMS éligibles")
        return .none
    }

    mutating func acquisitionReceivability(field: Field) {
        let referencing = project.solution.referencing
        let segurEverywhere = !grid.acquisitionReferencingMedico.contains(.sad)
        let allowed = field == .social ? grid.acquisitionReferencingSocial : grid.acquisitionReferencingMedico
        let allowedKey: ParameterKey = field == .social ? .referencingSocial : .referencingMedico
        let fieldText = field == .social ? "majorité du champ social" : (field == .medicoSocial ? "majorité PA/PH/DOM" : "sans majorité")
        let allowedText = Referencing.allCases.filter(allowed.contains).map(\.french).joined(separator: " ou ")
        if !allowed.contains(referencing) {
            if segurEverywhere {
                refuse(.R4, "acquisition : la solution doit être référencée Ségur (ou candidate au référencement à la signature de la convention) pour tous les secteurs ; elle est \(referencing.french)", source: campaign.source(allowedKey))
            } else {
                refuse(field == .social ? .R1 : .R0, "acquisition, \(fieldText) : l'éditeur doit être \(allowedText) ; la solution est \(referencing.french)", source: campaign.source(allowedKey))
            }
        } else if segurEverywhere {
            explain(.R4, "acquisition : solution \(referencing.french), admise pour tous les secteurs ; en cas de remplacement d'un DUI non référencé, l'ARS vérifie qu'au moins trois éditeurs ont été consultés", source: campaign.source(allowedKey))
        } else {
            explain(field == .medicoSocial ? .R0 : .R1, "acquisition, \(fieldText) : éditeur \(referencing.french), admis (\(allowedText))", source: campaign.source(allowedKey))
        }

        let porteurCCP = project.organismes.first { $0.finessEJ == project.porteur }?.subjectToPublicProcurementCode ?? false
        let anyCCP = project.organismes.contains(where: \.subjectToPublicProcurementCode)
        switch project.procurement {
        case .none:
            refuse(.D8, "acquisition sans procédure d'achat : au moins une mise en concurrence est exigée")
        case .existingPublicContract where !porteurCCP:
            refuse(.R0, "un marché public en cours ne peut servir que si le porteur est soumis au code de la commande publique", source: "[004], [000]")
        case .competition where grid.sadMandatory && field != .social:
            refuse(.R0, "acquisition à majorité PA/PH/DOM : le SAD (RESAH) est obligatoire, sauf porteur soumis au CCP disposant d'un marché en cours de même objet", source: campaign.source(.sadMandatory))
        case .sad where field == .social && grid.sadMandatory:
            flag(.R0, "le SAD (RESAH) couvre les solutions PA/PH/DOM ; pour une grappe à majorité sociale une mise en concurrence est attendue", source: "[004], [003] Q15", ars: true)
        default:
            if grid.sadMandatory {
                explain(.R0, "procédure d'achat : \(project.procurement.french), conforme", source: campaign.source(.sadMandatory))
            } else {
                explain(.R4, "procédure d'achat : \(project.procurement.french) ; plus de phase de commande publique spécifique, sauf pour les OG soumis au CCP", source: campaign.source(.sadMandatory))
            }
            if anyCCP && project.procurement == .competition {
                flag(.R0, "un OG du projet est soumis au code de la commande publique : la mise en concurrence suit le CCP", source: "[003] Q15")
            }
        }
    }

    mutating func conformiteReceivability() {
        let referencing = project.solution.referencing
        if !grid.miseEnConformiteReferencing.contains(referencing) {
            refuse(.R3, "mise en conformité : la solution doit être référencée Ségur (ou son éditeur engagé dans le référencement) ; elle est \(referencing.french) : non éligible", source: campaign.source(.referencingConformite))
        } else if referencing == .segurCandidate {
            flag(.R3, "solution candidate au référencement Ségur : admise si l'éditeur est engagé dans la démarche ; l'ARS le vérifie", source: "[003] Q16")
        } else {
            explain(.R3, "mise en conformité : solution référencée Ségur ; pas de passage par le SAD", source: campaign.source(.referencingConformite))
        }
    }

    // MARK: §9 Windows of the regional call

    mutating func windows(_ eligible: [Member], pivot: Region) {
        guard let date = project.filingDate, !grid.windows.isEmpty else { return }
        let first = eligible[0].regionIndex
        let scope: FilingWindow.Scope = eligible.contains { $0.regionIndex != first } ? .multiRegional : .regional
        var missing: [String] = []
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
                missing.append("\(k == .acquisition ? "acquisition" : "mise en conformité") \(e.sector.rawValue)")
            }
        }
        let rule = grid.windows[0].rule
        let source = campaign.source(.windows)
        if missing.isEmpty {
            explain(rule, "dépôt le \(date.french) dans la \(used.joined(separator: ", ")) de l'AAP \(campaign.id)", source: source)
        } else {
            let list = grid.windows.map { "\($0.label) du \($0.from.french) au \($0.to.french)" }.joined(separator: " ; ")
            flag(rule, "dépôt le \(date.french) hors des fenêtres de l'AAP pour : \(missing.joined(separator: ", ")) (\(list))", source: source, ars: true)
        }
    }

    // MARK: §5 Funding

    mutating func tiered(_ rule: RuleID, _ label: String, _ tiers: Tiers, count: Int, key: ParameterKey) -> Cents {
        var total = 0
        let parts = tiers.split(count)
        var pieces: [String] = []
        for part in parts {
            total += part.count * part.amount
            pieces.append("\(part.count) × \(Money.format(part.amount))")
        }
        explain(rule, "\(label) : \(pieces.joined(separator: " + ")) = \(Money.format(total))", source: campaign.source(key))
        return total
    }

    func isSmall(_ og: Project.Organisme) -> (small: Bool, threshold: Int, department: Department?) { campaign.smallOG(og) }

    mutating func amounts(_ eligible: [Member], nAcquisition: Int, nConformite: Int) -> Assessment.Funding {
        var f = Assessment.Funding()
        let mixte = project.kind == .mixte
        if nAcquisition > 0 {
            let suffix = mixte ? " (acquisition, rangs comptés parmi les acquisitions)" : ""
            f.usage += tiered(.fUsage, "usages\(suffix)", grid.usageAcquisition, count: nAcquisition, key: .usageAcquisition)
            let sad = project.solution.referencing == .sad
            if sad, let tiers = grid.softwareSad {
                f.software = tiered(.fLogiciel, "logiciel, éditeur référencé SAD seulement\(suffix)", tiers, count: nAcquisition, key: .softwareSad)
            } else {
                f.software = tiered(.fLogiciel, "logiciel, éditeur \(project.solution.referencing.french)\(suffix)", grid.softwareSegur, count: nAcquisition, key: .softwareSegur)
            }
        }
        if nConformite > 0 {
            let suffix = mixte ? " (mise en conformité, rangs comptés parmi les mises en conformité)" : " (mise en conformité ; logiciel payé par le SONS)"
            f.usage += tiered(.fUsage, "usages\(suffix)", grid.usageMiseEnConformite, count: nConformite, key: .usageMiseEnConformite)
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
            let where_ = judged.department.map { "département \($0.code)" } ?? "département inconnu"
            explain(.D2, "\(og.finessEJ) \(og.name) : \(og.essmsCount) ESSMS dans FINESS, \(where_), seuil \(judged.threshold) : petit OG (\(n) ESSMS dans le projet)",
                    source: campaign.source(judged.threshold == grid.smallOGThreshold ? .smallOGThreshold : .smallOGThresholdOverseas))
        }
        if smallEstablishments > 0 {
            f.equipment = smallEstablishments * grid.smallOGEquipment
            explain(.fMateriel, "équipements et infrastructures : \(smallEstablishments) × \(Money.format(grid.smallOGEquipment)) = \(Money.format(f.equipment)) au maximum", source: campaign.source(.equipment))
            f.amoaProjet = grid.smallOGAmoaProjet
            explain(.fAmoaProjet, "AMOA projet : \(Money.format(f.amoaProjet)) au maximum pour le projet", source: campaign.source(.amoaProjet))
            if nAcquisition > 0, let amoa = grid.smallOGAmoaMarche {
                f.amoaMarche = amoa
                explain(.fAmoaMarche, "AMOA marché : \(Money.format(amoa)) au maximum pour le projet d'acquisition", source: campaign.source(.amoaMarche))
            }
            flag(.D3, "financements petit OG (\(Money.format(f.smallOG))) : plafonds, sous réserve des décisions de l'ARS, qui les module ; le matériel est lié au projet DUI et jamais financé seul", source: "[003] Q26, Q29", ars: true)
        }
        explain(.fUsage, "total ESMS numérique : \(Money.format(f.total))", source: campaign.source(nAcquisition > 0 ? .usageAcquisition : .usageMiseEnConformite))
        return f
    }

    mutating func erratum(_ f: Assessment.Funding, nAcquisition: Int, nConformite: Int) {
        guard campaign.id == "2022" || campaign.extends == "2022", nConformite == 0 else { return }
        for e in publishedErrata where e.referencing == project.solution.referencing && e.establishments == nAcquisition {
            explain(.fErratum, "[002] publie pour \(nAcquisition) ESSMS \(Money.format(e.total)) (usages \(Money.format(e.usage)), logiciel \(Money.format(e.software))) ; calculé selon ses propres taux : \(Money.format(f.usage + f.software)) (usages \(Money.format(f.usage)), logiciel \(Money.format(f.software))). Le chiffre publié est un erratum connu.")
        }
    }

    // MARK: §6 SONS

    mutating func sonsEstimate(_ eligible: [Member], nConformite: Int) -> [Assessment.SonsOrder] {
        let referencing = project.solution.referencing
        guard nConformite > 0, referencing == .segur || referencing == .segurCandidate else {
            if nConformite > 0 {
                explain(.S3, "aucune Prestation Ségur estimée : seules les versions référencées Ségur par l'ANS sont financées")
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
            orders.append(.init(finessEJ: og.finessEJ, establishments: n, tranche: tranche.tranche, perEstablishment: tranche.amount, advance: advance))
            explain(.S4, "\(og.finessEJ) \(og.name) : \(base) ESSMS → tranche \(tranche.tranche), \(n) × \(Money.format(tranche.amount)) = \(Money.format(total)) TTC", source: campaign.source(.sonsScale))
            explain(.S5, "\(og.finessEJ) : avance de \(grid.sonsAdvancePercent) % à l'éditeur sur le bon de commande (\(Money.format(advance))), solde sur facture et attestation VA (\(Money.format(total - advance)))", source: campaign.source(.sonsAdvance))
        }
        explain(.S1, "Prestation Ségur : bénéficiaire l'OG (FINESS EJ), une commande par OG pour ses ESSMS du projet ; payée par l'État à l'éditeur, sans reste à charge")
        explain(.D4, grid.sonsPerOGTotal
                ? "tranche lue sur le nombre total d'ESSMS de l'OG (libellé du barème)"
                : "tranche lue sur le nombre d'ESSMS de l'OG dans la commande, comme dans chaque exemple de [002]", source: campaign.source(.sonsBase))
        if social != 0 {
            let list = Sector.allCases.filter { social & (1 << $0.index) != 0 }.map(\.rawValue).joined(separator: ", ")
            flag(.S2, "secteurs \(list) : domaines SONS MS2 (PDS, PDE, à partir du second semestre 2022) et MS3 (AHI, PJM, fin 2022), ouverts après MS1 (PA, PH, DOM)")
        }
        if referencing == .segurCandidate {
            flag(.S3, "solution candidate : rien n'est payé à l'éditeur avant son référencement ; au plus \(grid.sonsReferencingDelayDays) jours entre la commande et un dossier de référencement complet à l'ANS", source: campaign.source(.sonsReferencingDelay))
        }
        if let opening = grid.sonsOpening, let lastOrder = grid.sonsLastOrder, let lastBalance = grid.sonsLastBalance {
            explain(.S6, "calendrier MS1 : ouverture le \(opening.french), dernière commande le \(lastOrder.french), dernière demande de solde le \(lastBalance.french)", source: campaign.source(.sonsOpening))
        }
        explain(.S7, "la Prestation Ségur couvre licence, installation, maintenance corrective, formation, suivi de projet et documentation ; ni boîtes MSSanté, ni changement complet de logiciel, ni infrastructure")
        if let cutoff = grid.sonsNoCancellationAfter {
            flag(.S8, "une commande SONS n'est plus annulable après le \(cutoff.french) ni après validation de la VA ; l'ARS vérifie l'absence de double financement SONS / ESMS numérique", source: campaign.source(.sonsNoCancellation))
        }
        return orders
    }

    // MARK: §7 Payments

    mutating func explainPayments(total: Cents, advance: Cents, smallOG: Cents, counts: (acquisition: Int, conformite: Int)) {
        explain(.P1, "avance de \(grid.advancePercent) % : \(Money.format(advance)) à la validation de la recevabilité et à la signature des conventions (ARS/porteur et de partenariat) ; arrondie au centime inférieur", source: campaign.source(.advance))
        explain(.P2, "solde de \(100 - grid.advancePercent) % : \(Money.format(total - advance)) à la fin de la VSR si MSSanté et DMP atteignent \(grid.targetMssante) %, les usages du DUI \(grid.targetDui) %, et si les dépenses ne sont pas notablement inférieures à la subvention", source: campaign.source(.targetMssante))
        var deadlines: [String] = []
        let hasAcq = counts.acquisition > 0, hasMec = counts.conformite > 0
        if hasMec { deadlines.append("\(grid.deadlineMiseEnConformiteMonths) mois pour la mise en conformité") }
        if hasAcq { deadlines.append("\(grid.deadlineAcquisitionMonths) mois pour l'acquisition") }
        explain(.P3, "délais d'atteinte des cibles : \(deadlines.joined(separator: ", ")), de l'engagement à la fin du déploiement ; l'ARS peut les réviser", source: campaign.source(hasAcq ? .deadlineAcquisition : .deadlineConformite))
        if smallOG > 0 {
            explain(.P4, "financements petit OG (\(Money.format(smallOG))) versés aux mêmes conditions et dates")
        }
    }

    mutating func envelope(total: Cents) {
        guard let envelope = grid.envelope else { return }
        let source = campaign.source(.envelope)
        if total > envelope {
            flag(.envelope, "le total (\(Money.format(total))) dépasse l'enveloppe régionale (\(Money.format(envelope)))", source: source, ars: true)
        } else {
            let permille = total * 1000 / envelope
            explain(.envelope, "\(Money.format(total)) représentent \(permille / 10),\(permille % 10) % de l'enveloppe régionale de \(Money.format(envelope))", source: source)
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
