import Registry
import Rules
import Testing

/// A FINESS+ « Structures » flux shaped as the public sample of `finess.md` §1.8 (synthetic values).
let finessPlusSample = #"""
{ "schemaVersion": "v1.0.0", "generatedAt": "2026-06-02T04:10:00.0Z", "gcc": [], "gco": [],
  "pmej": [
    { "informationsGeneralesPMEJ": { "pmSmsseId": "1", "codeApe": "87.10A", "dateCreation": "1994-01-01",
        "denominationLonguePmSmsse": "ASSOCIATION OCCITANE AUTONOMIE (SYNTHETIQUE)", "denominationPm": "ASSOCIATION OCCITANE   ",
        "numFinessPm": "310100011", "siren": "775000000", "statutJuridique": "60", "typePersonneMorale": "01" },
      "adresse": [ { "usageAdresse": "02", "numeroVoie": "12", "typeVoie": "R", "libelleVoie": "DE LA REPUBLIQUE", "cogCommune": "31555", "ligneAcheminement": "TOULOUSE", "codePostal": "31000" } ],
      "contact": [ { "typeContact": { "roleContact": "01" }, "telecom": { "telephone": "0500000000" } } ],
      "ege": [
        { "informationsGeneralesEGE": { "egeId": "9", "dateOuverture": "2005-03-01", "nomEgeCourt": "EHPAD LES ACACIAS", "nomEgeLong": "EHPAD LES ACACIAS (SYNTHETIQUE)", "numFinessEge": "315000018", "siret": "77500000000012" },
          "categorieentiteGeographiqueExercice": "500", "modefixationtarifaire": "40",
          "adresse": [ { "usageAdresse": "03", "cogCommune": "31555", "ligneAcheminement": "TOULOUSE", "codePostal": "31000" } ],
          "etatObjet": "A", "dateDerniereMaj": "2025-11-03 00:00:00" },
        { "informationsGeneralesEGE": { "egeId": "10", "nomEgeCourt": "EHPAD FERME", "numFinessEge": "315000026" },
          "categorieentiteGeographiqueExercice": "500", "etatObjet": "I", "dateDerniereMaj": "2024-01-01 00:00:00" },
        { "informationsGeneralesEGE": { "egeId": "11", "nomEgeCourt": "EHPAD DE CAYENNE", "numFinessEge": "970350013" },
          "categorieentiteGeographiqueExercice": "500", "adresse": [ { "cogCommune": "97302", "ligneAcheminement": "CAYENNE", "codePostal": "97300" } ],
          "etatObjet": "A", "dateDerniereMaj": "2025-11-03 00:00:00" }
      ],
      "etatObjet": "A", "dateDerniereMaj": "2025-11-03 00:00:00" },
    { "informationsGeneralesPMEJ": { "pmSmsseId": "2", "denominationPm": "CLINIQUE FERMEE", "numFinessPm": "010000164" },
      "ege": [], "etatObjet": "I" }
  ] }
"""#

@Suite("Flux FINESS+ (JSON)")
struct FinessPlusTests {
    @Test func readsTheFluxIntoTheSameRecords() {
        let e = FinessFile.read(Array(finessPlusSample.utf8), file: "finess-structures.json")
        #expect(e.problems.isEmpty, "\(e.problems)")
        #expect(e.kind == .finessPlus)
        #expect(e.extractionDate == CalendarDate(iso: "2026-06-02"))
        #expect(e.legalEntities.map { $0[.nofiness as LegalEntityField] } == ["310100011"])
        #expect(e.legalEntities[0].fields.count == legalEntityFields.count)
        #expect(e.legalEntities[0][.rs as LegalEntityField] == "ASSOCIATION OCCITANE")
        #expect(e.legalEntities[0][.departement as LegalEntityField] == "31")
        #expect(e.establishments.map { $0[.nofinesset as EstablishmentField] } == ["315000018", "970350013"]) // the inactive one is left out
        #expect(e.establishments[0].fields.count == establishmentFields.count)
        #expect(e.establishments[0][.categetab as EstablishmentField] == "500")
        #expect(e.establishments[0][.categagretab as EstablishmentField] == "4401") // aggregate from the nomenclature
        #expect(e.establishments[1][.departement as EstablishmentField] == "9C")
        #expect(e.establishments[1][.commune as EstablishmentField] == "302")
        #expect(e.establishments[1][.ligneacheminement as EstablishmentField] == "97300 CAYENNE")
    }

    @Test func brokenFluxIsMalformed() {
        #expect(FinessFile.read(Array("{\"generatedAt\": \"2026-06-02\", \"pmej\": [".utf8), file: "x.json").malformed.count == 1)
        #expect(FinessFile.read(Array("{\"pmej\": []}".utf8), file: "x.json").malformed.first?.field == "generatedAt")
        let noNumber = FinessFile.read(Array("{\"generatedAt\": \"2026-06-02\", \"pmej\": [{\"informationsGeneralesPMEJ\": {}, \"etatObjet\": \"A\"}]}".utf8), file: "x.json")
        #expect(noNumber.malformed.first?.description == "x.json, ligne 1, champ pmej[0].informationsGeneralesPMEJ.numFinessPm : numéro FINESS manquant")
    }
}
