import Rules

/// The FINESS+ JSON « Structures » flux (`finess.md` §1.8), read into the same records as the
/// legacy extraction: each active `pmej` becomes a `structureej` record, each active `ege` a
/// `structureet` record, so that the importer, the nomenclatures and the store do not change.
/// Inactive entries (`etatObjet` ≠ `A`) are left out, as the legacy extraction leaves out closed
/// structures: re-importing closes them. Aggregates are not in the flux: the nomenclature gives them.
enum FinessPlus {
    static func read(_ bytes: [UInt8], file: String, encoding: String) -> FinessExtraction {
        var problems: [LineProblem] = []
        func malformed(_ field: String?, _ reason: String, line: Int = 1) {
            problems.append(LineProblem(file: file, line: line, field: field, kind: .header, severity: .malformed, reason: reason))
        }
        let json: JSON
        do { json = try JSON.parse(bytes: bytes) } catch {
            malformed(nil, "flux FINESS+ : \(error.description)", line: error.line)
            return empty(file, encoding, problems)
        }
        guard case let .string(generated)? = json["generatedAt"], let date = CalendarDate(iso: String(generated.prefix(10))) else {
            malformed("generatedAt", "flux FINESS+ : date de génération (generatedAt) manquante ou invalide")
            return empty(file, encoding, problems)
        }
        guard case let .array(pmejs)? = json["pmej"] else {
            malformed("pmej", "flux FINESS+ : liste pmej manquante")
            return empty(file, encoding, problems)
        }
        var establishments: [FinessRecord] = [], legalEntities: [FinessRecord] = []
        for (i, pmej) in pmejs.enumerated() {
            let info = pmej["informationsGeneralesPMEJ"]
            guard case let .string(ej)? = info?["numFinessPm"], !ej.isEmpty else {
                malformed("pmej[\(i)].informationsGeneralesPMEJ.numFinessPm", "numéro FINESS manquant"); continue
            }
            if FinessNumber.problem(ej) != nil, FinessNumber.problem(ej) != .key {
                malformed("pmej[\(i)].informationsGeneralesPMEJ.numFinessPm", "numéro FINESS mal formé (« \(Limits.quote(ej)) »)"); continue
            }
            guard text(pmej["etatObjet"]) == "A" else { continue }
            if FinessNumber.problem(ej) == .key {
                problems.append(LineProblem(file: file, line: 1, field: "pmej[\(i)].informationsGeneralesPMEJ.numFinessPm", kind: .finessKey, severity: .warning, reason: "clé de contrôle FINESS invalide (« \(Limits.quote(ej)) »)"))
            }
            let address = Address(pmej["adresse"])
            legalEntities.append(FinessRecord(line: 1, [
                .nofiness: ej, .rs: text(info?["denominationPm"]), .rslongue: text(info?["denominationLonguePmSmsse"]),
                .numvoie: address.number, .typvoie: address.streetType, .voie: address.street, .lieuditbp: address.lieuDit,
                .commune: address.commune, .ligneacheminement: address.routing, .departement: address.department,
                .telephone: telephone(pmej), .statutjuridique: text(info?["statutJuridique"]), .siren: text(info?["siren"]),
                .codeape: text(info?["codeApe"]).replacingOccurrences(of: ".", with: ""), .datecrea: text(info?["dateCreation"]),
            ] as [LegalEntityField: String]))
            guard case let .array(eges)? = pmej["ege"] else { continue }
            for (k, ege) in eges.enumerated() {
                let g = ege["informationsGeneralesEGE"]
                let path = "pmej[\(i)].ege[\(k)].informationsGeneralesEGE.numFinessEge"
                guard case let .string(et)? = g?["numFinessEge"], !et.isEmpty else { malformed(path, "numéro FINESS manquant"); continue }
                if let p = FinessNumber.problem(et), p != .key { malformed(path, "numéro FINESS mal formé (« \(Limits.quote(et)) »)"); continue }
                guard text(ege["etatObjet"]) == "A" else { continue }
                if FinessNumber.problem(et) == .key {
                    problems.append(LineProblem(file: file, line: 1, field: path, kind: .finessKey, severity: .warning, reason: "clé de contrôle FINESS invalide (« \(Limits.quote(et)) »)"))
                }
                let category = text(ege["categorieentiteGeographiqueExercice"])
                let known = Nomenclature.category(category)
                if known == nil, !category.isEmpty {
                    problems.append(LineProblem(file: file, line: 1, field: "pmej[\(i)].ege[\(k)].categorieentiteGeographiqueExercice", kind: .unknownCategory, severity: .warning, reason: "catégorie \(category) absente de la nomenclature (pas d'agrégat dans le flux FINESS+)"))
                }
                let a = Address(ege["adresse"])
                establishments.append(FinessRecord(line: 1, [
                    .nofinesset: et, .nofinessej: ej, .rs: text(g?["nomEgeCourt"]), .rslongue: text(g?["nomEgeLong"]),
                    .numvoie: a.number, .typvoie: a.streetType, .voie: a.street, .lieuditbp: a.lieuDit, .commune: a.commune,
                    .departement: a.department, .ligneacheminement: a.routing, .telephone: telephone(ege),
                    .categetab: category, .libcategetab: known?.label ?? "", .categagretab: known?.aggregate ?? "",
                    .siret: text(g?["siret"]), .codemft: text(ege["modefixationtarifaire"]),
                    .dateouv: text(g?["dateOuverture"]), .dateautor: text(g?["datePremiereAutorisation"]),
                    .datemaj: String(text(ege["dateDerniereMaj"]).prefix(10)),
                ] as [EstablishmentField: String]))
            }
        }
        return FinessExtraction(file: file, kind: .finessPlus, extractionDate: date, encoding: encoding, establishments: establishments,
                                geolocations: [], legalEntities: legalEntities, problems: problems, lines: 1)
    }

    static func empty(_ file: String, _ encoding: String, _ problems: [LineProblem]) -> FinessExtraction {
        FinessExtraction(file: file, kind: .finessPlus, extractionDate: CalendarDate(iso: "1900-01-01")!, encoding: encoding,
                         establishments: [], geolocations: [], legalEntities: [], problems: problems, lines: 1)
    }

    static func text(_ json: JSON?) -> String {
        if case let .string(s)? = json {
            var t = Substring(s)
            while t.last == " " { t.removeLast() }
            return String(t)
        }
        return ""
    }

    static func telephone(_ structure: JSON) -> String {
        guard case let .array(contacts)? = structure["contact"] else { return "" }
        for c in contacts { let t = text(c["telecom"]?["telephone"]); if !t.isEmpty { return t } }
        return ""
    }

    /// The first address, in the legacy fields: commune without its department, FINESS department code.
    struct Address {
        var number = "", streetType = "", street = "", lieuDit = "", commune = "", department = "", routing = ""

        init(_ json: JSON?) {
            guard case let .array(list)? = json, let a = list.first else { return }
            number = FinessPlus.text(a["numeroVoie"])
            streetType = FinessPlus.text(a["typeVoie"])
            street = FinessPlus.text(a["libelleVoie"])
            lieuDit = FinessPlus.text(a["lieuDit"])
            let cog = FinessPlus.text(a["cogCommune"])
            if cog.count == 5 {
                let prefix = String(cog.prefix(2)), third = cog.dropFirst(2).first.map(String.init) ?? ""
                switch prefix {
                case "97": department = ["1": "9A", "2": "9B", "3": "9C", "4": "9D", "5": "9E", "6": "9F"][third] ?? "97"
                case "98": department = third == "6" ? "9J" : "98"
                default: department = prefix
                }
                commune = String(cog.suffix(3))
            }
            routing = [FinessPlus.text(a["codePostal"]), FinessPlus.text(a["ligneAcheminement"])].filter { !$0.isEmpty }.joined(separator: " ")
        }
    }
}
