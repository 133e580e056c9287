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
import Web

/// A dossier from creation to decision through the API (`dossiers.md`), on both databases: the
/// checklist blocks filing, documents are recognised by their content, filing freezes and routes,
/// the instructor of another region sees nothing, versions refuse stale changes, the decision
/// checks the score, the amounts and the envelope, and another dossier of the same establishments
/// is told which dossier holds them (E3).
@Suite("Dossiers : dépôt, instruction, décision")
struct DossierTests {
    static let porteur = "esmss_" + String(repeating: "d1", count: 32)
    static let agent = "esmss_" + String(repeating: "d2", count: 32)
    static let otherAgent = "esmss_" + String(repeating: "d3", count: 32)

    static func open(_ store: Store, _ email: String, _ role: String, session: String) async throws {
        _ = try await AccountRepository(store: store).add(email: email, name: email, password: "mot-de-passe-de-test", assignments: [try Assignment(parsing: role)])
        let now = Int(Date().timeIntervalSince1970)
        try await store.sql.raw("INSERT INTO sessions (hash, email, csrf, created_at, last_seen) VALUES (\(bind: AccountRepository.tokenHash(session)), \(bind: email), \(bind: testToken), \(bind: now), \(bind: now))").run()
    }

    static func headers(_ session: String, version: Int? = nil) -> HTTPFields {
        var h: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(session)"]
        if let version { h[.ifMatch] = "\"\(version)\"" }
        return h
    }

    /// The text of a PDF, by Debian's `pdftotext` (poppler-utils).
    static func pdfText(_ bytes: [UInt8]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("esms-\(UUID().uuidString).pdf")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        process.arguments = ["-layout", file.path, "-"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func dossiersOf(_ store: Store) -> DossierRepository {
        DossierRepository(store: store, engine: Engine(), today: { CalendarDate(iso: "2022-05-02")! })
    }

    static func multipart(item: String, filename: String, bytes: [UInt8]) -> (HTTPFields, ByteBuffer) {
        var body = ByteBuffer(string: "--b\r\nContent-Disposition: form-data; name=\"item\"\r\n\r\n\(item)\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n")
        body.writeBytes(bytes)
        body.writeString("\r\n--b--\r\n")
        return ([.contentType: "multipart/form-data; boundary=b", .authorization: "Bearer \(porteur)"], body)
    }

    @Test(arguments: TestDatabase.available)
    func fromCreationToDecision(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await DemoRegistry.importIfEmpty(into: store)
            try await Self.open(store, "porteur@d.test", "porteur:310100011", session: Self.porteur)
            try await Self.open(store, "agent@ars-occitanie.test", "instructeur:76", session: Self.agent)
            try await Self.open(store, "agent@ars-idf.test", "instructeur:11", session: Self.otherAgent)
            var logger = Logger(label: "esms.test")
            logger.logLevel = TestLogging.level
            // A day inside the Occitanie 2022 window for acquisitions (W2).
            let app = buildApplication(site: Site(store: store, today: CalendarDate(iso: "2022-05-02")), configuration: ServerConfiguration(database: store.location), logger: logger)
            try await app.test(.router) { client in
                func call(_ uri: String, _ method: HTTPRequest.Method, _ session: String, version: Int? = nil, _ body: String? = nil) async throws -> TestResponse {
                    try await client.execute(uri: uri, method: method, headers: Self.headers(session, version: version), body: body.map { ByteBuffer(string: $0) })
                }
                let created = try await call("/api/v1/dossiers", .post, Self.porteur, "{\"title\": \"DUI des EHPAD de l'association\", \"project\": \(fromFiness)}")
                #expect(created.status == .created)
                #expect(created.headers[.eTag] == "\"1\"")
                let dossier = try json(created)
                guard case let .string(id)? = dossier["id"] else { Issue.record("id attendu"); return }
                #expect(dossier["state"] == .string("brouillon"))
                #expect(dossier["assessment"]?["outcome"] != nil)
                let required = dossier["checklist"].flatMap { list -> [String]? in
                    guard case let .array(lines) = list else { return nil }
                    return lines.compactMap { $0["required"] == .bool(true) ? $0["item"].flatMap { if case let .string(s) = $0 { s } else { nil } } : nil }
                }
                #expect(required == ["cadreReponse", "autodiagnosticSI", "planFinancement", "devis"])
                // A draft is the porteur's alone.
                #expect(try await call("/api/v1/dossiers/\(id)", .get, Self.agent).status == .notFound)
                // Filing is blocked while a required document is missing: each is named.
                let blocked = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.porteur, version: 1, "{\"to\": \"depose\"}")
                #expect(blocked.status == .unprocessableContent)
                #expect(String(buffer: blocked.body).contains("pièce manquante : Cadre de réponse à l'appel à projets (cadreReponse, W4)"))
                // Documents are recognised by their content: a renamed executable is refused.
                let (h, elf) = Self.multipart(item: "cadreReponse", filename: "cadre.pdf", bytes: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0])
                #expect(try await client.execute(uri: "/api/v1/dossiers/\(id)/documents", method: .post, headers: h, body: elf).status == .unsupportedMediaType)
                for item in required ?? [] {
                    let pdf = Array("%PDF-1.7 \(item)".utf8)
                    let (h, body) = Self.multipart(item: item, filename: "\(item).pdf", bytes: pdf)
                    let uploaded = try await client.execute(uri: "/api/v1/dossiers/\(id)/documents", method: .post, headers: h, body: body)
                    #expect(uploaded.status == .created)
                    #expect(try json(uploaded)["sha256"] == .string(AccountRepository.tokenHash("%PDF-1.7 \(item)")))
                }
                // Filed: frozen and routed to the ARS of the pivot region.
                let filed = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.porteur, version: 1, "{\"to\": \"depose\"}")
                #expect(filed.status == .ok)
                let f = try json(filed)
                #expect(f["state"] == .string("depose"))
                #expect(f["routing"]?["instruction"] == .string("ARS"))
                #expect(f["routing"]?["region"] == .string("76"))
                #expect(f["project"]?["filingDate"] == nil)
                #expect(f["ruleSetVersion"] != nil && f["frozenAt"] != nil)
                #expect(f["annotations"] == nil)
                // Another region's instructor sees nothing; the region's takes it.
                #expect(try await call("/api/v1/dossiers/\(id)", .get, Self.otherAgent).status == .notFound)
                let seen = try await call("/api/v1/dossiers/\(id)", .get, Self.agent)
                #expect(try json(seen)["annotations"] == .array([]))
                let porteurMayNot = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.porteur, version: 2, "{\"to\": \"enInstruction\"}")
                #expect(porteurMayNot.status == .forbidden)
                let taken = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 2, "{\"to\": \"enInstruction\"}")
                #expect(try json(taken)["instructor"] == .string("agent@ars-occitanie.test"))
                // Versions: stale → 412 naming who changed it; a state that forbids → 409 naming what is allowed.
                let stale = try await call("/api/v1/dossiers/\(id)/project", .put, Self.porteur, version: 2, fromFiness)
                #expect(stale.status == .preconditionFailed)
                #expect(String(buffer: stale.body).contains("par agent@ars-occitanie.test"))
                #expect(try await call("/api/v1/dossiers/\(id)/project", .put, Self.porteur, fromFiness).status == .preconditionRequired)
                #expect(try await call("/api/v1/dossiers/\(id)/project", .put, Self.porteur, version: 3, fromFiness).status == .conflict)
                let wrongWay = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 3, "{\"to\": \"brouillon\"}")
                #expect(wrongWay.status == .conflict)
                #expect(try json(wrongWay)["error"]?["message"] == .string("transition enInstruction → brouillon impossible ; depuis « en instruction » : correctionDemandee, accepte, refuse, classeSansSuite"))
                // Messages both ways; annotations private to the instructor.
                #expect(try await call("/api/v1/dossiers/\(id)/messages", .post, Self.porteur, "{\"body\": \"Bonjour, le devis est joint.\"}").status == .created)
                #expect(try await call("/api/v1/dossiers/\(id)/annotations", .post, Self.agent, "{\"body\": \"Vérifier le devis.\"}").status == .created)
                #expect(try await call("/api/v1/dossiers/\(id)/annotations", .post, Self.porteur, "{\"body\": \"x\"}").status == .forbidden)
                #expect(!String(buffer: try await call("/api/v1/dossiers/\(id)", .get, Self.porteur).body).contains("Vérifier le devis"))
                // An expert's opinion: the expert then sees the dossier, without the annotations, and answers.
                _ = try await AccountRepository(store: store).add(email: "expert@d.test", name: "Expert", password: "mot-de-passe-de-test", assignments: [try Assignment(parsing: "expert")])
                let expertSession = "esmss_" + String(repeating: "d4", count: 32)
                let now = Int(Date().timeIntervalSince1970)
                try await store.sql.raw("INSERT INTO sessions (hash, email, csrf, created_at, last_seen) VALUES (\(bind: AccountRepository.tokenHash(expertSession)), 'expert@d.test', \(bind: testToken), \(bind: now), \(bind: now))").run()
                #expect(try await call("/api/v1/dossiers/\(id)", .get, expertSession).status == .notFound)
                let asked = try await call("/api/v1/dossiers/\(id)/avis", .post, Self.agent, "{\"expert\": \"expert@d.test\", \"question\": \"Le planning est-il tenable ?\", \"dueDate\": \"2022-06-01\"}")
                #expect(asked.status == .created)
                #expect(try json(try await call("/api/v1/dossiers/\(id)/avis", .post, Self.agent, "{\"expert\": \"porteur@d.test\", \"question\": \"?\"}"))["error"]?["path"] == .string("expert"))
                let asExpert = try await call("/api/v1/dossiers/\(id)", .get, expertSession)
                #expect(asExpert.status == .ok)
                #expect(try json(asExpert)["annotations"] == nil)
                guard case let .string(avisID)? = try json(asked)["id"] else { return }
                let answered = try await call("/api/v1/avis/\(avisID)", .put, expertSession, "{\"answer\": \"reserve\", \"comment\": \"Planning serré.\"}")
                #expect(try json(answered)["answer"] == .string("reserve"))
                #expect(try await call("/api/v1/avis/\(avisID)", .put, expertSession, "{\"answer\": \"peut-etre\"}").status == .unprocessableContent)
                guard case let .array(requests) = try json(try await call("/api/v1/avis", .get, expertSession)) else { return }
                #expect(requests.count == 1)
                // Acceptance: a score first, the forfaits as frozen, the small-OG items within their ceilings, the envelope.
                let unscored = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 3, "{\"to\": \"accepte\"}")
                #expect(String(buffer: unscored.body).contains("une note doit être enregistrée"))
                let badScore = try await call("/api/v1/dossiers/\(id)/score", .put, Self.agent, version: 3, "{\"criteria\": {\"enjeux\": 4}}")
                #expect(try json(badScore)["error"]?["path"] == .string("criteria.enjeux"))
                let scored = try await call("/api/v1/dossiers/\(id)/score", .put, Self.agent, version: 3,
                                            "{\"criteria\": {\"enjeux\": 3, \"equipe\": 2, \"planning\": 2, \"securite\": 2, \"interoperabilite\": 3}, \"comment\": \"Solide.\"}")
                #expect(try json(scored)["score"]?["total"] == .number("12"))
                #expect(try json(scored)["score"]?["mature"] == .bool(true))
                let frozenUsage = f["assessment"]?["funding"]?["usage"] ?? .null
                let wrongForfait = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 4, "{\"to\": \"accepte\", \"granted\": {\"usage\": 1}}")
                #expect(try json(wrongForfait)["error"]?["path"] == .string("granted.usage"))
                // An envelope already nearly spent: refused with what remains.
                try await store.sql.raw("INSERT INTO dossiers (id, title, porteur, campaign, state, version, instruction, region, granted, created_at, updated_at, updated_by) VALUES ('deja-accepte', 'Autre', '310100011', '2022-occitanie', 'accepte', 1, 'ARS', '76', '{\"total\": 4186000}', '2022-04-01T00:00:00Z', '2022-04-01T00:00:00Z', 'test')").run()
                let overEnvelope = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 4, "{\"to\": \"accepte\"}")
                #expect(overEnvelope.status == .unprocessableContent)
                #expect(String(buffer: overEnvelope.body).contains("reste 783 € pour 989 000 € demandés"))
                try await store.sql.raw("DELETE FROM dossiers WHERE id = 'deja-accepte'").run()
                let accepted = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 4, "{\"to\": \"accepte\", \"message\": \"Projet retenu.\"}")
                #expect(accepted.status == .ok)
                #expect(try json(accepted)["granted"]?["usage"] == frozenUsage)
                #expect(try json(accepted)["decision"] == .string("Projet retenu."))
                // The same work on pages: the dossier's sections, its priorities, an opinion asked and answered by form.
                let agentCookie: HTTPFields = [.cookie: "esms_session=\(Self.agent)"]
                let agentForm: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_session=\(Self.agent)"]
                let askedByPage = try await client.execute(uri: "/dossiers/\(id)/avis", method: .post, headers: agentForm,
                                                           body: ByteBuffer(string: "expert=expert%40d.test&question=Interop%C3%A9rabilit%C3%A9+DMP+%3F&dueDate=2022-06-15&csrf=\(testToken)"))
                #expect(askedByPage.status == .seeOther)
                let expertForm: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_session=\(expertSession)"]
                let expertPage = text(try await client.execute(uri: "/dossiers/\(id)", method: .get, headers: [.cookie: "esms_session=\(expertSession)"]))
                #expect(expertPage.contains("Votre avis") && !expertPage.contains("href=\"#annotations\""))
                let pending = try await Self.dossiersOf(store).avis(expert: "expert@d.test").first { $0.answer == nil }
                let answeredByPage = try await client.execute(uri: "/avis/\(pending?.id ?? "?")", method: .post, headers: expertForm,
                                                              body: ByteBuffer(string: "answer=favorable&comment=Compatible.&csrf=\(testToken)"))
                #expect(answeredByPage.status == .seeOther)
                #expect(try await client.execute(uri: "/avis/\(pending?.id ?? "?")", method: .post, headers: agentForm,
                                                 body: ByteBuffer(string: "answer=favorable&csrf=\(testToken)")).status == .forbidden)
                let agentPage = text(try await client.execute(uri: "/dossiers/\(id)", method: .get, headers: agentCookie))
                #expect(agentPage.contains("<nav class=\"tabs\" aria-label=\"Sections du dossier\">") && agentPage.contains("<h2 id=\"annotations\">"))
                #expect(agentPage.contains("Projet mature (note d&#39;au moins 11 sur 15)"))
                #expect(agentPage.contains("Interopérabilité DMP ?") && agentPage.contains("<td>Favorable</td><td>Compatible.</td>"))
                #expect(agentPage.contains("Établissements du projet (46)") && agentPage.contains("Convention de financement"))
                // The ranking page: the envelope, what is committed, each dossier and whether it fits; not for a porteur.
                let rankingPage = text(try await client.execute(uri: "/classement?campaign=2022-occitanie", method: .get, headers: agentCookie))
                #expect(rankingPage.contains("<h1>Classement face à l'enveloppe</h1>") && rankingPage.contains("DUI des EHPAD de l&#39;association"))
                #expect(rankingPage.contains("<dt>Reste</dt>") && rankingPage.contains("<td>Oui</td>"))
                #expect(try await client.execute(uri: "/classement?campaign=2022-occitanie&scope=11", method: .get, headers: agentCookie).status == .notFound)
                #expect(try await client.execute(uri: "/classement", method: .get, headers: [.cookie: "esms_session=\(Self.porteur)"]).status == .forbidden)
                // The decision letter: parties, establishments, amounts, instalments, targets, deadline.
                let letter = text(try await client.execute(uri: "/dossiers/\(id)/decision", method: .get, headers: [.authorization: "Bearer \(Self.porteur)"]))
                #expect(letter.contains("Décision de financement") && letter.contains("ARS Occitanie"))
                #expect(letter.contains("Avance (50 %) à la signature des conventions (P1)"))
                #expect(letter.contains("Total</th><td class=\"num\"><strong>989"))
                #expect(letter.contains("Établissements financés (46)"))
                #expect(letter.contains("Délai d'atteinte des cibles : 18 mois à compter de la signature de la convention de financement (P3)"))
                // The same letter as PDF, read back with pdftotext.
                let pdf = try await client.execute(uri: "/dossiers/\(id)/decision.pdf", method: .get, headers: [.authorization: "Bearer \(Self.porteur)"])
                if FileManager.default.isExecutableFile(atPath: "/usr/bin/weasyprint") || ProcessInfo.processInfo.environment["CI"] != nil {
                    #expect(pdf.status == .ok)
                    #expect(pdf.headers[.contentType] == "application/pdf")
                    let text = try Self.pdfText(Array(pdf.body.readableBytesView))
                    #expect(text.contains("Décision de financement"), "\(text.prefix(300))")
                    #expect(text.contains("Avance (50 %) à la signature des conventions"))
                } else {
                    #expect(pdf.status == .serviceUnavailable)
                }
                // The funding convention: the parties, its articles filled with the same terms; as PDF too.
                let convention = text(try await client.execute(uri: "/dossiers/\(id)/convention", method: .get, headers: [.authorization: "Bearer \(Self.agent)"]))
                #expect(convention.contains("<h1>Convention de financement</h1>") && convention.contains("<strong>Entre</strong> ARS Occitanie"))
                #expect(convention.contains("Article 2 — Établissements concernés") && convention.contains("Établissements financés (46)"))
                #expect(convention.contains("Solde (50 %) à l&#39;atteinte des cibles d&#39;usage (P2)"))
                #expect(convention.contains("en deçà de 80 % de la subvention, l&#39;agence apprécie les dépenses déclarées (P2)"))
                #expect(convention.contains("La date de signature de la présente convention est la date d'engagement du projet"))
                let conventionPDF = try await client.execute(uri: "/dossiers/\(id)/convention.pdf", method: .get, headers: [.authorization: "Bearer \(Self.porteur)"])
                if FileManager.default.isExecutableFile(atPath: "/usr/bin/weasyprint") || ProcessInfo.processInfo.environment["CI"] != nil {
                    #expect(conventionPDF.status == .ok)
                    let text = try Self.pdfText(Array(conventionPDF.body.readableBytesView))
                    #expect(text.contains("Convention de financement") && text.contains("Article 7"), "\(text.prefix(300))")
                } else {
                    #expect(conventionPDF.status == .serviceUnavailable)
                }
                // The decision as open data, for anyone.
                let csv = text(try await client.execute(uri: "/decisions.csv", method: .get))
                #expect(csv.hasPrefix("nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,objet,montant,"))
                #expect(csv.contains("ARS Occitanie,,,\(id) du "))
                #expect(csv.contains(",989000,aide en numéraire,échelonné,,non,1\r\n"))
                // The scope's export, as French Excel opens it.
                let export = text(try await client.execute(uri: "/api/v1/dossiers/export.csv", method: .get, headers: [.authorization: "Bearer \(Self.agent)"]))
                #expect(export.hasPrefix("\u{FEFF}id;intitulé;porteur;campagne;nature;état;région;établissements;demandé (€);accordé (€);note /15"))
                #expect(export.contains("\(id);DUI des EHPAD de l'association;310100011;2022-occitanie;acquisition;accepte;76;"))
                #expect(try await call("/api/v1/dossiers/export.csv", .get, Self.porteur).status == .forbidden)
                // The same scope as a workbook read back: three sheets, typed cells.
                let xlsx = try await client.execute(uri: "/api/v1/dossiers/export.xlsx", method: .get, headers: [.authorization: "Bearer \(Self.agent)"])
                #expect(xlsx.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                let book = try XLSXBook(Array(xlsx.body.readableBytesView))
                #expect(book.sheetNames == ["Dossiers", "Etablissements", "Avis"])
                let sheet = book.sheets["Dossiers"] ?? []
                #expect(sheet.count == 2)
                #expect(sheet.first?["I"]?.value == "demandé (€)")
                let row = sheet.count > 1 ? sheet[1] : [:]
                #expect(row["A"] == XLSXBook.Cell(style: nil, type: "inlineStr", value: id))
                #expect(row["J"] == XLSXBook.Cell(style: "2", type: nil, value: "989000.00"))
                #expect(row["K"] == XLSXBook.Cell(style: nil, type: nil, value: "12"))
                #expect(row["L"]?.value == "mature")
                // The filing day (Europe/Paris) as a date cell: the spreadsheet's day number (from 30/12/1899), shown JJ/MM/AAAA.
                var paris = Calendar(identifier: .gregorian)
                paris.timeZone = TimeZone(identifier: "Europe/Paris")!
                let filedDay = try #require(ISO8601DateFormatter().date(from: String(String(buffer: filed.body).split(separator: "\"filedAt\":\"").last?.prefix(while: { $0 != "\"" }) ?? "")))
                let serial = paris.dateComponents([.day], from: paris.date(from: DateComponents(year: 1899, month: 12, day: 30))!, to: paris.startOfDay(for: filedDay)).day
                #expect(row["M"] == XLSXBook.Cell(style: "3", type: nil, value: "\(serial ?? 0)"))
                let establishments = book.sheets["Etablissements"] ?? []
                #expect(establishments.count - 1 == Int(row["H"]?.value ?? "") && establishments.count > 1)
                #expect(establishments.dropFirst().allSatisfy { $0["A"]?.value == id })
                let avisSheet = book.sheets["Avis"] ?? []
                #expect(avisSheet.count == 3)
                let reserve = avisSheet.first { $0["G"]?.value == "reserve" }
                #expect(reserve?["B"]?.value == "expert@d.test" && reserve?["D"] == XLSXBook.Cell(style: "3", type: nil, value: "44713"))
                #expect(avisSheet.first { $0["G"]?.value == "favorable" }?["H"]?.value == "Compatible.")
                #expect(try await call("/api/v1/dossiers/export.xlsx", .get, Self.porteur).status == .forbidden)
                // The ranking of the region: the accepted dossier committed against the envelope.
                let ranking = try json(try await call("/api/v1/instruction/ranking?campaign=2022-occitanie", .get, Self.agent))
                #expect(ranking["envelope"] == .number("4186783"))
                guard case let .array(ranked)? = ranking["dossiers"], let top = ranked.first else { Issue.record("classement vide"); return }
                #expect(ranking["committed"] == top["amount"])
                #expect(top["priorities"] == .array([.string("mature")]))
                #expect(top["fitsEnvelope"] == .bool(true))
                #expect(try await call("/api/v1/instruction/ranking?campaign=2022-occitanie", .get, Self.porteur).status == .forbidden)
                #expect(try await call("/api/v1/instruction/ranking?campaign=2022-occitanie&scope=11", .get, Self.agent).status == .notFound)
                // The establishments are now applied for: another dossier of them is told which dossier holds them.
                let second = try json(try await call("/api/v1/dossiers", .post, Self.porteur, "{\"title\": \"Doublon\", \"project\": \(fromFiness)}"))
                guard case let .array(excluded)? = second["assessment"]?["excluded"] else { Issue.record("exclusions attendues"); return }
                #expect(!excluded.isEmpty)
                #expect(excluded.allSatisfy { $0["rule"] == .string("E3") && $0["dossier"] == .string(id) })
                // Lists: each sees its own.
                guard case let .array(mine) = try json(try await call("/api/v1/dossiers", .get, Self.porteur)) else { return }
                #expect(mine.count == 2)
                guard case let .array(theirs) = try json(try await call("/api/v1/dossiers", .get, Self.otherAgent)) else { return }
                #expect(theirs.isEmpty)
            }
            let actions = try await AuditLog(store: store).events(object: nil).map(\.action).filter { $0.hasPrefix("dossier.") }
            let transitions = actions.filter { $0 == "dossier.transition" }.count
            let deposits = actions.filter { $0 == "dossier.document.depot" }.count
            #expect(transitions == 3)
            #expect(deposits == 4)
            #expect(actions.contains("dossier.note") && actions.contains("dossier.annotation") && actions.contains("dossier.message"))
            #expect(try await AuditLog(store: store).verify().broken == nil)
        }
    }

    /// The pages: a grappe filed as a dossier, its checklist, a refused filing that names each
    /// missing piece, an upload by the page's form, and a stale form that changes nothing.
    @Test func thePagesFileAGrappe() async throws {
        try await TestDatabase.sqlite.withStore { store in
            try await DemoRegistry.importIfEmpty(into: store)
            try await Self.open(store, "porteur@d.test", "porteur:310100011", session: Self.porteur)
            let grappe = try await GrappeRepository(store: store).create(name: "Grappe d'Occitanie", project: try JSON.parse(fromFiness), owner: "310100011", by: "test")
            var logger = Logger(label: "esms.test")
            logger.logLevel = TestLogging.level
            let app = buildApplication(site: Site(store: store, today: CalendarDate(iso: "2022-05-02")), configuration: ServerConfiguration(database: store.location), logger: logger)
            try await app.test(.router) { client in
                let browser: HTTPFields = [.cookie: "esms_session=\(Self.porteur)"]
                let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "esms_session=\(Self.porteur)"]
                let list = text(try await client.execute(uri: "/dossiers", method: .get, headers: browser))
                #expect(list.contains("Déposer une grappe comme dossier") && list.contains("Grappe d&#39;Occitanie"))
                let created = try await client.execute(uri: "/dossiers", method: .post, headers: form,
                                                       body: ByteBuffer(string: "title=DUI+Occitanie&grappe=\(grappe.id)&csrf=\(testToken)"))
                #expect(created.status == .seeOther)
                let location = try #require(created.headers[.location])
                let page = text(try await client.execute(uri: location, method: .get, headers: browser))
                #expect(page.contains("Manquante (obligatoire)") && page.contains("Déposer le dossier"))
                // Filters: by the department of an establishment, by campaign; counts by state.
                let in31 = text(try await client.execute(uri: "/dossiers?department=31&campaign=2022-occitanie", method: .get, headers: browser))
                #expect(in31.contains("DUI Occitanie") && in31.contains("Brouillon : 1"))
                #expect(text(try await client.execute(uri: "/dossiers?department=75", method: .get, headers: browser)).contains("Aucun dossier."))
                #expect(text(try await client.execute(uri: "/dossiers?department=99", method: .get, headers: browser)).contains("Département « 99 » inconnu : filtre ignoré."))
                let refused = try await client.execute(uri: location + "/transitions", method: .post, headers: form,
                                                       body: ByteBuffer(string: "version=1&to=depose&message=&csrf=\(testToken)"))
                #expect(refused.status == .unprocessableContent)
                #expect(text(refused).contains("pièce manquante : Plan de financement (planFinancement, W4)"))
                var upload = ByteBuffer(string: "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(testToken)\r\n--b\r\nContent-Disposition: form-data; name=\"item\"\r\n\r\nplanFinancement\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"plan.csv\"\r\n\r\n")
                upload.writeString("poste;montant\r\nlogiciel;667000\r\n\r\n--b--\r\n")
                let uploaded = try await client.execute(uri: location + "/pieces", method: .post,
                                                        headers: [.contentType: "multipart/form-data; boundary=b", .cookie: "esms_session=\(Self.porteur)"], body: upload)
                #expect(uploaded.status == .seeOther)
                #expect(text(try await client.execute(uri: location, method: .get, headers: browser)).contains("plan.csv"))
                let stale = try await client.execute(uri: location + "/transitions", method: .post, headers: form,
                                                     body: ByteBuffer(string: "version=7&to=depose&csrf=\(testToken)"))
                #expect(stale.status == .conflict)
                #expect(text(stale).contains("modifié le") && text(stale).contains("par porteur@d.test"))
            }
        }
    }

    /// A correction asked and answered (a new frozen assessment), then a refusal: its letter gives
    /// the motivation and the means of appeal; a decision is reopened only with a motivation.
    @Test(arguments: TestDatabase.available)
    func correctionThenRefusal(_ db: TestDatabase) async throws {
        try await db.withStore { store in
            try await DemoRegistry.importIfEmpty(into: store)
            try await Self.open(store, "porteur@d.test", "porteur:310100011", session: Self.porteur)
            try await Self.open(store, "agent@ars-occitanie.test", "instructeur:76", session: Self.agent)
            var logger = Logger(label: "esms.test")
            logger.logLevel = TestLogging.level
            let app = buildApplication(site: Site(store: store, today: CalendarDate(iso: "2022-05-02")), configuration: ServerConfiguration(database: store.location), logger: logger)
            try await app.test(.router) { client in
                func call(_ uri: String, _ method: HTTPRequest.Method, _ session: String, version: Int? = nil, _ body: String? = nil) async throws -> TestResponse {
                    try await client.execute(uri: uri, method: method, headers: Self.headers(session, version: version), body: body.map { ByteBuffer(string: $0) })
                }
                guard case let .string(id)? = try json(try await call("/api/v1/dossiers", .post, Self.porteur, "{\"title\": \"Dossier corrigé\", \"project\": \(fromFiness)}"))["id"] else { return }
                for item in ["cadreReponse", "autodiagnosticSI", "planFinancement", "devis"] {
                    let (h, body) = Self.multipart(item: item, filename: "\(item).pdf", bytes: Array("%PDF-1.7 \(item)".utf8))
                    _ = try await client.execute(uri: "/api/v1/dossiers/\(id)/documents", method: .post, headers: h, body: body)
                }
                #expect(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.porteur, version: 1, "{\"to\": \"depose\"}").status == .ok)
                #expect(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 2, "{\"to\": \"enInstruction\"}").status == .ok)
                let noReason = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 3, "{\"to\": \"correctionDemandee\", \"message\": \"Devis illisible.\"}")
                #expect(try json(noReason)["error"]?["path"] == .string("reason"))
                #expect(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 3,
                                       "{\"to\": \"correctionDemandee\", \"reason\": \"incorrect\", \"message\": \"Devis illisible.\"}").status == .ok)
                // The porteur corrects the project and files again: a new frozen assessment.
                let renamed = fromFiness.replacingOccurrences(of: "\"Logiciel X\"", with: "\"Logiciel X v2\"")
                #expect(try await call("/api/v1/dossiers/\(id)/project", .put, Self.porteur, version: 4, renamed).status == .ok)
                let refiled = try json(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.porteur, version: 5, "{\"to\": \"depose\"}"))
                #expect(refiled["state"] == .string("depose"))
                #expect(refiled["project"]?["solution"]?["name"] == .string("Logiciel X v2"))
                let frozen = try await store.sql.raw("SELECT COUNT(*) AS n FROM dossier_history WHERE dossier = \(bind: id) AND frozen IS NOT NULL").first()?.decode(column: "n", as: Int.self)
                #expect(frozen == 2)
                #expect(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 6, "{\"to\": \"enInstruction\"}").status == .ok)
                let unmotivated = try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 7, "{\"to\": \"refuse\"}")
                #expect(String(buffer: unmotivated.body).contains("une motivation (message) est requise"))
                #expect(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 7,
                                       "{\"to\": \"refuse\", \"message\": \"Le planning ne tient pas les délais de l'appel.\"}").status == .ok)
                let letter = text(try await client.execute(uri: "/dossiers/\(id)/decision", method: .get, headers: [.authorization: "Bearer \(Self.porteur)"]))
                #expect(letter.contains("Décision de refus") && letter.contains("Voies et délais de recours"))
                #expect(letter.contains("Le planning ne tient pas les délais de l&#39;appel."))
                // Closed without a decision is not reachable from a refusal; reopening needs a motivation.
                #expect(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 8, "{\"to\": \"classeSansSuite\", \"message\": \"x\"}").status == .conflict)
                #expect(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 8, "{\"to\": \"enInstruction\"}").status == .unprocessableContent)
                let reopened = try json(try await call("/api/v1/dossiers/\(id)/transitions", .post, Self.agent, version: 8, "{\"to\": \"enInstruction\", \"message\": \"Recours gracieux reçu.\"}"))
                #expect(reopened["state"] == .string("enInstruction"))
                #expect(reopened["decision"] == .null)
                guard case let .array(history)? = reopened["history"] else { return }
                #expect(history.count == 8)
            }
        }
    }
}
