import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 013 – ranked schools as one row per rank instead of comma-joined text. Frozen: a shipped migration is never edited.

/// Rankings move from comma-joined text columns (`preferences`, `preferences2`) to one row per
/// rank. Existing applications keep their rankings; the text columns are dropped.
struct CreateServicePreferences: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One transaction: a conversion stopped half-way leaves the database as it was.
        try await database.transaction { database in
            try await database.schema(ServicePreference.schema)
                .id()
                .field("application_id", .uuid, .required, .references("service_applications", .id, onDelete: .cascade))
                .field("round", .int, .required)
                .field("rank", .int, .required)
                .field("school_code", .string, .required)
                .unique(on: "application_id", "round", "rank")
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "service_preferences_application").on(ServicePreference.schema).column("application_id").run()
            struct Old: Decodable { let id: UUID; let preferences: String; let preferences2: String? }
            let old = try await sql.raw("SELECT id, preferences, preferences2 FROM service_applications").all(decoding: Old.self)
            var rows: [ServicePreference] = []
            for application in old {
                for (round, text) in [(1, application.preferences), (2, application.preferences2 ?? "")] {
                    for (k, school) in text.split(separator: ",").enumerated() {
                        rows.append(ServicePreference(application: application.id, round: round, rank: k + 1, school: String(school)))
                    }
                }
            }
            for start in stride(from: 0, to: rows.count, by: 500) {
                try await rows[start..<min(start + 500, rows.count)].create(on: database)
            }
            try await sql.raw("ALTER TABLE service_applications DROP COLUMN preferences").run()
            try await sql.raw("ALTER TABLE service_applications DROP COLUMN preferences2").run()
        }
    }

    func revert(on database: any Database) async throws {
        // One transaction: a conversion stopped half-way leaves the database as it was.
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.raw("ALTER TABLE service_applications ADD COLUMN preferences TEXT NOT NULL DEFAULT ''").run()
            try await sql.raw("ALTER TABLE service_applications ADD COLUMN preferences2 TEXT").run()
            struct Row: Decodable { let application_id: UUID; let round: Int; let rank: Int; let school_code: String }
            let rows = try await sql.raw("SELECT application_id, round, rank, school_code FROM service_preferences ORDER BY rank").all(decoding: Row.self)
            for (key, group) in Dictionary(grouping: rows, by: { "\($0.application_id.uuidString)|\($0.round)" }) {
                let parts = key.split(separator: "|")
                let column = parts[1] == "1" ? "preferences" : "preferences2"
                let text = group.sorted { $0.rank < $1.rank }.map(\.school_code).joined(separator: ",")
                try await sql.update("service_applications").set(SQLIdentifier(column), to: text).where("id", .equal, group[0].application_id).run()
            }
            try await database.schema(ServicePreference.schema).delete()
        }
    }
}
