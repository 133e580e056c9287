import Foundation
import Registry
import Rules
import Testing

/// The verbatim lines of `shared/spec/finess.md` §1.6 (real, from etalab-cs1100502-stock-20260512-0339.csv).
let realLines = #"""
finess;etalab;111;2026-05-12
structureet;010000024;010780054;CH DE FLEYRIAT;CENTRE HOSPITALIER DE BOURG-EN-BRESSE FLEYRIAT;;;900;RTE;DE PARIS;;;451;01;AIN;01440 VIRIAT;0474454647;0474454114;355;Centre Hospitalier (C.H.);1102;Centres Hospitaliers;26010004500012;8610Z;03;ARS établissements Publics de santé dotation globale;1;Etablissement public de santé;1979-02-13;1979-02-13;2020-02-04;
structureet;970302287;970302022;E.H.P.A.D. EDMAR LAMA DE CAYENNE;E.H.P.A.D. DU CENTRE HOSPITALIER DE CAYENNE;;;;AV;ALEXIS BLAISE;;BP 6006;302;9C;GUYANE;97306 CAYENNE CEDEX;0594395050;0594305150;500;Etablissement d'hébergement pour personnes âgées dépendantes;4401;Etablissements d'Hébergement pour Personnes Âgées;;8710A;40;ARS/PCD, Tarif global, habilité aide sociale, recours PUI;;;1988-05-02;2017-01-03;2024-04-22;
structureet;970216057;590799730;ALEFPA S.M.J.P.M;;CITE BON AIR;ROUTE DES RELIGIEUSES;;;;;;209;9B;MARTINIQUE;97200 FORT DE FRANCE;0596712806;0596705342;340;Service mandataire judiciaire à la protection des majeurs;4608;Protection des majeurs;;;99;Indéterminé;;;2025-04-15;2025-04-01;2026-04-21;
structureet;980501506;980501498;"LIEU DE VIE ""MAVOUNA MEMA 1""";"LIEU DE VIE ET D'ACCUEIL ""MAVOUNA MEMA 1""";;;;;;;;611;9F;MAYOTTE;97600 MAMOUDZOU;;;462;Lieux de Vie et d'Accueil;4605;Etablissements et services multi-clientèles;;;;;;;2010-01-01;2010-01-01;2024-01-01;
geolocalisation;010000024;870262.2;6571540.8;1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole);2026-05-04
"""#

func read(_ text: String, _ name: String = "test.csv") -> FinessExtraction {
    FinessFile.read(Array(text.utf8), file: name)
}

@Suite("Fichiers FINESS")
struct FinessFileTests {
    @Test func readsTheVerbatimLines() {
        let e = read(realLines)
        #expect(e.problems.isEmpty, "\(e.problems)")
        #expect(e.kind == .establishmentsWithGeolocation)
        #expect(e.extractionDate == CalendarDate(iso: "2026-05-12"))
        #expect(e.encoding == "UTF-8")
        #expect(e.establishments.count == 4)
        #expect(e.geolocations.count == 1)
        #expect(e.establishments[0].fields.count == 31)
        #expect(e.establishments[0][.nofinesset as EstablishmentField] == "010000024")
        #expect(e.establishments[1][.departement as EstablishmentField] == "9C")
        #expect(e.establishments[3][.rs as EstablishmentField] == "LIEU DE VIE \"MAVOUNA MEMA 1\"")
        #expect(e.establishments[3][.rslongue as EstablishmentField] == "LIEU DE VIE ET D'ACCUEIL \"MAVOUNA MEMA 1\"")
        #expect(e.geolocations[0][.sourcecoordet as GeolocationField] == "1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)")
    }

    @Test func readsTheSyntheticLegalEntityAndCRLF() {
        let text = "finess;etalab;99;2026-05-12\r\nstructureej;690999982;ASSOCIATION EXEMPLE;ASSOCIATION EXEMPLE GESTIONNAIRE (SYNTHETIQUE);;12;R;DES EXEMPLES;;;;383;69003 LYON;69;RHONE;0400000000;60;Association Loi 1901 non Reconnue d'Utilité Publique;;;;;1990-05-01\r\n"
        let e = read(text)
        #expect(e.problems.isEmpty, "\(e.problems)")
        #expect(e.kind == .legalEntities)
        #expect(e.legalEntities.count == 1)
        #expect(e.legalEntities[0][.departement as LegalEntityField] == "69")
        #expect(e.legalEntities[0][.datecrea as LegalEntityField] == "1990-05-01")
    }

    @Test func fallsBackToWindows1252() {
        var bytes = Array("finess;etalab;98;2026-05-12\nstructureet;690999990;690999982;EHPAD ".utf8)
        bytes += [0xC9, 0x54, 0xC9] // "ÉTÉ" in Windows-1252
        bytes += Array(";;;;;;;;;383;69;RHONE;69003 LYON;;;500;EHPAD;4401;Hébergement;;;;;;;;;2025-11-03;\n".utf8.map { $0 })
        let e = FinessFile.read(bytes.map { $0 == 0xC3 ? 0x3F : $0 }, file: "cp1252.csv")
        #expect(e.encoding == "Windows-1252")
        #expect(e.malformed.isEmpty, "\(e.problems)")
        #expect(e.establishments.first?[.rs as EstablishmentField] == "EHPAD ÉTÉ")
    }

    @Test func undecodableByteIsMalformedWithItsLine() {
        var bytes = Array("finess;etalab;98;2026-05-12\n".utf8)
        bytes += Array("structureet;690999990;690999982;EHPAD ".utf8) + [0x81] + Array(";;;;;;;;;383;69;RHONE;69003 LYON;;;500;EHPAD;4401;H;;;;;;;;;2025-11-03;\n".utf8)
        let e = FinessFile.read(bytes, file: "bad.csv")
        #expect(e.malformed.map(\.description) == ["bad.csv, ligne 2 : octet 0x81 indécodable, ni UTF-8 ni Windows-1252"])
    }

    @Test(arguments: [
        ("structureet;690999990;690999982;EHPAD", "test.csv, ligne 2 : 4 champs au lieu de 32 pour un enregistrement structureet"),
        ("structureet;690999990;690999982;\"EHPAD;;;", "test.csv, ligne 2, champ rs : guillemet ouvrant sans guillemet fermant"),
        ("structureet;690999990;690999982;\"EHPAD\"X;", "test.csv, ligne 2, champ rs : texte après un guillemet fermant"),
        ("structureet;690999990;690999982;EH\"PAD;", "test.csv, ligne 2, champ rs : guillemet au milieu d'un champ non entre guillemets"),
        ("structureet;;690999982;EHPAD;;;;;;;;;383;69;RHONE;69003 LYON;;;500;EHPAD;4401;H;;;;;;;;;2025-11-03;", "test.csv, ligne 2, champ nofinesset : numéro FINESS manquant"),
        ("structureet;69099999;690999982;EHPAD;;;;;;;;;383;69;RHONE;69003 LYON;;;500;EHPAD;4401;H;;;;;;;;;2025-11-03;", "test.csv, ligne 2, champ nofinesset : un numéro FINESS a 9 caractères (« 69099999 »)"),
        ("structuret;690999990", "test.csv, ligne 2, champ type : type d'enregistrement inconnu « structuret » (attendu structureet, geolocalisation ou structureej)"),
        ("geolocalisation;010000024;870262.2", "test.csv, ligne 2 : 3 champs au lieu de 6 pour un enregistrement geolocalisation"),
    ])
    func malformedLineIsNamed(line: String, message: String) {
        let e = read("finess;etalab;98;2026-05-12\n\(line)\n")
        #expect(e.malformed.map(\.description) == [message])
    }

    @Test func doubtfulDataIsAWarning() {
        let line = "structureet;690999991;690999982;EHPAD;;;;;;;;;383;69;RHONE;69003 LYON;;;999;Inconnue;4401;H;;;;;;;;;2025-13-03;"
        let e = read("finess;etalab;98;2026-05-12\n\(line)\n")
        #expect(e.malformed.isEmpty)
        #expect(e.warnings.map(\.kind) == [.finessKey, .unknownCategory, .badDate])
        #expect(e.establishments.count == 1)
    }

    @Test func headerIsRequired() {
        #expect(read("structureet;690999990\n").malformed.first?.description == "test.csv, ligne 1 : ligne de commentaire attendue (finess;etalab;…;AAAA-MM-JJ) : ce n'est pas une extraction FINESS publique")
        #expect(read("finess;etalab;98;12/05/2026\n").malformed.first?.description == "test.csv, ligne 1, champ date d'extraction : date d'extraction invalide « 12/05/2026 » (attendu AAAA-MM-JJ)")
        #expect(read("").malformed.first?.reason == "fichier vide")
    }

    @Test func everyMalformedLineIsListed() {
        let e = read("finess;etalab;98;2026-05-12\nstructureet;1\nstructureet;2\ngeolocalisation;3\n")
        #expect(e.malformed.map(\.line) == [2, 3, 4])
    }
}

@Suite("Nomenclatures")
struct NomenclatureTests {
    @Test(arguments: [
        ("500", "4401", "PA", "rule", true), ("354", "4605", "DOM", "rule", true), ("460", "4605", "DOM", "rule", true),
        ("183", "4101", "PH", "rule", true), ("242", "", "PH", "rule", true), ("464", "4609", "PH", "rule", true),
        ("177", "4501", "PDE", "rule", true), ("197", "4604", "PDS", "rule", true), ("214", "4601", "AHI", "rule", true),
        ("340", "4608", "PJM", "rule", true), ("462", "4605", "PDE", "review", true), ("640", "4601", "DOM", "review", true),
        ("344", "4504", "PDE", "review", true), ("443", "4601", "AHI", "review", true), ("609", "4606", nil, "rule", false),
        ("247", "4302", nil, "rule", false), ("355", "1102", nil, "rule", false),
        // Not in the table: the aggregate rule of §3.3.
        ("998", "4402", "PA", "rule", true), ("998", "4303", "PH", "rule", true), ("998", "4505", "PDE", "rule", true),
        ("998", "4607", "AHI", "rule", true), ("998", "4605", nil, "review", true), ("998", "2100", nil, "rule", false),
    ] as [(String, String, String?, String, Bool)])
    func categoryToSector(category: String, aggregate: String, sector: String?, decision: String, essms: Bool) {
        let r = Nomenclature.reading(category: category, aggregate: aggregate)
        #expect(r.sector?.rawValue == sector)
        #expect(r.decision.rawValue == decision)
        #expect(r.essms == essms)
    }

    @Test func everyCategoryHasItsSource() {
        #expect(Nomenclature.categories.count > 100)
        for c in Nomenclature.categories.values {
            #expect(!c.source.isEmpty)
            if c.decision == .review { #expect(!c.note.isEmpty, "catégorie \(c.code) à revoir sans note") }
            if !c.essms { #expect(c.sector == nil) }
        }
    }

    @Test func finessDepartments() {
        #expect(FinessDepartment.insee("9C") == "973")
        #expect(FinessDepartment.insee("9F") == "976")
        #expect(FinessDepartment.insee("9A") == "971")
        #expect(FinessDepartment.insee("2A") == "2A")
        #expect(FinessDepartment.insee("9E") == "975")
        #expect(FinessDepartment.department("9E") == nil)
        #expect(FinessDepartment.department("9D")?.region.code == "04")
        #expect(FinessDepartment.insee("9Z") == nil)
        #expect(FinessDepartment.insee("00") == nil)
    }
}
