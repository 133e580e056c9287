/// The bounds on what comes from outside (files, forms, the API). Each is far above any real
/// value and low enough that no arithmetic of the rules on bounded input can overflow: the largest
/// sum (10 000 ESSMS × 3 months × 100 000 000 messages) times 100 stays below 2⁶³.
public enum Limits {
    /// Establishments in one project (`establishments`): France counts about 40 000 ESSMS in all.
    public static let establishmentsPerProject = 10_000
    /// ESSMS of one organisme gestionnaire (`essmsCount`).
    public static let essmsPerOrganisme = 100_000
    /// Persons and records of one ESSMS in one month (`persons`, `activeRecords`, `activeWithProjet`,
    /// `activeWithEvent`, `dmpFedPersons`).
    public static let personsPerMonth = 1_000_000
    /// MSSanté messages sent by one ESSMS in one month (`mssMessagesSent`, which may exceed the persons, U3).
    public static let messagesPerMonth = 100_000_000
    /// Declared expenses (`expenses`): one billion euros, in cents.
    public static let expensesCents: Cents = 100_000_000_000
    /// What an error message quotes of a bad value.
    public static let quotedCharacters = 80

    /// The refusal of a list longer than its bound (`establishments`, `organismes`), or nil.
    public static func refusal(count: Int, limit: Int, noun: String, path: String) -> InputError? {
        count > limit ? InputError(path: path, reason: "\(count) \(noun) : \(limit.grouped) au plus par projet") : nil
    }

    /// The largest count a measures column takes.
    public static func measure(_ column: String) -> Int {
        column == "mssMessagesSent" ? messagesPerMonth : personsPerMonth
    }

    /// A bad value as an error message quotes it: at most 80 characters, then « … (N caractères) ».
    public static func quote(_ value: some StringProtocol) -> String {
        var count = 0
        var end = value.startIndex
        while end < value.endIndex, count < quotedCharacters { end = value.index(after: end); count += 1 }
        if end == value.endIndex { return String(value) }
        return String(value[..<end]) + "… (\(value.count) caractères)"
    }
}

extension Int {
    /// `1000000` → `1 000 000`, for the limits in messages.
    public var grouped: String { Money.groupThousands(UInt(Swift.max(0, self))) }
}
