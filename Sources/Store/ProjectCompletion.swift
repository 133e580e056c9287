import Registry
import Rules

/// Fills a project given by FINESS numbers from the registry (`shared/spec/registry.md`, last
/// section): establishments given by `finessET` alone get their `finessEJ`, `name`, `sector` and
/// `department`; a missing `organismes` entry is built with `essmsCount` counted in the registry.
/// Values given in the input win. What came from FINESS is said in the project's provenance.
public struct ProjectCompletion: Sendable {
    let repository: FinessRepository

    public init(repository: FinessRepository) { self.repository = repository }

    static let establishmentFields = ["finessEJ", "name", "sector", "department"]

    /// The one path from a project's JSON to a typed project, for the API, the pages and the
    /// commands: decoded as given, or first completed from the registry when it names
    /// establishments by their FINESS number only. `registry` opens the registry only then, and
    /// hands the completion its repository. Errors are `InputError`s naming the field.
    public static func project(
        _ json: JSON,
        registry: (_ complete: (FinessRepository) async throws -> Project) async throws -> Project
    ) async throws -> Project {
        guard needsRegistry(json) else { return try Project.decode(json) }
        return try await registry { try await ProjectCompletion(repository: $0).complete(json).project }
    }

    /// True when some establishment lacks a field the registry can give.
    public static func needsRegistry(_ json: JSON) -> Bool {
        guard case let .array(items)? = json["establishments"] else { return false }
        return items.contains { item in establishmentFields.contains { item[$0] == nil } }
            || (json["organismes"] == nil)
    }

    public func complete(_ json: JSON) async throws -> (project: Project, filled: Bool) {
        guard case var .object(root) = json, case let .array(items)? = json["establishments"] else {
            return (try Project.decode(json), false)
        }
        // Refused before any establishment is looked up.
        if let refusal = Limits.refusal(count: items.count, limit: Limits.establishmentsPerProject, noun: "établissements", path: "establishments") {
            throw refusal
        }
        let extraction = try await repository.latestExtraction()
        let source = "extraction FINESS du \(extraction.flatMap { CalendarDate(iso: $0)?.french } ?? "?")"
        var provenance: [Project.Provenance] = []
        var filledGroups: [[String]: [String]] = [:]
        var groupOrder: [[String]] = []
        var completed: [JSON] = []
        for (index, item) in items.enumerated() {
            guard case var .object(fields) = item else { completed.append(item); continue }
            let missing = Self.establishmentFields.filter { item[$0] == nil }
            guard !missing.isEmpty else { completed.append(item); continue }
            let path = "establishments[\(index)].finessET"
            guard case let .string(et)? = item["finessET"] else {
                throw InputError(path: path, reason: "numéro FINESS ET attendu pour compléter l'établissement depuis le registre (champs manquants : \(missing.joined(separator: ", ")))")
            }
            if let problem = FinessNumber.problem(et) { throw InputError(path: path, reason: "\(problem.french) (« \(Limits.quote(et)) »)") }
            guard let e = try await repository.establishment(et) else {
                throw InputError(path: path, reason: "établissement \(et) absent du registre FINESS (\(extraction.map { "extraction du \($0)" } ?? "registre vide : esms finess import"))")
            }
            if let closed = e.closedOn {
                provenance.append(.init(.closed(finessET: et, name: e.name, since: closed), source: source))
            }
            for field in missing {
                switch field {
                case "finessEJ": fields.append((field, .string(e.finessEJ)))
                case "name": fields.append((field, .string(e.name)))
                case "department":
                    guard let d = e.department, Territory.department(d) != nil else {
                        throw InputError(path: "establishments[\(index)].department", reason: "le département FINESS « \(Limits.quote(e.finessDepartment)) » de \(et) n'a pas d'ARS : à préciser")
                    }
                    fields.append((field, .string(d)))
                case "sector":
                    if let sector = e.sector {
                        fields.append((field, .string(sector.rawValue)))
                        if e.sectorDecision == .review {
                            provenance.append(.init(.sectorToConfirm(finessET: et, name: e.name, sector: sector, category: e.category, categoryLabel: e.categoryLabel ?? ""), source: "finess.md §3.3"))
                        }
                    } else if !e.essms {
                        // Outside art. L.312-1: E1 excludes it and no rule reads its sector.
                        fields.append((field, .string(Sector.PA.rawValue)))
                    } else {
                        throw InputError(path: "establishments[\(index)].sector", reason: "la catégorie FINESS \(e.category) de \(et) ne désigne pas de secteur : à préciser")
                    }
                default: break
                }
            }
            if item["essms"] == nil && !e.essms {
                fields.append(("essms", .bool(false)))
                provenance.append(.init(.outsideCASF(finessET: et, name: e.name, category: e.category, categoryLabel: e.categoryLabel ?? ""), source: source))
            }
            if filledGroups[missing] == nil { groupOrder.append(missing) }
            filledGroups[missing, default: []].append(et)
            completed.append(.object(fields))
        }
        for fields in groupOrder {
            provenance.insert(.init(.completed(establishments: filledGroups[fields]!, fields: fields), source: source), at: 0)
        }
        if let index = root.firstIndex(where: { $0.0 == "establishments" }) { root[index].1 = .array(completed) }

        // Organismes: those missing for an EJ of the establishments are built from the registry.
        var organismes: [JSON] = []
        if case let .array(given)? = json["organismes"] { organismes = given }
        var known = Set(organismes.compactMap { o -> String? in if case let .string(s)? = o["finessEJ"] { return s } else { return nil } })
        var ejs: [String] = []
        for item in completed { if case let .string(ej)? = item["finessEJ"], !known.contains(ej), !ejs.contains(ej) { ejs.append(ej) } }
        if case let .string(porteur)? = json["porteur"], !known.contains(porteur), !ejs.contains(porteur) { ejs.append(porteur) }
        for ej in ejs {
            guard let entity = try await repository.legalEntity(ej) else {
                throw InputError(path: "organismes", reason: "organisme \(ej) ni déclaré dans organismes ni présent dans le registre FINESS")
            }
            let count = try await repository.essmsCount(ofLegalEntity: ej)
            var members: [(String, JSON)] = [("finessEJ", .string(ej)), ("name", .string(entity.name)), ("essmsCount", .int(count))]
            if let d = entity.department, Territory.department(d) != nil { members.append(("department", .string(d))) }
            organismes.append(.object(members))
            known.insert(ej)
            provenance.append(.init(.organisme(finessEJ: ej, name: entity.name, essms: count, department: entity.department ?? entity.finessDepartment), source: source))
        }
        if let index = root.firstIndex(where: { $0.0 == "organismes" }) {
            root[index].1 = .array(organismes)
        } else {
            root.append(("organismes", .array(organismes)))
        }
        var project = try Project.decode(.object(root))
        project.provenance = provenance
        return (project, !provenance.isEmpty)
    }
}
