import Foundation
import Testing

/// `esms dui measures` through the built binary: the `usage.md` CSV alone on standard output, the
/// definitions on standard error, bad arguments named.
@Suite("esms dui measures")
struct DUICommandTests {
    @Test func theMeasuresAreTheUsageCSV() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("esms-dui-\(UUID().uuidString).sqlite").path
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let db = ["--database", path]
        #expect(try runESMS(["dui", "measures", "--essms", "315000018", "--from", "2025-01", "--to", "2025-02"] + db).stderr.contains("absente"))
        _ = try runESMS(["users", "add", "soignant@example.fr", "--name", "Soignant", "--role", "professionnel:315000018", "--password-stdin"] + db, stdin: "un mot de passe sûr\n")
        let measured = try runESMS(["dui", "measures", "--essms", "315000018", "--from", "2025-01", "--to", "2025-02"] + db)
        #expect(measured.status == 0)
        #expect(measured.stdout == "finessET;month;persons;activeRecords;activeWithProjet;activeWithEvent;mssMessagesSent;dmpFedPersons\n315000018;2025-01;0;0;0;0;0;0\n315000018;2025-02;0;0;0;0;0;0\n")
        #expect(measured.stderr.contains("persons : personnes dont un séjour couvre au moins un jour du mois"))
        let bad = try runESMS(["dui", "measures", "--essms", "315000018", "--from", "2025-13", "--to", "2025-02"] + db)
        #expect(bad.status == 1 && bad.stderr.contains("--from : mois attendu au format AAAA-MM"))
        #expect(try runESMS(["dui", "measures", "--essms", "31500001X", "--from", "2025-01", "--to", "2025-02"] + db).stderr.contains("--essms : numéro FINESS ET invalide"))
    }
}
