/// The DUI core as rules (`shared/spec/dui.md`): the checks of an identity (the NIR's key, the
/// RNIV status a record may claim) and the five usage measures of an establishment computed from
/// its records, month by month, by the definitions of the spec (U2). Pure: the store gives the
/// records, this counts.
public enum INS {
    /// A NIR (13 characters, 2A/2B for a birth in Corsica) and its 2-digit key: the key is
    /// `97 − (the 13 characters as a number, 2A read as 19 and 2B as 18) mod 97`. Nil when well
    /// formed and right; otherwise why, in French.
    public static func problem(nir: String, key: String) -> String? {
        let chars = Array(nir.uppercased())
        guard chars.count == 13 else { return "le NIR a 13 caractères (\(chars.count) donnés)" }
        var digits = String(chars)
        if chars[5] == "2", chars[6] == "A" || chars[6] == "B" {
            digits = String(chars[0..<5]) + (chars[6] == "A" ? "19" : "18") + String(chars[7...])
        }
        guard digits.count == 13, digits.allSatisfy(\.isASCIIDigitForNIR), let number = UInt64(digits) else {
            return "NIR mal formé : 13 chiffres attendus (2A ou 2B pour une naissance en Corse)"
        }
        guard key.count == 2, key.allSatisfy(\.isASCIIDigitForNIR), let given = Int(key) else { return "clé du NIR : 2 chiffres attendus" }
        let expected = 97 - Int(number % 97)
        return given == expected ? nil : "clé du NIR invalide (\(key) ; la clé de ce NIR est \(expected < 10 ? "0" : "")\(expected))"
    }
}

extension Character {
    fileprivate var isASCIIDigitForNIR: Bool { ("0"..."9").contains(self) }
}

/// The RNIV statuses of an identity, and what a record may claim.
public enum IdentityStatus: String, CaseIterable, Sendable {
    case provisoire, recuperee, validee, qualifiee

    /// The documents of high trust (identity card, passport, residence permit) and the others.
    public enum Document: String, CaseIterable, Sendable {
        case CNI, passeport, titreSejour, acteNaissance, livretFamille
        public var highTrust: Bool { self == .CNI || self == .passeport || self == .titreSejour }
    }

    /// `qualifiee` only with a retrieved INS and a high-trust document checked (RNIV); nil when
    /// the claim holds, otherwise why.
    public static func problem(claimed: IdentityStatus, insRetrieved: Bool, document: Document?) -> String? {
        guard claimed == .qualifiee else { return nil }
        switch (insRetrieved, document?.highTrust ?? false) {
        case (true, true): return nil
        case (false, true): return "identité qualifiée seulement avec un INS récupéré (téléservice INSi ou document qui le porte)"
        case (true, false): return "identité qualifiée seulement après contrôle d'une pièce à haut niveau de confiance (CNI, passeport, titre de séjour)"
        case (false, false): return "identité qualifiée seulement avec un INS récupéré et une pièce à haut niveau de confiance contrôlée"
        }
    }
}

/// What the measures read of one person's record in an establishment.
public struct DUIRecord: Sendable {
    public struct Stay: Sendable {
        public let start: CalendarDate
        public let end: CalendarDate?
        public init(start: CalendarDate, end: CalendarDate?) { self.start = start; self.end = end }
    }

    public enum EventStatus: String, CaseIterable, Sendable { case prevu, realise, annule }

    public struct Projet: Sendable {
        public let elaboratedOn: CalendarDate
        public let nextReview: CalendarDate
        /// Agreed by the person or their representative (`valide`); `enCours` otherwise.
        public let agreed: Bool
        public init(elaboratedOn: CalendarDate, nextReview: CalendarDate, agreed: Bool) {
            self.elaboratedOn = elaboratedOn; self.nextReview = nextReview; self.agreed = agreed
        }
    }

    public var stays: [Stay]
    /// Notes and documents: the days they are dated.
    public var entries: [CalendarDate]
    public var events: [(start: CalendarDate, status: EventStatus)]
    public var projets: [Projet]
    /// The days of the successful MSSanté sendings about the person (each one a message).
    public var mssSent: [CalendarDate]
    /// The days of the successful DMP submissions of the person's documents.
    public var dmpSubmitted: [CalendarDate]

    public init(stays: [Stay] = [], entries: [CalendarDate] = [], events: [(start: CalendarDate, status: EventStatus)] = [], projets: [Projet] = [],
                mssSent: [CalendarDate] = [], dmpSubmitted: [CalendarDate] = []) {
        self.stays = stays; self.entries = entries; self.events = events; self.projets = projets; self.mssSent = mssSent; self.dmpSubmitted = dmpSubmitted
    }
}

public enum DUIMeasures {
    /// The definitions printed with every report (U2), in French.
    public static let definitions: [(column: String, definition: String)] = [
        ("persons", "personnes dont un séjour couvre au moins un jour du mois"),
        ("activeRecords", "parmi elles, celles dont le dossier a au moins une entrée datée du mois : note, événement non annulé, document, ou version de projet personnalisé élaborée dans le mois"),
        ("activeWithProjet", "dossiers actifs avec un projet personnalisé validé en vigueur dans le mois (élaboré au plus tard le dernier jour, révision prévue au plus tôt le premier jour)"),
        ("activeWithEvent", "dossiers actifs avec au moins un événement prévu ou réalisé commençant dans le mois"),
        ("mssMessagesSent", "messages MSSanté envoyés avec succès dans le mois au sujet des personnes de l'établissement"),
        ("dmpFedPersons", "personnes du mois dont au moins un document a été versé avec succès au DMP dans le mois"),
    ]

    /// The monthly rows of `usage.md` for `from`…`to` (at most 240 months). `dmpFedPersons`
    /// counts only the month's persons, so that a row never says more persons fed than
    /// accompanied (`usage.md` refuses it); MSSanté messages count whoever they are about (U3).
    public static func monthly(finessET: String, records: [DUIRecord], from: YearMonth, to: YearMonth) -> [MonthlyMeasure] {
        guard from <= to else { return [] }
        let base = from.year * 12 + from.month - 1
        let count = min(240, to.year * 12 + to.month - 1 - base + 1)
        func index(_ d: CalendarDate) -> Int? {
            let i = d.year * 12 + d.month - 1 - base
            return i >= 0 && i < count ? i : nil
        }
        func clamp(_ i: Int) -> Int { max(0, min(count - 1, i)) }
        var persons = [Int](repeating: 0, count: count), active = persons, withProjet = persons, withEvent = persons, mss = persons, dmp = persons
        var present = [Bool](repeating: false, count: count), hasEntry = present, hasProjet = present, hasEvent = present, fed = present
        for r in records {
            for i in 0..<count { present[i] = false; hasEntry[i] = false; hasProjet[i] = false; hasEvent[i] = false; fed[i] = false }
            for s in r.stays {
                let first = s.start.year * 12 + s.start.month - 1 - base
                let last = s.end.map { $0.year * 12 + $0.month - 1 - base } ?? count - 1
                guard last >= 0, first < count, last >= first else { continue }
                for i in clamp(first)...clamp(last) { present[i] = true }
            }
            for d in r.entries { if let i = index(d) { hasEntry[i] = true } }
            for e in r.events where e.status != .annule {
                guard let i = index(e.start) else { continue }
                hasEntry[i] = true
                hasEvent[i] = true
            }
            for p in r.projets {
                if let i = index(p.elaboratedOn) { hasEntry[i] = true }
                guard p.agreed else { continue }
                // In force from the month of its elaboration to the month of its next review.
                let first = p.elaboratedOn.year * 12 + p.elaboratedOn.month - 1 - base
                let last = p.nextReview.year * 12 + p.nextReview.month - 1 - base
                guard last >= 0, first < count, last >= first else { continue }
                for i in clamp(first)...clamp(last) { hasProjet[i] = true }
            }
            for d in r.mssSent { if let i = index(d) { mss[i] += 1 } }
            for d in r.dmpSubmitted { if let i = index(d) { fed[i] = true } }
            for i in 0..<count where present[i] {
                persons[i] += 1
                if fed[i] { dmp[i] += 1 }
                guard hasEntry[i] else { continue }
                active[i] += 1
                if hasProjet[i] { withProjet[i] += 1 }
                if hasEvent[i] { withEvent[i] += 1 }
            }
        }
        return (0..<count).map { i in
            MonthlyMeasure(finessET: finessET, month: from.adding(i), persons: persons[i], activeRecords: active[i], activeWithProjet: withProjet[i],
                           activeWithEvent: withEvent[i], mssMessagesSent: mss[i], dmpFedPersons: dmp[i])
        }
    }
}
