import Fluent
import Foundation
import SQLKit

/// Migration 025 – several standards in force at once: each version belongs to a series
/// (`general`, the jurisdiction's own points standard, for every version stored before), and
/// each program names the series it ranks by (`general` for existing programs).
/// Frozen: a shipped migration is never edited.
struct StandardSeries: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE scoring_standards ADD COLUMN series TEXT NOT NULL DEFAULT 'general'").run()
        try await sql.raw("ALTER TABLE programs ADD COLUMN standard_series TEXT NOT NULL DEFAULT 'general'").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE programs DROP COLUMN standard_series").run()
        try await sql.raw("ALTER TABLE scoring_standards DROP COLUMN series").run()
    }
}
