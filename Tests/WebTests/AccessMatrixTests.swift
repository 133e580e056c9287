import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Rules
import SQLKit
import Store
import Testing
import TestSupport
@testable import Web

/// The role × route matrix of `access.md`, walked whole on both databases: every route the server
/// declares, for anonymous callers and for each role, inside and outside its scope. Anonymous:
/// 401 (API) or the sign-in page; a role the line does not name: 403; an object outside the scope:
/// 404, as if it did not exist; allowed: none of these.
@Suite("Matrice rôles × routes")
struct AccessMatrixTests {
    /// A caller of the walk: its session (known identifier and anti-CSRF token) and what it holds.
    struct Caller: Sendable, CustomStringConvertible {
        let email: String
        let roles: [String]
        /// Its porteur scopes own the walk's grappe.
        let owns: Bool
        /// It sees the walk's dossier (its porteur, or the instructor of its region).
        var seesDossier = false
        /// The email in hexadecimal, padded: one session identifier per caller.
        var session: String {
            let hex = email.utf8.map { String(format: "%02x", $0) }.joined()
            return "esmss_" + hex + String(repeating: "0", count: max(0, 64 - hex.count))
        }
        var csrf: String { String(repeating: "c5", count: 32) }
        var description: String { roles.joined(separator: ",") }
        var roleSet: Set<Role> { Set(roles.compactMap { try? Assignment(parsing: $0).role }) }
    }

    static let callers: [Caller] = [
        Caller(email: "admin@m.test", roles: ["admin"], owns: false),
        Caller(email: "porteur@m.test", roles: ["porteur:310100011"], owns: true, seesDossier: true),
        Caller(email: "autre-porteur@m.test", roles: ["porteur:750100018"], owns: false),
        Caller(email: "instructeur@m.test", roles: ["instructeur:76"], owns: false, seesDossier: true),
        Caller(email: "cnsa@m.test", roles: ["instructeur:national"], owns: false),
        Caller(email: "expert@m.test", roles: ["expert"], owns: false, seesDossier: true),
        Caller(email: "lecteur@m.test", roles: ["lecteur:11"], owns: false),
        Caller(email: "professionnel@m.test", roles: ["professionnel:315000018"], owns: false),
        Caller(email: "direction@m.test", roles: ["direction:310100011"], owns: false),
    ]

    /// The routes that end the caller's session (a sign-in on the page ends the one before): walked
    /// last, each with the session opened again.
    static func order(_ key: AccessMatrix.Key) -> Int {
        switch (key.method, key.path) {
        case (.post, SiteURL.signIn.path): return 1
        case (.post, SiteURL.signOut.path): return 2
        case (.delete, SiteURL.apiCurrentSession.path): return 3
        default: return 0
        }
    }

    /// Who signs in when the walk reaches a sign-in route: an account without a second factor.
    static let signingIn = "email=porteur%40m.test&password=mot-de-passe-matrice"

    @Test(arguments: TestDatabase.available)
    func everyRoleOnEveryRoute(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await DemoRegistry.importIfEmpty(into: store)
            let accounts = AccountRepository(store: store)
            for caller in Self.callers {
                _ = try await accounts.add(email: caller.email, name: caller.email, password: "mot-de-passe-matrice",
                                           assignments: try caller.roles.map { try Assignment(parsing: $0) }, secondFactor: caller.roles == ["admin"])
                try await Self.open(caller, in: store)
            }
            let project = JSON.object([("campaign", .string("2022-occitanie")), ("kind", .string("acquisition")), ("porteur", .string("310100011")),
                                       ("establishments", .array([.object([("finessET", .string("315000018"))])]))])
            let grappe = try await GrappeRepository(store: store).create(name: "Grappe de la matrice", project: project, owner: "310100011", by: "test")
            let site = Site(store: store, today: CalendarDate(iso: "2025-12-31"))
            // A dossier of the porteur, in instruction at the ARS of its region, with one document.
            let dossier = try await site.dossiers.create(title: "Dossier de la matrice", project: try JSON.parse(fromFiness), porteur: "310100011", by: "porteur@m.test")
            let document = try await site.dossiers.addDocument(dossier.id, item: .cadreReponse, filename: "cadre.pdf", contentType: "application/pdf",
                                                               bytes: Array("%PDF-1.4 matrice".utf8), by: "porteur@m.test")
            try await store.sql.raw("UPDATE dossiers SET state = 'enInstruction', instruction = 'ARS', region = '76' WHERE id = \(bind: dossier.id)").run()
            // The expert sees the dossier on which its opinion is asked.
            let avis = try await site.dossiers.askAvis(dossier.id, expert: "expert@m.test", question: "Le planning est-il tenable ?", dueDate: nil, by: "instructeur@m.test")
            let person = try await DUIRepository(store: store, today: { CalendarDate(iso: "2025-12-31")! }).createPerson(finessET: "315000018", try JSON.parse("""
                {"birthName": "MATRICE", "firstNames": ["Camille"], "birthDate": "1940-02-03", "sex": "F", "birthPlace": "31555", "identityStatus": "provisoire"}
                """), by: "professionnel@m.test")
            let records = DUIRepository(store: store, today: { CalendarDate(iso: "2025-12-31")! })
            let stay = try await records.addEntry(person.id, .stay, try JSON.parse("{\"start\": \"2025-01-02\", \"end\": null, \"mode\": \"hebergementPermanent\"}"), by: "professionnel@m.test")
            let projet = try await records.addEntry(person.id, .projet, try JSON.parse("{\"elaboratedOn\": \"2025-02-01\", \"nextReview\": \"2026-01-31\", \"status\": \"enCours\"}"), by: "professionnel@m.test")
            let admission = try await records.addAdmission(finessET: "315000018", try JSON.parse("{\"person\": \"\(person.id)\", \"receivedOn\": \"2024-12-01\", \"status\": \"admise\"}"), by: "professionnel@m.test")
            let pdf = try await records.addEntry(person.id, .document, try JSON.parse("{\"type\": \"dlu\", \"title\": \"DLU\", \"date\": \"2025-02-20\", \"content\": \"\(Data("%PDF-1.7".utf8).base64EncodedString())\"}"), by: "professionnel@m.test")
            let objects = Objects(grappe: grappe.id, dossier: dossier.id, document: document.id, avis: avis.id, person: person.id,
                                  entries: ["/admissions/": admission.id, "/stays/": stay.id, "/projets/": projet.id, "/documents/": pdf.id])
            var logger = Logger(label: "esms.test")
            logger.logLevel = TestLogging.level
            let routes = buildRoutes(site: site, logger: logger)
            // Every declared route has its line in the matrix, and every line a route.
            let declared = Set(routes.table.all.map { AccessMatrix.Key(method: $0.method, path: "/" + $0.segments.joined(separator: "/")) })
            #expect(declared == Set(AccessMatrix.rules.keys), "routes sans ligne : \(declared.subtracting(AccessMatrix.rules.keys)) ; lignes sans route : \(Set(AccessMatrix.rules.keys).subtracting(declared))")
            let keys = AccessMatrix.rules.keys.sorted { a, b in
                (Self.order(a), a.path, a.method.rawValue) < (Self.order(b), b.path, b.method.rawValue)
            }
            let app = Application(router: routes.router)
            let walked = try await app.test(.router) { client -> Int in
                var walked = 0
                for caller in [nil] + Self.callers.map(Optional.some) {
                    for key in keys {
                        let access = AccessMatrix.rules[key]!
                        if let caller, Self.order(key) > 0 { try await Self.open(caller, in: store) }
                        let response = try await Self.call(client, key, as: caller, objects)
                        walked += 1
                        let what = "\(key.method) \(key.path) en \(caller?.description ?? "anonyme") → \(response.status.code)"
                        let outcome = Outcome(response)
                        let wanted = Self.expected(access, key, caller)
                        #expect(outcome == wanted || (wanted == .allowed && outcome == .allowed), "\(what), attendu \(wanted)")
                        if wanted == .signIn && key.path.hasPrefix("/api/") {
                            #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"esms\"", "\(what)")
                        }
                    }
                }
                return walked
            }
            #expect(walked == (Self.callers.count + 1) * AccessMatrix.rules.count)
            // The walk changed nothing it was refused: the grappe is still at the owner's versions only.
            let stored = try #require(try await GrappeRepository(store: store).find(grappe.id))
            #expect(stored.owner == "310100011")
            #expect(stored.updatedBy == "test" || stored.updatedBy == "porteur@m.test")
        }
    }

    /// What a response says of access: refused for want of credentials (401, or the sign-in page),
    /// not allowed (403), not found (404), or let through to the handler (anything else).
    enum Outcome: Equatable, CustomStringConvertible {
        case signIn, forbidden, notFound, allowed

        init(_ response: TestResponse) {
            switch response.status.code {
            case 401: self = .signIn
            case 303 where response.headers[.location]?.hasPrefix("/connexion") == true: self = .signIn
            case 403: self = .forbidden
            case 404: self = .notFound
            default: self = .allowed
            }
        }

        var description: String {
            switch self {
            case .signIn: return "401 ou /connexion"
            case .forbidden: return "403"
            case .notFound: return "404"
            case .allowed: return "autorisé"
            }
        }
    }

    /// The matrix's answer for a caller: the line, then the scope of the object.
    static func expected(_ access: Access, _ key: AccessMatrix.Key, _ caller: Caller?) -> Outcome {
        if access == .everyone { return .allowed }
        guard let caller else { return .signIn }
        guard case let .roles(roles) = access else { return .allowed }
        if caller.roleSet.isDisjoint(with: roles) { return .forbidden }
        if key.path.contains("dossiers/:id") { return caller.seesDossier ? .allowed : .notFound }
        // dui.md: the records of 315000018 for its professional and its OG's direction; its
        // measures also for the instructor of the dossier that contains it.
        if ["/essms/", "/persons/", "/admissions/", "/stays/", "/projets/", "/api/v1/documents/"].contains(where: key.path.contains)
            || ["/etablissements/", "/personnes/"].contains(where: key.path.hasPrefix) {
            let keeps = caller.roles.contains("professionnel:315000018") || caller.roles.contains("direction:310100011")
            if key.path.hasSuffix("/measures") { return keeps || caller.roles.contains("instructeur:76") ? .allowed : .notFound }
            return keeps ? .allowed : .notFound
        }
        // A grappe named in the path, or in the form (adding from the search, filing a grappe as a dossier).
        let scoped = (key.path.contains(":id") && key.path.contains("grappes")) || key.path == SiteURL.addFromSearch.path
            || (key.method == .post && key.path == SiteURL.dossiers.path)
        return scoped && !caller.owns ? .notFound : .allowed
    }

    /// The caller's session, as a sign-in opens it (with the identifier and token the walk knows).
    static func open(_ caller: Caller, in store: Store) async throws {
        let now = Int(Date().timeIntervalSince1970)
        try await store.sql.raw("INSERT INTO sessions (hash, email, csrf, created_at, last_seen) VALUES (\(bind: AccountRepository.tokenHash(caller.session)), \(bind: caller.email), \(bind: caller.csrf), \(bind: now), \(bind: now)) ON CONFLICT DO NOTHING").run()
    }

    /// One request as a caller: a session cookie and the session's anti-CSRF token in forms (pages),
    /// the session as bearer token (API); signed out, the double-submit cookie of the sign-in form.
    /// The objects the walk's paths name.
    struct Objects: Sendable {
        let grappe: String
        let dossier: String
        let document: String
        let avis: String
        let person: String
        /// An admission request, a stay and a projet of that person.
        let entries: [String: String]
    }

    static func call(_ client: any TestClientProtocol, _ key: AccessMatrix.Key, as caller: Caller?, _ objects: Objects) async throws -> TestResponse {
        let grappe = objects.grappe
        let entry = ["/admissions/", "/stays/", "/projets/", "/documents/"].first { key.path.hasPrefix("/api/v1" + $0) }.flatMap { objects.entries[$0] }
        let id = key.path.contains("campaigns") ? "2022" : key.path.contains("/persons/") || key.path.hasPrefix("/personnes/") ? objects.person : entry != nil ? entry!
            : (key.path.contains("dossiers") ? objects.dossier : (key.path.hasPrefix("/api/v1/avis/") || key.path.hasPrefix("/avis/") ? objects.avis : grappe))
        let uri = key.path.replacingOccurrences(of: ":id", with: id).replacingOccurrences(of: ":document", with: objects.document).replacingOccurrences(of: ":et", with: "315000018")
            .replacingOccurrences(of: ":file", with: "site.css").replacingOccurrences(of: ":number", with: "315000018")
        let api = uri.hasPrefix("/api/")
        var headers: HTTPFields = [:]
        var body: ByteBuffer? = nil
        if api {
            if let caller { headers[.authorization] = "Bearer \(caller.session)" }
            if key.method == .post || key.method == .put {
                headers[.contentType] = "application/json"
                body = ByteBuffer(string: key.path == SiteURL.apiSessions.path ? "{\"email\": \"porteur@m.test\", \"password\": \"mot-de-passe-matrice\"}" : "{}")
            }
            if key.method == .put { headers[.ifMatch] = "\"1\"" }
        } else {
            let csrf = caller?.csrf ?? testToken
            headers[.cookie] = caller.map { "esms_session=\($0.session)" } ?? "esms_csrf=\(testToken)"
            if key.method == .post {
                headers[.contentType] = "application/x-www-form-urlencoded"
                let fields: String
                switch key.path {
                case SiteURL.grappes.path: fields = "name=Nouvelle&campaign=2022-occitanie"
                case SiteURL.addFromSearch.path: fields = "grappe=\(grappe)&finessET=315000018"
                case SiteURL.signIn.path: fields = signingIn
                case SiteURL.dossiers.path: fields = "title=Dossier&grappe=\(grappe)"
                default: fields = "version=1"
                }
                body = ByteBuffer(string: "\(fields)&csrf=\(csrf)")
            }
        }
        return try await client.execute(uri: uri, method: key.method, headers: headers, body: body)
    }
}
