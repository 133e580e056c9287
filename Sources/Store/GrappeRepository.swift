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
    /// Starts at 1, raised by every change: the optimistic-concurrency check (`ETag`, form field).
    public var version: Int
    /// Who made the last change, as far as the server knows it (`l'API`, `la page web`…).
    public var updatedBy: String?
    /// The porteur scope (FINESS EJ) the grappe belongs to: only its porteurs see it (access.md).
    public var owner: String? = nil
}

/// The outcome of a change made against a version.
public enum GrappeUpdate: Sendable, Equatable {
    case updated(SavedGrappe)
    /// Someone changed the grappe since that version: nothing was written; here is what is stored.
    case stale(current: SavedGrappe)
    case notFound
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


    static let maxNameLength = 120

    /// A grappe's name: not blank, 120 characters at most.
    public static func checkName(_ name: String) throws(InputError) {
        guard !name.allSatisfy(\.isWhitespace) else { throw InputError(path: "name", reason: "nom de la grappe attendu") }
        guard name.count <= maxNameLength else { throw InputError(path: "name", reason: "\(name.count) caractères : \(maxNameLength) au plus") }
    }

    /// A project is saved only if it reads back (`ProjectDraft`); errors name the path under `project`.
    static func check(name: String, project: JSON) throws(InputError) {
        try checkName(name)
        do { try ProjectDraft.validate(project) } catch {
            throw InputError(path: error.path.isEmpty ? "project" : "project." + error.path, reason: error.reason)
        }
    }

    /// A new grappe owned by the porteur scope `owner` (a FINESS EJ).
    public func create(name: String, project: JSON, owner: String, by author: String) async throws -> SavedGrappe {
        try Self.check(name: name, project: project)
        let now = Timestamp.now()
        let grappe = SavedGrappe(id: Self.newID(), name: name, project: project, createdAt: now, updatedAt: now, version: 1, updatedBy: author, owner: owner)
        try await store.transaction(immediate: true) {
            try await store.sql.insert(into: "grappe")
                .columns("id", "name", "project", "created_at", "updated_at", "version", "updated_by", "owner")
                .values(SQLBind(grappe.id), SQLBind(grappe.name), SQLBind(project.rendered(indent: false)), SQLBind(now), SQLBind(now),
                        SQLBind(1), SQLBind(author), SQLBind(owner))
                .run()
            try await AuditLog(store: store).record(actor: author, action: "grappe.creation", object: "grappe:\(grappe.id)",
                                                    details: .object([("porteur", .string(owner))]))
        }
        return grappe
    }

    /// Replaces the name and project of a grappe if it is still at `version`, in one statement with
    /// its audit event: of two changes made from the same version, one is written and the other is
    /// told it is stale.
    public func update(_ id: String, from version: Int, name: String, project: JSON, by author: String) async throws -> GrappeUpdate {
        try Self.check(name: name, project: project)
        let rows = try await store.transaction(immediate: true) {
            let rows = try await store.sql.update("grappe")
                .set("name", to: SQLBind(name))
                .set("project", to: SQLBind(project.rendered(indent: false)))
                .set("updated_at", to: SQLBind(Timestamp.now()))
                .set("updated_by", to: SQLBind(author))
                .set("version", to: SQLRaw("version + 1"))
                .where("id", .equal, SQLBind(id))
                .where("version", .equal, SQLBind(version))
                .returning(Self.columns.map { SQLColumn($0) })
                .all()
            if !rows.isEmpty {
                try await AuditLog(store: store).record(actor: author, action: "grappe.modification", object: "grappe:\(id)",
                                                        details: .object([("version", .int(version + 1))]))
            }
            return rows
        }
        if let row = rows.first { return .updated(try Self.grappe(row)) }
        guard let current = try await find(id) else { return .notFound }
        return .stale(current: current)
    }

    /// A change that does not depend on what the person saw (adding an establishment from a search):
    /// applied to the latest version, again if another change came first. `change` returns nil to
    /// leave the grappe as it is.
    public func modify(_ id: String, by author: String, _ change: (SavedGrappe) async throws -> SavedGrappe?) async throws -> GrappeUpdate {
        for _ in 0..<100 {
            guard let current = try await find(id) else { return .notFound }
            guard let changed = try await change(current) else { return .updated(current) }
            let outcome = try await update(id, from: current.version, name: changed.name, project: changed.project, by: author)
            if case .stale = outcome { continue }
            return outcome
        }
        throw StoreError("grappe \(id) : trop de modifications simultanées, réessayez")
    }

    static let columns = ["id", "name", "project", "created_at", "updated_at", "version", "updated_by", "owner"]

    public func find(_ id: String) async throws -> SavedGrappe? {
        try await store.sql.select().columns(Self.columns).from("grappe")
            .where("id", .equal, SQLBind(id)).first().map(Self.grappe)
    }

    /// The latest grappes of these owners (porteur scopes); none for no owner.
    public func list(owners: [String], limit: Int = 100) async throws -> [SavedGrappe] {
        guard !owners.isEmpty else { return [] }
        return try await store.sql.select().columns(Self.columns).from("grappe").where("owner", .in, SQLBind.group(owners))
            .orderBy("updated_at", .descending).limit(limit).all().map { try Self.grappe($0, unreadable: .null) }
    }

    /// A stored project that does not parse is an error, never an empty project that a later save
    /// would write over the real one. A list shows such a grappe with `unreadable` (`null`) as project.
    static func grappe(_ row: any SQLRow) throws -> SavedGrappe { try grappe(row, unreadable: nil) }

    static func grappe(_ row: any SQLRow, unreadable: JSON?) throws -> SavedGrappe {
        let id = try row.decode(column: "id", as: String.self)
        let text = try row.decode(column: "project", as: String.self)
        let project: JSON
        do { project = try JSON.parse(text) } catch {
            guard let unreadable else {
                throw StoreError("grappe \(id) : le projet enregistré est illisible (\(error.description)) ; il n'a pas été modifié")
            }
            project = unreadable
        }
        return SavedGrappe(id: id, name: try row.decode(column: "name", as: String.self),
                           project: project, createdAt: try row.decode(column: "created_at", as: String.self),
                           updatedAt: try row.decode(column: "updated_at", as: String.self),
                           version: try row.decode(column: "version", as: Int.self),
                           updatedBy: try row.decode(column: "updated_by", as: String?.self),
                           owner: try row.decode(column: "owner", as: String?.self))
    }
}
