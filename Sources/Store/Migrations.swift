import Foundation
import Registry
import SQLKit

/// Numbered, append-only migrations: a shipped migration is never edited; a change is a new one.
/// Each has one SQL text per dialect where they differ.
struct Migration: Sendable {
    let version: Int
    let name: String
    let sqlite: [String]
    let postgres: [String]
}

enum Migrations {
    static let establishmentColumns: [String] = establishmentFields + [
        "coordxet", "coordyet", "sourcecoordet", "datemajcoord",
        // Derived at import from the nomenclature ([finess.md] §3–§4), for search and counts.
        "essms", "sector", "sector_decision", "department_insee", "region",
        "search_text", "row_hash", "extraction_date", "closed_on",
    ]

    static let legalEntityColumns: [String] = legalEntityFields + [
        "department_insee", "search_text", "row_hash", "extraction_date", "closed_on",
    ]

    static func table(_ name: String, key: String, columns: [String], types: [String: (sqlite: String, postgres: String)]) -> (String, String) {
        func body(_ postgres: Bool) -> String {
            columns.map { c in
                let type = types[c].map { postgres ? $0.postgres : $0.sqlite } ?? "TEXT"
                return "\(c) \(type)\(c == key ? " PRIMARY KEY" : "")"
            }.joined(separator: ", ")
        }
        return ("CREATE TABLE \(name) (\(body(false)))", "CREATE TABLE \(name) (\(body(true)))")
    }

    static let all: [Migration] = {
        let numericTypes: [String: (sqlite: String, postgres: String)] = [
            "coordxet": ("REAL", "DOUBLE PRECISION"), "coordyet": ("REAL", "DOUBLE PRECISION"),
            "essms": ("INTEGER NOT NULL", "BOOLEAN NOT NULL"), "row_hash": ("INTEGER NOT NULL", "BIGINT NOT NULL"),
            "nofinessej": ("TEXT NOT NULL", "TEXT NOT NULL"), "extraction_date": ("TEXT NOT NULL", "TEXT NOT NULL"),
        ]
        let et = table("finess_establishment", key: "nofinesset", columns: establishmentColumns, types: numericTypes)
        let ej = table("finess_legal_entity", key: "nofiness", columns: legalEntityColumns, types: numericTypes)
        let common = [
            "CREATE INDEX finess_establishment_ej ON finess_establishment (nofinessej)",
            "CREATE INDEX finess_establishment_department ON finess_establishment (department_insee)",
        ]
        return [
            Migration(
                version: 1, name: "registre FINESS",
                sqlite: [
                    et.0, ej.0,
                    "CREATE TABLE finess_import (id INTEGER PRIMARY KEY AUTOINCREMENT, file TEXT NOT NULL, kind TEXT NOT NULL, extraction_date TEXT NOT NULL, encoding TEXT NOT NULL, lines INTEGER NOT NULL, added INTEGER NOT NULL, updated INTEGER NOT NULL, closed INTEGER NOT NULL, warnings INTEGER NOT NULL, imported_at TEXT NOT NULL)",
                ] + common,
                postgres: [
                    et.1, ej.1,
                    "CREATE TABLE finess_import (id BIGSERIAL PRIMARY KEY, file TEXT NOT NULL, kind TEXT NOT NULL, extraction_date TEXT NOT NULL, encoding TEXT NOT NULL, lines INTEGER NOT NULL, added INTEGER NOT NULL, updated INTEGER NOT NULL, closed INTEGER NOT NULL, warnings INTEGER NOT NULL, imported_at TEXT NOT NULL)",
                ] + common),
            Migration(
                version: 2, name: "grappes",
                sqlite: ["CREATE TABLE grappe (id TEXT PRIMARY KEY, name TEXT NOT NULL, project TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"],
                postgres: ["CREATE TABLE grappe (id TEXT PRIMARY KEY, name TEXT NOT NULL, project TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"]),
            Migration(
                version: 3, name: "mesures d'usage et leur historique",
                sqlite: [
                    "CREATE TABLE usage_measure (finess_et TEXT NOT NULL, month TEXT NOT NULL, persons INTEGER NOT NULL, active_records INTEGER NOT NULL, active_with_projet INTEGER NOT NULL, active_with_event INTEGER NOT NULL, mss_messages_sent INTEGER NOT NULL, dmp_fed_persons INTEGER NOT NULL, changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, PRIMARY KEY (finess_et, month))",
                    "CREATE TABLE usage_measure_history (id INTEGER PRIMARY KEY AUTOINCREMENT, finess_et TEXT NOT NULL, month TEXT NOT NULL, previous TEXT, current TEXT NOT NULL, changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, source TEXT NOT NULL)",
                    "CREATE INDEX usage_measure_history_key ON usage_measure_history (finess_et, month)",
                ],
                postgres: [
                    "CREATE TABLE usage_measure (finess_et TEXT NOT NULL, month TEXT NOT NULL, persons INTEGER NOT NULL, active_records INTEGER NOT NULL, active_with_projet INTEGER NOT NULL, active_with_event INTEGER NOT NULL, mss_messages_sent INTEGER NOT NULL, dmp_fed_persons INTEGER NOT NULL, changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, PRIMARY KEY (finess_et, month))",
                    "CREATE TABLE usage_measure_history (id BIGSERIAL PRIMARY KEY, finess_et TEXT NOT NULL, month TEXT NOT NULL, previous TEXT, current TEXT NOT NULL, changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, source TEXT NOT NULL)",
                    "CREATE INDEX usage_measure_history_key ON usage_measure_history (finess_et, month)",
                ]),
            Migration(
                version: 4, name: "version des grappes (concurrence optimiste)",
                sqlite: [
                    "ALTER TABLE grappe ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
                    "ALTER TABLE grappe ADD COLUMN updated_by TEXT",
                ],
                postgres: [
                    "ALTER TABLE grappe ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
                    "ALTER TABLE grappe ADD COLUMN updated_by TEXT",
                ]),
            // access.md, « The audit log »: append-only, each event chained to the previous by SHA-256;
            // the triggers refuse UPDATE and DELETE, the chain finds what went around them.
            Migration(
                version: 5, name: "journal d'audit scellé",
                sqlite: [
                    "CREATE TABLE audit_events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL, outcome TEXT NOT NULL, remote TEXT, details TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL)",
                    "CREATE INDEX audit_events_object ON audit_events (object)",
                    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'journal d''audit : ajout seulement'); END",
                    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'journal d''audit : ajout seulement'); END",
                ],
                postgres: [
                    "CREATE TABLE audit_events (id BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL, outcome TEXT NOT NULL, remote TEXT, details TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL)",
                    "CREATE INDEX audit_events_object ON audit_events (object)",
                    "CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'journal d''audit : ajout seulement'; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
                ]),
            // access.md, « Accounts »: passwords as bcrypt hashes, API tokens as SHA-256 hashes only.
            Migration(
                version: 6, name: "comptes, rôles et jetons d'API",
                sqlite: [
                    "CREATE TABLE users (email TEXT PRIMARY KEY, name TEXT NOT NULL, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)",
                    "CREATE TABLE user_roles (email TEXT NOT NULL REFERENCES users (email), role TEXT NOT NULL, scope TEXT NOT NULL, PRIMARY KEY (email, role, scope))",
                    "CREATE TABLE api_tokens (hash TEXT PRIMARY KEY, email TEXT NOT NULL REFERENCES users (email), label TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)",
                ],
                postgres: [
                    "CREATE TABLE users (email TEXT PRIMARY KEY, name TEXT NOT NULL, password_hash TEXT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT FALSE, created_at TEXT NOT NULL)",
                    "CREATE TABLE user_roles (email TEXT NOT NULL REFERENCES users (email), role TEXT NOT NULL, scope TEXT NOT NULL, PRIMARY KEY (email, role, scope))",
                    "CREATE TABLE api_tokens (hash TEXT PRIMARY KEY, email TEXT NOT NULL REFERENCES users (email), label TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)",
                ]),
            // access.md, « Signing in »: sessions in the database (shared by every server process),
            // failed sign-ins for the lockout, the TOTP second factor; grappes get their owner (the
            // porteur EJ of their project, as the pages set it).
            Migration(
                version: 7, name: "sessions, second facteur, propriétaire des grappes",
                sqlite: [
                    "CREATE TABLE sessions (hash TEXT PRIMARY KEY, email TEXT NOT NULL REFERENCES users (email), csrf TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL)",
                    "CREATE INDEX sessions_email ON sessions (email)",
                    "CREATE TABLE sign_in_failures (email TEXT NOT NULL, at INTEGER NOT NULL)",
                    "CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at)",
                    "ALTER TABLE users ADD COLUMN totp_secret TEXT",
                    "ALTER TABLE users ADD COLUMN totp_pending TEXT",
                    "ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0",
                    "ALTER TABLE grappe ADD COLUMN owner TEXT",
                    "UPDATE grappe SET owner = json_extract(project, '$.porteur') WHERE json_valid(project) AND json_type(project, '$.porteur') = 'text'",
                    "CREATE INDEX grappe_owner ON grappe (owner)",
                ],
                postgres: [
                    "CREATE TABLE sessions (hash TEXT PRIMARY KEY, email TEXT NOT NULL REFERENCES users (email), csrf TEXT NOT NULL, created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL)",
                    "CREATE INDEX sessions_email ON sessions (email)",
                    "CREATE TABLE sign_in_failures (email TEXT NOT NULL, at BIGINT NOT NULL)",
                    "CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at)",
                    "ALTER TABLE users ADD COLUMN totp_secret TEXT",
                    "ALTER TABLE users ADD COLUMN totp_pending TEXT",
                    "ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0",
                    "ALTER TABLE grappe ADD COLUMN owner TEXT",
                    "UPDATE grappe SET owner = (project::jsonb) ->> 'porteur' WHERE jsonb_typeof((project::jsonb) -> 'porteur') = 'string'",
                    "CREATE INDEX grappe_owner ON grappe (owner)",
                ]),
            // dossiers.md: the dossier and its project, its frozen assessments (history), the
            // establishments it applies for (E3 across the store), its messages and annotations, its
            // documents (content in the database, with its SHA-256).
            Migration(
                version: 8, name: "dossiers : dépôt, instruction, décision",
                sqlite: [
                    "CREATE TABLE dossiers (id TEXT PRIMARY KEY, title TEXT NOT NULL, porteur TEXT NOT NULL, campaign TEXT NOT NULL, state TEXT NOT NULL, version INTEGER NOT NULL, project TEXT NOT NULL, frozen TEXT, instruction TEXT, region TEXT, instructor TEXT, filed_at TEXT, granted TEXT, score TEXT, decision TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL)",
                    "CREATE INDEX dossiers_porteur ON dossiers (porteur)",
                    "CREATE INDEX dossiers_routing ON dossiers (instruction, region, state)",
                    "CREATE TABLE dossier_establishments (dossier TEXT NOT NULL REFERENCES dossiers (id), finess_et TEXT NOT NULL, PRIMARY KEY (dossier, finess_et))",
                    "CREATE INDEX dossier_establishments_et ON dossier_establishments (finess_et)",
                    "CREATE TABLE dossier_history (id INTEGER PRIMARY KEY AUTOINCREMENT, dossier TEXT NOT NULL REFERENCES dossiers (id), at TEXT NOT NULL, actor TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, message TEXT, reason TEXT, frozen TEXT)",
                    "CREATE INDEX dossier_history_dossier ON dossier_history (dossier)",
                    "CREATE TABLE dossier_notes (id INTEGER PRIMARY KEY AUTOINCREMENT, dossier TEXT NOT NULL REFERENCES dossiers (id), kind TEXT NOT NULL, at TEXT NOT NULL, author TEXT NOT NULL, body TEXT NOT NULL)",
                    "CREATE INDEX dossier_notes_dossier ON dossier_notes (dossier)",
                    "CREATE TABLE dossier_documents (id TEXT PRIMARY KEY, dossier TEXT NOT NULL REFERENCES dossiers (id), item TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, content_type TEXT NOT NULL, content BLOB NOT NULL, uploaded_at TEXT NOT NULL, uploaded_by TEXT NOT NULL)",
                    "CREATE INDEX dossier_documents_dossier ON dossier_documents (dossier)",
                ],
                postgres: [
                    "CREATE TABLE dossiers (id TEXT PRIMARY KEY, title TEXT NOT NULL, porteur TEXT NOT NULL, campaign TEXT NOT NULL, state TEXT NOT NULL, version INTEGER NOT NULL, project TEXT NOT NULL, frozen TEXT, instruction TEXT, region TEXT, instructor TEXT, filed_at TEXT, granted TEXT, score TEXT, decision TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL)",
                    "CREATE INDEX dossiers_porteur ON dossiers (porteur)",
                    "CREATE INDEX dossiers_routing ON dossiers (instruction, region, state)",
                    "CREATE TABLE dossier_establishments (dossier TEXT NOT NULL REFERENCES dossiers (id), finess_et TEXT NOT NULL, PRIMARY KEY (dossier, finess_et))",
                    "CREATE INDEX dossier_establishments_et ON dossier_establishments (finess_et)",
                    "CREATE TABLE dossier_history (id BIGSERIAL PRIMARY KEY, dossier TEXT NOT NULL REFERENCES dossiers (id), at TEXT NOT NULL, actor TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, message TEXT, reason TEXT, frozen TEXT)",
                    "CREATE INDEX dossier_history_dossier ON dossier_history (dossier)",
                    "CREATE TABLE dossier_notes (id BIGSERIAL PRIMARY KEY, dossier TEXT NOT NULL REFERENCES dossiers (id), kind TEXT NOT NULL, at TEXT NOT NULL, author TEXT NOT NULL, body TEXT NOT NULL)",
                    "CREATE INDEX dossier_notes_dossier ON dossier_notes (dossier)",
                    "CREATE TABLE dossier_documents (id TEXT PRIMARY KEY, dossier TEXT NOT NULL REFERENCES dossiers (id), item TEXT NOT NULL, filename TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, content_type TEXT NOT NULL, content BYTEA NOT NULL, uploaded_at TEXT NOT NULL, uploaded_by TEXT NOT NULL)",
                    "CREATE INDEX dossier_documents_dossier ON dossier_documents (dossier)",
                ]),
            // dossiers.md: the opinions (avis) an instructor asks of an expert.
            Migration(
                version: 9, name: "avis d'experts sur les dossiers",
                sqlite: ["CREATE TABLE dossier_avis (id TEXT PRIMARY KEY, dossier TEXT NOT NULL REFERENCES dossiers (id), expert TEXT NOT NULL, question TEXT NOT NULL, due_date TEXT, asked_by TEXT NOT NULL, asked_at TEXT NOT NULL, answer TEXT, comment TEXT, answered_at TEXT)", "CREATE INDEX dossier_avis_expert ON dossier_avis (expert)"],
                postgres: ["CREATE TABLE dossier_avis (id TEXT PRIMARY KEY, dossier TEXT NOT NULL REFERENCES dossiers (id), expert TEXT NOT NULL, question TEXT NOT NULL, due_date TEXT, asked_by TEXT NOT NULL, asked_at TEXT NOT NULL, answer TEXT, comment TEXT, answered_at TEXT)", "CREATE INDEX dossier_avis_expert ON dossier_avis (expert)"]),
            // dossiers.md at scale: the list, the ranking and the exports read small columns of
            // `dossiers` (the frozen total, the priorities computed at filing, the kind, the number of
            // establishments), never the JSON of the project and of the frozen assessment, which move
            // to `dossier_json` — in SQLite, a column stored after a large one is only reached by
            // reading every page of it.
            Migration(
                version: 10, name: "synthèse des dossiers et JSON à part",
                sqlite: [
                    "CREATE TABLE dossier_json (id TEXT PRIMARY KEY REFERENCES dossiers (id), project TEXT NOT NULL, frozen TEXT)",
                    "INSERT INTO dossier_json (id, project, frozen) SELECT id, project, frozen FROM dossiers",
                    "ALTER TABLE dossiers ADD COLUMN requested INTEGER",
                    "ALTER TABLE dossiers ADD COLUMN computed_priorities TEXT",
                    "ALTER TABLE dossiers ADD COLUMN kind TEXT",
                    "ALTER TABLE dossiers ADD COLUMN establishment_count INTEGER",
                    "UPDATE dossiers SET requested = CAST(ROUND(json_extract(frozen, '$.assessment.funding.total') * 100) AS INTEGER) WHERE frozen IS NOT NULL",
                    "UPDATE dossiers SET kind = json_extract(COALESCE(frozen, project), CASE WHEN frozen IS NULL THEN '$.kind' ELSE '$.project.kind' END), establishment_count = COALESCE(json_array_length(project, '$.establishments'), 0)",
                    "ALTER TABLE dossiers DROP COLUMN project",
                    "ALTER TABLE dossiers DROP COLUMN frozen",
                    "CREATE INDEX dossiers_campaign ON dossiers (instruction, region, campaign, state)",
                    "CREATE INDEX dossier_history_to ON dossier_history (dossier, to_state)",
                    "CREATE INDEX dossier_avis_dossier ON dossier_avis (dossier)",
                ],
                postgres: [
                    "CREATE TABLE dossier_json (id TEXT PRIMARY KEY REFERENCES dossiers (id), project TEXT NOT NULL, frozen TEXT)",
                    "INSERT INTO dossier_json (id, project, frozen) SELECT id, project, frozen FROM dossiers",
                    "ALTER TABLE dossiers ADD COLUMN requested BIGINT",
                    "ALTER TABLE dossiers ADD COLUMN computed_priorities TEXT",
                    "ALTER TABLE dossiers ADD COLUMN kind TEXT",
                    "ALTER TABLE dossiers ADD COLUMN establishment_count INTEGER",
                    "UPDATE dossiers SET requested = ROUND((frozen::jsonb #>> '{assessment,funding,total}')::numeric * 100)::bigint WHERE frozen IS NOT NULL",
                    "UPDATE dossiers SET kind = COALESCE(frozen::jsonb #>> '{project,kind}', project::jsonb ->> 'kind'), establishment_count = COALESCE(jsonb_array_length(CASE WHEN jsonb_typeof(project::jsonb -> 'establishments') = 'array' THEN project::jsonb -> 'establishments' END), 0)",
                    "ALTER TABLE dossiers DROP COLUMN project",
                    "ALTER TABLE dossiers DROP COLUMN frozen",
                    "CREATE INDEX dossiers_campaign ON dossiers (instruction, region, campaign, state)",
                    "CREATE INDEX dossier_history_to ON dossier_history (dossier, to_state)",
                    "CREATE INDEX dossier_avis_dossier ON dossier_avis (dossier)",
                ]),
            // payments.md: the conventions, the payment orders (proposed by one instructor, validated
            // by another), the usage follow-up of the solde and the revisions of its deadline.
            Migration(version: 11, name: "conventions, ordres de paiement et suivi du solde",
                      sqlite: paymentTables(amount: "INTEGER", flag: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT"),
                      postgres: paymentTables(amount: "BIGINT", flag: "BOOLEAN", serial: "BIGSERIAL PRIMARY KEY")),
            // The dashboard reads each establishment's last measured month from a row kept with the
            // measures, never by walking its months.
            Migration(version: 12, name: "dernier mois mesuré de chaque établissement", sqlite: latestMeasures, postgres: latestMeasures),
            // dui.md: the persons of an establishment and the entries of their records (stays,
            // projets, events, notes, documents, contacts), a document's PDF apart.
            Migration(version: 13, name: "dossiers usagers informatisés", sqlite: duiTables(blob: "BLOB"), postgres: duiTables(blob: "BYTEA")),
            // dui.md: a stay, a projet or an admission request is replaced against its version.
            Migration(version: 14, name: "versions des entrées du DUI", sqlite: entryVersions, postgres: entryVersions),
            // dui.md: each sending of a document (MSSanté) or submission (DMP), with its outcome.
            Migration(version: 15, name: "envois MSSanté et versements au DMP", sqlite: sendings, postgres: sendings),
            // dui.md: an MSSanté sending is queued, tried, retried with backoff, never lost; the
            // establishment's MSSanté address.
            Migration(version: 16, name: "file des envois MSSanté", sqlite: sendingQueue, postgres: sendingQueue),
            // dui.md: whether a person's record is active in a month (a note, a document, an event
            // not cancelled) and has an event, kept with every entry added — the measures read
            // these rows, not the entries.
            Migration(version: 17, name: "activité mensuelle des dossiers usagers", sqlite: monthlyActivity, postgres: monthlyActivity),
        ]
    }()

    static let sendings = [
        "CREATE TABLE dui_sendings (id TEXT PRIMARY KEY, document TEXT NOT NULL REFERENCES dui_entries (id), channel TEXT NOT NULL, recipient TEXT, day TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT, at TEXT NOT NULL, by_user TEXT NOT NULL)",
        "CREATE INDEX dui_sendings_document ON dui_sendings (document)",
    ]

    static let monthlyActivity = [
        "CREATE TABLE dui_person_months (person TEXT NOT NULL REFERENCES dui_persons (id), month TEXT NOT NULL, event INTEGER NOT NULL, PRIMARY KEY (person, month))",
        DUIRepository.activityBackfill,
    ]

    static let sendingQueue = [
        "ALTER TABLE dui_sendings ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE dui_sendings ADD COLUMN next_attempt TEXT",
        "CREATE INDEX dui_sendings_due ON dui_sendings (outcome, next_attempt)",
        "CREATE TABLE dui_establishments (finess_et TEXT PRIMARY KEY, mssante_address TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL)",
    ]

    static let entryVersions = [
        "ALTER TABLE dui_entries ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
        "CREATE INDEX dui_entries_kind ON dui_entries (kind, status)",
    ]

    static func duiTables(blob: String) -> [String] {
        [
            "CREATE TABLE dui_persons (id TEXT PRIMARY KEY, finess_et TEXT NOT NULL, version INTEGER NOT NULL, identity TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL)",
            "CREATE INDEX dui_persons_et ON dui_persons (finess_et)",
            "CREATE TABLE dui_entries (id TEXT PRIMARY KEY, person TEXT NOT NULL REFERENCES dui_persons (id), kind TEXT NOT NULL, day TEXT, until TEXT, status TEXT, body TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL)",
            "CREATE INDEX dui_entries_person ON dui_entries (person)",
            "CREATE TABLE dui_contents (id TEXT PRIMARY KEY REFERENCES dui_entries (id), content \(blob) NOT NULL)",
        ]
    }

    static let latestMeasures = [
        "CREATE TABLE usage_latest (finess_et TEXT PRIMARY KEY, month TEXT NOT NULL, persons INTEGER NOT NULL, active_records INTEGER NOT NULL, active_with_projet INTEGER NOT NULL, active_with_event INTEGER NOT NULL, mss_messages_sent INTEGER NOT NULL, dmp_fed_persons INTEGER NOT NULL)",
        "INSERT INTO usage_latest (finess_et, month, persons, active_records, active_with_projet, active_with_event, mss_messages_sent, dmp_fed_persons) SELECT m.finess_et, m.month, m.persons, m.active_records, m.active_with_projet, m.active_with_event, m.mss_messages_sent, m.dmp_fed_persons FROM usage_measure m WHERE m.month = (SELECT MAX(u.month) FROM usage_measure u WHERE u.finess_et = m.finess_et)",
    ]

    static func paymentTables(amount: String, flag: String, serial: String) -> [String] {
        [
            "CREATE TABLE dossier_conventions (dossier TEXT NOT NULL REFERENCES dossiers (id), kind TEXT NOT NULL, signed_at TEXT NOT NULL, document TEXT NOT NULL REFERENCES dossier_documents (id), recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (dossier, kind))",
            "CREATE TABLE dossier_payments (dossier TEXT NOT NULL REFERENCES dossiers (id), instalment TEXT NOT NULL, amount \(amount) NOT NULL, ordered_at TEXT NOT NULL, reference TEXT NOT NULL, proposed_by TEXT NOT NULL, proposed_at TEXT NOT NULL, validated_by TEXT, validated_at TEXT, cancelled TEXT, cancelled_by TEXT, cancelled_at TEXT, PRIMARY KEY (dossier, instalment))",
            "CREATE TABLE dossier_followup (dossier TEXT PRIMARY KEY REFERENCES dossiers (id), vsr_date TEXT, deadline TEXT, expenses \(amount), expenses_declared_by TEXT, expenses_accepted \(flag), expenses_motivation TEXT, expenses_accepted_by TEXT)",
            "CREATE TABLE dossier_deadlines (id \(serial), dossier TEXT NOT NULL REFERENCES dossiers (id), previous TEXT NOT NULL, deadline TEXT NOT NULL, motivation TEXT NOT NULL, changed_by TEXT NOT NULL, changed_at TEXT NOT NULL)",
            "CREATE INDEX dossier_deadlines_dossier ON dossier_deadlines (dossier)",
        ]
    }

    static var latest: Int { all.last?.version ?? 0 }

    /// Brings the schema to the latest migration. Several processes may start at once on a shared
    /// database: PostgreSQL serialises them with an advisory lock, SQLite with a write transaction.
    static func run(on store: Store) async throws {
        // The advisory lock belongs to a connection: lock, migrate and unlock on the same one.
        try await store.session {
            if store.dialect == .postgres { try await store.sql.raw("SELECT pg_advisory_lock(\(literal: lockKey))").run() }
            do {
                try await migrate(store)
                if store.dialect == .postgres { try await store.sql.raw("SELECT pg_advisory_unlock(\(literal: lockKey))").run() }
            } catch {
                if store.dialect == .postgres { try? await store.sql.raw("SELECT pg_advisory_unlock(\(literal: lockKey))").run() }
                throw error
            }
        }
    }

    /// "esms" in ASCII: the advisory lock of the migrations.
    static let lockKey = 0x6573_6D73

    private static func migrate(_ store: Store) async throws {
        try await store.sql.raw("CREATE TABLE IF NOT EXISTS esms_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)").run()
        for migration in all {
            try await store.transaction(immediate: true) {
                let rows = try await store.sql.raw("SELECT version FROM esms_migration").all()
                let applied = Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
                if let newest = applied.max(), newest > latest {
                    throw StoreError("la base \(store.location) est au schéma \(newest), plus récent que celui de cette version d'esms (\(latest)) : mettez esms à jour")
                }
                guard !applied.contains(migration.version) else { return }
                for statement in store.dialect == .sqlite ? migration.sqlite : migration.postgres {
                    try await store.sql.raw(SQLQueryString(statement)).run()
                }
                try await store.sql.insert(into: "esms_migration")
                    .columns("version", "name", "applied_at")
                    .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(Timestamp.now()))
                    .run()
            }
        }
    }
}
