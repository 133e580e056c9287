import Foundation
import Rules
import SQLKit

/// A grappe saved by a porteur: a name and its project, in the input contract of
/// `shared/spec/simulation.md` (establishments may be given by FINESS ET alone).
public struct SavedGrappe: Sendable, Equatable {
    public let id: String
    public var name: String
    public var project: JSON
    public let createdAt: String
    public var updatedAt: String
}

public struct GrappeRepository: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// A new identifier: 16 random characters, not guessable from another grappe's.
    static func newID() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    public func create(name: String, project: JSON) async throws -> SavedGrappe {
        let grappe = SavedGrappe(id: Self.newID(), name: name, project: project, createdAt: Self.now(), updatedAt: Self.now())
        try await store.sql.insert(into: "grappe")
            .columns("id", "name", "project", "created_at", "updated_at")
            .values(SQLBind(grappe.id), SQLBind(grappe.name), SQLBind(project.rendered(indent: false)), SQLBind(grappe.createdAt), SQLBind(grappe.updatedAt))
            .run()
        return grappe
    }

    /// Replaces the name and project of a grappe; false when it does not exist.
    @discardableResult
    public func update(_ grappe: SavedGrappe) async throws -> Bool {
        guard try await find(grappe.id) != nil else { return false }
        try await store.sql.update("grappe")
            .set("name", to: SQLBind(grappe.name))
            .set("project", to: SQLBind(grappe.project.rendered(indent: false)))
            .set("updated_at", to: SQLBind(Self.now()))
            .where("id", .equal, SQLBind(grappe.id))
            .run()
        return true
    }

    public func find(_ id: String) async throws -> SavedGrappe? {
        try await store.sql.select().columns("id", "name", "project", "created_at", "updated_at").from("grappe")
            .where("id", .equal, SQLBind(id)).first().map(Self.grappe)
    }

    public func list(limit: Int = 100) async throws -> [SavedGrappe] {
        try await store.sql.select().columns("id", "name", "project", "created_at", "updated_at").from("grappe")
            .orderBy("updated_at", .descending).limit(limit).all().map(Self.grappe)
    }

    static func grappe(_ row: any SQLRow) throws -> SavedGrappe {
        let text = try row.decode(column: "project", as: String.self)
        let project = (try? JSON.parse(text)) ?? .object([])
        return SavedGrappe(id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
                           project: project, createdAt: try row.decode(column: "created_at", as: String.self),
                           updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}
