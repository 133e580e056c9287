import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOPosix
import Commands
import Store
import Web

/// `esms bench serve`: `POST /api/v1/simulations` of a 46-establishment grappe under `wrk`, beside a
/// minimal Hummingbird route returning a constant, both served by this process in the same run.
struct BenchServe: AsyncParsableCommand, ServesHTTP {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Charge le serveur avec wrk : simulations d'une grappe de 46 établissements contre une route constante."
    )

    @Option(help: "Durée de chaque mesure à pleine charge, en secondes.")
    var duration = 10

    @Option(help: "Connexions simultanées à pleine charge.")
    var connections = 32

    @Option(help: "Mesures à pleine charge de chaque route, alternées (la médiane est retenue).")
    var rounds = 3

    @Option(help: "Premier des deux ports d'écoute sur 127.0.0.1.")
    var port = 18_080

    func run() async throws {
        try await reporting {
            guard (1...120).contains(duration), (1...9).contains(rounds), (1...1024).contains(connections), (1024...65_000).contains(port) else {
                throw UserFacingError("--duration 1…120, --rounds 1…9, --connections 1…1024, --port 1024…65000")
            }
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
                throw UserFacingError("wrk introuvable : apt-get install wrk")
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("esms-bench-serve-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let body = try Data(contentsOf: Self.exampleURL())
            let script = directory.appendingPathComponent("post.lua")
            let escaped = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "]]", with: "] ]")
            try Data("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[\(escaped)]]\n".utf8).write(to: script)

            var logger = Logger(label: "esms.bench")
            logger.logLevel = .critical
            let store = try await Store.open(.sqlite(path: directory.appendingPathComponent("bench.sqlite").path))
            let site = Site(store: store)
            let real = buildApplication(site: site, configuration: ServerConfiguration(port: port, logLevel: .error), logger: logger)
            let constantRouter = Router()
            constantRouter.get("/constant") { _, _ in "ok" }
            // The same body as a simulation, read whole, then a constant: what the framework costs.
            constantRouter.post("/constant") { request, _ -> String in
                _ = try await request.body.collect(upTo: 1 << 20)
                return "ok"
            }
            let constant = Application(router: constantRouter, configuration: .init(address: .hostname("127.0.0.1", port: port + 1)), logger: logger)

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await real.run() }
                group.addTask { try await constant.run() }
                try await Task.sleep(for: .seconds(1))
                let simulations = "http://127.0.0.1:\(port)/api/v1/simulations"
                let constantURL = "http://127.0.0.1:\(port + 1)/constant"
                // Check the answer once before loading the server.
                let check = try await wrk(["-t1", "-c1", "-d1s", "-s", script.path, simulations])
                guard check.requests > 0, check.non2xx == 0 else { throw UserFacingError("la simulation de référence échoue (\(check.non2xx) réponses en erreur)") }

                // The two loads alternate, `rounds` times each: on a shared machine the throughput
                // drifts, and the ratio is taken between medians measured side by side.
                var constantRuns: [WrkResult] = [], simulationRuns: [WrkResult] = []
                for _ in 0..<rounds {
                    constantRuns.append(try await wrk(["-t2", "-c\(connections)", "-d\(duration)s", "--latency", constantURL]))
                    simulationRuns.append(try await wrk(["-t2", "-c\(connections)", "-d\(duration)s", "--latency", "-s", script.path, simulations]))
                }
                let bodyMax = try await wrk(["-t2", "-c\(connections)", "-d\(duration)s", "--latency", "-s", script.path, constantURL])
                let constantMax = median(constantRuns), simulationMax = median(simulationRuns)
                func each(_ runs: [WrkResult]) -> String { runs.map { "\(Int($0.perSecond))" }.joined(separator: ", ") }
                print("Route constante (Hummingbird)    : \(Int(constantMax.perSecond)) req/s (médiane de \(each(constantRuns))), p99 \(ms(constantMax.p99)) à \(connections) connexions")
                print("POST constant, même corps lu     : \(Int(bodyMax.perSecond)) req/s, p99 \(ms(bodyMax.p99)) à \(connections) connexions")
                print("POST /api/v1/simulations (46 ET) : \(Int(simulationMax.perSecond)) req/s (médiane de \(each(simulationRuns))), p99 \(ms(simulationMax.p99)) à \(connections) connexions")
                print(String(format: "  rapport : %.2f du débit de la route constante (objectif ≥ 0,30)", simulationMax.perSecond / constantMax.perSecond))

                // Half the maximum load: the fewest connections reaching half the measured maximum.
                var half: WrkResult? = nil
                for c in [1, 2, 3, 4, 6, 8, 12, 16] {
                    let r = try await wrk(["-t1", "-c\(c)", "-d\(max(3, duration / 2))s", "--latency", "-s", script.path, simulations])
                    half = r
                    if r.perSecond >= simulationMax.perSecond / 2 {
                        print("À mi-charge (\(c) connexion\(c > 1 ? "s" : ""), \(Int(r.perSecond)) req/s) : p50 \(ms(r.p50)), p99 \(ms(r.p99)) (objectif p99 < 10 ms)")
                        break
                    }
                }
                if let half, half.perSecond < simulationMax.perSecond / 2 {
                    print("Mi-charge non atteinte avec 16 connexions : \(Int(half.perSecond)) req/s, p99 \(ms(half.p99))")
                }
                group.cancelAll()
            }
            try await store.close()
        }
    }

    static func exampleURL() throws -> URL {
        let url = URL(fileURLWithPath: "examples/acquisition-46-occitanie.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw UserFacingError("lancer depuis la racine du dépôt : examples/acquisition-46-occitanie.json introuvable")
        }
        return url
    }

    struct WrkResult {
        var perSecond = 0.0, requests = 0, non2xx = 0, p50 = 0.0, p99 = 0.0
    }

    /// The run of median throughput.
    func median(_ runs: [WrkResult]) -> WrkResult { runs.sorted { $0.perSecond < $1.perSecond }[runs.count / 2] }

    func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }

    /// Runs wrk and reads requests per second, non-2xx responses and latency percentiles; waits on
    /// NIO's thread pool, since the event loops that serve the requests must never block.
    func wrk(_ arguments: [String]) async throws -> WrkResult {
        try await NIOThreadPool.singleton.runIfActive { try wrkBlocking(arguments) }
    }

    func wrkBlocking(_ arguments: [String]) throws -> WrkResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        var result = WrkResult()
        func seconds(_ token: Substring) -> Double {
            let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60)]
            for (suffix, factor) in units where token.hasSuffix(suffix) {
                return (Double(token.dropLast(suffix.count)) ?? 0) * factor
            }
            return 0
        }
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let v = words.last.flatMap({ Double($0) }) { result.perSecond = v }
            if line.contains("requests in"), let n = words.first.flatMap({ Int($0) }) { result.requests = n }
            if line.contains("Non-2xx or 3xx responses:"), let n = words.last.flatMap({ Int($0) }) { result.non2xx = n }
            if words.count == 2, words[0] == "50%" { result.p50 = seconds(words[1]) }
            if words.count == 2, words[0] == "99%" { result.p99 = seconds(words[1]) }
        }
        return result
    }
}
