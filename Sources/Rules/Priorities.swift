/// The priorities of a call (W5 [000], `dossiers.md` « Priorities »): a campaign lists them in its
/// order (`W5.priorites`); each dossier carries those it meets, computed from the project filed
/// where the data allows, set by the instructor otherwise.
public enum Priority: String, CaseIterable, Sendable {
    case mature, nonRetenuAnterieur, acquisitionPAPH, pdsPde, saad, centPourCentRegional, ogPublic,
         conformiteSonsMoyenGrosOG, ahiPjm

    public var french: String {
        switch self {
        case .mature: return "projet mature (note d'au moins 11 sur 15)"
        case .nonRetenuAnterieur: return "projet non retenu lors des appels précédents"
        case .acquisitionPAPH: return "acquisition par une grappe d'ESSMS PA ou PH"
        case .pdsPde: return "au moins un ESSMS PDS ou PDE"
        case .saad: return "au moins un service d'aide à domicile"
        case .centPourCentRegional: return "projet entièrement régional déposé en fenêtre 1"
        case .ogPublic: return "organisme gestionnaire public"
        case .conformiteSonsMoyenGrosOG: return "mise en conformité PA ou PH d'un OG moyen ou gros financée par SONS"
        case .ahiPjm: return "au moins un ESSMS AHI ou PJM"
        }
    }

    /// What the machine reads to decide it, said wherever the priority is shown.
    public var basis: String {
        switch self {
        case .mature: return "la note de l'instructeur (W5, D9)"
        case .nonRetenuAnterieur: return "posée par l'instructeur : les appels précédents ne sont pas dans la plateforme"
        case .acquisitionPAPH: return "un établissement retenu PA ou PH en acquisition"
        case .pdsPde: return "un établissement retenu du secteur PDS ou PDE"
        case .saad: return "un établissement retenu du secteur domicile (DOM : SAAD, SSIAD, SPASAD — la catégorie n'est pas dans le projet, voir D10)"
        case .centPourCentRegional: return "tous les établissements retenus dans la région pivot, dépôt dans la première fenêtre de la campagne"
        case .ogPublic: return "le statut juridique FINESS du porteur (codes 01 à 39 : personnes morales de droit public, voir D10)"
        case .conformiteSonsMoyenGrosOG: return "un établissement retenu PA ou PH en mise en conformité d'un OG qui n'est pas petit (D2), avec une commande SONS"
        case .ahiPjm: return "un établissement retenu du secteur AHI ou PJM"
        }
    }

    /// Set by the instructor (the data to compute it is not in the platform).
    public var setByInstructor: Bool { self == .nonRetenuAnterieur }

    /// The priorities the machine reads in a filed project and its assessment (`mature` and the
    /// instructor's are added by `held`). `porteurPublic` is nil when the registry does not know
    /// the porteur's legal status.
    public static func computed(_ project: Project, _ assessment: Assessment, campaign: Campaign, porteurPublic: Bool?) -> Set<Priority> {
        let excluded = Set(assessment.excluded.compactMap(\.finessET))
        let retained = project.establishments.filter { e in e.finessET.map { !excluded.contains($0) } ?? true }
        func kind(_ e: Project.Establishment) -> ProjectKind { project.kind == .mixte ? (e.kind ?? .acquisition) : project.kind }
        var met = Set<Priority>()
        if retained.contains(where: { kind($0) == .acquisition && ($0.sector == .PA || $0.sector == .PH) }) { met.insert(.acquisitionPAPH) }
        if retained.contains(where: { $0.sector == .PDS || $0.sector == .PDE }) { met.insert(.pdsPde) }
        if retained.contains(where: { $0.sector == .DOM }) { met.insert(.saad) }
        if retained.contains(where: { $0.sector == .AHI || $0.sector == .PJM }) { met.insert(.ahiPjm) }
        if porteurPublic == true { met.insert(.ogPublic) }
        if let pivot = assessment.pivotRegion, !retained.isEmpty, retained.allSatisfy({ $0.department.region == pivot }),
           let first = campaign.rules(on: project.filingDate).grid.windows.min(by: { ($0.from, $0.label) < ($1.from, $1.label) }),
           let filed = project.filingDate, first.from <= filed, filed <= first.to {
            met.insert(.centPourCentRegional)
        }
        let small = Set(project.organismes.filter { campaign.smallOG($0).small }.map(\.finessEJ))
        if !assessment.sons.isEmpty, retained.contains(where: {
            kind($0) == .miseEnConformite && ($0.sector == .PA || $0.sector == .PH) && !small.contains($0.finessEJ)
        }) { met.insert(.conformiteSonsMoyenGrosOG) }
        return met
    }

    /// The priorities a dossier holds, in the campaign's order: those computed at filing, `mature`
    /// from the score, and those the instructor set; only those the campaign lists.
    public static func held(listed: [Priority], computed: Set<Priority>, score: Int?, instructor: Set<Priority>) -> [Priority] {
        var all = computed.union(instructor.filter(\.setByInstructor))
        if let score, score >= DossierScore.matureFrom { all.insert(.mature) }
        return listed.filter(all.contains)
    }

    /// The legal status of an OG read as public (FINESS TRE_R72: codes below 40 are legal persons
    /// of public law — État, collectivités, établissements publics, GIP); nil when not a code.
    public static func isPublic(legalStatus: String?) -> Bool? {
        guard let legalStatus, legalStatus.count == 2, let code = Int(legalStatus) else { return nil }
        return code < 40
    }
}
