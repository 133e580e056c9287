import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Rules
import Testing
import Yams

/// Every response the API tests receive is checked against `openapi.yaml`: the operation exists
/// (else 404, or 405 with `Allow`), the status is documented, and the JSON body matches the
/// documented schema. The schema keywords the document uses are checked here by hand: no package
/// on our list validates an instance against a JSON Schema (OpenAPIKit reads documents only).
enum OpenAPIConformance {
    static let document: JSON = {
        let url = packageRoot.appendingPathComponent("Sources/Web/openapi.yaml")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return json((try? Yams.load(yaml: text)) ?? nil)
    }()

    /// YAML as loaded by Yams, as our JSON value.
    static func json(_ any: Any?) -> JSON {
        switch any {
        case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, json(d[$0])) })
        case let a as [Any]: return .array(a.map(json))
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(i)
        case let x as Double: return .number(String(x))
        case let s as String: return .string(s)
        default: return .null
        }
    }

    static var paths: [(String, JSON)] {
        guard case let .object(members)? = document["paths"] else { return [] }
        return members
    }

    static func strings(_ value: JSON?) -> [String] {
        guard case let .array(items)? = value else { return [] }
        return items.compactMap { if case let .string(s) = $0 { return s } else { return nil } }
    }

    static func int(_ value: JSON?) -> Int? { if case let .number(n)? = value { return Int(n) } else { return nil } }

    /// The documented path template a concrete path falls under: literal segments first, as the router.
    static func template(for path: String) -> String? {
        let parts = path.split(separator: "/").map(String.init)
        let candidates = paths.map(\.0).filter { t in
            let segments = t.split(separator: "/").map(String.init)
            return segments.count == parts.count && zip(segments, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
        return candidates.min { a, b in a.filter { $0 == "{" }.count < b.filter { $0 == "{" }.count }
    }

    static func resolve(_ node: JSON?) -> JSON? {
        guard let node, case .object = node else { return nil }
        guard case let .string(ref)? = node["$ref"], ref.hasPrefix("#/") else { return node }
        var current: JSON? = document
        for key in ref.dropFirst(2).split(separator: "/") { current = current?[String(key)] }
        return resolve(current)
    }

    /// Records an issue for every way the response departs from the document.
    static func check(_ response: TestResponse, uri: String, method: HTTPRequest.Method, sourceLocation: SourceLocation = #_sourceLocation) {
        let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
        let label = "\(method.rawValue) \(uri) → \(response.status.code)"
        guard let template = template(for: path), let item = paths.first(where: { $0.0 == template })?.1 else {
            #expect(response.status == .notFound, "\(label) : chemin absent du document", sourceLocation: sourceLocation)
            validateError(response, label, sourceLocation)
            return
        }
        let verb = method == .head ? "get" : method.rawValue.lowercased()
        guard let operation = item[verb] else {
            #expect(response.status == .methodNotAllowed, "\(label) : méthode absente du document", sourceLocation: sourceLocation)
            #expect(response.headers[.allow] != nil, "\(label) : Allow attendu", sourceLocation: sourceLocation)
            return
        }
        guard let documented = resolve(operation["responses"]?[String(response.status.code)]) else {
            Issue.record("\(label) : statut non documenté pour \(verb.uppercased()) \(template)", sourceLocation: sourceLocation)
            return
        }
        guard method != .head, let schema = documented["content"]?["application/json"]?["schema"] else { return }
        guard let value = try? JSON.parse(String(buffer: response.body)) else {
            Issue.record("\(label) : corps qui n'est pas du JSON", sourceLocation: sourceLocation)
            return
        }
        for problem in validate(value, schema, at: "") {
            Issue.record("\(label) : \(problem)", sourceLocation: sourceLocation)
        }
    }

    static func validateError(_ response: TestResponse, _ label: String, _ sourceLocation: SourceLocation) {
        guard let value = try? JSON.parse(String(buffer: response.body)) else { Issue.record("\(label) : corps qui n'est pas du JSON", sourceLocation: sourceLocation); return }
        for problem in validate(value, .object([("$ref", .string("#/components/schemas/Error"))]), at: "") {
            Issue.record("\(label) : \(problem)", sourceLocation: sourceLocation)
        }
    }

    /// The problems of `value` against `node`, each with its JSON path; empty when it conforms.
    static func validate(_ value: JSON, _ node: JSON, at path: String) -> [String] {
        guard let schema = resolve(node) else { return [] }
        var problems: [String] = []
        let here = path.isEmpty ? "(racine)" : path
        if let types = schema["type"] {
            let allowed: [String]
            if case let .string(one) = types { allowed = [one] } else { allowed = strings(types) }
            if !allowed.contains(where: { matches(value, type: $0) }) { return ["\(here) : type \(value.typeName) au lieu de \(allowed.joined(separator: " ou "))"] }
        }
        if case let .array(options)? = schema["enum"] {
            if !options.contains(value) { problems.append("\(here) : \(value.rendered(indent: false)) hors de l'énumération") }
        }
        if case let .array(alternatives)? = schema["oneOf"] {
            let passing = alternatives.filter { validate(value, $0, at: path).isEmpty }.count
            if passing != 1 { problems.append("\(here) : \(passing) alternatives oneOf satisfaites au lieu d'une") }
        }
        switch value {
        case let .object(members):
            for key in strings(schema["required"]) where !members.contains(where: { $0.0 == key }) {
                problems.append("\(here) : champ obligatoire « \(key) » absent")
            }
            for (key, member) in members {
                if let sub = schema["properties"]?[key] { problems += validate(member, sub, at: path.isEmpty ? key : "\(path).\(key)") }
            }
            if let condition = schema["if"], let then = schema["then"], validate(value, condition, at: path).isEmpty {
                problems += validate(value, then, at: path)
            }
        case let .array(items):
            if let min = int(schema["minItems"]), items.count < min { problems.append("\(here) : \(items.count) éléments, \(min) au moins") }
            if let max = int(schema["maxItems"]), items.count > max { problems.append("\(here) : \(items.count) éléments, \(max) au plus") }
            if let sub = schema["items"] { for (i, item) in items.enumerated() { problems += validate(item, sub, at: "\(path)[\(i)]") } }
        case let .string(s):
            if let min = int(schema["minLength"]), s.count < min { problems.append("\(here) : \(s.count) caractères, \(min) au moins") }
            if let max = int(schema["maxLength"]), s.count > max { problems.append("\(here) : \(s.count) caractères, \(max) au plus") }
            if case let .string(pattern)? = schema["pattern"], s.range(of: pattern, options: .regularExpression) == nil {
                problems.append("\(here) : « \(Limits.quote(s)) » ne suit pas le motif \(pattern)")
            }
        case let .number(n):
            if let min = int(schema["minimum"]), let v = Double(n), v < Double(min) { problems.append("\(here) : \(n) < \(min)") }
            if let max = int(schema["maximum"]), let v = Double(n), v > Double(max) { problems.append("\(here) : \(n) > \(max)") }
        default: break
        }
        return problems
    }

    static func matches(_ value: JSON, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number): return true
        case let ("integer", .number(n)): return Int(n) != nil
        default: return false
        }
    }
}

extension TestClientProtocol {
    /// An API call whose response is checked against `openapi.yaml`.
    @discardableResult
    func api(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
             sourceLocation: SourceLocation = #_sourceLocation,
             _ check: (TestResponse) async throws -> Void = { _ in }) async throws -> TestResponse {
        let response = try await execute(uri: uri, method: method, headers: headers, body: body)
        OpenAPIConformance.check(response, uri: uri, method: method, sourceLocation: sourceLocation)
        try await check(response)
        return response
    }
}

@Suite("Conformité au document OpenAPI")
struct OpenAPIConformanceTests {
    /// The checker itself fails where it should.
    @Test func theCheckerFindsWhatDeparts() {
        let grappe = JSON.object([("$ref", .string("#/components/schemas/GrappeInput"))])
        #expect(OpenAPIConformance.validate(try! JSON.parse("{\"name\": \"A\", \"project\": {}}"), grappe, at: "").count == 6)
        #expect(OpenAPIConformance.validate(try! JSON.parse("{\"name\": \" \", \"project\": 3}"), grappe, at: "") == [
            "name : «   » ne suit pas le motif \\S", "project : type un nombre au lieu de object",
        ])
        let error = JSON.object([("$ref", .string("#/components/schemas/Error"))])
        #expect(OpenAPIConformance.validate(try! JSON.parse("{\"error\": {\"status\": 404, \"path\": null, \"message\": \"x\"}}"), error, at: "").isEmpty)
        #expect(OpenAPIConformance.validate(try! JSON.parse("{\"error\": {\"status\": \"404\", \"message\": \"x\"}}"), error, at: "")
                == ["error : champ obligatoire « path » absent", "error.status : type une chaîne au lieu de integer"])
        #expect(OpenAPIConformance.template(for: "/api/v1/grappes/abc") == "/api/v1/grappes/{id}")
        #expect(OpenAPIConformance.template(for: "/api/v1/finess") == "/api/v1/finess")
    }
}
