/// Every rule of `shared/spec/programme-rules.md` that the engine applies, under its ID, with its
/// source. Grep a source reference (`[003] Q30`) or an ID (`E3`) to find where it is decided.
public enum RuleID: String, CaseIterable, Sendable, Hashable {
    // §2 Eligibility of one ESSMS
    case E1, E2, E3, E4, E5, E6
    // §3 The grappe: size, receivability, routing
    case G1, G2, G3, G4, G5, G6
    // §4 Receivability: solution and purchase procedure
    case R0 = "R-acquisition"
    case R1, R2, R3, R4, R5
    // §5 Funding
    case fUsage = "F-usage"
    case fLogiciel = "F-logiciel"
    case fMateriel = "F-materiel"
    case fAmoaMarche = "F-amoaMarche"
    case fAmoaProjet = "F-amoaProjet"
    case fErratum = "F-erratum"
    // §6 SONS
    case S1, S2, S3, S4, S5, S6, S7, S8
    // §7 Payment
    case P1, P2, P3, P4
    // §8 Usage indicators
    case U1, U2, U3, U4
    // §9 Calls for projects (regional overlays)
    case W1, W2, W3, W4, W5
    case envelope = "W-enveloppe"
    // §11 Our decisions where the sources are silent
    case D1, D2, D3, D4, D5, D6, D7, D8, D9, D10
    // Values read from the FINESS registry (`shared/spec/registry.md`, last section)
    case finess = "FINESS"

    /// Rules of the instruction of a dossier (`Dossier.swift`), not of the assessment of a project.
    public static let instruction: Set<RuleID> = [.W4, .W5, .D9, .D10]

    public var source: String { info.source }
    public var title: String { info.title }

    /// A switch rather than a dictionary: a raw-valued enum hashes its raw string.
    var info: (title: String, source: String) {
        switch self {
        case .E1: return ("ESSMS relevant de l'art. L.312-1 CASF", "[000], [003] Q1")
        case .E2: return ("numéro FINESS géographique (ET) obligatoire", "[003] Q9")
        case .E3: return ("un seul financement ESMS numérique par ESSMS", "[003] Q30")
        case .E4: return ("aucune Prestation Ségur (SONS) commandée pour un autre logiciel", "[000], [003] Q35")
        case .E5: return ("services à domicile mêlant confort et activités essentielles", "[003] Q2")
        case .E6: return ("financement d'acquisition ESMS numérique exclusif de la Prestation Ségur vague 1", "[002] SONS")
        case .G1: return ("une seule solution DUI pour tout le projet", "[003] Q10")
        case .G2: return ("dominante de secteur d'une grappe mixant les publics", "[003] Q5")
        case .G3: return ("taille de la grappe : seuils 15 (8 outre-mer et Corse) et 50", "[004]")
        case .G4: return ("porteur à représentativité nationale : dépôt sur le portail CNSA", "[003] Q23")
        case .G5: return ("projet multi-régional : ARS pivot", "[003] Q25")
        case .G6: return ("2025 : taille cible entre 15 et 49 ESSMS", "[001]")
        case .R0: return ("acquisition : référencement de la solution et procédure d'achat", "[004]")
        case .R1: return ("publics mixtes : la majorité décide", "[003] Q17")
        case .R2: return ("grappe mixte avec un OG soumis au CCP : procédure CCP pour tout le projet", "[003] Q12")
        case .R3: return ("mise en conformité : solution référencée Ségur", "[000], [003] Q16")
        case .R4: return ("2025 : référencement Ségur obligatoire pour tous les secteurs", "[001]")
        case .R5: return ("ESSMS rattaché à une entité nationale : accord écrit", "[003] Q13")
        case .fUsage: return ("forfait usages par ESSMS, 49 premiers puis à partir du 50e", "[002] annexes")
        case .fLogiciel: return ("financement logiciel (éditeur) par ESSMS", "[002] annexes")
        case .fMateriel: return ("petit OG : équipements et infrastructures par ESSMS (plafond)", "[002] annexes")
        case .fAmoaMarche: return ("petit OG : AMOA marché par projet (plafond)", "[002] annexes")
        case .fAmoaProjet: return ("petit OG : AMOA projet par projet (plafond)", "[002] annexes")
        case .fErratum: return ("exemple publié dont le total ne suit pas les taux", "[002] annexes")
        case .S1: return ("bénéficiaire de la Prestation Ségur : l'OG (FINESS EJ)", "[002] SONS")
        case .S2: return ("ESSMS éligibles au SONS par domaine (MS1, MS2, MS3)", "[002] SONS")
        case .S3: return ("seules les versions référencées Ségur sont financées", "[002] SONS")
        case .S4: return ("barème de la Prestation Ségur par tranche", "[002] SONS")
        case .S5: return ("paiement de l'éditeur : avance 30 %, solde 70 % sur VA", "[002] SONS")
        case .S6: return ("calendrier MS1 du SONS", "[002] SONS")
        case .S7: return ("contenu de la Prestation Ségur", "[002] SONS")
        case .S8: return ("2025 : commande SONS non annulable, contrôle du double financement", "[001]")
        case .P1: return ("avance de 50 % à la signature des conventions", "[000], [002]")
        case .P2: return ("solde de 50 % à l'atteinte des cibles d'usage", "[004]")
        case .P3: return ("délais d'atteinte des cibles", "[000], [002]")
        case .P4: return ("financements petit OG versés aux mêmes conditions", "[002]")
        case .U1: return ("MSSanté et DMP : première mesure sur trois mois, puis chaque mois", "[000], [002]")
        case .U2: return ("définitions des cinq taux", "usage.md, programme-rules.md §8 U2")
        case .U3: return ("le taux MSSanté peut dépasser 100 %", "programme-rules.md §8 U3")
        case .U4: return ("PJM exemptés des cibles MSSanté et DMP", "[001]")
        case .W1: return ("fenêtres de dépôt Normandie 2022", "[000]")
        case .W2: return ("fenêtres de dépôt Occitanie 2022", "[002]")
        case .W3: return ("fenêtres de dépôt Île-de-France 2025", "[001]")
        case .W4: return ("pièces du dossier selon le projet", "[000], dossiers.md « The checklist »")
        case .W5: return ("notation et priorités de l'appel à projets", "[000]")
        case .envelope: return ("enveloppe régionale", "[001], [002]")
        case .D1: return ("seuils outre-mer et Corse selon la région pivot", "programme-rules.md §11 D1")
        case .D2: return ("petit OG jugé selon le département de l'OG", "programme-rules.md §11 D2")
        case .D3: return ("financements petit OG : plafonds modulés par l'ARS", "programme-rules.md §11 D3")
        case .D4: return ("tranche SONS lue sur le nombre d'ESSMS de l'OG dans la commande", "programme-rules.md §11 D4")
        case .D5: return ("égalité pour la région pivot : région du porteur", "programme-rules.md §11 D5")
        case .D6: return ("grappe mixte : à décider par l'ARS, rangs comptés par nature", "programme-rules.md §11 D6, [003] Q11")
        case .D7: return ("majorité : strictement plus de la moitié des ESSMS éligibles", "programme-rules.md §11 D7")
        case .finess: return ("valeurs lues dans le registre FINESS", "registre FINESS")
        case .D8: return ("acquisition sans procédure d'achat non recevable", "programme-rules.md §11 D8, [003] Q15")
        case .D9: return ("note sur 15 : cinq critères de [000] notés de 0 à 3", "programme-rules.md §11 D9 (notre décision), [000]")
        case .D10: return ("priorités W5 lues dans les données : « SAAD » par le secteur domicile, « OG public » par le statut juridique FINESS (codes 01 à 39)", "README « Dossiers : dépôt, instruction, décision » D10 (notre décision), [000]")
        }
    }
}
