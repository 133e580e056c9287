import Foundation

/// The records of `dui.md` as they are sent: each read field by field, refused with the field's
/// path (422), and given back as the JSON that is stored with the values the measures read.
public enum DUIInput {
    /// What the measures and the lists read of an entry, beside its JSON.
    public struct Entry: Sendable, Equatable {
        public let kind: Kind
        /// The day it is dated: a stay's start, a PP's elaboration, an event's start, a note's
        /// or a document's date; nil for a contact.
        public let day: CalendarDate?
        /// A stay's end, a PP's next review.
        public let until: CalendarDate?
        /// An event's or a PP's status.
        public let status: String?
        public let json: JSON
        /// A document's PDF.
        public let content: [UInt8]?
    }

    public enum Kind: String, CaseIterable, Sendable {
        case contact, stay, projet, event, note, document, admission
    }

    /// An admission request's statuses: `recue` → `enEtude` → `acceptee` / `refusee` (with a
    /// reason) → `admise` / `annulee`; the waiting list is the requests `recue`, `enEtude`,
    /// `acceptee`.
    public enum AdmissionStatus: String, CaseIterable, Sendable {
        case recue, enEtude, acceptee, refusee, admise, annulee

        public var waiting: Bool { self == .recue || self == .enEtude || self == .acceptee }

        /// The statuses a request may take next (itself excepted).
        public var next: [AdmissionStatus] {
            switch self {
            case .recue: return [.enEtude, .annulee]
            case .enEtude: return [.acceptee, .refusee, .annulee]
            case .acceptee: return [.admise, .annulee]
            case .refusee, .admise, .annulee: return []
            }
        }
    }

    public enum StayMode: String, CaseIterable, Sendable { case hebergementPermanent, hebergementTemporaire, accueilDeJour, domicile, milieuOuvert }
    public enum ContactKind: String, CaseIterable, Sendable { case proche, aidant, representantLegal, personneDeConfiance }
    public enum NoteCategory: String, CaseIterable, Sendable { case transmission, soin, social }
    public enum DocumentType: String, CaseIterable, Sendable { case projetPersonnalise, dlu, vsm, lettreLiaison, compteRendu, autre }
    public enum ProjetStatus: String, CaseIterable, Sendable { case enCours, valide }
    public enum Sex: String, CaseIterable, Sendable { case F, M }

    static func day(_ f: Field, today: CalendarDate) throws(InputError) -> CalendarDate {
        guard let d = CalendarDate(iso: try f.string()) else { throw f.fail("date attendue au format AAAA-MM-JJ") }
        guard d <= today else { throw f.fail("date postérieure à aujourd'hui (\(today.french))") }
        return d
    }

    static func text(_ f: Field, max: Int = 10_000) throws(InputError) -> String {
        let s = try f.nonEmptyString()
        guard s.count <= max else { throw f.fail("\(max) caractères au plus") }
        return s
    }

    static func texts(_ f: Field?) throws(InputError) -> JSON {
        guard let f, !f.isNull else { return .array([]) }
        var out: [JSON] = []
        for item in try f.array(atMost: 200, of: "éléments") { out.append(.string(try text(item, max: 2_000))) }
        return .array(out)
    }

    /// A person's identity: names, birth, INS with its key, and the RNIV status it may claim.
    public static func person(_ json: JSON, today: CalendarDate) throws(InputError) -> JSON {
        let root = Field(json: json, path: "")
        try root.requireObject()
        var out: [(String, JSON)] = []
        let birthName = try text(try root.required("birthName"), max: 200)
        out.append(("birthName", .string(birthName)))
        if let f = try root.optional("usedName"), !f.isNull { out.append(("usedName", .string(try text(f, max: 200)))) }
        let firstNames = try root.required("firstNames")
        var names: [JSON] = []
        for f in try firstNames.array(atMost: 10, of: "prénoms") { names.append(.string(try text(f, max: 100))) }
        guard !names.isEmpty else { throw firstNames.fail("au moins un prénom") }
        out.append(("firstNames", .array(names)))
        let birth = try day(try root.required("birthDate"), today: today)
        out.append(("birthDate", .string(birth.description)))
        out.append(("sex", .string(try root.required("sex").enumValue(Sex.self).rawValue)))
        let place = try root.required("birthPlace")
        let placeText = try place.string()
        guard placeText.count == 5, placeText.allSatisfy({ $0.isNumber || $0 == "A" || $0 == "B" }) else {
            throw place.fail("code INSEE de la commune de naissance attendu (5 caractères, 99xxx à l'étranger)")
        }
        out.append(("birthPlace", .string(placeText)))
        var insRetrieved = false
        if let f = try root.optional("ins"), !f.isNull {
            try f.requireObject()
            let nirField = try f.required("nir")
            let nir = try nirField.string().uppercased()
            guard nir.count == 15 else { throw nirField.fail("le matricule INS a 15 caractères : le NIR (13) et sa clé (2)") }
            if let problem = INS.problem(nir: String(nir.prefix(13)), key: String(nir.suffix(2))) { throw nirField.fail(problem) }
            let oid = try text(try f.required("oid"), max: 64)
            out.append(("ins", .object([("nir", .string(nir)), ("oid", .string(oid))])))
            insRetrieved = true
        } else {
            out.append(("ins", .null))
        }
        var document: IdentityStatus.Document? = nil
        if let f = try root.optional("identityDocument"), !f.isNull {
            try f.requireObject()
            document = try f.required("type").enumValue(IdentityStatus.Document.self)
            let checked = try day(try f.required("checkedOn"), today: today)
            var doc: [(String, JSON)] = [("type", .string(document!.rawValue)), ("checkedOn", .string(checked.description))]
            if let by = try f.optional("checkedBy"), !by.isNull { doc.append(("checkedBy", .string(try text(by, max: 200)))) }
            out.append(("identityDocument", .object(doc)))
        } else {
            out.append(("identityDocument", .null))
        }
        let statusField = try root.required("identityStatus")
        let status = try statusField.enumValue(IdentityStatus.self)
        if let problem = IdentityStatus.problem(claimed: status, insRetrieved: insRetrieved, document: document) { throw statusField.fail(problem) }
        out.append(("identityStatus", .string(status.rawValue)))
        return .object(out)
    }

    /// An entry of a person's record (`kind`), as `POST /persons/{id}/…` sends it.
    public static func entry(_ kind: Kind, _ json: JSON, today: CalendarDate) throws(InputError) -> Entry {
        let root = Field(json: json, path: "")
        try root.requireObject()
        switch kind {
        case .contact:
            var out: [(String, JSON)] = [("kind", .string(try root.required("kind").enumValue(ContactKind.self).rawValue)),
                                         ("name", .string(try text(try root.required("name"), max: 200)))]
            for key in ["phone", "email"] { if let f = try root.optional(key), !f.isNull { out.append((key, .string(try text(f, max: 200)))) } }
            return Entry(kind: kind, day: nil, until: nil, status: nil, json: .object(out), content: nil)
        case .stay:
            let start = try day(try root.required("start"), today: today)
            var end: CalendarDate? = nil
            if let f = try root.optional("end"), !f.isNull {
                end = try day(f, today: today)
                guard let e = end, e >= start else { throw f.fail("la fin du séjour précède son début (\(start.french))") }
            }
            let mode = try root.required("mode").enumValue(StayMode.self)
            return Entry(kind: kind, day: start, until: end, status: nil,
                         json: .object([("start", .string(start.description)), ("end", end.map { .string($0.description) } ?? .null), ("mode", .string(mode.rawValue))]), content: nil)
        case .projet:
            let elaborated = try day(try root.required("elaboratedOn"), today: today)
            let reviewField = try root.required("nextReview")
            guard let review = CalendarDate(iso: try reviewField.string()) else { throw reviewField.fail("date attendue au format AAAA-MM-JJ") }
            guard review >= elaborated, review <= elaborated.adding(months: 12) else {
                throw reviewField.fail("la révision a lieu au plus un an après l'élaboration (\(elaborated.french)), au plus tard le \(elaborated.adding(months: 12).french)")
            }
            let status = try root.required("status").enumValue(ProjetStatus.self)
            var out: [(String, JSON)] = [("elaboratedOn", .string(elaborated.description)), ("nextReview", .string(review.description)), ("status", .string(status.rawValue))]
            if status == .valide {
                let agreed = try day(try root.required("agreedOn"), today: today)
                out.append(("agreedOn", .string(agreed.description)))
            }
            if let f = try root.optional("expectations"), !f.isNull { out.append(("expectations", .string(try text(f)))) }
            out.append(("needs", try texts(try root.optional("needs"))))
            var objectives: [JSON] = []
            if let f = try root.optional("objectives"), !f.isNull {
                for o in try f.array(atMost: 100, of: "objectifs") {
                    try o.requireObject()
                    var item: [(String, JSON)] = [("label", .string(try text(try o.required("label"), max: 500))), ("status", .string(try text(try o.required("status"), max: 50)))]
                    if let due = try o.optional("due"), !due.isNull {
                        guard let d = CalendarDate(iso: try due.string()) else { throw due.fail("date attendue au format AAAA-MM-JJ") }
                        item.append(("due", .string(d.description)))
                    }
                    objectives.append(.object(item))
                }
            }
            out.append(("objectives", .array(objectives)))
            out.append(("actions", try texts(try root.optional("actions"))))
            return Entry(kind: kind, day: elaborated, until: review, status: status.rawValue, json: .object(out), content: nil)
        case .event:
            let startField = try root.required("start")
            let startText = try startField.string()
            guard let start = CalendarDate(iso: String(startText.prefix(10))) else { throw startField.fail("date ou date et heure ISO 8601 attendue (AAAA-MM-JJ[THH:MM])") }
            let status = try root.required("status").enumValue(DUIRecord.EventStatus.self)
            // A planned event may be in the future; one done may not.
            if status == .realise, start > today { throw startField.fail("un événement réalisé ne peut pas être daté après aujourd'hui (\(today.french))") }
            var out: [(String, JSON)] = [("start", .string(startText)), ("type", .string(try text(try root.required("type"), max: 100))), ("status", .string(status.rawValue))]
            if let f = try root.optional("end"), !f.isNull { out.append(("end", .string(try text(f, max: 30)))) }
            out.append(("participants", try texts(try root.optional("participants"))))
            return Entry(kind: kind, day: start, until: nil, status: status.rawValue, json: .object(out), content: nil)
        case .note:
            let date = try day(try root.required("date"), today: today)
            let category = try root.required("category").enumValue(NoteCategory.self)
            return Entry(kind: kind, day: date, until: nil, status: nil,
                         json: .object([("date", .string(date.description)), ("category", .string(category.rawValue)), ("text", .string(try text(try root.required("text"))))]),
                         content: nil)
        case .admission:
            let received = try day(try root.required("receivedOn"), today: today)
            let status = try root.required("status").enumValue(AdmissionStatus.self)
            var out: [(String, JSON)] = [("person", .string(try text(try root.required("person"), max: 64))), ("receivedOn", .string(received.description)),
                                         ("status", .string(status.rawValue)), ("waiting", .bool(status.waiting))]
            if let f = try root.optional("origin"), !f.isNull { out.append(("origin", .string(try text(f, max: 500)))) }
            if status == .refusee {
                out.append(("reason", .string(try text(try root.required("reason"), max: 2_000))))
            } else if let f = try root.optional("reason"), !f.isNull {
                out.append(("reason", .string(try text(f, max: 2_000))))
            }
            return Entry(kind: kind, day: received, until: nil, status: status.rawValue, json: .object(out), content: nil)
        case .document:
            let date = try day(try root.required("date"), today: today)
            let type = try root.required("type").enumValue(DocumentType.self)
            let title = try text(try root.required("title"), max: 300)
            let contentField = try root.required("content")
            guard let data = Data(base64Encoded: try contentField.string()), data.starts(with: Array("%PDF".utf8)) else {
                throw contentField.fail("PDF attendu, encodé en base64")
            }
            guard data.count <= 20 << 20 else { throw contentField.fail("20 Mio au plus") }
            return Entry(kind: kind, day: date, until: nil, status: nil,
                         json: .object([("type", .string(type.rawValue)), ("title", .string(title)), ("date", .string(date.description)), ("size", .int(data.count))]),
                         content: Array(data))
        }
    }
}
