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
    // §9 Calls for projects (regional overlays)
    case W1, W2, W3
    case envelope = "W-enveloppe"
    // §11 Our decisions where the sources are silent
    case D1, D2, D3, D4, D5, D6, D7, D8

    public var source: String { RuleID.catalogue[self]!.source }
    public var title: String { RuleID.catalogue[self]!.title }

    static let catalogue: [RuleID: (title: String, source: String)] = [
        .E1: ("ESSMS relevant de l'art. L.312-1 CASF", "[000], [003] Q1"),
        .E2: ("numéro FINESS géographique (ET) obligatoire", "[003] Q9"),
        .E3: ("un seul financement ESMS numérique par ESSMS", "[003] Q30"),
        .E4: ("aucune Prestation Ségur (SONS) commandée pour un autre logiciel", "[000], [003] Q35"),
        .E5: ("services à domicile mêlant confort et activités essentielles", "[003] Q2"),
        .E6: ("financement d'acquisition ESMS numérique exclusif de la Prestation Ségur vague 1", "[002] SONS"),
        .G1: ("une seule solution DUI pour tout le projet", "[003] Q10"),
        .G2: ("dominante de secteur d'une grappe mixant les publics", "[003] Q5"),
        .G3: ("taille de la grappe : seuils 15 (8 outre-mer et Corse) et 50", "[004]"),
        .G4: ("porteur à représentativité nationale : dépôt sur le portail CNSA", "[003] Q23"),
        .G5: ("projet multi-régional : ARS pivot", "[003] Q25"),
        .G6: ("2025 : taille cible entre 15 et 49 ESSMS", "[001]"),
        .R0: ("acquisition : référencement de la solution et procédure d'achat", "[004]"),
        .R1: ("publics mixtes : la majorité décide", "[003] Q17"),
        .R2: ("grappe mixte avec un OG soumis au CCP : procédure CCP pour tout le projet", "[003] Q12"),
        .R3: ("mise en conformité : solution référencée Ségur", "[000], [003] Q16"),
        .R4: ("2025 : référencement Ségur obligatoire pour tous les secteurs", "[001]"),
        .R5: ("ESSMS rattaché à une entité nationale : accord écrit", "[003] Q13"),
        .fUsage: ("forfait usages par ESSMS, 49 premiers puis à partir du 50e", "[002] annexes"),
        .fLogiciel: ("financement logiciel (éditeur) par ESSMS", "[002] annexes"),
        .fMateriel: ("petit OG : équipements et infrastructures par ESSMS (plafond)", "[002] annexes"),
        .fAmoaMarche: ("petit OG : AMOA marché par projet (plafond)", "[002] annexes"),
        .fAmoaProjet: ("petit OG : AMOA projet par projet (plafond)", "[002] annexes"),
        .fErratum: ("exemple publié dont le total ne suit pas les taux", "[002] annexes"),
        .S1: ("bénéficiaire de la Prestation Ségur : l'OG (FINESS EJ)", "[002] SONS"),
        .S2: ("ESSMS éligibles au SONS par domaine (MS1, MS2, MS3)", "[002] SONS"),
        .S3: ("seules les versions référencées Ségur sont financées", "[002] SONS"),
        .S4: ("barème de la Prestation Ségur par tranche", "[002] SONS"),
        .S5: ("paiement de l'éditeur : avance 30 %, solde 70 % sur VA", "[002] SONS"),
        .S6: ("calendrier MS1 du SONS", "[002] SONS"),
        .S7: ("contenu de la Prestation Ségur", "[002] SONS"),
        .S8: ("2025 : commande SONS non annulable, contrôle du double financement", "[001]"),
        .P1: ("avance de 50 % à la signature des conventions", "[000], [002]"),
        .P2: ("solde de 50 % à l'atteinte des cibles d'usage", "[004]"),
        .P3: ("délais d'atteinte des cibles", "[000], [002]"),
        .P4: ("financements petit OG versés aux mêmes conditions", "[002]"),
        .W1: ("fenêtres de dépôt Normandie 2022", "[000]"),
        .W2: ("fenêtres de dépôt Occitanie 2022", "[002]"),
        .W3: ("fenêtres de dépôt Île-de-France 2025", "[001]"),
        .envelope: ("enveloppe régionale", "[001], [002]"),
        .D1: ("seuils outre-mer et Corse selon la région pivot", "programme-rules.md §11 D1"),
        .D2: ("petit OG jugé selon le département de l'OG", "programme-rules.md §11 D2"),
        .D3: ("financements petit OG : plafonds modulés par l'ARS", "programme-rules.md §11 D3"),
        .D4: ("tranche SONS lue sur le nombre d'ESSMS de l'OG dans la commande", "programme-rules.md §11 D4"),
        .D5: ("égalité pour la région pivot : région du porteur", "programme-rules.md §11 D5"),
        .D6: ("grappe mixte : à décider par l'ARS, rangs comptés par nature", "programme-rules.md §11 D6, [003] Q11"),
        .D7: ("majorité : strictement plus de la moitié des ESSMS éligibles", "programme-rules.md §11 D7"),
        .D8: ("acquisition sans procédure d'achat non recevable", "programme-rules.md §11 D8, [003] Q15"),
    ]
}
