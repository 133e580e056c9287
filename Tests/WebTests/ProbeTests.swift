import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Mail
import NIOCore
import NIOPosix
import Rules
import SQLKit
import Synchronization
import Store
import Testing
import TestSupport
@testable import Web

/// The findings of the hostile probe (issue « Nothing crashes, nothing is lost »), each replayed
/// against the real application: it answers in French, keeps serving, and loses nothing.
@Suite("Sonde hostile : rien ne plante, rien ne se perd")
struct ProbeTests {
    static let usageProject = try! String(contentsOf: packageRoot.appendingPathComponent("examples/usage-projet-35.json"), encoding: .utf8)
    static let usageMeasures = try! String(contentsOf: packageRoot.appendingPathComponent("examples/usage-mesures-35.csv"), encoding: .utf8)

    /// One establishment given whole: editing it costs no registry look-up.
    static let small = """
        {"campaign": "2022", "kind": "acquisition", "solution": {"name": "Logiciel", "editor": "Éditeur", "referencing": "segur"},
         "porteur": "310000013", "procurement": "sad", "organismes": [{"finessEJ": "310000013", "name": "Association A", "essmsCount": 60}],
         "establishments": [{"finessET": "310001003", "finessEJ": "310000013", "name": "EHPAD Les Tilleuls", "sector": "PA", "department": "31"}]}
        """

    /// A grappe saved through the API; its identifier.
    static func create(_ client: any TestClientProtocol, name: String = "Grappe", project: String = fromFiness) async throws -> String {
        let response = try await client.api(uri: "/api/v1/grappes", method: .post, headers: jsonType,
                                                body: ByteBuffer(string: "{\"name\": \"\(name)\", \"project\": \(project)}"))
        #expect(response.status == .created)
        guard case let .string(id)? = try json(response)["id"] else { Issue.record("id attendu"); return "" }
        return id
    }

    static func grappe(_ client: any TestClientProtocol, _ id: String) async throws -> JSON {
        try json(try await client.api(uri: "/api/v1/grappes/\(id)", method: .get, headers: browser))
    }

    /// `application/x-www-form-urlencoded` value: everything but letters and digits escaped.
    static func encoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    // MARK: 3. Concurrent edits

    /// The probe's test: 20 clients × 5 edits of one grappe, each retried on 412 after reading the
    /// grappe again. Every acknowledged edit is in the final grappe, on both databases.
    @Test(arguments: TestDatabase.available)
    func concurrentEditsKeepEveryAcknowledgedOne(_ db: TestDatabase) async throws {
        try await withApp(on: db) { client in
            let id = try await Self.create(client, project: Self.small)
            let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
                for c in 0..<20 {
                    group.addTask {
                        var mine: [String] = []
                        for e in 0..<5 {
                            let token = "c\(c)e\(e)"
                            for _ in 0..<500 {
                                let current = try await client.api(uri: "/api/v1/grappes/\(id)", method: .get, headers: browser)
                                let g = try json(current)
                                guard let project = g["project"], let solution = project["solution"], case let .string(name)? = solution["name"] else {
                                    Issue.record("grappe illisible"); return mine
                                }
                                let changed = project.setting("solution", solution.setting("name", .string(name + " " + token)))
                                var headers = jsonType
                                headers[.ifMatch] = current.headers[.eTag]
                                let body = JSON.object([("name", .string("Grappe")), ("project", changed)]).rendered(indent: false)
                                let response = try await client.api(uri: "/api/v1/grappes/\(id)", method: .put, headers: headers, body: ByteBuffer(string: body))
                                if response.status == .ok { mine.append(token); break }
                                #expect(response.status == .preconditionFailed)
                            }
                        }
                        return mine
                    }
                }
                var all: [String] = []
                for try await mine in group { all += mine }
                return all
            }
            #expect(acknowledged.count == 100)
            let final = try await Self.grappe(client, id)
            guard case let .string(name)? = final["project"]?["solution"]?["name"] else { Issue.record("nom attendu"); return }
            let kept = Set(name.split(separator: " ").map(String.init))
            #expect(acknowledged.allSatisfy { kept.contains($0) }, "perdues : \(acknowledged.filter { !kept.contains($0) })")
            #expect(final["version"] == .int(101))
        }
    }

    /// The page form « Ajouter » of the search results, 40 times at once: every establishment is kept.
    @Test(arguments: TestDatabase.available)
    func concurrentAdditionsFromTheSearchAreAllKept(_ db: TestDatabase) async throws {
        try await withApp(on: db) { client in
            let id = try await Self.create(client)
            let project = try JSON.parse(fromFiness)
            guard case let .array(items)? = project["establishments"] else { return }
            // A grappe holding the first 6, then the other 40 added at once.
            let ets = items.compactMap { item -> String? in if case let .string(et)? = item["finessET"] { return et } else { return nil } }
            let first = JSON.object([("name", .string("Grappe")), ("project", project.setting("establishments", .array(Array(items.prefix(6)))))])
            var headers = jsonType
            headers[.ifMatch] = "\"1\""
            #expect(try await client.api(uri: "/api/v1/grappes/\(id)", method: .put, headers: headers, body: ByteBuffer(string: first.rendered())).status == .ok)
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for et in ets.dropFirst(6) {
                    group.addTask {
                        try await client.execute(uri: "/grappes/ajouter", method: .post, headers: formType, body: form("finessET=\(et)&grappe=\(id)")).status
                    }
                }
                for try await status in group { #expect(status == .seeOther) }
            }
            guard case let .array(stored)? = try await Self.grappe(client, id)["project"]?["establishments"] else { Issue.record("établissements attendus"); return }
            #expect(stored.count == 46)
        }
    }

    /// A page form built from an older version changes nothing and says who changed the grappe.
    @Test(arguments: TestDatabase.available)
    func aStaleFormChangesNothingAndSaysWhoChanged(_ db: TestDatabase) async throws {
        try await withApp(on: db) { client in
            let id = try await Self.create(client)
            let page = text(try await client.execute(uri: "/grappes/\(id)", method: .get, headers: browser))
            #expect(formVersion(page) == "1")
            // Meanwhile, the API renames it.
            let renamed = "{\"name\": \"Renommée par l'API\", \"project\": \(fromFiness)}"
            var headers = jsonType
            try await client.api(uri: "/api/v1/grappes/\(id)", method: .put, headers: headers, body: ByteBuffer(string: renamed)) { response in
                #expect(response.status == .preconditionRequired)
                let error = try json(response)["error"]
                #expect(error?["path"] == .string("If-Match"))
            }
            headers[.ifMatch] = "\"1\""
            try await client.api(uri: "/api/v1/grappes/\(id)", method: .put, headers: headers, body: ByteBuffer(string: renamed)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"2\"")
            }
            try await client.api(uri: "/api/v1/grappes/\(id)", method: .put, headers: headers, body: ByteBuffer(string: renamed)) { response in
                #expect(response.status == .preconditionFailed)
                #expect(response.headers[.eTag] == "\"2\"")
            }
            // The form still holds version 1.
            let stale = try await client.execute(uri: "/grappes/\(id)/parametres", method: .post, headers: formType, body: form("version=1&name=Nom+de+la+page"))
            #expect(stale.status == .conflict)
            #expect(text(stale).contains("la grappe a été modifiée depuis la version 1 que vous aviez : elle est à la version 2, modifiée le "))
            #expect(text(stale).contains(" par porteur.test@esms.invalid ; rien n&#39;a été enregistré."))
            #expect(formVersion(text(stale)) == "2")
            #expect(try await Self.grappe(client, id)["name"] == .string("Renommée par l'API"))
            // A form without its version changes nothing either.
            let incomplete = try await client.execute(uri: "/grappes/\(id)/parametres", method: .post, headers: formType, body: form("name=Autre"))
            #expect(incomplete.status == .badRequest)
            #expect(try await Self.grappe(client, id)["version"] == .int(2))
        }
    }

    // MARK: 1. Overflow

    /// #14: the evaluation of a 46-establishment grappe prints on at most two A4 pages, dated in
    /// French; WeasyPrint renders the print view, `pdfinfo` counts its pages.
    @Test func theEvaluationOf46EstablishmentsPrintsOnTwoPages() async throws {
        try await withApp { client, _ in
            let id = try await Self.create(client)
            let printable = text(try await client.execute(uri: "/grappes/\(id)/impression", method: .get, headers: browser))
            #expect(printable.contains("<div class=\"print-evaluation\">") && printable.contains(" à "))
            let pdf = try await client.execute(uri: "/grappes/\(id)/impression.pdf", method: .get, headers: browser)
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/weasyprint") || ProcessInfo.processInfo.environment["CI"] != nil else {
                #expect(pdf.status == .serviceUnavailable)
                return
            }
            #expect(pdf.status == .ok && pdf.headers[.contentType] == "application/pdf")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("esms-\(UUID().uuidString).pdf")
            try Data(pdf.body.readableBytesView).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/pdfinfo")
            process.arguments = [file.path]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let info = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let pages = info.split(separator: "\n").first { $0.hasPrefix("Pages:") }.flatMap { Int($0.split(separator: " ").last ?? "") }
            #expect(pages.map { $0 <= 2 } == true, "\(info)")
            #expect(info.contains("A4"), "\(info)")
        }
    }

    /// #14: the usage page gives a template of the file to fill (the grappe's establishments, this
    /// month), labels the columns, and groups the problems of one kind (« 35 lignes … »).
    @Test func theUsagePageGivesATemplateAndGroupsProblems() async throws {
        try await withApp { client, _ in
            let id = try await Self.create(client, project: Self.usageProject)
            let page = text(try await client.execute(uri: "/grappes/\(id)/usages", method: .get, headers: browser))
            #expect(page.contains("activeWithProjet (dossiers actifs avec un projet personnalisé)"))
            #expect(page.contains("<a href=\"/grappes/\(id)/usages/modele.csv\">Télécharger le modèle</a>"))
            let template = text(try await client.execute(uri: "/grappes/\(id)/usages/modele.csv", method: .get, headers: browser))
            let lines = template.split(separator: "\r\n").map(String.init)
            #expect(lines.first == "\u{FEFF}finessET;month;persons;activeRecords;activeWithProjet;activeWithEvent;mssMessagesSent;dmpFedPersons")
            #expect(lines.count == 36 && lines[1].hasSuffix(";2025-12;;;;;;"))
            // The example's measures sent to another grappe: every line of it names an establishment outside.
            let other = try await Self.create(client, name: "Autre")
            let (type, body) = UsagePageTests().multipart([("measures", Self.usageMeasures)])
            let refused = try await client.execute(uri: "/grappes/\(other)/usages/mesures", method: .post, headers: [.contentType: type, .cookie: browserCookie], body: body)
            #expect(refused.status == .unprocessableContent)
            let answer = text(refused)
            #expect(answer.contains(" lignes (2, 3, 4, 5, 6…), colonne finessET : établissement absent du projet, par exemple « "))
            #expect(answer.components(separatedBy: "absent du projet").count == 2)
            // Sent to its own grappe, the report is there and exports as CSV.
            #expect(try await client.execute(uri: "/grappes/\(id)/usages/rapport.csv", method: .get, headers: browser).status == .notFound)
            let accepted = try await client.execute(uri: "/grappes/\(id)/usages/mesures", method: .post, headers: [.contentType: type, .cookie: browserCookie], body: body)
            #expect(accepted.status == .ok)
            #expect(text(accepted).contains("Exporter le rapport (CSV)"))
            let report = try await client.execute(uri: "/grappes/\(id)/usages/rapport.csv", method: .get, headers: browser)
            #expect(report.status == .ok && report.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(text(report).contains("finessET;nom;mois;"))
            // A corrected value: the page lists it with what changed, by whom, from which file;
            // the XLSX report carries the rates as percentages and the corrections.
            var measureLines = Self.usageMeasures.split(separator: "\n").map(String.init)
            var fields = measureLines[1].split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            let column = measureLines[0].split(separator: ";").firstIndex(of: "mssMessagesSent")!
            let before = fields[column]
            fields[column] = String((Int(before) ?? 0) + 1)
            measureLines[1] = fields.joined(separator: ";")
            let (type2, corrected) = UsagePageTests().multipart([("measures", measureLines.joined(separator: "\n"))])
            let second = text(try await client.execute(uri: "/grappes/\(id)/usages/mesures", method: .post, headers: [.contentType: type2, .cookie: browserCookie], body: corrected))
            #expect(second.contains("<summary>Corrections des mesures (1)</summary>"))
            #expect(second.contains("<td>documents envoyés par MSSanté : \(before) → \(Int(before)! + 1)</td>"))
            let xlsx = try await client.execute(uri: "/grappes/\(id)/usages/rapport.xlsx", method: .get, headers: browser)
            #expect(xlsx.status == .ok && xlsx.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            let book = try XLSXBook(Array(xlsx.body.readableBytesView))
            #expect(book.sheetNames == ["Projet", "Etablissements", "Corrections"])
            let projet = book.sheets["Projet"] ?? []
            #expect(projet.first?["A"]?.value == "Mois" && projet.count > 1)
            #expect(projet.dropFirst().contains { $0["D"]?.style == "4" && Double($0["D"]?.value ?? "") != nil })
            let corrections = book.sheets["Corrections"] ?? []
            #expect(corrections.count == 2 && corrections[1]["D"]?.value == "documents envoyés par MSSanté : \(before) → \(Int(before)! + 1)")
        }
    }

    /// The probe's file: refused in French, nothing stored, and the server keeps serving; a value
    /// stored out of bounds before this check makes the page say so, not fail.
    @Test func theOverflowFileIsRefusedAndTheServerKeepsServing() async throws {
        try await withApp { client, store in
            let id = try await Self.create(client, project: Self.usageProject)
            var lines = Self.usageMeasures.split(separator: "\n").map(String.init)
            var fields = lines[1].split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            let column = lines[0].split(separator: ";").firstIndex(of: "mssMessagesSent")!
            fields[column] = "9223372036854775806"
            lines[1] = fields.joined(separator: ";")
            let (type, body) = UsagePageTests().multipart([("measures", lines.joined(separator: "\n")), ("author", "Sonde")])
            let refused = try await client.execute(uri: "/grappes/\(id)/usages/mesures", method: .post, headers: [.contentType: type, .cookie: browserCookie], body: body)
            #expect(refused.status == .unprocessableContent)
            #expect(text(refused).contains("ligne 2, colonne mssMessagesSent : 9223372036854775806 dépasse le maximum plausible de 100 000 000 par établissement et par mois"))
            #expect(text(refused).contains("Aucune mesure enregistrée"))
            #expect(try await client.execute(uri: "/grappes/\(id)/usages", method: .get, headers: browser).status == .ok)
            #expect(try await client.execute(uri: "/", method: .get, headers: browser).status == .ok)

            // A row stored before the bounds existed.
            try await store.sql.insert(into: "usage_measure")
                .columns("finess_et", "month", "persons", "active_records", "active_with_projet", "active_with_event", "mss_messages_sent", "dmp_fed_persons", "changed_at", "changed_by")
                .values(SQLBind("310003009"), SQLBind("2025-04"), SQLBind(100), SQLBind(90), SQLBind(80), SQLBind(80), SQLBind(Int.max - 1), SQLBind(70), SQLBind("2025-05-01T00:00:00Z"), SQLBind("ancienne version"))
                .run()
            let page = try await client.execute(uri: "/grappes/\(id)/usages", method: .get, headers: browser)
            #expect(page.status == .ok)
            #expect(text(page).contains("mesure invalide pour 310003009 en 2025-04 : mssMessagesSent = 9223372036854775806, hors des bornes plausibles (0 à 100 000 000)"))
            #expect(try await client.execute(uri: "/grappes/\(id)", method: .get, headers: browser).status == .ok)
        }
    }

    // MARK: 2. Odd numbers in forms

    @Test func oddExpensesAreRefusedAndTheProjectKept() async throws {
        try await withApp { client in
            let id = try await Self.create(client, project: Self.usageProject)
            let before = try await Self.grappe(client, id)
            for odd in [".5", "05", "+5", "5.", "inf", "0x1p3", "1e3", "-5", "5,123", "NaN", String(repeating: "9", count: 40)] {
                let response = try await client.execute(uri: "/grappes/\(id)/usages/dates", method: .post, headers: formType,
                                                        body: form("version=1&commitmentDate=2025-01-15&expenses=\(Self.encoded(odd))"))
                #expect(response.status == .unprocessableContent, "\(odd)")
                #expect(text(response).contains("Dépenses déclarées « \(odd.prefix(80))"), "\(odd)")
            }
            #expect(try await Self.grappe(client, id) == before)
            try await client.execute(uri: "/grappes/\(id)/usages/dates", method: .post, headers: formType,
                                     body: form("version=1&commitmentDate=2025-01-15&expenses=\(Self.encoded("12 000,50 €"))")) { response in
                #expect(response.status == .seeOther)
            }
            let after = try await Self.grappe(client, id)
            #expect(after["project"]?["expenses"] == .number("12000.5"))
            #expect(after["version"] == .int(2))
        }
    }

    // MARK: 4. CSRF, origin, media types, headers, methods

    @Test func changesFromAnotherSiteAreRefused() async throws {
        try await withApp { client in
            let id = try await Self.create(client)
            let origin = HTTPField.Name("Origin")!, fetchSite = HTTPField.Name("Sec-Fetch-Site")!
            var foreign = formType
            foreign[origin] = "https://pirate.example"
            #expect(try await client.execute(uri: "/grappes/\(id)/parametres", method: .post, headers: foreign, body: form("version=1&name=Pirate")).status == .forbidden)
            var crossSite = formType
            crossSite[fetchSite] = "cross-site"
            #expect(try await client.execute(uri: "/grappes/\(id)/parametres", method: .post, headers: crossSite, body: form("version=1&name=Pirate")).status == .forbidden)
            // No token, or another one than the cookie's.
            #expect(try await client.execute(uri: "/grappes/\(id)/parametres", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                             body: ByteBuffer(string: "version=1&name=Pirate")).status == .forbidden)
            let refused = try await client.execute(uri: "/grappes/\(id)/parametres", method: .post, headers: formType,
                                                   body: ByteBuffer(string: "version=1&name=Pirate&csrf=\(String(repeating: "0", count: 64))"))
            #expect(refused.status == .forbidden)
            #expect(text(refused).contains("jeton de sécurité est absent ou périmé"))
            // JSON only as application/json: a foreign page's text/plain POST is refused before reading.
            let plain = try await client.api(uri: "/api/v1/grappes", method: .post, headers: [.contentType: "text/plain"],
                                                 body: ByteBuffer(string: "{\"name\": \"Pirate\", \"project\": \(fromFiness)}"))
            #expect(plain.status == .unsupportedMediaType)
            var jsonFromElsewhere = jsonType
            jsonFromElsewhere[origin] = "https://pirate.example"
            #expect(try await client.api(uri: "/api/v1/grappes", method: .post, headers: jsonFromElsewhere,
                                             body: ByteBuffer(string: "{\"name\": \"Pirate\", \"project\": \(fromFiness)}")).status == .forbidden)
            #expect(try await client.api(uri: "/api/v1/grappes", method: .get, headers: browser).body.readableBytes < 200)
            let g = try await Self.grappe(client, id)
            #expect(g["name"] == .string("Grappe"))
            #expect(g["version"] == .int(1))
            // Our own origin passes.
            var own = formType
            own[origin] = "http://localhost"
            own[fetchSite] = "same-origin"
            let mine = try await client.execute(uri: "/grappes/\(id)/parametres", method: .post, headers: own, body: form("version=1&name=Mienne"))
            #expect(mine.status == .seeOther, "\(text(mine))")
            #expect(try await Self.grappe(client, id)["name"] == .string("Mienne"))
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await withApp { client in
            for (uri, method) in [("/", HTTPRequest.Method.get), ("/grappes/inconnue", .get), ("/api/v1/campaigns", .get), ("/api/v1/inconnue", .get),
                                  ("/openapi.yaml", .get), ("/assets/site.css", .get), ("/grappes", .put), ("/", .head)] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true, "\(uri)")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true, "\(uri)")
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(uri)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin", "\(uri)")
            }
            // Signed out, a page gives its forms' token in an HttpOnly, SameSite=Strict cookie.
            let home = try await client.execute(uri: "/connexion", method: .get)
            let cookie = home.headers[.setCookie] ?? ""
            #expect(cookie.hasPrefix("esms_csrf="))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let token = String(cookie.dropFirst("esms_csrf=".count).prefix(64))
            #expect(text(home).contains("name=\"csrf\" value=\"\(token)\""))
            // Signed in, the forms carry the session's own token, and no cookie is set.
            let signedIn = try await client.execute(uri: "/", method: .get, headers: [.cookie: "esms_session=\(testSession)"])
            #expect(signedIn.headers[.setCookie] == nil)
            #expect(text(signedIn).contains("name=\"csrf\" value=\"\(testToken)\""))
        }
    }

    @Test func headIsAnsweredAndAWrongMethodSaysWhichAreAllowed() async throws {
        try await withApp { client in
            let id = try await Self.create(client)
            for uri in ["/", "/finess?q=ehpad", "/grappes/\(id)", "/grappes/\(id)/usages", "/campagnes", "/api/v1/grappes/\(id)"] {
                let response = try await client.execute(uri: uri, method: .head, headers: browser)
                #expect(response.status == .ok, "\(uri)")
                #expect(response.body.readableBytes == 0, "\(uri)")
            }
            for (uri, method, allow) in [("/", HTTPRequest.Method.trace, "GET, HEAD"), ("/grappes", .put, "GET, HEAD, POST"),
                                         ("/api/v1/simulations", .get, "POST"), ("/api/v1/grappes/\(id)", .delete, "GET, HEAD, PUT"),
                                         ("/grappes/\(id)/impression", .post, "GET, HEAD")] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allow, "\(method) \(uri)")
            }
            #expect(try await client.execute(uri: "/nulle-part", method: .trace).status == .notFound)
            // A literal segment is not a parameter: /grappes/ajouter takes POST only.
            let search = try await client.execute(uri: "/grappes/ajouter", method: .get, headers: browser)
            #expect(search.status == .methodNotAllowed)
            #expect(search.headers[.allow] == "POST")
            // An unknown page is a French page, not an empty answer.
            let unknown = try await client.execute(uri: "/nulle-part", method: .get, headers: browser)
            #expect(unknown.status == .notFound)
            #expect(text(unknown).contains("<h1>Introuvable</h1>"))
            #expect(text(unknown).contains("Page introuvable : /nulle-part"))
            // A plus sign is a plus sign when sent as %2B, a space when sent as +.
            #expect(try await client.api(uri: "/api/v1/finess?q=%2B", method: .get, headers: browser).status == .ok)
            #expect(text(try await client.execute(uri: "/finess?q=ehpad+ajaccio%2B", method: .get, headers: browser)).contains("value=\"ehpad ajaccio+\""))
        }
    }

    // MARK: 5. Formulas in exports

    @Test func spreadsheetExportsNeutraliseFormulas() async throws {
        try await withApp { client in
            var project = try JSON.parse(example)
            guard case var .array(items)? = project["establishments"] else { return }
            let names = ["=HYPERLINK(\"http://pirate.example\";\"clic\")", "@SUM(1+1)", "+33 1 23", "-2", "\tcaché", "EHPAD ordinaire"]
            for (i, name) in names.enumerated() { items[i] = items[i].setting("name", .string(name)) }
            project = project.setting("establishments", .array(items))
            let id = try await Self.create(client, project: project.rendered())
            let csv = String(buffer: try await client.execute(uri: "/grappes/\(id)/etablissements.csv", method: .get, headers: browser).body)
            #expect(csv.contains(";\"'=HYPERLINK(\"\"http://pirate.example\"\";\"\"clic\"\")\";"))
            #expect(csv.contains(";'@SUM(1+1);"))
            #expect(csv.contains(";'+33 1 23;"))
            #expect(csv.contains(";'-2;"))
            #expect(csv.contains(";'\tcaché;"))
            #expect(csv.contains(";EHPAD ordinaire;"))
        }
    }

    // MARK: 6. Bounded work

    @Test func aHugeProjectIsRefusedBeforeItsEstablishmentsAreRead() async throws {
        try await withApp { client in
            let item = "{\"finessET\": \"315000018\"}"
            let body = "{\"campaign\": \"2022\", \"kind\": \"acquisition\", \"solution\": {\"name\": \"X\", \"editor\": \"Y\", \"referencing\": \"segur\"}, \"porteur\": \"310100011\", \"procurement\": \"sad\", \"establishments\": [\(Array(repeating: item, count: 75_000).joined(separator: ","))]}"
            try await client.api(uri: "/api/v1/simulations", method: .post, headers: jsonType, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unprocessableContent)
                let error = try json(response)["error"]
                #expect(error?["path"] == .string("establishments"))
                #expect(error?["message"] == .string("75000 établissements : 10 000 au plus par projet"))
            }
            // A binary file (not UTF-8 text) under the limit: refused in French, nothing stored.
            let id = try await Self.create(client, project: Self.usageProject)
            var binary = ByteBuffer(string: "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(testToken)\r\n--b\r\nContent-Disposition: form-data; name=\"author\"\r\n\r\nSonde\r\n--b\r\nContent-Disposition: form-data; name=\"measures\"; filename=\"m.csv\"\r\n\r\n")
            binary.writeBytes((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
            binary.writeString("\r\n--b--\r\n")
            let notText = try await client.execute(uri: "/grappes/\(id)/usages/mesures", method: .post,
                                                   headers: [.contentType: "multipart/form-data; boundary=b", .cookie: browserCookie], body: binary)
            #expect(notText.status == .unprocessableContent)
            #expect(text(notText).contains("le fichier n&#39;est pas un texte CSV en UTF-8"))
            // An upload beyond its limit is refused before it is read whole.
            let big = ByteBuffer(repeating: 0xFF, count: 9 << 20)
            let refused = try await client.execute(uri: "/grappes/x/usages/mesures", method: .post,
                                                   headers: [.contentType: "multipart/form-data; boundary=b", .cookie: browserCookie], body: big)
            #expect(refused.status == .contentTooLarge)
        }
    }

    /// A client sending its request head a byte now and then is cut off.
    @Test func slowHeadersAreCutOff() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("esms-slow-\(UUID().uuidString).sqlite").path
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let store = try await Store.open(.sqlite(path: path))
        var configuration = ServerConfiguration(port: 0, database: .sqlite(path: path))
        configuration.headerTimeout = .seconds(2)
        var logger = Logger(label: "esms.test")
        logger.logLevel = TestLogging.level
        let app = buildApplication(site: Site(store: store), configuration: configuration, logger: logger)
        do {
            try await slowClient(app)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    func slowClient(_ app: some ApplicationProtocol) async throws {
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
            let started = ContinuousClock.now
            // On a loaded machine the server may cut the connection before this first write: the same outcome.
            try? await channel.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lent: ")).get()
            // Closed by the server within a few timeouts, without the request ever completing.
            let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await channel.closeFuture.get(); return true }
                group.addTask { try await Task.sleep(for: .seconds(20)); return false }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
            #expect(closed)
            #expect(ContinuousClock.now - started < .seconds(12))
            if !closed { try? await channel.close() }
            // A request sent at once is served on a new connection.
            let received = Received()
            let answered = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(received) } }
                .connect(host: "127.0.0.1", port: port).get()
            try await answered.writeAndFlush(ByteBuffer(string: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).get()
            try await answered.closeFuture.get()
            #expect(received.text.hasPrefix("HTTP/1.1 200 OK"))
        }
    }
}

/// What a raw connection received.
final class Received: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let bytes = Mutex<String>("")
    var text: String { bytes.withLock { $0 } }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLock { $0 += String(buffer: buffer) }
    }
}

@Suite("Configuration du serveur")
struct ServerConfigurationTests {
    @Test func everyProblemIsReportedAtOnceAndTodayCanBeSet() throws {
        let set = try ServerConfiguration.resolve(host: nil, port: nil, database: "x.sqlite", logLevel: nil, demo: false,
                                                  environment: ["ESMS_TODAY": "2025-12-31"])
        #expect(set.today == CalendarDate(iso: "2025-12-31"))
        let outbox = FileManager.default.temporaryDirectory.path
        #expect(try ServerConfiguration.resolve(host: nil, port: nil, database: "x.sqlite", logLevel: nil, demo: false, environment: ["ESMS_DMP_OUTBOX": outbox]).dmpOutbox == outbox)
        #expect(try ServerConfiguration.resolve(host: nil, port: nil, database: "x.sqlite", logLevel: nil, demo: false, environment: [:]).today == nil)
        let mss = try ServerConfiguration.resolve(host: nil, port: nil, database: "x.sqlite", logLevel: nil, demo: false,
                                                  environment: ["ESMS_MSSANTE_SMTP_URL": "smtps://mss.operateur.test"]).mssante
        #expect(mss?.endpoint.port == 465 && mss?.endpoint.security == .implicitTLS && mss?.from == MSSanteSettings.defaultFrom)
        do {
            _ = try ServerConfiguration.resolve(host: nil, port: "0", database: nil, logLevel: "bavard", demo: false,
                                                environment: ["ESMS_TODAY": "2025-13-01", "ESMS_DMP_OUTBOX": "/nulle/part", "ESMS_MSSANTE_SMTP_URL": "smtp://mss.test:587",
                                                              "ESMS_MSSANTE_CERT": "/nulle/part.pem", "ESMS_MSSANTE_FROM": "pas une adresse"])
            Issue.record("configuration invalide acceptée")
        } catch {
            let message = "\(error)"
            #expect(message.contains("ESMS_DMP_OUTBOX « /nulle/part » : répertoire absent"))
            #expect(message.contains("port invalide « 0 »"))
            #expect(message.contains("ESMS_MSSANTE_CERT « /nulle/part.pem » : fichier illisible"))
            #expect(message.contains("ESMS_MSSANTE_FROM invalide « pas une adresse »"))
            #expect(message.contains("niveau de journal inconnu « bavard »"))
            #expect(message.contains("ESMS_TODAY invalide « 2025-13-01 » (attendu AAAA-MM-JJ)"))
        }
    }
}

@Suite("Type de média d'une requête")
struct MediaTypeTests {
    @Test func theTypeIsReadBeforeItsParametersTrimmedInLowerCase() {
        #expect(SecurityMiddleware.mediaType("application/json") == "application/json")
        #expect(SecurityMiddleware.mediaType(" Application/JSON ; charset=utf-8") == "application/json")
        #expect(SecurityMiddleware.mediaType("\tmultipart/form-data;boundary=x") == "multipart/form-data")
        #expect(SecurityMiddleware.mediaType(";") == "")
        #expect(SecurityMiddleware.mediaType(nil) == nil)
    }
}
