import ArgumentParser
import Foundation
import Registry
import Rules
import Store

/// `esms bench import`: our FINESS import beside `sqlite3 .import` and PostgreSQL `COPY` of the
/// same rows into a table of the same columns, on the same machine in the same run.
struct BenchImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Importe une extraction synthétique (103 000 lignes) dans SQLite et PostgreSQL, à côté de sqlite3 .import et COPY."
    )

    @Option(help: "Nombre de lignes structureet de l'extraction générée.")
    var lines = 103_000

    @Option(help: "Base PostgreSQL pour la mesure (défaut : ESMS_TEST_POSTGRES_URL) ; sans elle, seul SQLite est mesuré.")
    var postgres: String?

    @Option(help: "Nombre de passages ; le meilleur est retenu.")
    var runs = 3

    @Option(help: "Écrire l'extraction générée dans ce fichier, sans rien mesurer.")
    var writeExtraction: String?

    func run() async throws {
        try await reporting {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("esms-bench-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("etalab-cs1100502-stock-20260512-0339.csv")
            let text = SyntheticExtraction.generate(lines: lines)
            if let writeExtraction {
                try Data(text.utf8).write(to: URL(fileURLWithPath: writeExtraction))
                print("Extraction synthétique de \(Money.groupThousands(UInt(lines))) lignes écrite dans \(writeExtraction)")
                return
            }
            try Data(text.utf8).write(to: file)
            print("Extraction synthétique : \(Money.groupThousands(UInt(lines))) lignes structureet, \(Money.groupThousands(UInt(text.utf8.count / 1024))) Kio")

            var results: [(String, Double)] = []
            let ours = try await best(runs) { run in
                let path = directory.appendingPathComponent("ours-\(run).sqlite").path
                return try await timeImport(file: file, location: .sqlite(path: path))
            }
            let sqlite3 = try best(runs) { run in
                try timeProcess(["sqlite3", directory.appendingPathComponent("plain-\(run).sqlite").path,
                                 "CREATE TABLE t (\(Self.fileColumns));", ".mode csv", ".separator ;", ".import --skip 1 \(file.path) t"])
            }
            // The second reading of « a table of the same columns »: the rows as we store them (49
            // columns), loaded into an empty table and indexed afterwards, as our import does.
            let stored = directory.appendingPathComponent("stored.csv")
            let ourFile = directory.appendingPathComponent("ours-0.sqlite").path
            try runProcess(["sqlite3", ourFile, ".mode csv", ".separator ;", ".output \(stored.path)", "SELECT * FROM finess_establishment;"])
            let schema = try runProcess(["sqlite3", ourFile, "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'finess_establishment' AND type = 'table';"])
            let indexes = try runProcess(["sqlite3", ourFile, "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'finess_establishment' AND type = 'index' AND sql IS NOT NULL;"])
            let sqlite3Stored = try best(runs) { run in
                try timeProcess(["sqlite3", directory.appendingPathComponent("stored-\(run).sqlite").path,
                                 "PRAGMA page_size = 16384;", schema, ".mode csv", ".separator ;", ".import \(stored.path) finess_establishment", indexes])
            }
            results.append(("esms finess import → SQLite", ours))
            results.append(("sqlite3 .import, colonnes du fichier", sqlite3))
            results.append(("sqlite3 .import, colonnes stockées", sqlite3Stored))
            var postgresRatios: (Double, Double)? = nil
            let url = postgres ?? ProcessInfo.processInfo.environment["ESMS_TEST_POSTGRES_URL"]
            if let url, !url.isEmpty {
                guard case let .postgres(host, port, user, password, database, _) = try DatabaseLocation.parse(url) else {
                    throw UserFacingError("--postgres : adresse PostgreSQL attendue")
                }
                let admin = try await Store.open(.postgres(host: host, port: port, user: user, password: password, database: database))
                var schemas: [String] = []
                let oursPG = try await best(runs) { run in
                    let schema = "esms_bench_\(run)_\(UInt32.random(in: 0...UInt32.max))"
                    schemas.append(schema)
                    try await admin.sql.raw("CREATE SCHEMA \(unsafeRaw: schema)").run()
                    return try await timeImport(file: file, location: .postgres(host: host, port: port, user: user, password: password, database: database, schema: schema))
                }
                var environment = ProcessInfo.processInfo.environment
                environment["PGPASSWORD"] = password ?? ""
                let psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", String(port), "-U", user, "-d", database]
                let copy = try best(runs) { run in
                    let table = "esms_bench_copy_\(run)_\(UInt32.random(in: 0...UInt32.max))"
                    return try timeProcess(psql + ["-c", "CREATE TABLE \(table) (\(Self.fileColumns))",
                                                   "-c", "\\copy \(table) FROM '\(file.path)' WITH (FORMAT csv, DELIMITER ';', HEADER true)",
                                                   "-c", "DROP TABLE \(table)"], environment: environment)
                }
                let rows = directory.appendingPathComponent("stored.copy")
                try runProcess(psql + ["-c", "\\copy (SELECT * FROM \(schemas[0]).finess_establishment) TO '\(rows.path)'"], environment: environment)
                let copyStored = try best(runs) { run in
                    let table = "esms_bench_stored_\(run)_\(UInt32.random(in: 0...UInt32.max))"
                    return try timeProcess(psql + ["-c", "CREATE TABLE \(table) (LIKE \(schemas[0]).finess_establishment)",
                                                   "-c", "\\copy \(table) FROM '\(rows.path)'",
                                                   "-c", "ALTER TABLE \(table) ADD PRIMARY KEY (nofinesset)",
                                                   "-c", "CREATE INDEX ON \(table) (nofinessej)", "-c", "CREATE INDEX ON \(table) (department_insee)",
                                                   "-c", "DROP TABLE \(table)"], environment: environment)
                }
                for schema in schemas { try await admin.sql.raw("DROP SCHEMA \(unsafeRaw: schema) CASCADE").run() }
                try await admin.close()
                results.append(("esms finess import → PostgreSQL", oursPG))
                results.append(("COPY, colonnes du fichier", copy))
                results.append(("COPY, colonnes stockées + index", copyStored))
                postgresRatios = (oursPG / copy, oursPG / copyStored)
            } else {
                print("PostgreSQL non mesuré : ni --postgres ni ESMS_TEST_POSTGRES_URL")
            }
            for (label, seconds) in results {
                print(String(format: "  %-38@ %8.3f s  %9.0f lignes/s", label as NSString, seconds, Double(lines) / seconds))
            }
            print(String(format: "  rapport SQLite : %.2f× sqlite3 .import (colonnes du fichier), %.2f× (colonnes stockées)", ours / sqlite3, ours / sqlite3Stored))
            if let (file, stored) = postgresRatios {
                print(String(format: "  rapport PostgreSQL : %.2f× COPY (colonnes du fichier), %.2f× (colonnes stockées + index)", file, stored))
            }
        }
    }

    /// Runs a command and returns its standard output, trimmed.
    @discardableResult
    func runProcess(_ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), errors = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw UserFacingError("\(arguments[0]) a échoué : \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The file's 32 columns (record type included), all text, as `sqlite3 .import` and `COPY` load them.
    static let fileColumns = (["record"] + establishmentFields).map { "\($0) TEXT" }.joined(separator: ", ")

    /// Reads, parses and imports the file as `esms finess import` does, into a new store.
    func timeImport(file: URL, location: DatabaseLocation) async throws -> Double {
        let clock = ContinuousClock()
        let store = try await Store.open(location)
        let start = clock.now
        let bytes = [UInt8](try Data(contentsOf: file))
        let extraction = FinessFile.read(bytes, file: file.lastPathComponent)
        let report = try await FinessRepository(store: store).importExtractions([extraction])
        let elapsed = clock.now - start
        try await store.close()
        guard report.establishments.added == lines else { throw UserFacingError("import incomplet : \(report.establishments.added) lignes") }
        return seconds(elapsed)
    }

    func timeProcess(_ arguments: [String], environment: [String: String]? = nil) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let errors = Pipe()
        process.standardError = errors
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        process.waitUntilExit()
        let elapsed = clock.now - start
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw UserFacingError("\(arguments[0]) a échoué (\(process.terminationStatus)) : \(message)")
        }
        return seconds(elapsed)
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    func best(_ runs: Int, _ body: (Int) async throws -> Double) async throws -> Double {
        var times: [Double] = []
        for run in 0..<runs { times.append(try await body(run)) }
        return times.min()!
    }

    func best(_ runs: Int, _ body: (Int) throws -> Double) throws -> Double {
        var times: [Double] = []
        for run in 0..<runs { times.append(try body(run)) }
        return times.min()!
    }
}

/// A synthetic `cs1100502` extraction in the public format: valid keys, every sector, metropole,
/// overseas and Corsica, some quoted names; deterministic.
public enum SyntheticExtraction {
    static let categories: [(String, String, String, String)] = [
        ("500", "Etablissement d'hébergement pour personnes âgées dépendantes", "4401", "Etablissements d'Hébergement pour Personnes Âgées"),
        ("354", "Service de Soins Infirmiers A Domicile (S.S.I.A.D)", "4605", "Etablissements et services multi-clientèles"),
        ("183", "Institut Médico-Educatif (I.M.E.)", "4101", "Etab.Educ.Spéciale Déficients Mentaux et Handicapés"),
        ("246", "Etablissement et Service d'Aide par le Travail (E.S.A.T.)", "4302", "Etab. et Services de Travail Protégé"),
        ("177", "Maison d'Enfants à Caractère Social", "4501", "Etablissements de l'Aide Sociale à l'Enfance"),
        ("214", "Centre Hébergement & Réinsertion Sociale (C.H.R.S.)", "4601", "Etablissements pour Adultes et Familles en Difficulté"),
        ("197", "Centre de Soins d'Accompagnement et de Prévention en Addictologie", "4604", "Autres Etablissements médico-sociaux"),
        ("340", "Service mandataire judiciaire à la protection des majeurs", "4608", "Protection des majeurs"),
        ("355", "Centre Hospitalier (C.H.)", "1102", "Centres Hospitaliers"),
        ("462", "Lieux de Vie et d'Accueil", "4605", "Etablissements et services multi-clientèles"),
    ]

    public static func generate(lines count: Int) -> String {
        let departments = Territory.allDepartments.map(\.code).filter { $0 != "976" } + ["9A", "9B", "9C", "9D", "9F"]
        var rng = SplitMix(seed: 103)
        var out = "finess;etalab;111;2026-05-12\n"
        out.reserveCapacity(count * 330)
        var perPrefix: [String: Int] = [:]
        for i in 0..<count {
            let department = departments[rng.next(departments.count)]
            let prefix = ["9A": "9701", "9B": "9702", "9C": "9703", "9D": "9704", "9F": "9805"][department] ?? department
            let n = perPrefix[prefix, default: 0]
            perPrefix[prefix] = n + 1
            let width = 8 - prefix.count
            // Establishments and legal entities draw from separate halves of the numbering.
            let half = pow10(width) / 2
            let et = FinessNumber.withKey(prefix + pad(half + n % half, width))!
            let ej = FinessNumber.withKey(prefix + pad(n / 20 % half, width))!
            let c = categories[rng.next(categories.count)]
            let name = i % 97 == 0 ? "\"LIEU DE VIE \"\"LES \(i)\"\"\"" : "ETABLISSEMENT \(i)"
            let town = department.hasPrefix("9") ? "97\(department == "9F" ? "6" : "3")00 VILLE" : "\(department == "2A" || department == "2B" ? "20" : department)000 VILLE \(i % 50)"
            out += "structureet;\(et);\(ej);\(name);\(name == "ETABLISSEMENT \(i)" ? "ETABLISSEMENT SYNTHETIQUE \(i)" : name);;;\(1 + i % 120);R;DES EXEMPLES;;;\(pad(i % 900 + 1, 3));\(department);LIBELLE;\(town);0500000000;;\(c.0);\(c.1);\(c.2);\(c.3);;8710A;40;ARS/PCD, Tarif global;;;2005-03-01;2004-11-20;2025-11-03;\n"
        }
        return out
    }

    static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }
    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
