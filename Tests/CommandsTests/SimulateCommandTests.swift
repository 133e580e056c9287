import Commands
import Foundation
import Rules
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `esms` executable (debug, else release); nil, recorded as an issue, when there is none.
func esmsExecutable() -> URL? {
    let candidates = [".build/debug/esms", ".build/release/esms"].map { packageRoot.appendingPathComponent($0) }
    guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        Issue.record("exécutable esms introuvable sous .build/")
        return nil
    }
    return binary
}

/// Runs the built `esms` executable, as other programs call it.
func runESMS(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    guard let binary = esmsExecutable() else { return (-1, "", "") }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

let example = try! String(contentsOf: packageRoot.appendingPathComponent("examples/acquisition-46-occitanie.json"), encoding: .utf8)

/// The example with one JSON fragment replaced, to make a bad input.
func mutated(_ from: String, _ to: String) -> String {
    precondition(example.contains(from), "fragment absent de l'exemple : \(from)")
    return example.replacingOccurrences(of: from, with: to, options: [], range: example.range(of: from))
}

@Suite("esms simulate")
struct SimulateCommandTests {
    @Test func exampleGivesTheContractOutput() throws {
        let run = try runESMS(["simulate", "examples/acquisition-46-occitanie.json"])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
        let json = try JSON.parse(run.stdout)
        #expect(json["outcome"] == .string("recevable"))
        #expect(json["instruction"] == .string("ARS"))
        #expect(json["pivotRegion"] == .string("76"))
        #expect(json["eligibleEstablishments"] == .number("46"))
        #expect(json["funding"]?["total"] == .number("989000"))
        #expect(json["payments"] == .array([
            .object([("instalment", .string("avance")), ("share", .number("0.5")), ("amount", .number("494500"))]),
            .object([("instalment", .string("solde")), ("share", .number("0.5")), ("amount", .number("494500"))]),
        ]))
        #expect(json["excluded"]?.rendered(indent: false).contains("\"rule\":\"E3\"") == true)
    }

    @Test func readsStandardInput() throws {
        let run = try runESMS(["simulate", "-", "--format", "text"], stdin: example)
        #expect(run.status == 0)
        #expect(run.stdout.contains("Résultat : RECEVABLE — instruit par l'ARS Occitanie (région pivot : Occitanie (76))"))
        #expect(run.stdout.contains("Financement ESMS numérique : 989 000 €"))
        #expect(run.stdout.contains("Avance 50 % : 494 500 €"))
        #expect(run.stdout.contains("✗ 310002001 EHPAD Le Capitole : a déjà reçu un financement ESMS numérique"))
    }

    @Test func nonReceivableIsAResultNotAnError() throws {
        let run = try runESMS(["simulate", "-"], stdin: mutated("\"procurement\": \"sad\"", "\"procurement\": \"none\""))
        #expect(run.status == 0)
        let json = try JSON.parse(run.stdout)
        #expect(json["outcome"] == .string("nonRecevable"))
        #expect(json["funding"]?["total"] == .number("0"))
        #expect(json["refusals"]?.rendered(indent: false).contains("\"rule\":\"D8\"") == true)
    }

    @Test(arguments: [
        (mutated("\"finessET\": \"310001037\"", "\"finessET\": \"310001038\""), "establishments[3].finessET : clé de contrôle FINESS invalide (« 310001038 »)"),
        (mutated("\"finessET\": \"310001037\"", "\"finessET\": \"31000103\""), "establishments[3].finessET : un numéro FINESS a 9 caractères (« 31000103 »)"),
        (mutated("\"finessET\": \"310001037\"", "\"finessET\": \"3X0001032\""), "establishments[3].finessET : numéro FINESS mal formé (attendu : 9 chiffres, ou 2A/2B suivi de 7 chiffres) (« 3X0001032 »)"),
        (mutated("\"campaign\": \"2022\"", "\"campaign\": \"2019\""), "campaign : campagne inconnue « 2019 » ; campagnes connues : 2022, 2022-normandie, 2022-occitanie, 2025-idf"),
        (mutated("\"department\": \"31\"", "\"department\": \"96\""), "establishments[0].department : département INSEE inconnu « 96 » ; attendu 01…95, 2A, 2B, 971…974 ou 976"),
        (mutated("\"sector\": \"PA\"", "\"sector\": \"EHPAD\""), "establishments[0].sector : valeur « EHPAD » inconnue ; valeurs admises : PA, PH, DOM, PDS, PDE, AHI, PJM"),
        (mutated("\"kind\": \"acquisition\"", "\"kind\": 3"), "kind : une chaîne est attendue, trouvé un nombre"),
        (mutated("\"porteur\": \"310000013\"", "\"porteur\": \"310000021\""), "porteur : le porteur 310000021 doit figurer dans organismes"),
        (mutated("\"essmsCount\": 60", "\"essmsCount\": -4"), "organismes[0].essmsCount : un nombre entier positif ou nul est attendu, trouvé -4"),
        (mutated("\"essmsCount\": 60", "\"nombre\": 60"), "organismes[0].essmsCount : champ obligatoire manquant"),
        (mutated("\"priorEsmsNumeriqueFunding\": false", "\"priorEsmsNumeriqueFunding\": \"non\""), "establishments[0].priorEsmsNumeriqueFunding : true ou false est attendu, trouvé une chaîne"),
        (mutated("\"referencing\": \"segur\"", "\"referencing\": \"ségur\""), "solution.referencing : valeur « ségur » inconnue ; valeurs admises : segur, segurCandidate, sad, none"),
        ("{\"campaign\": \"2022\",", "JSON mal formé (ligne 1, colonne 21) : nom de champ entre guillemets attendu"),
        ("[1, 2]", "un objet est attendu, trouvé un tableau"),
        ("", "JSON mal formé (ligne 1, colonne 1) : document vide"),
    ])
    func badInputNamesTheFieldAndPrintsNothing(input: String, message: String) throws {
        let run = try runESMS(["simulate", "-"], stdin: input)
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "esms : \(message)\n")
    }

    @Test func missingFileIsNamed() throws {
        let run = try runESMS(["simulate", "absent.json"])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "esms : fichier introuvable : absent.json\n")
    }

    @Test func invalidUTF8IsRefused() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("esms-latin1-\(UUID().uuidString).json")
        try Data([0x7B, 0x22, 0xE9, 0x22, 0x7D]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try runESMS(["simulate", url.path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("n'est pas un texte UTF-8 valide"))
    }

    @Test func unknownFormatIsAUsageError() throws {
        let run = try runESMS(["simulate", "examples/acquisition-46-occitanie.json", "--format", "pdf"])
        #expect(run.status == 64)
        #expect(run.stdout.isEmpty)
    }
}

@Suite("esms campaigns")
struct CampaignsCommandTests {
    @Test func listsEveryCampaignWithSources() throws {
        let run = try runESMS(["campaigns"])
        #expect(run.status == 0)
        guard case let .array(campaigns) = try JSON.parse(run.stdout) else { Issue.record("tableau attendu"); return }
        #expect(campaigns.map { $0["id"]! } == ["2022", "2022-normandie", "2022-occitanie", "2025-idf"].map(JSON.string))
        for campaign in campaigns {
            guard case let .array(parameters)? = campaign["parameters"] else { Issue.record("paramètres attendus"); continue }
            #expect(parameters.count == ParameterKey.allCases.count)
            for p in parameters {
                guard case let .string(source)? = p["source"] else { Issue.record("source manquante"); continue }
                #expect(!source.isEmpty)
            }
        }
    }

    @Test func overlayShowsInheritedAndOwnParameters() throws {
        let text = try CampaignListing.render(id: "2022-occitanie", format: .text)
        #expect(text.contains("étend la grille nationale 2022"))
        #expect(text.contains("W.enveloppe = 4186783 EUR  — [002]"))
        #expect(text.contains("F-usage.acquisition"))
        #expect(text.contains("(hérité de 2022)"))
        #expect(text.contains("autre lecture : toutSonsExclut ([004])"))
    }

    @Test func unknownCampaignIsAnError() throws {
        let run = try runESMS(["campaigns", "2030"])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("esms : campagne inconnue « 2030 »"))
    }
}

@Suite("esms finess")
struct FinessCommandTests {
    func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("esms-cli-\(UUID().uuidString).sqlite").path
    }

    @Test func importShowSearchAndSimulateFromTheDemoRegistry() throws {
        let db = temporaryDatabase()
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + s) } }
        let imported = try runESMS(["finess", "import", "Sources/Web/Demo/etalab-cs1100507-stock-20260512-0339.csv",
                                    "Sources/Web/Demo/etalab-cs1100501-stock-20260512-0338.csv", "--database", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("établissements : 109 ajoutés, 0 modifiés, 0 fermés, 0 inchangés"))
        #expect(imported.stdout.contains("entités juridiques : 12 ajoutées"))
        #expect(imported.stdout.contains("Windows-1252"))

        let shown = try runESMS(["finess", "show", "970350013", "--database", db])
        #expect(shown.status == 0)
        let json = try JSON.parse(shown.stdout)
        #expect(json["department"] == .string("973"))
        #expect(json["region"] == .string("03"))
        #expect(json["overseasOrCorsica"] == .bool(true))
        #expect(json["sector"] == .string("PA"))
        #expect(json["sectorDecision"] == .string("rule"))
        #expect(json["extractionDate"] == .string("2026-05-12"))

        let og = try runESMS(["finess", "show", "2A0100012", "--database", db, "--format", "text"])
        #expect(og.stdout.contains("5 ESSMS ouverts dans FINESS : petit OG (moins de 8)"))

        let found = try runESMS(["finess", "search", "mecs", "--department", "93", "--database", db, "--format", "text"])
        #expect(found.stdout.split(separator: "\n").count == 5)

        let unknown = try runESMS(["finess", "show", "315999995", "--database", db])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "esms : FINESS 315999995 inconnu du registre\n")
        let badKey = try runESMS(["finess", "show", "315999990", "--database", db])
        #expect(badKey.stderr == "esms : FINESS 315999990 inconnu du registre ; attention : clé de contrôle FINESS invalide\n")

        let simulated = try runESMS(["simulate", "examples/grappe-finess-occitanie.json", "--database", db, "--format", "text"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        #expect(simulated.stdout.contains("Financement ESMS numérique : 989 000 €"))
        #expect(simulated.stdout.contains("46 établissements complétés depuis FINESS (organisme gestionnaire, nom, secteur, département)"))
        #expect(simulated.stdout.contains("(FINESS, extraction FINESS du 12/05/2026)"))
    }

    @Test func aMalformedFileIsRefusedWithEveryLineNamed() throws {
        let db = temporaryDatabase()
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + s) } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("esms-bad-\(UUID().uuidString).csv")
        try Data("finess;etalab;98;2026-05-12\nstructureet;315000018;310100011;EHPAD\nstructureet;315000026;310100011;\"EHPAD;\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try runESMS(["finess", "import", file.path, "--database", db])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == """
        esms : import refusé : 2 ligne(s) mal formée(s), rien n'a été modifié
          \(file.path), ligne 2 : 4 champs au lieu de 32 pour un enregistrement structureet
          \(file.path), ligne 3, champ rs : guillemet ouvrant sans guillemet fermant

        """)
    }

    @Test func simulatingFromFinessNumbersWithoutARegistryIsExplained() throws {
        let db = temporaryDatabase()
        let run = try runESMS(["simulate", "examples/grappe-finess-occitanie.json", "--database", db])
        #expect(run.status == 1)
        #expect(run.stderr == "esms : base \(db) absente : importez d'abord le registre (esms finess import FICHIER…)\n")
        #expect(!FileManager.default.fileExists(atPath: db))
    }
}

@Suite("esms usage report")
struct UsageCommandTests {
    @Test func theExampleReportInEveryFormat() throws {
        let args = ["usage", "report", "--project", "examples/usage-projet-35.json", "--measures", "examples/usage-mesures-35.csv", "--as-of", "2025-12-31"]
        let json = try runESMS(args)
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSON.parse(json.stdout)
        #expect(report["deadline"] == .string("2025-10-15"))
        #expect(report["solde"]?["decision"] == .string("releasable"))
        #expect(report["solde"]?["amount"] == .number("87500"))
        let text = try runESMS(args + ["--format", "text"])
        #expect(text.stdout.contains("Solde de 87 500 € : LIBÉRABLE (mesures de 2025-12) (P2)"))
        let csv = try runESMS(args + ["--format", "csv"])
        #expect(csv.stdout.hasPrefix("\u{FEFF}finessET;nom;mois;mss (%);dmp (%)"))
        // Before the deadline, in September, DMP was not there yet.
        let september = try runESMS(["usage", "report", "--project", "examples/usage-projet-35.json", "--measures", "examples/usage-mesures-35.csv", "--as-of", "2025-07-31", "--format", "text"])
        #expect(september.status == 0)
    }

    @Test func aBadMeasuresFileIsRefusedWithEveryLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("esms-mesures-\(UUID().uuidString).csv")
        let good = try String(contentsOf: packageRoot.appendingPathComponent("examples/usage-mesures-35.csv"), encoding: .utf8)
        var lines = good.split(separator: "\n").map(String.init)
        lines[2] = lines[2].replacingOccurrences(of: "2025-05", with: "2025-13")
        lines[7] = lines[7] + ";1"
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try runESMS(["usage", "report", "--project", "examples/usage-projet-35.json", "--measures", file.path])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == """
        esms : fichier de mesures \(file.path) refusé : 2 problème(s), rien n'a été pris en compte
          \(file.path), ligne 3, colonne month : mois « 2025-13 » invalide (attendu AAAA-MM)
          \(file.path), ligne 8 : 9 champs au lieu de 8

        """)
    }

    /// The probe's file: a count near Int.max is a French refusal (exit 1), not a trap (exit 132).
    @Test func theOverflowFileIsRefusedInFrench() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("esms-mesures-\(UUID().uuidString).csv")
        let good = try String(contentsOf: packageRoot.appendingPathComponent("examples/usage-mesures-35.csv"), encoding: .utf8)
        var lines = good.split(separator: "\n").map(String.init)
        var fields = lines[1].split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        fields[lines[0].split(separator: ";").firstIndex(of: "mssMessagesSent")!] = "9223372036854775806"
        lines[1] = fields.joined(separator: ";")
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for command in [["usage", "report"], ["usage", "import", "--database", file.path + ".sqlite"]] {
            defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file.path + ".sqlite" + s) } }
            let run = try runESMS(command + ["--project", "examples/usage-projet-35.json", "--measures", file.path])
            #expect(run.status == 1)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr == """
            esms : fichier de mesures \(file.path) refusé : 1 problème(s), rien n'a été pris en compte
              \(file.path), ligne 2, colonne mssMessagesSent : 9223372036854775806 dépasse le maximum plausible de 100 000 000 par établissement et par mois

            """)
        }
    }
}
