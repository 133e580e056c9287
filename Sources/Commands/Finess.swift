import ArgumentParser
import Foundation
import Registry
import Rules
import Store

/// `esms finess import|show|search` (`shared/spec/registry.md`).
struct Finess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Le registre FINESS : import des extractions publiques, consultation, recherche.",
        subcommands: [FinessImport.self, FinessShow.self, FinessSearch.self]
    )
}

struct FinessImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Importe des extractions FINESS publiques (cs1100507, cs1100502, cs1100501, ou le flux JSON FINESS+), en une transaction.",
        discussion: """
        Les fichiers sont reconnus à leur contenu, en UTF-8 ou Windows-1252. Une ligne mal formée refuse
        tout l'import (rien n'est modifié) et chaque ligne en cause est listée avec son fichier, son
        numéro, son champ et la raison. Une donnée douteuse (clé FINESS invalide, catégorie inconnue)
        est importée avec un avertissement ; --strict la refuse.
        """
    )

    @Argument(help: "Fichiers d'extraction FINESS.")
    var files: [String]

    @Flag(help: "Refuser aussi les données douteuses (avertissements).")
    var strict = false

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            let terminal = isatty(STDERR_FILENO) == 1
            var extractions: [FinessExtraction] = []
            for file in files {
                let start = ContinuousClock.now
                let bytes = [UInt8](try readBytes(file))
                let extraction = FinessFile.read(bytes, file: file)
                let elapsed = ContinuousClock.now - start
                if terminal {
                    let seconds = max(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds), 1e-6)
                    FileHandle.standardError.write(Data("\r\(file) : \(Money.groupThousands(UInt(extraction.lines))) lignes lues (\(Money.groupThousands(UInt(Double(extraction.lines) / seconds))) lignes/s)\u{1B}[K".utf8))
                }
                extractions.append(extraction)
            }
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            let report: ImportReport
            do {
                report = try await store.with { try await FinessRepository(store: $0).importExtractions(extractions, strict: strict) }
            } catch let refused as ImportRefused {
                throw UserFacingError(refused.description)
            } catch let error as UserFacingError {
                throw error
            } catch {
                throw UserFacingError("import interrompu, rien n'a été modifié : \(String(reflecting: error))")
            }
            print(ImportSummary.text(report, extractions: extractions, location: try self.store.location()), terminator: "")
        }
    }
}

enum ImportSummary {
    static func text(_ report: ImportReport, extractions: [FinessExtraction], location: DatabaseLocation) -> String {
        var lines: [String] = []
        lines.append("Import terminé dans \(location) (extraction du \(report.extractionDate?.french ?? "?"))")
        for e in extractions {
            lines.append("  \(e.file) : \(e.kind.french), \(e.encoding), \(e.lines) lignes")
        }
        func counts(_ c: ImportReport.Counts, _ noun: String, _ feminine: Bool) -> String {
            let e = feminine ? "e" : ""
            return "  \(noun) : \(c.added) ajouté\(e)s, \(c.updated) modifié\(e)s, \(c.closed) fermé\(e)s, \(c.unchanged) inchangé\(e)s"
        }
        if extractions.contains(where: { $0.kind.hasEstablishments }) { lines.append(counts(report.establishments, "établissements", false)) }
        if extractions.contains(where: { $0.kind.hasLegalEntities }) { lines.append(counts(report.legalEntities, "entités juridiques", true)) }
        let warnings = extractions.flatMap(\.warnings)
        if warnings.isEmpty {
            lines.append("  aucun avertissement")
        } else {
            let byKind = report.warnings.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\(Self.label($0.key)) : \($0.value)" }
            lines.append("  \(warnings.count) avertissement(s), importé(s) quand même (\(byKind.joined(separator: ", "))) :")
            for w in warnings.prefix(50) { lines.append("    \(w.description)") }
            if warnings.count > 50 { lines.append("    … et \(warnings.count - 50) autres") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func label(_ kind: LineProblem.Kind) -> String {
        switch kind {
        case .finessKey: return "clé FINESS invalide"
        case .unknownCategory: return "catégorie inconnue"
        case .unknownDepartment: return "département inconnu"
        case .badDate: return "date invalide"
        default: return kind.rawValue
        }
    }
}

struct FinessShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Affiche un établissement (FINESS ET) ou une entité juridique (FINESS EJ)."
    )

    @Argument(help: "Numéro FINESS (9 caractères).")
    var number: String

    @Option(help: "Format de sortie : json ou text.")
    var format: OutputFormat = .json

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await reporting {
            try await store.with(mustExist: true) { store in
            let repository = FinessRepository(store: store)
            let keyNote = FinessNumber.problem(number).map { " ; attention : \($0.french)" } ?? ""
            if let e = try await repository.establishment(number) {
                print(format == .json ? RegistryOutput.json(e).rendered() + "\n" : RegistryOutput.text(e) + (keyNote.isEmpty ? "" : "  \(keyNote.dropFirst(3))\n"), terminator: "")
            } else if let j = try await repository.legalEntity(number) {
                let count = try await repository.essmsCount(ofLegalEntity: number)
                print(format == .json ? RegistryOutput.json(j, essmsCount: count).rendered() + "\n" : RegistryOutput.text(j, essmsCount: count), terminator: "")
            } else {
                throw UserFacingError("FINESS \(number) inconnu du registre\(keyNote)")
            }
            }
        }
    }
}

struct FinessSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Cherche des établissements par nom, commune, numéro FINESS ou code postal."
    )

    @Argument(help: "Texte cherché.")
    var text: String

    @Option(help: "Département INSEE (31, 2A, 974…).")
    var department: String?

    @Option(help: "Secteur : PA, PH, DOM, PDS, PDE, AHI, PJM.")
    var sector: String?

    @Option(help: "Nombre maximal de résultats.")
    var limit = 20

    @Option(help: "Format de sortie : json ou text.")
    var format: OutputFormat = .json

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if let sector, Sector(rawValue: sector) == nil {
            throw ValidationError("secteur inconnu « \(Limits.quote(sector)) » ; valeurs admises : \(Sector.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let department, Territory.department(department) == nil {
            throw ValidationError("département INSEE inconnu « \(Limits.quote(department)) »")
        }
        if limit < 1 || limit > 1000 { throw ValidationError("--limit doit être entre 1 et 1000") }
    }

    func run() async throws {
        try await reporting {
            let found = try await store.with(mustExist: true) { try await FinessRepository(store: $0).search(text, department: department, sector: sector.flatMap(Sector.init(rawValue:)), limit: limit) }
            switch format {
            case .json: print(JSON.array(found.map(RegistryOutput.json)).rendered())
            case .text:
                if found.isEmpty { print("Aucun établissement ne correspond à « \(Limits.quote(text)) ».") }
                for e in found {
                    print("\(e.finessET)  \(e.name) — \(e.town ?? "") — \(e.sector?.rawValue ?? (e.essms ? "secteur à préciser" : "hors ESSMS")) — EJ \(e.finessEJ)")
                }
            }
        }
    }
}

/// The registry's records for the command line: JSON as the API gives it, or French text.
enum RegistryOutput {
    static func json(_ e: RegistryEstablishment) -> JSON { RegistryJSON.establishment(e) }

    static func json(_ j: RegistryLegalEntity, essmsCount: Int) -> JSON { RegistryJSON.legalEntity(j, essmsCount: essmsCount) }

    static func text(_ e: RegistryEstablishment) -> String {
        let region = e.region.flatMap(Territory.region(code:))
        return """
        \(e.finessET) — \(e.name)\(e.longName.map { " (\($0))" } ?? "")
          entité juridique : \(e.finessEJ)
          catégorie : \(e.category) \(e.categoryLabel ?? "") (agrégat \(e.aggregate))
          \(e.essms ? "ESSMS, secteur \(e.sector?.rawValue ?? "à préciser")\(e.sectorDecision == .review ? " (proposé, à confirmer)" : "")" : "hors art. L.312-1 CASF : pas un ESSMS")
          département \(e.department ?? e.finessDepartment) — \(region.map { "ARS \($0.name) (\($0.code))" } ?? "sans ARS")\(e.overseasOrCorsica ? ", outre-mer ou Corse" : "")
          \(e.town ?? "")
          extraction du \(e.extractionDate)\(e.closedOn.map { ", fermé depuis l'extraction du \($0)" } ?? "")

        """
    }

    static func text(_ j: RegistryLegalEntity, essmsCount: Int) -> String {
        let (small, threshold) = RegistryJSON.smallOG(j, essmsCount: essmsCount)
        return """
        \(j.finessEJ) — \(j.name)\(j.longName.map { " (\($0))" } ?? "") — entité juridique
          statut : \(j.legalStatusLabel ?? j.legalStatus ?? "?")
          département \(j.department ?? j.finessDepartment) — \(j.town ?? "")
          \(essmsCount) ESSMS ouverts dans FINESS : \(small ? "petit OG (moins de \(threshold))" : "pas un petit OG (seuil \(threshold))")
          extraction du \(j.extractionDate)\(j.closedOn.map { ", fermée depuis l'extraction du \($0)" } ?? "")

        """
    }
}
