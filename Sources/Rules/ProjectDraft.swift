/// A project being built (a saved grappe): the contract of `shared/spec/simulation.md` in which
/// any field may still be missing (establishments given by FINESS ET alone, no porteur yet), but
/// every field present has its type and its bounds. The store saves nothing else, so that a saved
/// project can always be read back.
public enum ProjectDraft {
    public static func validate(_ json: JSON) throws(InputError) {
        let root = Field(json: json, path: "")
        try root.requireObject()
        if let f = try root.optional("campaign") { _ = try f.nonEmptyString() }
        if let f = try root.optional("kind") { _ = try f.enumValue(ProjectKind.self) }
        if let s = try root.optional("solution") {
            try s.requireObject()
            if let f = try s.optional("name") { _ = try f.string() }
            if let f = try s.optional("editor") { _ = try f.string() }
            if let f = try s.optional("referencing") { _ = try f.enumValue(Referencing.self) }
        }
        if let f = try root.optional("porteur"), !f.isNull { _ = try f.finess() }
        for key in ["nationalRepresentativeness", "matureProjectOwner"] {
            if let f = try root.optional(key) { _ = try f.bool() }
        }
        if let f = try root.optional("procurement") { _ = try f.enumValue(Project.Procurement.self) }
        if let list = try root.optional("organismes") {
            for o in try list.array(atMost: Limits.establishmentsPerProject, of: "organismes") {
                try o.requireObject()
                if let f = try o.optional("finessEJ") { _ = try f.finess() }
                if let f = try o.optional("name") { _ = try f.string() }
                if let f = try o.optional("essmsCount") { _ = try f.count(limit: Limits.essmsPerOrganisme) }
                if let f = try o.optional("subjectToPublicProcurementCode") { _ = try f.bool() }
                if let f = try o.optional("department"), !f.isNull { _ = try f.department() }
            }
        }
        if let list = try root.optional("establishments") {
            for e in try list.array(atMost: Limits.establishmentsPerProject, of: "établissements") {
                try e.requireObject()
                let et = try e.required("finessET")
                if !et.isNull { _ = try et.finess() }
                if let f = try e.optional("finessEJ") { _ = try f.finess() }
                if let f = try e.optional("name") { _ = try f.string() }
                if let f = try e.optional("sector") { _ = try f.enumValue(Sector.self) }
                if let f = try e.optional("department") { _ = try f.department() }
                if let f = try e.optional("kind") { _ = try f.enumValue(ProjectKind.self) }
                for key in ["priorEsmsNumeriqueFunding", "essms", "confortActivity", "attachedToNationalEntity"] {
                    if let f = try e.optional(key) { _ = try f.bool() }
                }
                for key in ["sonsOrderSoftware", "solution"] {
                    if let f = try e.optional(key) { _ = try f.optionalString() }
                }
            }
        }
        for key in ["filingDate", "commitmentDate", "vsrDate"] {
            if let f = try root.optional(key), !f.isNull {
                guard CalendarDate(iso: try f.string()) != nil else { throw f.fail("date attendue au format AAAA-MM-JJ") }
            }
        }
        if let f = try root.optional("expenses"), !f.isNull {
            guard case let .number(n) = f.json, UsageProject.cents(n) != nil else {
                throw f.fail("montant en euros positif attendu, au plus deux décimales, au plus \(Money.format(Limits.expensesCents))")
            }
        }
        // What is stored must read back as the same value (a number's text is kept as written).
        guard (try? JSON.parse(json.rendered(indent: false))) == json else {
            throw InputError(path: "", reason: "le projet ne se relit pas à l'identique : une valeur n'est pas du JSON valide")
        }
    }
}
