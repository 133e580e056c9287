import Foundation
import Rules
import Store

/// The DUI pages of an establishment (`dui.md`), for its professionals and direction: the persons
/// with the waiting list, a person's record by tabs, the agenda of a week or a month, the
/// indicators. Each page carries the establishment's own menu.
struct DUINav {
    let name: String
    let finessET: String
    let items: [Layout.MenuItem]

    enum Page { case persons, agenda, indicators, person }

    init(finessET: String, name: String, current: Page) {
        self.name = name
        self.finessET = finessET
        items = [
            Layout.MenuItem(href: SiteURL.duiPersons(finessET).path, label: "Personnes accompagnées", current: current == .persons),
            Layout.MenuItem(href: SiteURL.duiAgenda(finessET).path, label: "Agenda", current: current == .agenda),
            Layout.MenuItem(href: SiteURL.duiIndicators(finessET).path, label: "Indicateurs", current: current == .indicators),
        ]
    }
}

/// How a person is named on the pages, in a message and in a CDA document: the used name (else
/// the birth name), the first names; the fields of a record read as text.
enum PersonName {
    static func of(_ identity: JSON) -> String {
        let used = text(identity["usedName"])
        return ([used.isEmpty ? text(identity["birthName"]) : used] + firstNames(identity).prefix(1)).joined(separator: " ")
    }

    static func firstNames(_ identity: JSON) -> [String] {
        guard case let .array(names)? = identity["firstNames"] else { return [] }
        return names.map { text($0) }
    }

    static func text(_ json: JSON?) -> String {
        switch json {
        case let .string(s)?: return s
        case let .number(n)?: return n
        default: return ""
        }
    }

    static func day(_ json: JSON?) -> String { CalendarDate(iso: text(json)).map(\.french) ?? text(json) }
}

/// `/etablissements/:et/personnes` (`Templates/dui-persons.mustache`): the persons, searched by
/// name, first name or INS, with their current stay; the waiting list.
struct DUIPersonsView: PageView {
    static let template = "dui-persons"
    let layout: Layout
    let nav: DUINav
    let query: String
    let caption: String
    let persons: [Row]
    let waiting: [Request]
    /// The closed requests, said when there are some.
    let others: String?

    struct Row {
        let href: String
        let name: String
        let birth: String
        let identity: String
        let stay: String
    }

    struct Request {
        let href: String
        let name: String
        let received: String
        let status: String
        let origin: String
    }

    static let statusLabels = ["recue": "reçue", "enEtude": "à l'étude", "acceptee": "acceptée", "refusee": "refusée", "admise": "admise", "annulee": "annulée"]
    static let modeLabels = ["hebergementPermanent": "hébergement permanent", "hebergementTemporaire": "hébergement temporaire", "accueilDeJour": "accueil de jour",
                             "domicile": "à domicile", "milieuOuvert": "milieu ouvert"]
    static let identityLabels = ["provisoire": "provisoire", "recuperee": "récupérée", "validee": "validée", "qualifiee": "qualifiée"]

    /// Lower case, without accents: « Élodie » is found by « elodie ».
    static func folded(_ text: String) -> String { text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "fr_FR")) }

    init(nav: DUINav, query: String, persons: [(person: DUIRepository.Person, stay: JSON?)], admissions: [DUIRepository.Entry]) {
        layout = Layout(title: "Personnes — \(nav.name)")
        self.nav = nav
        self.query = query
        let names = Dictionary(persons.map { ($0.person.id, PersonName.of($0.person.identity)) }, uniquingKeysWith: { a, _ in a })
        let words = Self.folded(query).split(separator: " ").map(String.init)
        let found = persons.filter { item in
            let haystack = Self.folded(PersonName.of(item.person.identity) + " " + PersonName.text(item.person.identity["birthName"]) + " " + PersonName.text(item.person.identity["ins"]?["nir"]))
            return words.allSatisfy { haystack.contains($0) }
        }.sorted { Self.folded(PersonName.of($0.person.identity)) < Self.folded(PersonName.of($1.person.identity)) }
        caption = query.isEmpty ? "Personnes de l'établissement (\(persons.count))" : "Personnes trouvées pour « \(query) » : \(found.count) sur \(persons.count)"
        self.persons = found.prefix(500).map { item in
            let identity = item.person.identity
            let stay = item.stay.map { s in
                "\(Self.modeLabels[PersonName.text(s["mode"])] ?? PersonName.text(s["mode"])) depuis le \(PersonName.day(s["start"]))"
            } ?? "aucun séjour en cours"
            return Row(href: SiteURL.duiPerson(item.person.id).path, name: PersonName.of(identity), birth: PersonName.day(identity["birthDate"]),
                       identity: Self.identityLabels[PersonName.text(identity["identityStatus"])] ?? PersonName.text(identity["identityStatus"]), stay: stay)
        }
        let open = admissions.filter { $0.body["waiting"] == .bool(true) }
        waiting = open.map { a in
            let person = PersonName.text(a.body["person"])
            return Request(href: SiteURL.duiPerson(person).path, name: names[person] ?? person, received: PersonName.day(a.body["receivedOn"]),
                           status: Self.statusLabels[PersonName.text(a.body["status"])] ?? PersonName.text(a.body["status"]),
                           origin: PersonName.text(a.body["origin"]).isEmpty ? "—" : PersonName.text(a.body["origin"]))
        }
        let closed = admissions.count - open.count
        others = closed == 0 ? nil : "\(closed) autre\(closed > 1 ? "s" : "") demande\(closed > 1 ? "s" : "") close\(closed > 1 ? "s" : "") (admise, refusée ou annulée) : dans l'onglet « Séjours » de chaque personne."
    }
}

/// `/personnes/:id` (`Templates/person.mustache`): a person's record, one tab at a time (identité,
/// contacts, séjours, projet personnalisé, agenda, notes, documents), links without script.
struct PersonView: PageView {
    static let template = "person"
    let layout: Layout
    let nav: DUINav
    let name: String
    let tabs: [Layout.MenuItem]
    let tabTitle: String
    let facts: [Fact]
    let tables: [Table]
    let emptySentence: String?
    /// What the last form did, or why it was refused.
    var message: Message? = nil
    /// On the notes tab: a note to add.
    let noteForm: NoteForm?
    /// On the documents tab: a document to send by MSSanté, a document to submit to the DMP.
    let sendForm: SendForm?
    let dmpForm: DMPForm?

    struct DMPForm {
        let action: String
        let documents: [Option]
    }

    struct NoteForm {
        let action: String
        let date: String
        let categories: [Option]
        let text: String
    }

    struct SendForm {
        let action: String
        let documents: [Option]
        let recipient: String
    }

    struct Fact { let label: String; let value: String }
    struct Table {
        let caption: String
        let columns: [String]
        let rows: [[String]]
    }

    static let tabList: [(key: String, label: String)] = [
        ("identite", "Identité"), ("contacts", "Contacts"), ("sejours", "Séjours"), ("projet", "Projet personnalisé"),
        ("agenda", "Agenda"), ("notes", "Notes"), ("documents", "Documents"),
    ]
    static let contactLabels = ["proche": "proche", "aidant": "aidant", "representantLegal": "représentant légal", "personneDeConfiance": "personne de confiance"]
    static let noteLabels = ["transmission": "transmission", "soin": "soin", "social": "social"]
    static let documentLabels = ["projetPersonnalise": "projet personnalisé", "dlu": "DLU", "vsm": "VSM", "lettreLiaison": "lettre de liaison", "compteRendu": "compte rendu", "autre": "autre"]
    static let eventLabels = ["prevu": "prévu", "realise": "réalisé", "annule": "annulé"]
    static let sendingLabels = ["ok": "réussi", "echec": "échec", "enAttente": "en attente d'une nouvelle tentative"]
    static let projetLabels = ["enCours": "en cours d'élaboration", "valide": "validé", "revise": "révisé", "clos": "clos"]

    init(nav: DUINav, person: DUIRepository.Person, entries: [DUIRepository.Entry], sendings: [DUIRepository.Sending], tab: String,
         today: CalendarDate, typed: [String: String] = [:]) {
        let name = PersonName.of(person.identity)
        let tab = Self.tabList.contains { $0.key == tab } ? tab : "identite"
        let label = Self.tabList.first { $0.key == tab }!.label
        layout = Layout(title: "\(label) — \(name)")
        self.nav = nav
        self.name = name
        tabs = Self.tabList.map { Layout.MenuItem(href: SiteURL.duiPerson(person.id).path + "?onglet=\($0.key)", label: $0.label, current: $0.key == tab) }
        tabTitle = label
        func of(_ kind: DUIInput.Kind) -> [DUIRepository.Entry] { entries.filter { $0.kind == kind } }
        func t(_ json: JSON?) -> String { PersonName.text(json) }
        func d(_ json: JSON?) -> String { PersonName.day(json) }
        func list(_ json: JSON?) -> String {
            guard case let .array(items)? = json, !items.isEmpty else { return "—" }
            return items.map { t($0) }.joined(separator: ", ")
        }
        let identity = person.identity
        var facts: [Fact] = [], tables: [Table] = [], empty: String? = nil
        switch tab {
        case "contacts":
            let rows = of(.contact).map { c in [Self.contactLabels[t(c.body["kind"])] ?? t(c.body["kind"]), t(c.body["name"]), t(c.body["phone"]).isEmpty ? "—" : t(c.body["phone"]), t(c.body["email"]).isEmpty ? "—" : t(c.body["email"])] }
            if rows.isEmpty { empty = "Aucun contact enregistré." } else { tables = [Table(caption: "Contacts (\(rows.count))", columns: ["Lien", "Nom", "Téléphone", "Courriel"], rows: rows)] }
        case "sejours":
            let stays = of(.stay).map { s in [d(s.body["start"]), s.body["end"] == .null || s.body["end"] == nil ? "en cours" : d(s.body["end"]), DUIPersonsView.modeLabels[t(s.body["mode"])] ?? t(s.body["mode"])] }
            let requests = of(.admission).map { a in [d(a.body["receivedOn"]), DUIPersonsView.statusLabels[t(a.body["status"])] ?? t(a.body["status"]), t(a.body["origin"]).isEmpty ? "—" : t(a.body["origin"]), t(a.body["reason"]).isEmpty ? "—" : t(a.body["reason"])] }
            if !stays.isEmpty { tables.append(Table(caption: "Séjours (\(stays.count))", columns: ["Début", "Fin", "Mode"], rows: stays)) }
            if !requests.isEmpty { tables.append(Table(caption: "Demandes d'admission (\(requests.count))", columns: ["Reçue le", "Statut", "Origine", "Motif"], rows: requests)) }
            if tables.isEmpty { empty = "Aucun séjour ni demande d'admission." }
        case "projet":
            for p in of(.projet).reversed() {
                var rows = [["Statut", Self.projetLabels[t(p.body["status"])] ?? t(p.body["status"])], ["Élaboré le", d(p.body["elaboratedOn"])],
                            ["Accord de la personne", p.body["agreedOn"].map { _ in "le " + d(p.body["agreedOn"]) } ?? "pas encore"],
                            ["Prochaine révision", d(p.body["nextReview"])], ["Besoins", list(p.body["needs"])], ["Actions", list(p.body["actions"])]]
                if case let .array(objectives)? = p.body["objectives"] {
                    rows += objectives.map { o in ["Objectif", "\(t(o["label"])) — \(t(o["status"]))\(o["due"].map { _ in ", échéance le " + d(o["due"]) } ?? "")"] }
                }
                tables.append(Table(caption: "Projet personnalisé du \(d(p.body["elaboratedOn"])) (version \(p.version))", columns: ["Élément", "Valeur"], rows: rows))
            }
            if tables.isEmpty { empty = "Aucun projet personnalisé." }
        case "agenda":
            let rows = of(.event).reversed().map { e in [d(e.body["start"]) + (t(e.body["start"]).count > 10 ? " à " + String(t(e.body["start"]).dropFirst(11).prefix(5)) : ""),
                                                          t(e.body["type"]), Self.eventLabels[t(e.body["status"])] ?? t(e.body["status"]), list(e.body["participants"])] }
            if rows.isEmpty { empty = "Aucun événement." } else { tables = [Table(caption: "Événements, les plus récents d'abord (\(rows.count))", columns: ["Quand", "Type", "Statut", "Participants"], rows: Array(rows))] }
        case "notes":
            let rows = of(.note).reversed().map { n in [d(n.body["date"]), Self.noteLabels[t(n.body["category"])] ?? t(n.body["category"]), t(n.body["text"]), n.createdBy] }
            if rows.isEmpty { empty = "Aucune note." } else { tables = [Table(caption: "Notes, les plus récentes d'abord (\(rows.count))", columns: ["Date", "Catégorie", "Texte", "Auteur"], rows: Array(rows))] }
        case "documents":
            let rows = of(.document).reversed().map { doc -> [String] in
                let sent = sendings.filter { $0.document == doc.id }.map { s in
                    let channel = s.channel == .dmp ? "DMP" : "MSSanté à \(s.recipient ?? "?")"
                    return "\(channel) : \(Self.sendingLabels[s.outcome.rawValue] ?? s.outcome.rawValue) le \(s.day.french)"
                }
                return [d(doc.body["date"]), Self.documentLabels[t(doc.body["type"])] ?? t(doc.body["type"]), t(doc.body["title"]),
                        "\(max(1, (Int(t(doc.body["size"])) ?? 0 + 1023) / 1024)) Kio", sent.isEmpty ? "non envoyé" : sent.joined(separator: " ; ")]
            }
            if rows.isEmpty { empty = "Aucun document." } else { tables = [Table(caption: "Documents (\(rows.count))", columns: ["Date", "Type", "Titre", "Taille", "Envois"], rows: Array(rows))] }
        default:
            var firstNames: [String] = []
            if case let .array(names)? = identity["firstNames"] { firstNames = names.map { t($0) } }
            facts = [
                Fact(label: "Nom de naissance", value: t(identity["birthName"])),
                Fact(label: "Nom utilisé", value: t(identity["usedName"]).isEmpty ? "—" : t(identity["usedName"])),
                Fact(label: "Prénoms", value: firstNames.joined(separator: " ")),
                Fact(label: "Date de naissance", value: d(identity["birthDate"])),
                Fact(label: "Sexe", value: t(identity["sex"]) == "F" ? "féminin" : "masculin"),
                Fact(label: "Lieu de naissance (code INSEE)", value: t(identity["birthPlace"])),
                Fact(label: "Matricule INS", value: identity["ins"]?["nir"].map { t($0) } ?? "non récupéré"),
                Fact(label: "Statut de l'identité (RNIV)", value: DUIPersonsView.identityLabels[t(identity["identityStatus"])] ?? t(identity["identityStatus"])),
                Fact(label: "Pièce d'identité vérifiée", value: identity["identityDocument"]?["type"].map { "\(t($0)), le \(d(identity["identityDocument"]?["checkedOn"]))" } ?? "aucune"),
                Fact(label: "Dernière modification", value: "\(FrenchTime.dateTime(person.updatedAt)) par \(person.updatedBy) (version \(person.version))"),
            ]
        }
        self.facts = facts
        self.tables = tables
        self.emptySentence = empty
        noteForm = tab == "notes" ? NoteForm(action: SiteURL.duiPersonNotes(person.id).path, date: typed["date"] ?? today.description,
                                             categories: Self.noteLabels.keys.sorted().map { Option($0, Self.noteLabels[$0]!, selected: typed["category"] ?? "transmission") },
                                             text: typed["text"] ?? "") : nil
        let documents = of(.document).reversed()
        sendForm = tab == "documents" && !documents.isEmpty
            ? SendForm(action: SiteURL.duiPersonMSSante(person.id).path,
                       documents: documents.map { Option($0.id, "\(d($0.body["date"])) — \(t($0.body["title"]))", selected: typed["document"]) },
                       recipient: typed["recipient"] ?? "") : nil
        dmpForm = tab == "documents" && !documents.isEmpty
            ? DMPForm(action: SiteURL.duiPersonDMP(person.id).path,
                      documents: documents.map { Option($0.id, "\(d($0.body["date"])) — \(t($0.body["title"]))", selected: typed["document"]) }) : nil
    }
}

/// `/etablissements/:et/agenda` (`Templates/agenda.mustache`): the week (Monday to Sunday) or the
/// month around a day, each day with its events; the previous and next periods as links.
struct AgendaView: PageView {
    static let template = "agenda"
    let layout: Layout
    let nav: DUINav
    let heading: String
    let week: Bool
    let weekHref: String
    let monthHref: String
    let previous: String
    let next: String
    let days: [Day]
    let summary: String

    struct Day {
        let label: String
        let anchor: String
        let today: Bool
        let events: [Event]
        let none: Bool
    }

    struct Event {
        let time: String
        let type: String
        let person: String
        let href: String
        let status: String
        let cancelled: Bool
    }

    static let weekdays = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    static let months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]

    /// Monday to Sunday around the day, or the day's month.
    static func range(_ day: CalendarDate, week: Bool) -> (from: CalendarDate, to: CalendarDate) {
        if week { let monday = day.adding(days: -day.weekday); return (monday, monday.adding(days: 6)) }
        return (day.firstOfMonth, day.firstOfMonth.adding(months: 1).adding(days: -1))
    }

    init(nav: DUINav, day: CalendarDate, week: Bool, today: CalendarDate, events: [(person: DUIRepository.Person, event: DUIRepository.Entry)]) {
        let (from, to) = Self.range(day, week: week)
        self.week = week
        heading = week ? "Semaine du \(from.day) \(Self.months[from.month - 1]) au \(to.day) \(Self.months[to.month - 1]) \(to.year)"
                       : "\(Self.months[from.month - 1].prefix(1).uppercased())\(Self.months[from.month - 1].dropFirst()) \(from.year)"
        layout = Layout(title: "Agenda — \(heading) — \(nav.name)")
        self.nav = nav
        let base = SiteURL.duiAgenda(nav.finessET).path
        weekHref = "\(base)?vue=semaine&date=\(day)"
        monthHref = "\(base)?vue=mois&date=\(day)"
        let view = week ? "semaine" : "mois"
        previous = "\(base)?vue=\(view)&date=\(week ? from.adding(days: -7) : from.adding(months: -1))"
        next = "\(base)?vue=\(view)&date=\(week ? from.adding(days: 7) : from.adding(months: 1))"
        var byDay: [String: [Event]] = [:]
        for (person, entry) in events {
            let start = PersonName.text(entry.body["start"])
            let status = PersonName.text(entry.body["status"])
            byDay[String(start.prefix(10)), default: []].append(Event(time: start.count > 10 ? String(start.dropFirst(11).prefix(5)) : "journée",
                                                                      type: PersonName.text(entry.body["type"]), person: PersonName.of(person.identity),
                                                                      href: SiteURL.duiPerson(person.id).path + "?onglet=agenda",
                                                                      status: PersonView.eventLabels[status] ?? status, cancelled: status == "annule"))
        }
        var days: [Day] = []
        var d = from
        while d <= to {
            let list = (byDay[d.description] ?? []).sorted { ($0.time == "journée" ? "" : $0.time) < ($1.time == "journée" ? "" : $1.time) }
            // The month shows only the days that have events; the week every day.
            if week || !list.isEmpty {
                days.append(Day(label: "\(Self.weekdays[d.weekday]) \(d.day) \(Self.months[d.month - 1])", anchor: "j\(d)", today: d == today, events: list, none: list.isEmpty))
            }
            d = d.adding(days: 1)
        }
        self.days = days
        let count = events.count, cancelled = events.filter { PersonName.text($0.event.body["status"]) == "annule" }.count
        summary = count == 0 ? "Aucun événement sur la période." : "\(count) événement\(count > 1 ? "s" : "") sur la période, dont \(cancelled) annulé\(cancelled > 1 ? "s" : "")."
    }
}

/// `/etablissements/:et/indicateurs` (`Templates/indicators.mustache`): the five measures of the
/// records month by month (dui.md), their definitions (U2), the rates against the campaign's
/// targets as a chart and a table.
struct IndicatorsView: PageView {
    static let template = "indicators"
    let layout: Layout
    let nav: DUINav
    let from: String
    let to: String
    let targetsSentence: String
    let chart: UsageChart?
    let definitions: [PersonView.Fact]
    let measureColumns: [String]
    let measures: [Row]
    let rateColumns: [String]
    let rates: [Row]
    let csvHref: String

    struct Row { let month: String; let cells: [String] }

    /// Where the targets come from: the campaign of the dossier that holds the establishment, or
    /// the national grid when none does; the sector, for the exemption (U4).
    struct TargetSource {
        let campaign: Campaign
        let dossier: (id: String, title: String)?
        let sector: Sector?
    }

    init(nav: DUINav, from: YearMonth, to: YearMonth, rows: [MonthlyMeasure], targets: [Indicator: Int], source: TargetSource) {
        layout = Layout(title: "Indicateurs — \(nav.name)")
        self.nav = nav
        self.from = from.description
        self.to = to.description
        let origin = source.dossier.map { "du dossier « \($0.title) » (\($0.id))" } ?? "de la grille nationale (aucun dossier déposé ne porte cet établissement)"
        let national = [Indicator.mss, .dmp].map { i in targets[i].map { "\(i.short) \($0) %" } }
        let services = national.allSatisfy { $0 == nil }
            ? "MSSanté et DMP : pas de cible, le secteur \(source.sector?.rawValue ?? "") en est exempté (U4)"
            : national.compactMap { $0 }.joined(separator: ", ")
        targetsSentence = "Cibles \(origin), campagne \(source.campaign.id) (\(source.campaign.label)) : \(services), usages du DUI \(targets[.activeRecords] ?? 0) %. Les taux sont ceux de chaque mois, calculés sur les dossiers de l'établissement."
        definitions = DUIMeasures.definitions.map { item in
            PersonView.Fact(label: UsageView.columnLabels[item.column].map { "\(item.column) (\($0))" } ?? item.column, value: item.definition)
        }
        measureColumns = ["Personnes", "Dossiers actifs", "Avec projet", "Avec événement", "Messages MSSanté", "Personnes au DMP"]
        measures = rows.map { m in Row(month: m.month.description, cells: [m.persons, m.activeRecords, m.activeWithProjet, m.activeWithEvent, m.mssMessagesSent, m.dmpFedPersons].map(String.init)) }
        let monthRates = rows.map { m in
            MonthRates(month: m.month, rates: [
                .mss: Rate(numerator: m.mssMessagesSent, denominator: m.persons), .dmp: Rate(numerator: m.dmpFedPersons, denominator: m.persons),
                .activeRecords: Rate(numerator: m.activeRecords, denominator: m.persons), .withProjet: Rate(numerator: m.activeWithProjet, denominator: m.activeRecords),
                .withEvent: Rate(numerator: m.activeWithEvent, denominator: m.activeRecords),
            ], nationalServicesMonths: 1)
        }
        chart = UsageChart(months: monthRates, targets: targets, title: "Taux de l'établissement par mois", caption: "Taux de l'établissement, mois par mois")
        rateColumns = Indicator.allCases.map { i in targets[i].map { "\(i.short) (cible \($0) %)" } ?? "\(i.short) (exempté)" }
        rates = monthRates.map { m in
            Row(month: m.month.description, cells: Indicator.allCases.map { i in
                guard let rate = m.rates[i], let value = rate.value else { return "— (aucune personne)" }
                return "\(UsageReport.percent(value))\(targets[i].flatMap { rate.meets($0) } == true ? " ✓" : "")"
            })
        }
        csvHref = SiteURL.duiIndicators(nav.finessET).path + "?de=\(from)&a=\(to)&format=csv"
    }
}
