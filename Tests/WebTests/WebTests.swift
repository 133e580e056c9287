import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Rules
import SQLKit
import Store
import Testing
import TestSupport
import Web

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The real application over a fresh database (an SQLite file by default) holding the demo registry.
func withApp(on db: TestDatabase = .sqlite, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    try await withApp(on: db) { client, _ in try await body(client) }
}

/// The same, with the store under it (to put there what the application would refuse).
func withApp(on db: TestDatabase = .sqlite, _ body: @escaping @Sendable (any TestClientProtocol, Store) async throws -> Void) async throws {
    try await db.withStore { store in
        try await DemoRegistry.importIfEmpty(into: store)
        try await signInTestPorteur(store)
        var logger = Logger(label: "esms.test")
        logger.logLevel = TestLogging.level
        // The day of the usage example's report (README), so that its outcome is one.
        let app = buildApplication(site: Site(store: store, today: CalendarDate(iso: "2025-12-31")), configuration: ServerConfiguration(database: store.location), logger: logger)
        try await app.test(.router) { client in try await body(client, store) }
    }
}

/// The porteur the tests act as (the demo registry's OG in Toulouse, and the examples' 310000013), signed in with a session
/// whose identifier and anti-CSRF token the tests know.
let testPorteur = "porteur.test@esms.invalid"
let testSession = "esmss_" + String(repeating: "ab", count: 32)
let testToken = String(repeating: "5e", count: 32)

func signInTestPorteur(_ store: Store) async throws {
    _ = try await AccountRepository(store: store).add(email: testPorteur, name: "Porteur de test", password: "mot-de-passe-de-test",
                                                      assignments: [try Assignment(parsing: "porteur:310100011"), try Assignment(parsing: "porteur:310000013")])
    let now = Int(Date().timeIntervalSince1970)
    try await store.sql.raw("INSERT INTO sessions (hash, email, csrf, created_at, last_seen) VALUES (\(bind: AccountRepository.tokenHash(testSession)), \(bind: testPorteur), \(bind: testToken), \(bind: now), \(bind: now))").run()
}

/// What the API takes: JSON, said so, with the test porteur's session as bearer token.
let jsonType: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(testSession)"]

/// A browser of our pages: the session cookie and the anti-CSRF cookie it was given, sent back with every form.
let browserCookie = "esms_session=\(testSession); esms_csrf=\(testToken)"
let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: browserCookie]
/// Reading pages as the signed-in porteur.
let browser: HTTPFields = [.cookie: browserCookie]
func form(_ fields: String) -> ByteBuffer { ByteBuffer(string: fields.isEmpty ? "csrf=\(testToken)" : "\(fields)&csrf=\(testToken)") }

/// The version a page's forms carry (`<input type="hidden" name="version" value="3">`).
func formVersion(_ page: String) -> String {
    guard let range = page.range(of: "name=\"version\" value=\"") else { return "" }
    return String(page[range.upperBound...].prefix { $0.isNumber })
}

func json(_ response: TestResponse) throws -> JSON { try JSON.parse(String(buffer: response.body)) }
func text(_ response: TestResponse) -> String { String(buffer: response.body) }
let example = try! String(contentsOf: packageRoot.appendingPathComponent("examples/acquisition-46-occitanie.json"), encoding: .utf8)
let fromFiness = try! String(contentsOf: packageRoot.appendingPathComponent("examples/grappe-finess-occitanie.json"), encoding: .utf8)

@Suite("API JSON")
struct APITests {
    @Test func simulationGivesTheContractAssessment() async throws {
        try await withApp { client in
            try await client.api(uri: "/api/v1/simulations", method: .post, headers: jsonType, body: ByteBuffer(string: example)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let a = try json(response)
                #expect(a["outcome"] == .string("recevable"))
                #expect(a["funding"]?["total"] == .number("989000"))
                #expect(a["excluded"]?.rendered(indent: false).contains("\"rule\":\"E3\"") == true)
            }
            try await client.api(uri: "/api/v1/simulations", method: .post, headers: jsonType, body: ByteBuffer(string: fromFiness)) { response in
                #expect(response.status == .ok)
                let parsed = try json(response)
                #expect(parsed["funding"]?["total"] == .number("989000"))
            }
        }
    }

    @Test(arguments: [
        ("{bad", 400, nil as String?, "JSON mal formé (ligne 1, colonne 2) : nom de champ entre guillemets attendu"),
        ("[]", 422, nil, "un objet est attendu, trouvé un tableau"),
        (example.replacingOccurrences(of: "\"310001037\"", with: "\"310001038\""), 422, "establishments[3].finessET", "clé de contrôle FINESS invalide (« 310001038 »)"),
        (example.replacingOccurrences(of: "\"campaign\": \"2022\"", with: "\"campaign\": \"2019\""), 422, "campaign", "campagne inconnue « 2019 » ; campagnes connues : 2022, 2022-normandie, 2022-occitanie, 2025-idf"),
        (fromFiness.replacingOccurrences(of: "315000018", with: "315999995"), 422, "establishments[0].finessET", "établissement 315999995 absent du registre FINESS (extraction du 2026-05-12)"),
    ])
    func badSimulationsAreFourHundredsNamingTheField(body: String, status: Int, path: String?, message: String) async throws {
        try await withApp { client in
            try await client.api(uri: "/api/v1/simulations", method: .post, headers: jsonType, body: ByteBuffer(string: body)) { response in
                #expect(response.status.code == status)
                let error = try json(response)["error"]
                #expect(error?["status"] == .int(status))
                #expect(error?["path"] == (path.map(JSON.string) ?? .null))
                #expect(error?["message"] == .string(message))
            }
        }
    }

    @Test func tooLargeABodyIsRefused() async throws {
        try await withApp { client in
            let big = "[" + String(repeating: "1,", count: 1_200_000) + "1]"
            try await client.api(uri: "/api/v1/simulations", method: .post, headers: jsonType, body: ByteBuffer(string: big)) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    @Test func campaignsAndFiness() async throws {
        try await withApp { client in
            try await client.api(uri: "/api/v1/campaigns", method: .get, headers: browser) { response in
                guard case let .array(list) = try json(response) else { Issue.record("tableau attendu"); return }
                #expect(list.count == 4)
            }
            try await client.api(uri: "/api/v1/campaigns/2022-occitanie", method: .get, headers: browser) { response in
                let parsed = try json(response)
                #expect(parsed["region"] == .string("76"))
            }
            try await client.api(uri: "/api/v1/campaigns/2030", method: .get, headers: browser) { response in #expect(response.status == .notFound) }
            try await client.api(uri: "/api/v1/inconnue/x", method: .delete) { response in
                #expect(response.status == .notFound)
                let parsed = try json(response)
                #expect(parsed["error"]?["message"] == .string("aucune route DELETE /api/v1/inconnue/x dans l'API (voir /openapi.yaml)"))
            }
            try await client.api(uri: "/api/v1/finess/970350013", method: .get, headers: browser) { response in
                let e = try json(response)
                #expect(e["department"] == .string("973"))
                #expect(e["overseasOrCorsica"] == .bool(true))
            }
            try await client.api(uri: "/api/v1/finess/2A0100012", method: .get, headers: browser) { response in
                let parsed = try json(response)
                #expect(parsed["smallOG"] == .bool(true))
            }
            try await client.api(uri: "/api/v1/finess/31500001", method: .get, headers: browser) { response in
                #expect(response.status == .badRequest)
                let parsed = try json(response)
                #expect(parsed["error"]?["message"] == .string("un numéro FINESS a 9 caractères"))
            }
            try await client.api(uri: "/api/v1/finess/315000019", method: .get, headers: browser) { response in
                #expect(response.status == .notFound)
                let parsed = try json(response)
                #expect(parsed["error"]?["message"] == .string("FINESS 315000019 inconnu du registre ; sa clé de contrôle est invalide"))
            }
            try await client.api(uri: "/api/v1/finess?q=mecs&department=93", method: .get, headers: browser) { response in
                guard case let .array(list) = try json(response) else { Issue.record("tableau attendu"); return }
                #expect(list.count == 5)
            }
            for bad in ["/api/v1/finess", "/api/v1/finess?q=x&sector=XX", "/api/v1/finess?q=x&department=96", "/api/v1/finess?q=x&limit=0"] {
                try await client.execute(uri: bad, method: .get, headers: browser) { response in #expect(response.status == .badRequest, "\(bad)") }
            }
        }
    }

    @Test func grappesAreSavedAndReloaded() async throws {
        try await withApp { client in
            let body = "{\"name\": \"Grappe test\", \"project\": \(fromFiness)}"
            var id = ""
            try await client.api(uri: "/api/v1/grappes", method: .post, headers: jsonType, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created)
                let g = try json(response)
                guard case let .string(s)? = g["id"] else { Issue.record("id attendu"); return }
                id = s
                #expect(response.headers[.location] == "/api/v1/grappes/\(s)")
            }
            try await client.api(uri: "/api/v1/grappes/\(id)", method: .get, headers: browser) { response in
                let g = try json(response)
                #expect(g["name"] == .string("Grappe test"))
                #expect(g["project"]?["campaign"] == .string("2022-occitanie"))
            }
            var ifMatch = jsonType
            ifMatch[.ifMatch] = "\"1\""
            try await client.api(uri: "/api/v1/grappes/\(id)", method: .put, headers: ifMatch, body: ByteBuffer(string: body.replacingOccurrences(of: "Grappe test", with: "Grappe renommée"))) { response in
                #expect(response.headers[.eTag] == "\"2\"")
                let parsed = try json(response)
                #expect(parsed["name"] == .string("Grappe renommée"))
            }
            try await client.api(uri: "/api/v1/grappes", method: .get, headers: browser) { response in
                #expect(text(response).contains("Grappe renommée"))
            }
            try await client.api(uri: "/api/v1/grappes/inconnue", method: .get, headers: browser) { response in #expect(response.status == .notFound) }
            try await client.api(uri: "/api/v1/grappes/inconnue", method: .put, headers: ifMatch, body: ByteBuffer(string: body)) { response in #expect(response.status == .notFound) }
            try await client.api(uri: "/api/v1/grappes", method: .post, headers: jsonType, body: ByteBuffer(string: "{\"name\": \"\", \"project\": {}}")) { response in
                #expect(response.status == .unprocessableContent)
                let parsed = try json(response)
                #expect(parsed["error"]?["path"] == .string("name"))
            }
            try await client.api(uri: "/api/v1/grappes", method: .post, headers: jsonType, body: ByteBuffer(string: "{\"name\": \"x\", \"project\": {\"campaign\": \"2022\"}}")) { response in
                #expect(response.status == .unprocessableContent)
                let parsed = try json(response)
                #expect(parsed["error"]?["path"] == .string("project.solution"))
            }
        }
    }

    @Test func healthMetricsAndTheOpenAPIDocument() async throws {
        try await withApp { client in
            try await client.execute(uri: "/health", method: .get, headers: browser) { response in
                let parsed = try json(response)
                #expect(parsed["status"] == .string("ok"))
            }
            try await client.api(uri: "/api/v1/campaigns", method: .get, headers: browser) { _ in }
            try await client.execute(uri: "/metrics", method: .get, headers: browser) { response in
                #expect(text(response).contains("esms_http_requests_total{route=\"/api/v1/campaigns\",method=\"GET\",status=\"200\"} 1"))
            }
            try await client.execute(uri: "/openapi.yaml", method: .get, headers: browser) { response in
                #expect(text(response).hasPrefix("openapi: 3.1.0"))
            }
        }
    }

    /// Every path and method of openapi.yaml is routed (a parameter gets a sample value).
    @Test func theAPIMatchesItsOpenAPIDocument() async throws {
        let document = try String(contentsOf: packageRoot.appendingPathComponent("Sources/Web/openapi.yaml"), encoding: .utf8)
        var operations: [(String, String)] = []
        var current: String? = nil
        for line in document.split(separator: "\n") {
            if line.hasPrefix("  /") { current = String(line.dropFirst(2).dropLast()) }
            else if line.hasPrefix("components:") { current = nil }
            else if let path = current, let method = ["get", "post", "put", "delete"].first(where: { line == "    \($0):" }) { operations.append((path, method)) }
        }
        #expect(operations.count == 60)
        let routed = operations
        try await withApp { client in
            for (path, method) in routed {
                let uri = path.replacingOccurrences(of: "{id}", with: "2022").replacingOccurrences(of: "{number}", with: "315000018").replacingOccurrences(of: "{document}", with: "x").replacingOccurrences(of: "{instalment}", with: "avance").replacingOccurrences(of: "{finessET}", with: "315000018")
                let m: HTTPRequest.Method = ["get": .get, "post": .post, "put": .put, "delete": .delete][method] ?? .get
                try await client.api(uri: uri, method: m, headers: m == .get ? browser : jsonType, body: m == .get ? nil : ByteBuffer(string: "{}")) { response in
                    #expect(response.status != .notFound || path.contains("{id}"), "\(method) \(path) non routé")
                    #expect(response.status != .methodNotAllowed, "\(method) \(path) non routé")
                    #expect(response.status.code < 500, "\(method) \(path) : \(response.status)")
                }
            }
        }
    }
}

@Suite("Pages web")
struct PageTests {
    @Test func everyPageRendersInFrench() async throws {
        try await withApp { client in
            try await client.execute(uri: "/", method: .get, headers: browser) { response in
                #expect(response.status == .ok)
                let page = text(response)
                #expect(page.contains("<html lang=\"fr\">"))
                #expect(page.contains("Préparer un projet ESMS numérique"))
                #expect(page.contains("<a class=\"skip\" href=\"#contenu\">Aller au contenu</a>"))
            }
            try await client.execute(uri: "/finess?q=cayenne", method: .get, headers: browser) { response in
                #expect(text(response).contains("EHPAD LE VERGER"))
            }
            try await client.execute(uri: "/finess?q=ehpad+ajaccio", method: .get, headers: browser) { response in
                #expect(text(response).contains("value=\"ehpad ajaccio\""))
                #expect(text(response).contains("1 établissement trouvé"))
            }
            try await client.execute(uri: "/finess?q=x&department=96", method: .get, headers: browser) { response in
                #expect(text(response).contains("Département INSEE inconnu « 96 »"))
            }
            try await client.execute(uri: "/campagnes", method: .get, headers: browser) { response in
                let page = text(response)
                #expect(page.contains("F-usage.acquisition"))
                #expect(page.contains("Autre lecture :</strong> [000] : 3 000 € par ESSMS à partir du 50e"))
                #expect(page.contains("hérité de 2022"))
            }
            try await client.execute(uri: "/assets/site.css", method: .get, headers: browser) { response in #expect(response.status == .ok) }
            try await client.execute(uri: "/grappes/inconnue", method: .get, headers: browser) { response in #expect(response.status == .notFound) }
        }
    }

    /// #14: a filled grappe switches to « projet mixte » and back: each establishment keeps the
    /// former kind as its own, a nature select per establishment, and no error either way.
    @Test func aFilledGrappeSwitchesToMixteAndBack() async throws {
        try await withApp { client in
            var location = ""
            try await client.execute(uri: "/grappes", method: .post, headers: formType, body: form("name=Mixte&campaign=2022&porteur=310100011&finessET=315000018")) { response in
                location = response.headers[.location] ?? ""
            }
            for et in ["315000026", "315000034"] {
                let version = formVersion(text(try await client.execute(uri: location, method: .get, headers: browser)))
                _ = try await client.execute(uri: "\(location)/etablissements", method: .post, headers: formType, body: form("finessET=\(et)&version=\(version)"))
            }
            func settings(_ kind: String) async throws -> TestResponse {
                let version = formVersion(text(try await client.execute(uri: location, method: .get, headers: browser)))
                return try await client.execute(uri: "\(location)/parametres", method: .post, headers: formType,
                                                body: form("version=\(version)&name=Mixte&campaign=2022&kind=\(kind)&porteur=310100011&solutionName=X&solutionEditor=Y&referencing=segur&procurement=sad"))
            }
            #expect(try await settings("mixte").status == .seeOther)
            var page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(!page.contains("champ obligatoire manquant"))
            #expect(page.contains("<select id=\"k-315000034\" name=\"kind\"><option value=\"acquisition\" selected>"))
            let version = formVersion(page)
            #expect(try await client.execute(uri: "\(location)/etablissements/315000034/nature", method: .post, headers: formType,
                                             body: form("version=\(version)&kind=miseEnConformite")).status == .seeOther)
            page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(page.contains("<option value=\"miseEnConformite\" selected>mise en conformité</option>"))
            #expect(try await settings("acquisition").status == .seeOther)
            page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(!page.contains("champ obligatoire manquant") && !page.contains("Le projet ne peut pas encore être évalué"))
            #expect(!page.contains("id=\"k-315000034\""))
        }
    }

    /// #14: the sources page describes the five documents; every citation of a page links to its entry.
    @Test func citationsLinkToTheSourcesPage() async throws {
        try await withApp { client in
            let sources = text(try await client.execute(uri: "/sources", method: .get))
            #expect(sources.contains("<section id=\"s003\" class=\"source-document\">") && sources.contains("<dd>ARS Occitanie</dd>"))
            #expect(sources.contains("<li id=\"D6\"><strong>Décision D6 de la plateforme</strong> — Grappe mixte : à décider par l&#39;ARS, rangs comptés par nature.</li>"))
            let campaigns = text(try await client.execute(uri: "/campagnes", method: .get))
            #expect(campaigns.contains("<a href=\"/sources#s002\">[002]</a>"))
            #expect(campaigns.contains("<a href=\"/sources\">Sources des règles</a>"))
            // Values as a person reads them: tiers in euros, dates, codes in words; never raw JSON.
            #expect(campaigns.contains("<td>de 1 à 49 ESSMS : 7 000 € par ESSMS ; à partir de 50 ESSMS : 2 000 € par ESSMS</td>"))
            #expect(campaigns.contains("<td>17/05/2022</td>") && campaigns.contains("<td>référencé Ségur, candidat au référencement Ségur</td>"))
            #expect(campaigns.contains("<td>4 186 783 €</td>") && !campaigns.contains("{&quot;") && !campaigns.contains("[&quot;"))
            // From the keyboard, each campaign's table can be skipped to the next campaign; the list of campaigns first.
            #expect(campaigns.contains("Campagnes : <a href=\"#2022\">2022</a> <a href=\"#2022-normandie\">2022-normandie</a>"))
            #expect(campaigns.contains("<p><a href=\"#2022-normandie\">Passer ce tableau : aller à la campagne 2022-normandie</a></p>"))
            #expect(!campaigns.contains("aller à la campagne 2022\"") && campaigns.components(separatedBy: "Passer ce tableau").count - 1 == 3)
        }
    }

    /// #14: searching an organisme's FINESS EJ lists its establishments with their OG and address,
    /// its ESSMS ticked; several are added at once; an unknown number among them adds nothing.
    @Test func severalEstablishmentsAreAddedAtOnce() async throws {
        try await withApp { client in
            var location = ""
            try await client.execute(uri: "/grappes", method: .post, headers: formType, body: form("name=Vite&campaign=2022&porteur=310100011")) { response in
                location = response.headers[.location] ?? ""
            }
            let id = String(location.dropFirst("/grappes/".count))
            let found = text(try await client.execute(uri: "/finess?q=310100011", method: .get, headers: browser))
            #expect(found.contains("Les établissements de l&#39;organisme ASSOCIATION OCCITANE AUTONOMIE (FINESS EJ 310100011)"))
            #expect(found.contains("id=\"add-315000018\" name=\"finessET\" value=\"315000018\" checked"))
            #expect(found.contains("ASSOCIATION OCCITANE AUTONOMIE <span class=\"muted\">310100011</span>"))
            let refused = try await client.execute(uri: "/grappes/ajouter", method: .post, headers: formType,
                                                   body: form("finessET=315000018&finessET=999999999&grappe=\(id)"))
            #expect(refused.status == .unprocessableContent)
            #expect(text(refused).contains("Rien n&#39;a été ajouté : numéro FINESS ET invalide ou absent du registre : « 999999999 »"))
            let added = try await client.execute(uri: "/grappes/ajouter", method: .post, headers: formType,
                                                 body: form("finessET=315000018&finessET=315000026&finessET=315000034&grappe=\(id)"))
            #expect(added.status == .seeOther)
            #expect(text(try await client.execute(uri: location, method: .get, headers: browser)).contains("Établissements de la grappe (3)"))
            // A pasted list: a bad line is named with its number and nothing is added; an EJ adds all its ESSMS.
            var page = text(try await client.execute(uri: location, method: .get, headers: browser))
            let bad = try await client.execute(uri: "\(location)/liste", method: .post, headers: formType,
                                               body: form("version=\(formVersion(page))&numbers=315000042%0D%0A31500004X%0D%0A%0D%0A750999998"))
            #expect(bad.status == .unprocessableContent)
            #expect(text(bad).contains("ligne 2 « 31500004X »") && text(bad).contains("ligne 4 « 750999998 »"))
            #expect(text(bad).contains("315000042\r\n31500004X"))
            #expect(text(try await client.execute(uri: location, method: .get, headers: browser)).contains("Établissements de la grappe (3)"))
            page = text(try await client.execute(uri: location, method: .get, headers: browser))
            let all = try await client.execute(uri: "\(location)/liste", method: .post, headers: formType,
                                               body: form("version=\(formVersion(page))&numbers=310100011%0A315000018"))
            #expect(all.status == .seeOther)
            page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(page.contains("Établissements de la grappe (48)"))
        }
    }

    /// #14: a new grappe starts on the call open today (here 31/12/2025: 2025-idf), the closed ones
    /// after it, said as closed; a grappe on a closed call says so at the top of its page.
    @Test func aNewGrappeStartsOnTheCallOpenToday() async throws {
        try await withApp { client in
            let list = text(try await client.execute(uri: "/grappes", method: .get, headers: browser))
            #expect(list.contains("<option value=\"2025-idf\" selected>2025-idf — AAP 2025 — ARS Île-de-France (ouverte jusqu&#39;au 31/12/2025)</option>"))
            #expect(list.contains("(close depuis le 30/12/2022)"))
            #expect(!list.contains("Aucun appel à projets n&#39;est ouvert"))
            var location = ""
            try await client.execute(uri: "/grappes", method: .post, headers: formType, body: form("name=Close&campaign=2022-occitanie&porteur=310100011")) { response in
                location = response.headers[.location] ?? ""
            }
            let page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(page.contains("close depuis le 30/12/2022 (période du 15/03/2022 au 30/12/2022) : l&#39;évaluation applique ses règles ; un dossier ne s&#39;y dépose que dans une de ses fenêtres de dépôt, closes elles aussi."))
        }
    }

    /// #14: what only the porteur knows is set on the page — an establishment already funded is
    /// excluded (E3) and not paid, one with a SONS order (E4), a confort activity (E5, a flag); the
    /// porteur subject to the public procurement code (R2) — and cleared by unticking.
    @Test func thePorteurSetsTheFactsOfEachEstablishment() async throws {
        try await withApp { client, store in
            var location = ""
            try await client.execute(uri: "/grappes", method: .post, headers: formType,
                                     body: form("name=Faits&campaign=2022&porteur=310100011&finessET=315000018")) { response in
                location = response.headers[.location] ?? ""
            }
            for et in ["315000026", "315000034", "315000042", "315000059"] {
                let version = formVersion(text(try await client.execute(uri: location, method: .get, headers: browser)))
                _ = try await client.execute(uri: "\(location)/etablissements", method: .post, headers: formType, body: form("finessET=\(et)&version=\(version)"))
            }
            let choices = formVersion(text(try await client.execute(uri: location, method: .get, headers: browser)))
            _ = try await client.execute(uri: "\(location)/parametres", method: .post, headers: formType,
                                         body: form("version=\(choices)&name=Faits&campaign=2022&kind=acquisition&porteur=310100011&solutionName=X&solutionEditor=Y&referencing=segur&procurement=sad"))
            var page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(page.contains("<summary>Ce que vous seul savez de chaque établissement (E1, E3, E4, E5, R5)</summary>"))
            #expect(page.contains("aria-label=\"Déjà financé par ESMS numérique (E3) : EHPAD LES ACACIAS (315000018)\""))
            #expect(!page.contains("Exclu — "))
            var version = formVersion(page)
            let facts = try await client.execute(uri: "\(location)/faits", method: .post, headers: formType,
                                                 body: form("version=\(version)&prior.315000018=on&sons.315000026=Logiciel+Z&confort.315000034=on"))
            #expect(facts.status == .seeOther)
            page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(page.contains("Exclu — ") && page.contains("(E3, "))
            #expect(page.contains("(E4, "))
            #expect(page.contains("id=\"prior-315000018\" name=\"prior.315000018\" checked"))
            #expect(page.contains("value=\"Logiciel Z\""))
            let grappeID = String(location.dropFirst("/grappes/".count))
            guard let saved = try await GrappeRepository(store: store).find(grappeID) else { Issue.record("grappe"); return }
            guard case let .array(items)? = saved.project["establishments"] else { Issue.record("établissements"); return }
            #expect(items[0]["priorEsmsNumeriqueFunding"] == .bool(true))
            #expect(items[2]["confortActivity"] == .bool(true))
            // R2 from the settings form: the porteur's organisme entry, written from the registry.
            version = formVersion(page)
            _ = try await client.execute(uri: "\(location)/parametres", method: .post, headers: formType,
                                         body: form("version=\(version)&name=Faits&campaign=2022&kind=acquisition&porteur=310100011&solutionName=X&solutionEditor=Y&referencing=segur&procurement=sad&subjectToPublicProcurementCode=on"))
            page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(page.contains("id=\"ccp\" name=\"subjectToPublicProcurementCode\" checked"))
            // Unticking clears: nothing excluded any more.
            version = formVersion(page)
            _ = try await client.execute(uri: "\(location)/faits", method: .post, headers: formType, body: form("version=\(version)"))
            page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(!page.contains("Exclu — "))
        }
    }

    @Test func aPorteurBuildsAndExportsAGrappeThroughThePages() async throws {
        try await withApp { client in
            var location = ""
            try await client.execute(uri: "/grappes", method: .post, headers: formType,
                                     body: form("name=Grappe+d%27Occitanie&campaign=2022-occitanie&porteur=310100011")) { response in
                #expect(response.status == .seeOther)
                location = response.headers[.location] ?? ""
            }
            #expect(location.hasPrefix("/grappes/"))
            let grappe = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(grappe.contains("Aucun établissement dans cette grappe"))
            // Nothing chosen for the porteur: « — à choisir — » selected, no verdict, no amount.
            #expect(grappe.contains("<select id=\"referencing\" name=\"referencing\"><option value=\"\" selected>— à choisir —</option>"))
            #expect(grappe.contains("<select id=\"procurement\" name=\"procurement\"><option value=\"\" selected>— à choisir —</option>"))
            #expect(grappe.contains("id=\"solutionName\" name=\"solutionName\" value=\"\""))
            // 46 establishments of the demo's large Occitan OG: 40 EHPAD, 3 day centres, 3 SSIAD.
            let project = try JSON.parse(fromFiness)
            guard case let .array(items)? = project["establishments"] else { return }
            for item in items {
                guard case let .string(et)? = item["finessET"] else { continue }
                let version = formVersion(text(try await client.execute(uri: location, method: .get, headers: browser)))
                try await client.execute(uri: "\(location)/etablissements", method: .post, headers: formType, body: form("finessET=\(et)&version=\(version)")) { response in
                    #expect(response.status == .seeOther)
                }
            }
            let unchosen = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(unchosen.contains("<strong>Pas encore de verdict ni de montant :</strong> Choisissez le nom de la solution DUI, son éditeur, son référencement et la procédure d&#39;achat dans « Le projet »"))
            #expect(unchosen.contains("Établissements de la grappe (46)"), "\(unchosen)")
            #expect(!unchosen.contains("Financement ESMS numérique") && !unchosen.contains("Recevable") && !unchosen.contains("Éligible"))
            let unchosenCSV = String(buffer: try await client.execute(uri: "\(location)/montants.csv", method: .get, headers: browser).body)
            #expect(unchosenCSV.contains("Recevabilité;projet non évaluable : Choisissez le nom de la solution DUI"))
            var version = formVersion(unchosen)
            try await client.execute(uri: "\(location)/parametres", method: .post, headers: formType,
                                     body: form("version=\(version)&name=Grappe+d%27Occitanie&campaign=2022-occitanie&kind=acquisition&porteur=310100011&solutionName=Logiciel+X&solutionEditor=%C3%89diteur+Y&referencing=segur&procurement=sad&filingDate=2022-05-02")) { response in
                #expect(response.status == .seeOther)
            }
            let page = text(try await client.execute(uri: location, method: .get, headers: browser))
            #expect(page.contains("<span class=\"badge ok\">Recevable</span>"))
            #expect(page.contains("Instruction par l&#39;ARS Occitanie — région pivot : Occitanie (76)"))
            #expect(page.contains("Financement ESMS numérique : 989 000 €"))
            #expect(page.contains("46 × 7 000 € = 322 000 €"))
            #expect(page.contains("Établissements de la grappe (46)"))
            #expect(page.contains("(W2, <a href=\"/sources#s002\">[002]</a>)"))

            let printable = text(try await client.execute(uri: "\(location)/impression", method: .get, headers: browser))
            #expect(printable.contains("Évaluation du projet « Grappe d&#39;Occitanie »"))
            #expect(printable.contains("989 000 €"))

            let csv = try await client.execute(uri: "\(location)/montants.csv", method: .get, headers: browser)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let csvText = String(buffer: csv.body)
            #expect(csvText.hasPrefix("\u{FEFF}Poste;Montant (€);Règle;Source\r\nRecevabilité;Recevable;;\r\n"))
            #expect(csvText.contains("Total;989000,00;;\r\n"))
            let establishments = String(buffer: try await client.execute(uri: "\(location)/etablissements.csv", method: .get, headers: browser).body)
            #expect(establishments.split(separator: "\r\n").count == 47)

            // Removing one establishment updates the assessment.
            version = formVersion(text(try await client.execute(uri: location, method: .get, headers: browser)))
            try await client.execute(uri: "\(location)/etablissements/315000018/retirer", method: .post, headers: formType, body: form("version=\(version)")) { response in
                #expect(response.status == .seeOther)
            }
            #expect(text(try await client.execute(uri: location, method: .get, headers: browser)).contains("Financement ESMS numérique : 967 500 €"))
            // A grappe too small to be receivable: the export says so before its zero amounts.
            let tiny = try await client.execute(uri: "/grappes", method: .post, headers: formType, body: form("name=Petite&campaign=2022-occitanie&porteur=310100011&finessET=315000018"))
            let tinyLocation = try #require(tiny.headers[.location])
            let incomplete = try await client.execute(uri: "/dossiers", method: .post, headers: formType,
                                                      body: form("title=Trop+t%C3%B4t&grappe=\(tinyLocation.dropFirst("/grappes/".count))"))
            #expect(incomplete.status == .unprocessableContent)
            #expect(text(incomplete).contains("Dossier non créé : la grappe « Petite » n&#39;est pas complète. Choisissez le nom de la solution DUI"))
            let tinyVersion = formVersion(text(try await client.execute(uri: tinyLocation, method: .get, headers: browser)))
            _ = try await client.execute(uri: "\(tinyLocation)/parametres", method: .post, headers: formType,
                                         body: form("version=\(tinyVersion)&name=Petite&campaign=2022-occitanie&kind=acquisition&porteur=310100011&solutionName=X&solutionEditor=Y&referencing=segur&procurement=sad"))
            let tinyCSV = String(buffer: try await client.execute(uri: "\(tinyLocation)/montants.csv", method: .get, headers: browser).body)
            #expect(tinyCSV.contains("Recevabilité;Non recevable;;\r\nRefus : "), "\(tinyCSV.prefix(400))")
            // An unknown number is said on the page.
            version = formVersion(text(try await client.execute(uri: location, method: .get, headers: browser)))
            let refused = text(try await client.execute(uri: "\(location)/etablissements", method: .post, headers: formType, body: form("finessET=315999995&version=\(version)")))
            #expect(refused.contains("Numéro FINESS ET « 315999995 » invalide ou absent du registre."))
        }
    }
}

@Suite("Page des usages")
struct UsagePageTests {
    func multipart(_ fields: [(String, String)]) -> (String, ByteBuffer) {
        let boundary = "esmsBoundary42"
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\(name == "measures" ? "; filename=\"mesures.csv\"\r\nContent-Type: text/csv" : "")\r\n\r\n\(value)\r\n"
        }
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(testToken)\r\n"
        body += "--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(string: body))
    }

    @Test func measuresAreUploadedAndTheProgressShown() async throws {
        try await withApp { client in
            let project = try String(contentsOf: packageRoot.appendingPathComponent("examples/usage-projet-35.json"), encoding: .utf8)
            let measures = try String(contentsOf: packageRoot.appendingPathComponent("examples/usage-mesures-35.csv"), encoding: .utf8)
            var id = ""
            try await client.api(uri: "/api/v1/grappes", method: .post, headers: jsonType, body: ByteBuffer(string: "{\"name\": \"35 EHPAD\", \"project\": \(project)}")) { response in
                if case let .string(s)? = try json(response)["id"] { id = s }
            }
            let before = text(try await client.execute(uri: "/grappes/\(id)/usages", method: .get, headers: browser))
            #expect(before.contains("Aucune mesure enregistrée"))

            // A bad file is refused whole, every line named, nothing stored.
            var lines = measures.split(separator: "\n").map(String.init)
            lines[4] = lines[4].replacingOccurrences(of: "2025-", with: "25-")
            let (badType, badBody) = multipart([("measures", lines.joined(separator: "\n")), ("author", "ARS Occitanie")])
            let refused = try await client.execute(uri: "/grappes/\(id)/usages/mesures", method: .post, headers: [.contentType: badType, .cookie: browserCookie], body: badBody)
            #expect(refused.status == .unprocessableContent)
            #expect(text(refused).contains("ligne 5, colonne month : mois « 25-"))
            #expect(text(refused).contains("Aucune mesure enregistrée"))

            let (type, body) = multipart([("measures", measures), ("author", "ARS Occitanie")])
            let uploaded = text(try await client.execute(uri: "/grappes/\(id)/usages/mesures", method: .post, headers: [.contentType: type, .cookie: browserCookie], body: body))
            #expect(uploaded.contains("Mesures enregistrées : 315 ajoutées, 0 corrigées (historique conservé), 0 inchangées."))
            #expect(uploaded.contains("<svg role=\"img\""))
            #expect(uploaded.contains("<span class=\"badge ok\">Solde libérable</span> Montant du solde : 87 500 €. Échéance du 15/10/2025 dépassée depuis 2 mois, au 31/12/2025."))
            #expect(uploaded.contains("Taux du projet, mois par mois"))
            #expect(uploaded.contains("2025-12"))

            let version = formVersion(uploaded)
            try await client.execute(uri: "/grappes/\(id)/usages/dates", method: .post, headers: formType, body: form("version=\(version)&commitmentDate=2025-13-01")) { response in
                #expect(response.status == .unprocessableContent)
            }
            try await client.execute(uri: "/grappes/\(id)/usages/dates", method: .post, headers: formType, body: form("version=\(version)&commitmentDate=2025-01-15&vsrDate=2025-03-10&expenses=100000")) { response in
                #expect(response.status == .seeOther)
            }
            let after = text(try await client.execute(uri: "/grappes/\(id)/usages", method: .get, headers: browser))
            #expect(after.contains("dépenses / subvention"))
        }
    }
}
