/// What a rule established, with its values as typed fields. The engine records facts; the French
/// sentence (`french`) is rendered at the edge — the text report, the pages, the JSON `text` and
/// `message` fields — and no renderer reads a value back out of a sentence.
public enum Fact: Sendable, Equatable {
    // MARK: What came from the FINESS registry (finess.md)
    case registry(Project.Provenance.Fact)

    // MARK: §2 Eligibility
    /// E5: a service mixing essential and « confort » activities.
    case confortActivity(finessET: String, name: String)
    /// R5: attached to a national entity.
    case attachedToNationalEntity(finessET: String, name: String)
    /// E4: ESSMS that ordered the Prestation Ségur for the project's own software.
    case sonsOrderedForProjectSoftware(establishments: Int)
    /// E6: ESSMS funded for an acquisition are not eligible to the SONS wave 1.
    case acquisitionExcludesSons(establishments: Int)

    // MARK: §3 Grappe and routing
    /// G3: no eligible establishment.
    case noEligibleEstablishment
    /// D6: a grappe mixte.
    case mixedGrappe(acquisition: Int, miseEnConformite: Int)
    /// R2: an OG of a grappe mixte is subject to the public procurement code.
    case mixedGrappeUnderProcurementCode
    /// D5: a tie between regions, broken by the porteur's region.
    case pivotTieBrokenByPorteur(tied: [Region], establishments: Int, pivot: Region)
    /// G5: a tie between regions, without the porteur's region.
    case pivotTieUnresolved(tied: [Region], establishments: Int, proposed: Region)
    /// G5: a multi-regional project and its pivot region.
    case multiRegional(regions: Int, pivot: Region, establishments: Int)
    /// G5: the campaign belongs to another region than the pivot.
    case campaignOfAnotherRegion(campaign: String, regionName: String, pivot: Region)
    /// D1: the overseas (or Corsican) threshold.
    case overseasThreshold(pivot: Region, threshold: Int, mainland: Int)
    /// G3: a single ESSMS in mise en conformité.
    case aloneInMiseEnConformite
    /// G3: under the threshold, with a mature project owner (ARS decides).
    case underThresholdMature(establishments: Int, threshold: Int)
    /// G3: under the threshold, without a mature project owner.
    case underThreshold(establishments: Int, threshold: Int)
    /// G4: a porteur with national representativeness.
    case nationalRepresentativeness
    /// G3: the national call.
    case nationalCall(establishments: Int, threshold: Int)
    /// G3: the regional call.
    case regionalCall(establishments: Int, from: Int, to: Int, pivot: Region)
    /// G1: an establishment plans another solution.
    case otherSolution(finessET: String, name: String, solution: String)
    /// G1: one solution for several OG.
    case oneSolution(organismes: Int, solution: String, editor: String)
    /// G2: several publics, one dominant.
    case dominantSector(publics: Int, sector: Sector, establishments: Int, of: Int)
    /// G2: several publics, none holding the majority.
    case noDominantSector(publics: Int, sector: Sector, establishments: Int, of: Int)
    /// G6: outside the campaign's target size.
    case outsideTargetSize(establishments: Int, from: Int, to: Int)

    // MARK: §4 Receivability
    /// R1: neither field holds the majority.
    case noMajorityField(medicoSocial: Int, social: Int)
    /// D7: the majority read as strictly more than half.
    case strictMajority(establishments: Int)
    /// R4: Ségur referencing required for every sector, and missing.
    case segurRequiredEverywhere(referencing: Referencing)
    /// R0 / R1: the referencing the majority field requires, missing.
    case referencingRefused(field: MajorityField, allowed: [Referencing], referencing: Referencing)
    /// R4: Ségur referencing required for every sector, and present.
    case segurEverywhereAdmitted(referencing: Referencing)
    /// R0 / R1: the referencing the majority field requires, present.
    case referencingAdmitted(field: MajorityField, allowed: [Referencing], referencing: Referencing)
    /// D8: an acquisition without a procurement procedure.
    case noProcurement
    /// R0: an existing public contract, with a porteur not subject to the code.
    case existingContractWithoutProcurementCode
    /// R0: the SAD is mandatory for an acquisition with a PA/PH/DOM majority.
    case sadMandatory
    /// R0: a competition for a social majority.
    case sadCoversMedicoSocialOnly
    /// R0 / R4: the procurement procedure, conform.
    case procurementConform(Project.Procurement, sadMandatory: Bool)
    /// R0: a competition with an OG subject to the code.
    case competitionUnderProcurementCode
    /// R3: mise en conformité with a solution not referenced Ségur.
    case miseEnConformiteNotReferenced(referencing: Referencing)
    /// R3: mise en conformité with a candidate solution.
    case miseEnConformiteCandidate
    /// R3: mise en conformité with a referenced solution.
    case miseEnConformiteReferenced

    // MARK: §9 Windows of the call
    case filedInWindows(date: CalendarDate, windows: [String], campaign: String)
    case filedOutsideWindows(date: CalendarDate, missing: [WindowNeed], windows: [FilingWindow])

    // MARK: §5 Funding
    /// F-usage / F-logiciel: a tiered amount, rank range by rank range.
    case tiered(TieredAmount)
    /// D2: a petit OG.
    case smallOG(finessEJ: String, name: String, essms: Int, department: String?, threshold: Int, inProject: Int)
    /// F-materiel: the equipment ceiling.
    case equipmentCeiling(establishments: Int, each: Cents, total: Cents)
    /// F-amoa-projet: the project AMOA ceiling.
    case amoaProjetCeiling(Cents)
    /// F-amoa-marche: the procurement AMOA ceiling.
    case amoaMarcheCeiling(Cents)
    /// D3: the small-OG amounts are ceilings.
    case smallOGCeilings(total: Cents)
    /// F-usage: the ESMS numérique total.
    case fundingTotal(Cents)
    /// F-erratum: a published worked example whose total does not follow its own rates.
    case publishedErratum(establishments: Int, publishedTotal: Cents, publishedUsage: Cents, publishedSoftware: Cents, computedUsage: Cents, computedSoftware: Cents)

    // MARK: §6 SONS
    case noSonsEstimate
    case sonsTranche(finessEJ: String, name: String, base: Int, tranche: String, establishments: Int, each: Cents, total: Cents)
    case sonsAdvance(finessEJ: String, percent: Int, advance: Cents, balance: Cents)
    case sonsBeneficiary
    case sonsTrancheBase(perOGTotal: Bool)
    case sonsLaterDomains(sectors: [Sector])
    case sonsCandidate(days: Int)
    case sonsCalendar(opening: CalendarDate, lastOrder: CalendarDate, lastBalance: CalendarDate)
    case sonsScope
    case sonsNoCancellation(after: CalendarDate)

    // MARK: §7 Payments and envelope
    case advance(percent: Int, amount: Cents)
    case solde(percent: Int, amount: Cents, targetMssante: Int, targetDui: Int)
    case targetDeadlines(miseEnConformiteMonths: Int?, acquisitionMonths: Int?)
    case smallOGPaidAlike(Cents)
    case envelopeExceeded(total: Cents, envelope: Cents)
    case envelopeShare(total: Cents, permille: Int, envelope: Cents)

    // MARK: Campaign values changed during the call
    /// A dated parameter: the value in force on the day of the evaluation, and since when.
    case valueInForce(key: String, value: String, from: CalendarDate, to: CalendarDate?, on: CalendarDate)

    // MARK: §8 Usage and the solde
    /// U2: an indicator, its definition and its target.
    case indicatorDefinition(Indicator, target: Int)
    /// P3: the deadline of the usage targets.
    case usageDeadline(commitment: CalendarDate, months: Int, acquisition: Bool, deadline: CalendarDate)
    /// U1: the first month counted, after the VSR or from the commitment.
    case measuresCountedFrom(YearMonth, vsr: CalendarDate?)
    /// U4: establishments of the exempt sectors (PJM), out of the MSSanté and DMP targets.
    case exemptFromNationalServices(establishments: Int, sectors: [Sector])
    /// P2, condition 3: expenses against the subsidy and the campaign's threshold.
    case expensesBelowThreshold(expenses: Cents, subsidy: Cents, thresholdPercent: Int)
    case expensesAboveThreshold(expenses: Cents, subsidy: Cents, thresholdPercent: Int)
    case expensesUndeclared
    /// P2 / P3: the decision on the solde.
    case soldeReleasable(amount: Cents, month: YearMonth?)
    case soldeNotYet(amount: Cents, failing: Int, deadline: CalendarDate)
    case deadlinePassed(CalendarDate)
}

/// The field holding the majority of the eligible ESSMS (D7).
public enum MajorityField: Sendable, Equatable {
    case medicoSocial, social, none
}

/// A (kind, sector) pair no window of the call covers on the filing date.
public struct WindowNeed: Sendable, Equatable {
    public let kind: ProjectKind
    public let sector: Sector
}

/// A tiered funding line: which item, for which kind, the rank ranges and their amounts.
public struct TieredAmount: Sendable, Equatable {
    public enum Item: Sendable, Equatable { case usage, software }
    public let item: Item
    public let kind: ProjectKind
    /// A grappe mixte: ranks are counted within each kind.
    public let mixte: Bool
    /// For the software line: the solution's referencing, and whether the SAD-only tiers applied.
    public let referencing: Referencing
    public let sadTiers: Bool
    public let parts: [Tiers.Part]
    public var total: Cents { parts.reduce(0) { $0 + $1.total } }
}

extension Fact {
    /// The calculation a funding fact states (`46 × 7 000 € = 322 000 €`), for the tables that show
    /// it beside the amount; nil for the other facts.
    public var calculation: String? {
        switch self {
        case let .tiered(t):
            return "\(t.parts.map { "\($0.count) × \(Money.format($0.amount))" }.joined(separator: " + ")) = \(Money.format(t.total))"
        case let .equipmentCeiling(n, each, total):
            return "\(n) × \(Money.format(each)) = \(Money.format(total)) au maximum"
        case let .amoaProjetCeiling(amount):
            return "\(Money.format(amount)) au maximum pour le projet"
        case let .amoaMarcheCeiling(amount):
            return "\(Money.format(amount)) au maximum pour le projet d'acquisition"
        default:
            return nil
        }
    }

    /// What would change the outcome, in one French sentence, for a refusal or a flag the porteur
    /// can act on; nil for the others (#14: « Non recevable » never without a next step).
    public var nextStep: String? {
        switch self {
        case .noEligibleEstablishment:
            return "Ajoutez à la grappe des établissements éligibles : des ESSMS ouverts, ni déjà financés par le programme, ni couverts par une commande SONS."
        case .aloneInMiseEnConformite:
            return "Rejoignez une grappe d'ESSMS pour déposer un projet, ou faites mettre à jour le logiciel par la Prestation Ségur (SONS) de son éditeur."
        case let .underThreshold(n, threshold):
            return "Ajoutez \(threshold - n) ESSMS éligible\(threshold - n > 1 ? "s" : "") pour atteindre le seuil de \(threshold) ; ou, si la maîtrise d'ouvrage est mature, dites-le : l'ARS en jugera au cas par cas."
        case let .underThresholdMature(n, threshold):
            return "Avec \(threshold - n) ESSMS éligible\(threshold - n > 1 ? "s" : "") de plus, la grappe atteint le seuil de \(threshold) et ne dépend plus de l'appréciation de l'ARS."
        case let .otherSolution(_, name, _):
            return "Retenez une seule solution DUI pour tout le projet, ou retirez \(name) de la grappe."
        case .segurRequiredEverywhere:
            return "Choisissez une solution référencée Ségur, ou candidate au référencement à la signature de la convention."
        case let .referencingRefused(_, allowed, _):
            return "Choisissez une solution dont l'éditeur est \(Referencing.french(allowed))."
        case .noProcurement:
            return "Indiquez la procédure d'achat : le SAD (RESAH) ou une mise en concurrence."
        case .existingContractWithoutProcurementCode:
            return "Si le porteur est soumis au code de la commande publique, dites-le (R2) ; sinon passez par le SAD (RESAH) ou une mise en concurrence."
        case .sadMandatory:
            return "Choisissez le SAD (RESAH) comme procédure d'achat."
        case .miseEnConformiteNotReferenced:
            return "Choisissez une solution référencée Ségur, ou dont l'éditeur est engagé dans le référencement."
        case .mixedGrappe:
            return "Déposez deux projets, l'un en acquisition, l'autre en mise en conformité : chacun est alors décidé sans examen au cas par cas."
        case .sadCoversMedicoSocialOnly:
            return "Prévoyez une mise en concurrence pour la solution des ESSMS du champ social."
        case .filedOutsideWindows:
            return "Déposez pendant une fenêtre ouverte pour ces natures et secteurs, ou retirez de la grappe les établissements concernés."
        case .confortActivity:
            return "Joignez la déclaration d'activité du service : l'ARS fixe la part essentielle financée."
        case .attachedToNationalEntity:
            return "Joignez l'accord écrit de l'entité nationale."
        case .pivotTieUnresolved:
            return "Faites confirmer l'ARS pivot par les ARS concernées avant le dépôt."
        default:
            return nil
        }
    }

    /// The French sentence.
    public var french: String {
        func regions(_ list: [Region]) -> String { list.sorted().map { "\($0.name) (\($0.code))" }.joined(separator: ", ") }
        switch self {
        case let .registry(f): return f.french
        case let .confortActivity(et, name):
            return "\(et) \(name) : service mêlant activités essentielles et « confort » ; seule la part essentielle est financée, l'ARS en décide sur la déclaration d'activité"
        case let .attachedToNationalEntity(et, name):
            return "\(et) \(name) : rattaché à une entité nationale ; joindre son accord écrit (et l'entité ne propose pas de DUI commun)"
        case let .sonsOrderedForProjectSoftware(n):
            return "\(n) ESSMS ont déjà commandé la Prestation Ségur pour le logiciel du projet : admis au financement des usages (lecture [000]/[001]/[003] ; [004], plus strict, les exclurait)"
        case let .acquisitionExcludesSons(n):
            return "les \(n) ESSMS financés pour l'acquisition d'un DUI ne sont pas éligibles à la Prestation Ségur (SONS) vague 1 : un seul financement Ségur vague 1 par ESSMS"
        case .noEligibleEstablishment:
            return "aucun établissement éligible : pas de projet"
        case let .mixedGrappe(a, c):
            return "grappe mixte (\(a) en acquisition, \(c) en mise en conformité) : étudiée au cas par cas par l'ARS"
        case .mixedGrappeUnderProcurementCode:
            return "au moins un OG de la grappe mixte est soumis au code de la commande publique : toute la procédure d'achat suit le CCP"
        case let .pivotTieBrokenByPorteur(tied, n, pivot):
            return "égalité entre \(regions(tied)) avec \(n) ESSMS chacune : la région du porteur, \(pivot.name), est retenue comme région pivot"
        case let .pivotTieUnresolved(tied, n, proposed):
            return "égalité entre \(regions(tied)) avec \(n) ESSMS chacune, sans la région du porteur : les sources ne disent pas quelle ARS est pivot ; \(proposed.name) est proposée, à confirmer avec les ARS"
        case let .multiRegional(count, pivot, n):
            return "projet multi-régional (\(count) régions) : déposé auprès de l'ARS pivot \(pivot.name) (\(pivot.code)), qui compte \(n) ESSMS du projet"
        case let .campaignOfAnotherRegion(campaign, name, pivot):
            return "la campagne \(campaign) est celle de l'ARS \(name) ; la région pivot du projet est \(pivot.name) (\(pivot.code))"
        case let .overseasThreshold(pivot, threshold, mainland):
            return "région pivot \(pivot.name) (outre-mer ou Corse) : seuil de \(threshold) ESSMS au lieu de \(mainland)"
        case .aloneInMiseEnConformite:
            return "ESSMS seul en mise en conformité : pas de projet ESMS numérique ; l'éditeur, qui doit être référencé Ségur, est financé par la Prestation Ségur (SONS), sans passer par le SAD"
        case let .underThresholdMature(n, threshold):
            return "grappe de \(n) ESSMS, sous le seuil de \(threshold) : recevable seulement si l'ARS juge la maîtrise d'ouvrage mature (au cas par cas)"
        case let .underThreshold(n, threshold):
            return "grappe de \(n) ESSMS, sous le seuil de \(threshold), sans maîtrise d'ouvrage mature : PROJET NON RECEVABLE"
        case .nationalRepresentativeness:
            return "porteur à représentativité nationale : dépôt sur le portail national de la CNSA, quelle que soit la taille"
        case let .nationalCall(n, threshold):
            return "\(n) ESSMS éligibles, \(threshold) ou plus : AAP national, instruit par la CNSA et la DNS"
        case let .regionalCall(n, from, to, pivot):
            return "\(n) ESSMS éligibles, de \(from) à \(to) : AAP régional, instruit par l'ARS \(pivot.name)"
        case let .otherSolution(et, name, solution):
            return "\(et) \(name) prévoit la solution « \(Limits.quote(solution)) » : une seule solution DUI (même éditeur, même hébergement) pour tout le projet"
        case let .oneSolution(count, solution, editor):
            return "une seule solution DUI pour les \(count) OG de la grappe : \(solution) (\(editor))"
        case let .dominantSector(publics, sector, n, size):
            return "grappe mixant \(publics) publics, dominante \(sector.rawValue) (\(n) sur \(size))"
        case let .noDominantSector(publics, sector, n, size):
            return "grappe mixant \(publics) publics sans secteur majoritaire (le plus représenté : \(sector.rawValue), \(n) sur \(size)) : la mixité doit suivre une stratégie définie par la grappe"
        case let .outsideTargetSize(n, from, to):
            return "\(n) ESSMS : la taille cible de la campagne est de \(from) à \(to) établissements ; un ESSMS isolé peut rejoindre une grappe déjà financée"
        case let .noMajorityField(medico, social):
            return "ni le champ PA/PH/DOM (\(medico)) ni le champ social (\(social)) n'a la majorité des ESSMS éligibles : l'ARS décide des exigences de référencement"
        case let .strictMajority(n):
            return "majorité lue comme strictement plus de la moitié des \(n) ESSMS éligibles"
        case let .segurRequiredEverywhere(referencing):
            return "acquisition : la solution doit être référencée Ségur (ou candidate au référencement à la signature de la convention) pour tous les secteurs ; elle est \(referencing.french)"
        case let .referencingRefused(field, allowed, referencing):
            return "acquisition, \(field.french) : l'éditeur doit être \(Referencing.french(allowed)) ; la solution est \(referencing.french)"
        case let .segurEverywhereAdmitted(referencing):
            return "acquisition : solution \(referencing.french), admise pour tous les secteurs ; en cas de remplacement d'un DUI non référencé, l'ARS vérifie qu'au moins trois éditeurs ont été consultés"
        case let .referencingAdmitted(field, allowed, referencing):
            return "acquisition, \(field.french) : éditeur \(referencing.french), admis (\(Referencing.french(allowed)))"
        case .noProcurement:
            return "acquisition sans procédure d'achat : au moins une mise en concurrence est exigée"
        case .existingContractWithoutProcurementCode:
            return "un marché public en cours ne peut servir que si le porteur est soumis au code de la commande publique"
        case .sadMandatory:
            return "acquisition à majorité PA/PH/DOM : le SAD (RESAH) est obligatoire, sauf porteur soumis au CCP disposant d'un marché en cours de même objet"
        case .sadCoversMedicoSocialOnly:
            return "le SAD (RESAH) couvre les solutions PA/PH/DOM ; pour une grappe à majorité sociale une mise en concurrence est attendue"
        case let .procurementConform(procurement, sadMandatory):
            return sadMandatory
                ? "procédure d'achat : \(procurement.french), conforme"
                : "procédure d'achat : \(procurement.french) ; plus de phase de commande publique spécifique, sauf pour les OG soumis au CCP"
        case .competitionUnderProcurementCode:
            return "un OG du projet est soumis au code de la commande publique : la mise en concurrence suit le CCP"
        case let .miseEnConformiteNotReferenced(referencing):
            return "mise en conformité : la solution doit être référencée Ségur (ou son éditeur engagé dans le référencement) ; elle est \(referencing.french) : non éligible"
        case .miseEnConformiteCandidate:
            return "solution candidate au référencement Ségur : admise si l'éditeur est engagé dans la démarche ; l'ARS le vérifie"
        case .miseEnConformiteReferenced:
            return "mise en conformité : solution référencée Ségur ; pas de passage par le SAD"
        case let .filedInWindows(date, windows, campaign):
            return "dépôt le \(date.french) dans la \(windows.joined(separator: ", ")) de l'AAP \(campaign)"
        case let .filedOutsideWindows(date, missing, windows):
            let needs = missing.map { "\($0.kind == .acquisition ? "acquisition" : "mise en conformité") \($0.sector.rawValue)" }.joined(separator: ", ")
            let list = windows.map { "\($0.label) du \($0.from.french) au \($0.to.french)" }.joined(separator: " ; ")
            return "dépôt le \(date.french) hors des fenêtres de l'AAP pour : \(needs) (\(list))"
        case let .tiered(t):
            return "\(t.label) : \(calculation!)"
        case let .smallOG(ej, name, essms, department, threshold, inProject):
            return "\(ej) \(name) : \(essms) ESSMS dans FINESS, \(department.map { "département \($0)" } ?? "département inconnu"), seuil \(threshold) : petit OG (\(inProject) ESSMS dans le projet)"
        case .equipmentCeiling:
            return "équipements et infrastructures : \(calculation!)"
        case .amoaProjetCeiling:
            return "AMOA projet : \(calculation!)"
        case .amoaMarcheCeiling:
            return "AMOA marché : \(calculation!)"
        case let .smallOGCeilings(total):
            return "financements petit OG (\(Money.format(total))) : plafonds, sous réserve des décisions de l'ARS, qui les module ; le matériel est lié au projet DUI et jamais financé seul"
        case let .fundingTotal(total):
            return "total ESMS numérique : \(Money.format(total))"
        case let .publishedErratum(n, total, usage, software, computedUsage, computedSoftware):
            return "[002] publie pour \(n) ESSMS \(Money.format(total)) (usages \(Money.format(usage)), logiciel \(Money.format(software))) ; calculé selon ses propres taux : \(Money.format(computedUsage + computedSoftware)) (usages \(Money.format(computedUsage)), logiciel \(Money.format(computedSoftware))). Le chiffre publié est un erratum connu."
        case .noSonsEstimate:
            return "aucune Prestation Ségur estimée : seules les versions référencées Ségur par l'ANS sont financées"
        case let .sonsTranche(ej, name, base, tranche, n, each, total):
            return "\(ej) \(name) : \(base) ESSMS → tranche \(tranche), \(n) × \(Money.format(each)) = \(Money.format(total)) TTC"
        case let .sonsAdvance(ej, percent, advance, balance):
            return "\(ej) : avance de \(percent) % à l'éditeur sur le bon de commande (\(Money.format(advance))), solde sur facture et attestation VA (\(Money.format(balance)))"
        case .sonsBeneficiary:
            return "Prestation Ségur : bénéficiaire l'OG (FINESS EJ), une commande par OG pour ses ESSMS du projet ; payée par l'État à l'éditeur, sans reste à charge"
        case let .sonsTrancheBase(perOGTotal):
            return perOGTotal
                ? "tranche lue sur le nombre total d'ESSMS de l'OG (libellé du barème)"
                : "tranche lue sur le nombre d'ESSMS de l'OG dans la commande, comme dans chaque exemple de [002]"
        case let .sonsLaterDomains(sectors):
            return "secteurs \(sectors.map(\.rawValue).joined(separator: ", ")) : domaines SONS MS2 (PDS, PDE, à partir du second semestre 2022) et MS3 (AHI, PJM, fin 2022), ouverts après MS1 (PA, PH, DOM)"
        case let .sonsCandidate(days):
            return "solution candidate : rien n'est payé à l'éditeur avant son référencement ; au plus \(days) jours entre la commande et un dossier de référencement complet à l'ANS"
        case let .sonsCalendar(opening, lastOrder, lastBalance):
            return "calendrier MS1 : ouverture le \(opening.french), dernière commande le \(lastOrder.french), dernière demande de solde le \(lastBalance.french)"
        case .sonsScope:
            return "la Prestation Ségur couvre licence, installation, maintenance corrective, formation, suivi de projet et documentation ; ni boîtes MSSanté, ni changement complet de logiciel, ni infrastructure"
        case let .sonsNoCancellation(after):
            return "une commande SONS n'est plus annulable après le \(after.french) ni après validation de la VA ; l'ARS vérifie l'absence de double financement SONS / ESMS numérique"
        case let .advance(percent, amount):
            return "avance de \(percent) % : \(Money.format(amount)) à la validation de la recevabilité et à la signature des conventions (ARS/porteur et de partenariat) ; arrondie au centime inférieur"
        case let .solde(percent, amount, mssante, dui):
            return "solde de \(percent) % : \(Money.format(amount)) à la fin de la VSR si MSSanté et DMP atteignent \(mssante) %, les usages du DUI \(dui) %, et si les dépenses ne sont pas notablement inférieures à la subvention"
        case let .targetDeadlines(conformite, acquisition):
            var deadlines: [String] = []
            if let conformite { deadlines.append("\(conformite) mois pour la mise en conformité") }
            if let acquisition { deadlines.append("\(acquisition) mois pour l'acquisition") }
            return "délais d'atteinte des cibles : \(deadlines.joined(separator: ", ")), de l'engagement à la fin du déploiement ; l'ARS peut les réviser"
        case let .smallOGPaidAlike(amount):
            return "financements petit OG (\(Money.format(amount))) versés aux mêmes conditions et dates"
        case let .envelopeExceeded(total, envelope):
            return "le total (\(Money.format(total))) dépasse l'enveloppe régionale (\(Money.format(envelope)))"
        case let .envelopeShare(total, permille, envelope):
            return "\(Money.format(total)) représentent \(permille / 10),\(permille % 10) % de l'enveloppe régionale de \(Money.format(envelope))"
        case let .valueInForce(key, value, from, to, on):
            let period = to.map { "du \(from.french) au \($0.french)" } ?? "depuis le \(from.french)"
            return "\(key) = \(value) : valeur en vigueur \(period), appliquée au \(on.french)"
        case let .indicatorDefinition(i, target):
            return "\(i.french) : \(i.definition) ; cible \(target) %"
        case let .usageDeadline(commitment, months, acquisition, deadline):
            return "échéance : engagement du \(commitment.french) + \(months) mois (\(acquisition ? "acquisition" : "mise en conformité")) = \(deadline.french) ; l'ARS peut réviser ce délai"
        case let .measuresCountedFrom(first, vsr?):
            return "mesures comptées à partir de \(first), le mois qui suit la VSR du \(vsr.french) ; MSSanté et DMP : première mesure sur les trois premiers mois (\(first) à \(first.adding(2))), puis chaque mois"
        case let .measuresCountedFrom(first, nil):
            return "pas de date de VSR : mesures comptées à partir du mois de l'engagement (\(first)) ; MSSanté et DMP : première mesure sur les trois premiers mois, puis chaque mois"
        case let .exemptFromNationalServices(n, sectors):
            return "\(n) ESSMS \(sectors.map(\.rawValue).joined(separator: ", ")) exemptés des cibles MSSanté et DMP : exclus de ces deux taux du projet"
        case let .expensesBelowThreshold(expenses, subsidy, threshold):
            return "condition 3 : dépenses \(Money.format(expenses)) pour une subvention de \(Money.format(subsidy)), sous le seuil de \(threshold) % : l'ARS juge si elles sont « notablement inférieures »"
        case let .expensesAboveThreshold(expenses, subsidy, threshold):
            return "condition 3 : dépenses \(Money.format(expenses)) pour une subvention de \(Money.format(subsidy)), au-dessus du seuil de \(threshold) %"
        case .expensesUndeclared:
            return "condition 3 : dépenses non déclarées, à vérifier par l'ARS (ne bloque pas le solde à elle seule)"
        case let .soldeReleasable(amount, month):
            return "solde de \(Money.format(amount)) libérable : cibles atteintes en \(month.map(\.description) ?? "?")"
        case let .soldeNotYet(amount, failing, deadline):
            return "solde de \(Money.format(amount)) pas encore libérable : \(failing) condition(s) non remplie(s) ; échéance le \(deadline.french)"
        case let .deadlinePassed(deadline):
            return "échéance du \(deadline.french) dépassée sans que les conditions soient remplies : l'ARS décide (révision du délai ou non-versement du solde)"
        }
    }
}

extension MajorityField {
    public var french: String {
        switch self {
        case .social: return "majorité du champ social"
        case .medicoSocial: return "majorité PA/PH/DOM"
        case .none: return "sans majorité"
        }
    }
}

extension TieredAmount {
    /// `usages`, `logiciel, éditeur référencé Ségur (acquisition, rangs comptés parmi les acquisitions)`…
    public var label: String {
        let suffix: String
        switch (kind, mixte, item) {
        case (.acquisition, true, _): suffix = " (acquisition, rangs comptés parmi les acquisitions)"
        case (_, true, _): suffix = " (mise en conformité, rangs comptés parmi les mises en conformité)"
        case (.acquisition, false, _): suffix = ""
        case (_, false, _): suffix = " (mise en conformité ; logiciel payé par le SONS)"
        }
        switch item {
        case .usage: return "usages\(suffix)"
        case .software: return sadTiers ? "logiciel, éditeur référencé SAD seulement\(suffix)" : "logiciel, éditeur \(referencing.french)\(suffix)"
        }
    }
}

extension Referencing {
    /// `référencé Ségur ou candidat au référencement Ségur`, in the order of the cases.
    static func french(_ allowed: [Referencing]) -> String {
        allCases.filter(allowed.contains).map(\.french).joined(separator: " ou ")
    }
}
