import Fluent
import Foundation
import JifenCore
import SQLKit

/// Migration 019 – lists of records as rows: a permit's steps (`submitted@2026-10-02;accepted@…`
/// → one `permit_steps` row per step with its date) and a feed import's refused rows
/// (`line<TAB>reason` lines → one `feed_import_problems` row each).
/// Frozen: written in SQL against the tables as they were.
struct StepRows: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { database in
            try await database.schema("permit_steps")
                .id()
                .field("permit_id", .uuid, .required, .references("residence_permits", .id, onDelete: .cascade))
                .field("position", .int, .required)
                .field("step", .string, .required)
                .field("day", .date, .required)
                .unique(on: "permit_id", "position")
                .create()
            try await database.schema("feed_import_problems")
                .id()
                .field("import_id", .uuid, .required, .references("feed_imports", .id, onDelete: .cascade))
                .field("line", .int, .required)
                .field("reason", .string, .required)
                .create()
            let sql = database as! any SQLDatabase
            struct Permit: Decodable { let id: UUID; let history: String }
            for permit in try await sql.raw("SELECT id, history FROM residence_permits").all(decoding: Permit.self) {
                for (position, part) in permit.history.split(separator: ";").enumerated() {
                    let pieces = part.split(separator: "@", maxSplits: 1)
                    guard pieces.count == 2, let day = CivilDate(String(pieces[1])) else { continue }
                    try await sql.insert(into: "permit_steps").columns("id", "permit_id", "position", "step", "day")
                        .values(SQLBind(UUID()), SQLBind(permit.id), SQLBind(position), SQLBind(String(pieces[0])), SQLBind(day)).run()
                }
            }
            struct Import: Decodable { let id: UUID; let problems: String }
            for log in try await sql.raw("SELECT id, problems FROM feed_imports").all(decoding: Import.self) {
                for line in log.problems.split(separator: "\n") {
                    let parts = line.split(separator: "\t", maxSplits: 1)
                    try await sql.insert(into: "feed_import_problems").columns("id", "import_id", "line", "reason")
                        .values(SQLBind(UUID()), SQLBind(log.id), SQLBind(Int(parts.first ?? "") ?? 0), SQLBind(parts.count > 1 ? String(parts[1]) : "")).run()
                }
            }
            try await sql.raw("ALTER TABLE residence_permits DROP COLUMN history").run()
            try await sql.raw("ALTER TABLE feed_imports DROP COLUMN problems").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.raw("ALTER TABLE residence_permits ADD COLUMN history TEXT NOT NULL DEFAULT ''").run()
            try await sql.raw("ALTER TABLE feed_imports ADD COLUMN problems TEXT NOT NULL DEFAULT ''").run()
            struct Step: Decodable { let permit_id: UUID; let step: String; let day: CivilDate }
            let steps = try await sql.raw("SELECT permit_id, step, day FROM permit_steps ORDER BY position").all(decoding: Step.self)
            for (permit, group) in Dictionary(grouping: steps, by: \.permit_id) {
                let history = group.map { "\($0.step)@\($0.day)" }.joined(separator: ";")
                try await sql.update("residence_permits").set("history", to: history).where("id", .equal, permit).run()
            }
            struct Problem: Decodable { let import_id: UUID; let line: Int; let reason: String }
            let problems = try await sql.raw("SELECT import_id, line, reason FROM feed_import_problems ORDER BY line").all(decoding: Problem.self)
            for (log, group) in Dictionary(grouping: problems, by: \.import_id) {
                try await sql.update("feed_imports").set("problems", to: group.map { "\($0.line)\t\($0.reason)" }.joined(separator: "\n")).where("id", .equal, log).run()
            }
            try await database.schema("feed_import_problems").delete()
            try await database.schema("permit_steps").delete()
        }
    }
}
