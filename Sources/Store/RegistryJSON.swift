import Rules

/// The registry's records in the JSON of `shared/spec/registry.md`.
public enum RegistryJSON {
    public static func establishment(_ e: RegistryEstablishment) -> JSON {
        .object([
            ("finessET", .string(e.finessET)), ("finessEJ", .string(e.finessEJ)), ("name", .string(e.name)),
            ("longName", e.longName.map(JSON.string) ?? .null),
            ("category", .string(e.category)), ("categoryLabel", e.categoryLabel.map(JSON.string) ?? .null),
            ("aggregate", .string(e.aggregate)), ("essms", .bool(e.essms)),
            ("sector", e.sector.map { .string($0.rawValue) } ?? .null), ("sectorDecision", .string(e.sectorDecision.rawValue)),
            ("department", e.department.map(JSON.string) ?? .null), ("finessDepartment", .string(e.finessDepartment)),
            ("region", e.region.map(JSON.string) ?? .null), ("overseasOrCorsica", .bool(e.overseasOrCorsica)),
            ("town", e.town.map(JSON.string) ?? .null),
            ("extractionDate", .string(e.extractionDate)), ("closedOn", e.closedOn.map(JSON.string) ?? .null),
        ])
    }

    /// Small-OG status under the national grid (D2): a legal entity is not tied to one campaign.
    public static func smallOG(_ j: RegistryLegalEntity, essmsCount: Int) -> (small: Bool, threshold: Int) {
        let og = Project.Organisme(finessEJ: j.finessEJ, name: j.name, essmsCount: essmsCount, department: j.department.flatMap { Territory.department($0) })
        guard let judged = CampaignCatalogue.bundled.nationalGrid?.smallOG(og) else { return (false, 0) }
        return (judged.small, judged.threshold)
    }

    public static func legalEntity(_ j: RegistryLegalEntity, essmsCount: Int) -> JSON {
        let department = j.department.flatMap { Territory.department($0) }
        return .object([
            ("finessEJ", .string(j.finessEJ)), ("name", .string(j.name)), ("longName", j.longName.map(JSON.string) ?? .null),
            ("department", j.department.map(JSON.string) ?? .null), ("region", department.map { .string($0.region.code) } ?? .null),
            ("town", j.town.map(JSON.string) ?? .null),
            ("legalStatus", j.legalStatus.map(JSON.string) ?? .null), ("legalStatusLabel", j.legalStatusLabel.map(JSON.string) ?? .null),
            ("essmsCount", .int(essmsCount)), ("smallOG", .bool(smallOG(j, essmsCount: essmsCount).small)),
            ("extractionDate", .string(j.extractionDate)), ("closedOn", j.closedOn.map(JSON.string) ?? .null),
        ])
    }
}
