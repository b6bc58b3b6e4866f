import Fluent
import Foundation
import SQLKit

/// Migration 017 – JSON documents as the database's JSON: PostgreSQL's text columns become
/// `jsonb`; SQLite keeps JSON text (checked valid). A job's payload and result take the form
/// `{"<kind>": {…}}`, and a feed import's result its typed form (counts as numbers, refused rows
/// as `{"line", "reason"}` objects instead of tab-separated lines).
/// Frozen: written in SQL and plain JSON against the tables as they were.
struct DocumentColumns: AsyncMigration {
    static let columns: [(table: String, column: String)] = [
        ("audit_entries", "before"), ("audit_entries", "after"), ("survey_answers", "answers"), ("jobs", "payload"), ("jobs", "result"),
    ]

    struct NotJSON: Error, CustomStringConvertible {
        let table: String, column: String, count: Int
        var description: String { "\(table).\(column): \(count) 个值不是 JSON / values are not JSON" }
    }

    func prepare(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            let postgres = sql.dialect.name == "postgresql"
            for (table, column) in Self.columns {
                if postgres {
                    try await sql.raw("ALTER TABLE \(ident: table) ALTER COLUMN \(ident: column) TYPE jsonb USING \(ident: column)::jsonb").run()
                } else {
                    struct Count: Decodable { let n: Int }
                    let bad = try await sql.raw("SELECT count(*) AS n FROM \(ident: table) WHERE \(ident: column) IS NOT NULL AND NOT json_valid(\(ident: column))")
                        .first(decoding: Count.self)?.n ?? 0
                    if bad > 0 { throw NotJSON(table: table, column: column, count: bad) }
                }
            }
            // Each job's payload and result under its kind.
            struct Old: Decodable { let id: UUID; let kind: String; let payload: String; let result: String? }
            let text = postgres ? "payload::text AS payload, result::text AS result" : "payload, result"
            for job in try await sql.raw("SELECT id, kind, \(unsafeRaw: text) FROM jobs").all(decoding: Old.self) {
                let payload = try Self.wrap(kind: job.kind, Self.object(job.payload))
                let result = try job.result.map { old -> String in
                    var document = try Self.object(old)
                    if job.kind == "feedImport" { document = Self.feedResult(document) }
                    return try Self.wrap(kind: job.kind, document)
                }
                let cast = postgres ? "::jsonb" : ""
                try await sql.raw("UPDATE jobs SET payload = \(bind: payload)\(unsafeRaw: cast), result = \(bind: result)\(unsafeRaw: cast) WHERE id = \(bind: job.id)").run()
            }
        }
    }

    static func object(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    static func wrap(kind: String, _ document: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: [kind: document], options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// `{"added": "248", …, "problems": "101\treason\n…"}` → `{"added": 248, …, "problems": [{"line": 101, "reason": "…"}]}`.
    static func feedResult(_ old: Any) -> Any {
        guard let old = old as? [String: String] else { return old }
        var new: [String: Any] = ["encoding": old["encoding"] ?? ""]
        for key in ["rows", "added", "changed", "unchanged", "refused"] { new[key] = Int(old[key] ?? "") ?? 0 }
        if let adjusted = old["adjusted"].flatMap({ Int($0) }) { new["adjusted"] = adjusted }
        if let header = old["header"] { new["header"] = header }
        new["problems"] = (old["problems"] ?? "").split(separator: "\n").map { line -> [String: Any] in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return ["line": Int(parts.first ?? "") ?? 0, "reason": parts.count > 1 ? String(parts[1]) : ""]
        }
        return new
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            let postgres = sql.dialect.name == "postgresql"
            struct New: Decodable { let id: UUID; let kind: String; let payload: String; let result: String? }
            let text = postgres ? "payload::text AS payload, result::text AS result" : "payload, result"
            var rows: [(UUID, String, String?)] = []
            for job in try await sql.raw("SELECT id, kind, \(unsafeRaw: text) FROM jobs").all(decoding: New.self) {
                func unwrap(_ text: String) throws -> Any { (try Self.object(text) as? [String: Any])?[job.kind] ?? [:] }
                let payload = try JSONSerialization.data(withJSONObject: unwrap(job.payload), options: [.sortedKeys])
                let result = try job.result.map { r -> Data in
                    var document = try unwrap(r)
                    if job.kind == "feedImport", let new = document as? [String: Any] {
                        var old: [String: String] = [:]
                        for (key, value) in new where key != "problems" { old[key] = "\(value)" }
                        old["problems"] = ((new["problems"] as? [[String: Any]]) ?? []).map { "\($0["line"] ?? 0)\t\($0["reason"] ?? "")" }.joined(separator: "\n")
                        document = old
                    }
                    return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
                }
                rows.append((job.id, String(decoding: payload, as: UTF8.self), result.map { String(decoding: $0, as: UTF8.self) }))
            }
            if postgres {
                for (table, column) in Self.columns {
                    try await sql.raw("ALTER TABLE \(ident: table) ALTER COLUMN \(ident: column) TYPE text USING \(ident: column)::text").run()
                }
            }
            for (id, payload, result) in rows {
                try await sql.raw("UPDATE jobs SET payload = \(bind: payload), result = \(bind: result) WHERE id = \(bind: id)").run()
            }
        }
    }
}
