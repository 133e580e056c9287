import Foundation
import Testing

/// `--campaigns DIR` (`dossiers.md`, « Campaigns an ARS adds »): an ARS adds its call without code;
/// its files are validated as the shipped ones and a bad file stops with the file, the parameter
/// and the reason.
@Suite("esms --campaigns")
struct CampaignDirectoryTests {
    static let bretagne = """
    {
      "id": "2026-bretagne", "label": "AAP régional 2026 — ARS Bretagne", "ruleSetVersion": "2026.1",
      "extends": "2022", "region": "53", "period": { "from": "2026-01-15", "to": "2026-12-15" },
      "parameters": {
        "W.enveloppe": { "value": 2500000, "unit": "EUR", "source": "AAP ARS Bretagne 2026", "notes": "Enveloppe de l'appel." }
      }
    }
    """

    func directory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("esms-campagnes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    @Test func anARSAddsItsCall() throws {
        let dir = try directory(["2026-bretagne.json": Self.bretagne])
        defer { try? FileManager.default.removeItem(at: dir) }
        let listed = try runESMS(["campaigns", "2026-bretagne", "--format", "text", "--campaigns", dir.path])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("2026-bretagne"))
        #expect(listed.stdout.contains("W.enveloppe = 2500000 EUR  — AAP ARS Bretagne 2026"))
        let project = example.replacingOccurrences(of: "\"campaign\": \"2022\"", with: "\"campaign\": \"2026-bretagne\"")
        let simulated = try runESMS(["simulate", "-", "--campaigns", dir.path], stdin: project)
        #expect(simulated.status == 0, "\(simulated.stderr)")
        #expect(simulated.stdout.contains("\"campaign\":\"2026-bretagne\"") || simulated.stdout.contains("\"campaign\": \"2026-bretagne\""))
        // Without the directory, the campaign is unknown.
        #expect(try runESMS(["simulate", "-"], stdin: project).status == 1)
    }

    @Test func aBadFileStopsWithTheFileTheParameterAndTheReason() throws {
        let bad = Self.bretagne.replacingOccurrences(of: "\"value\": 2500000", with: "\"value\": \"beaucoup\"")
        let dir = try directory(["2026-bretagne.json": bad])
        defer { try? FileManager.default.removeItem(at: dir) }
        let refused = try runESMS(["campaigns", "--campaigns", dir.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--campaigns \(dir.path) : campagne 2026-bretagne.json : 2026-bretagne, paramètre W.enveloppe"), "\(refused.stderr)")
        let duplicate = try directory(["x.json": Self.bretagne.replacingOccurrences(of: "2026-bretagne", with: "2022-occitanie")])
        defer { try? FileManager.default.removeItem(at: duplicate) }
        let twice = try runESMS(["campaigns", "--campaigns", duplicate.path])
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("identifiant de campagne en double"), "\(twice.stderr)")
        #expect(try runESMS(["campaigns", "--campaigns", "/inexistant"]).stderr.contains("--campaigns /inexistant : dossier illisible ou absent"))
    }
}
