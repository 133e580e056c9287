/// A project as the porteur describes it (`shared/spec/simulation.md`, Input), validated.
public struct Project: Sendable {
    public enum Procurement: String, CaseIterable, Sendable {
        case sad, existingPublicContract, competition, none

        public var french: String {
            switch self {
            case .sad: return "SAD (RESAH)"
            case .existingPublicContract: return "marché public en cours de même objet"
            case .competition: return "mise en concurrence hors SAD"
            case .none: return "aucune procédure"
            }
        }
    }

    public struct Solution: Sendable {
        public var name: String
        public var editor: String
        public var referencing: Referencing
        public init(name: String, editor: String, referencing: Referencing) {
            self.name = name; self.editor = editor; self.referencing = referencing
        }
    }

    public struct Organisme: Sendable {
        public var finessEJ: String
        public var name: String
        public var essmsCount: Int
        public var subjectToPublicProcurementCode: Bool
        /// The OG's own department (D2); when absent, read from its FINESS EJ number.
        public var department: Department?
        public init(finessEJ: String, name: String, essmsCount: Int, subjectToPublicProcurementCode: Bool = false, department: Department? = nil) {
            self.finessEJ = finessEJ; self.name = name; self.essmsCount = essmsCount
            self.subjectToPublicProcurementCode = subjectToPublicProcurementCode; self.department = department
        }
    }

    public struct Establishment: Sendable {
        public var finessET: String?
        public var finessEJ: String
        public var name: String
        public var sector: Sector
        public var department: Department
        public var priorEsmsNumeriqueFunding: Bool
        public var sonsOrderSoftware: String?
        /// Only for a `mixte` project.
        public var kind: ProjectKind?
        /// False for an establishment outside art. L.312-1 CASF (E1). Optional, default true.
        public var essms: Bool
        /// A home-care service that also offers "confort" services (E5). Optional, default false.
        public var confortActivity: Bool
        /// Attached to a national entity, joining a regional grappe (R5). Optional, default false.
        public var attachedToNationalEntity: Bool
        /// The DUI solution planned for this establishment when it differs from the project's (G1).
        public var solution: String?
        /// Another dossier that holds an application for this establishment (filed, in instruction,
        /// sent back for correction or accepted): set by the store, not read from the input (E3).
        public var otherApplication: String? = nil

        public init(finessET: String?, finessEJ: String, name: String, sector: Sector, department: Department,
                    priorEsmsNumeriqueFunding: Bool = false, sonsOrderSoftware: String? = nil, kind: ProjectKind? = nil,
                    essms: Bool = true, confortActivity: Bool = false, attachedToNationalEntity: Bool = false, solution: String? = nil) {
            self.finessET = finessET; self.finessEJ = finessEJ; self.name = name; self.sector = sector
            self.department = department; self.priorEsmsNumeriqueFunding = priorEsmsNumeriqueFunding
            self.sonsOrderSoftware = sonsOrderSoftware; self.kind = kind; self.essms = essms
            self.confortActivity = confortActivity; self.attachedToNationalEntity = attachedToNationalEntity
            self.solution = solution
        }
    }

    public var campaign: String
    public var kind: ProjectKind
    public var solution: Solution
    public var porteur: String
    public var nationalRepresentativeness: Bool
    public var matureProjectOwner: Bool
    public var procurement: Procurement
    public var organismes: [Organisme]
    public var establishments: [Establishment]
    /// The date the project is filed, to check the call's windows (W1–W3). Optional.
    public var filingDate: CalendarDate?
    /// Where values not given in the input came from (the FINESS registry): each becomes a line of
    /// the explanation (or a flag when a person must confirm it).
    public var provenance: [Provenance] = []

    /// What the registry supplied to the project, and from which extraction.
    public struct Provenance: Sendable {
        public let fact: Fact
        public let source: String
        public init(_ fact: Fact, source: String) { self.fact = fact; self.source = source }
        /// A value the porteur must confirm: a flag rather than an explanation.
        public var needsConfirmation: Bool {
            switch fact {
            case .closed, .sectorToConfirm: return true
            case .outsideCASF, .completed, .organisme: return false
            }
        }

        public enum Fact: Sendable, Equatable {
            /// Establishments whose missing `fields` were read from the registry.
            case completed(establishments: [String], fields: [String])
            case closed(finessET: String, name: String, since: String)
            case sectorToConfirm(finessET: String, name: String, sector: Sector, category: String, categoryLabel: String)
            case outsideCASF(finessET: String, name: String, category: String, categoryLabel: String)
            case organisme(finessEJ: String, name: String, essms: Int, department: String)

            public var french: String {
                switch self {
                case let .completed(list, fields):
                    let shown = list.prefix(12).joined(separator: ", ") + (list.count > 12 ? ", … (\(list.count - 12) autres)" : "")
                    let words = ["finessEJ": "organisme gestionnaire", "name": "nom", "sector": "secteur", "department": "département"]
                    return "\(list.count) établissement\(list.count > 1 ? "s" : "") complété\(list.count > 1 ? "s" : "") depuis FINESS (\(fields.map { words[$0] ?? $0 }.joined(separator: ", "))) : \(shown)"
                case let .closed(et, name, since):
                    return "\(et) \(name) est fermé dans FINESS depuis l'extraction du \(since)"
                case let .sectorToConfirm(et, name, sector, category, label):
                    return "\(et) \(name) : secteur \(sector.rawValue) proposé pour la catégorie \(category) (\(label)), qui demande une décision : à confirmer"
                case let .outsideCASF(et, name, category, label):
                    return "\(et) \(name) : catégorie \(category) (\(label)) hors art. L.312-1 CASF selon la nomenclature"
                case let .organisme(ej, name, essms, department):
                    return "organisme \(ej) \(name) : \(essms) ESSMS ouverts dans FINESS, département \(department)"
                }
            }
        }
    }

    public init(campaign: String, kind: ProjectKind, solution: Solution, porteur: String,
                nationalRepresentativeness: Bool = false, matureProjectOwner: Bool = false,
                procurement: Procurement, organismes: [Organisme], establishments: [Establishment], filingDate: CalendarDate? = nil) {
        self.campaign = campaign; self.kind = kind; self.solution = solution; self.porteur = porteur
        self.nationalRepresentativeness = nationalRepresentativeness; self.matureProjectOwner = matureProjectOwner
        self.procurement = procurement; self.organismes = organismes; self.establishments = establishments
        self.filingDate = filingDate
    }
}

/// An input that cannot be evaluated: the JSON path of the field and why, in French.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { path.isEmpty ? reason : "\(path) : \(reason)" }
}

// MARK: - Reading a project from JSON

extension Project {
    /// Reads and validates a project; the first problem found is thrown with its JSON path.
    public static func decode(json text: String) throws(InputError) -> Project {
        let json: JSON
        do { json = try JSON.parse(text) } catch { throw InputError(path: "", reason: error.description) }
        return try decode(json)
    }

    public static func decode(_ json: JSON) throws(InputError) -> Project {
        let root = Field(json: json, path: "")
        try root.requireObject()
        let solutionField = try root.required("solution")
        try solutionField.requireObject()
        let solution = Solution(name: try solutionField.required("name").nonEmptyString(),
                                editor: try solutionField.required("editor").nonEmptyString(),
                                referencing: try solutionField.required("referencing").enumValue(Referencing.self))
        let kind = try root.required("kind").enumValue(ProjectKind.self)

        let organismesField = try root.required("organismes")
        var organismes: [Organisme] = []
        for o in try organismesField.array(atMost: Limits.establishmentsPerProject, of: "organismes") {
            try o.requireObject()
            let ej = try o.required("finessEJ").finess()
            if organismes.contains(where: { $0.finessEJ == ej }) {
                throw InputError(path: o.path + ".finessEJ", reason: "organisme \(ej) déjà déclaré")
            }
            organismes.append(Organisme(
                finessEJ: ej,
                name: try o.required("name").nonEmptyString(),
                essmsCount: try o.required("essmsCount").count(limit: Limits.essmsPerOrganisme),
                subjectToPublicProcurementCode: try o.optional("subjectToPublicProcurementCode")?.bool() ?? false,
                department: try o.optional("department")?.department()))
        }
        if organismes.isEmpty { throw InputError(path: "organismes", reason: "au moins un organisme gestionnaire est attendu") }

        let porteurField = try root.required("porteur")
        let porteur = try porteurField.finess()
        guard organismes.contains(where: { $0.finessEJ == porteur }) else {
            throw InputError(path: "porteur", reason: "le porteur \(porteur) doit figurer dans organismes")
        }

        var establishments: [Establishment] = []
        var seenET = Set<String>()
        for e in try root.required("establishments").array(atMost: Limits.establishmentsPerProject, of: "établissements") {
            try e.requireObject()
            let etField = try e.required("finessET")
            let et: String? = etField.isNull ? nil : try etField.finess()
            if let et, !seenET.insert(et).inserted {
                throw InputError(path: etField.path, reason: "établissement \(et) présent deux fois")
            }
            let ejField = try e.required("finessEJ")
            let ej = try ejField.finess()
            guard organismes.contains(where: { $0.finessEJ == ej }) else {
                throw InputError(path: ejField.path, reason: "l'organisme \(ej) doit figurer dans organismes")
            }
            var estKind: ProjectKind? = nil
            if kind == .mixte {
                let k = try e.required("kind").enumValue(ProjectKind.self)
                guard k != .mixte else { throw InputError(path: e.path + ".kind", reason: "valeur attendue : acquisition ou miseEnConformite") }
                estKind = k
            } else if let k = try e.optional("kind") {
                let value = try k.enumValue(ProjectKind.self)
                guard value == kind else { throw InputError(path: k.path, reason: "la nature d'un établissement n'est admise que dans un projet mixte (projet : \(kind.rawValue))") }
            }
            establishments.append(Establishment(
                finessET: et,
                finessEJ: ej,
                name: try e.required("name").nonEmptyString(),
                sector: try e.required("sector").enumValue(Sector.self),
                department: try e.required("department").department(),
                priorEsmsNumeriqueFunding: try e.optional("priorEsmsNumeriqueFunding")?.bool() ?? false,
                sonsOrderSoftware: try e.optional("sonsOrderSoftware")?.optionalString(),
                kind: estKind,
                essms: try e.optional("essms")?.bool() ?? true,
                confortActivity: try e.optional("confortActivity")?.bool() ?? false,
                attachedToNationalEntity: try e.optional("attachedToNationalEntity")?.bool() ?? false,
                solution: try e.optional("solution")?.optionalString()))
        }
        if establishments.isEmpty { throw InputError(path: "establishments", reason: "au moins un établissement est attendu") }

        var filingDate: CalendarDate? = nil
        if let f = try root.optional("filingDate"), !f.isNull {
            guard let d = CalendarDate(iso: try f.string()) else { throw InputError(path: f.path, reason: "date attendue au format AAAA-MM-JJ") }
            filingDate = d
        }
        return Project(
            campaign: try root.required("campaign").nonEmptyString(),
            kind: kind, solution: solution, porteur: porteur,
            nationalRepresentativeness: try root.optional("nationalRepresentativeness")?.bool() ?? false,
            matureProjectOwner: try root.optional("matureProjectOwner")?.bool() ?? false,
            procurement: try root.required("procurement").enumValue(Procurement.self),
            organismes: organismes, establishments: establishments, filingDate: filingDate)
    }
}

/// A value at a JSON path, with typed readers whose errors name the path. The path string is
/// built only when an error needs it (a 46-establishment project reads some 500 fields).
struct Field {
    let json: JSON
    /// The path of the containing object or array element, and this field's key in it.
    let base: String
    let key: String?

    init(json: JSON, path: String) { self.json = json; self.base = path; self.key = nil }
    init(json: JSON, base: String, key: String) { self.json = json; self.base = base; self.key = key }

    var path: String {
        guard let key else { return base }
        return base.isEmpty ? key : "\(base).\(key)"
    }

    var isNull: Bool { if case .null = json { return true } else { return false } }

    func fail(_ reason: String) -> InputError { InputError(path: path, reason: reason) }

    func child(_ key: String) -> String { Field(json: .null, base: path, key: key).path }

    func requireObject() throws(InputError) {
        guard case .object = json else { throw fail("un objet est attendu, trouvé \(json.typeName)") }
    }

    func required(_ key: String) throws(InputError) -> Field {
        guard let v = json[key] else { throw InputError(path: child(key), reason: "champ obligatoire manquant") }
        return Field(json: v, base: path, key: key)
    }

    func optional(_ key: String) throws(InputError) -> Field? {
        guard let v = json[key] else { return nil }
        return Field(json: v, base: path, key: key)
    }

    func array() throws(InputError) -> [Field] {
        guard case let .array(items) = json else { throw fail("un tableau est attendu, trouvé \(json.typeName)") }
        return items.enumerated().map { Field(json: $1, path: "\(path)[\($0)]") }
    }

    /// An array of at most `limit` items (`Limits`), refused before any item is read.
    func array(atMost limit: Int, of noun: String) throws(InputError) -> [Field] {
        guard case let .array(items) = json else { throw fail("un tableau est attendu, trouvé \(json.typeName)") }
        if let refusal = Limits.refusal(count: items.count, limit: limit, noun: noun, path: path) { throw refusal }
        return items.enumerated().map { Field(json: $1, path: "\(path)[\($0)]") }
    }

    func string() throws(InputError) -> String {
        guard case let .string(s) = json else { throw fail("une chaîne est attendue, trouvé \(json.typeName)") }
        return s
    }

    func nonEmptyString() throws(InputError) -> String {
        let s = try string()
        guard !s.allSatisfy({ $0.isWhitespace }) else { throw fail("ne doit pas être vide") }
        return s
    }

    func optionalString() throws(InputError) -> String? {
        if isNull { return nil }
        return try nonEmptyString()
    }

    func bool() throws(InputError) -> Bool {
        guard case let .bool(b) = json else { throw fail("true ou false est attendu, trouvé \(json.typeName)") }
        return b
    }

    func count(limit: Int) throws(InputError) -> Int {
        guard case let .number(n) = json else { throw fail("un nombre entier est attendu, trouvé \(json.typeName)") }
        guard let v = Int(n), v >= 0 else { throw fail("un nombre entier positif ou nul est attendu, trouvé \(Limits.quote(n))") }
        guard v <= limit else { throw fail("\(v) dépasse le maximum admis (\(limit.grouped))") }
        return v
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws(InputError) -> E where E.RawValue == String {
        let s = try string()
        guard let v = E(rawValue: s) else {
            throw fail("valeur « \(Limits.quote(s)) » inconnue ; valeurs admises : \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }

    func finess() throws(InputError) -> String {
        let s = try string()
        if let problem = FinessNumber.problem(s) { throw fail(problem.french + " (« \(Limits.quote(s)) »)") }
        return s
    }

    func department() throws(InputError) -> Department {
        let s = try string()
        guard let d = Territory.department(s) else {
            throw fail("département INSEE inconnu « \(Limits.quote(s)) » ; attendu 01…95, 2A, 2B, 971…974 ou 976")
        }
        return d
    }
}
