import Foundation
import HummingbirdTesting
import NIOCore
import Rules
import SQLKit
import Store
import Testing
import TestSupport

/// The store shared by concurrent requests (a pool on PostgreSQL, a writer and readers on SQLite):
/// 50 requests at once, reading, saving grappes and importing measures in transactions; every
/// write is there afterwards.
@Suite("Requêtes simultanées")
struct ConcurrencyTests {
    enum Outcome: Sendable { case read, grappe(String, String), measures(Int) }

    @Test(arguments: TestDatabase.available)
    func fiftyConcurrentRequestsKeepEveryWrite(_ db: TestDatabase) async throws {
        try await withApp(on: db) { client, store in
            let usage = try await ProbeTests.create(client, name: "35 EHPAD", project: ProbeTests.usageProject)
            let lines = ProbeTests.usageMeasures.split(separator: "\n").map(String.init)
            let header = lines[0], rows = Array(lines.dropFirst())
            let chunks = stride(from: 0, to: rows.count, by: 19).map { Array(rows[$0..<min($0 + 19, rows.count)]) }
            let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        switch i % 3 {
                        case 0:
                            let one = try await client.api(uri: "/api/v1/grappes/\(usage)", method: .get, headers: browser)
                            #expect(one.status == .ok)
                            #expect(try await client.execute(uri: "/grappes", method: .get, headers: browser).status == .ok)
                            return .read
                        case 1:
                            let name = "Grappe \(i)"
                            let id = try await ProbeTests.create(client, name: name, project: ProbeTests.small)
                            return .grappe(id, name)
                        default:
                            let chunk = chunks[(i / 3) % chunks.count]
                            let (type, body) = UsagePageTests().multipart([("measures", ([header] + chunk).joined(separator: "\n")), ("author", "Tâche \(i)")])
                            let response = try await client.execute(uri: "/grappes/\(usage)/usages/mesures", method: .post,
                                                                    headers: [.contentType: type, .cookie: browserCookie], body: body)
                            #expect(response.status == .ok, "\(text(response).prefix(300))")
                            return .measures(chunk.count)
                        }
                    }
                }
                var all: [Outcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.count == 50)
            for case let .grappe(id, name) in outcomes {
                #expect(try await ProbeTests.grappe(client, id)["name"] == .string(name))
            }
            // 16 imports of the 17 chunks: every row of the chunks sent is stored once.
            let sent = Set((0..<50).filter { $0 % 3 == 2 }.map { ($0 / 3) % chunks.count })
            let expected = sent.map { chunks[$0].count }.reduce(0, +)
            let row = try await store.sql.raw("SELECT COUNT(*) AS n FROM usage_measure").first()
            #expect(try row?.decode(column: "n", as: Int.self) == expected)
            let grappes = try await store.sql.raw("SELECT COUNT(*) AS n FROM grappe").first()
            #expect(try grappes?.decode(column: "n", as: Int.self) == 1 + outcomes.filter { if case .grappe = $0 { return true } else { return false } }.count)
        }
    }
}
