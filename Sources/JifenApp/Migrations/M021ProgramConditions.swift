import Fluent
import Foundation
import SQLKit

/// Migration 021 – a program's conditions as each jurisdiction writes them: residence in months
/// (`min_residence_years` × 12 → `min_residence_months`), months the permit has been held, when
/// the quotas are due (N days before the deadline — the earlier rule, kept for existing programs —,
/// N days before a planned allocation day, or by a fixed day), and who of a couple may apply.
/// Frozen: written in SQL against the table as it was.
struct ProgramConditions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            let date = sql.dialect.name == "postgresql" ? "date" : "TEXT"
            try await sql.raw("ALTER TABLE programs ADD COLUMN min_residence_months INTEGER NOT NULL DEFAULT 0").run()
            try await sql.raw("UPDATE programs SET min_residence_months = min_residence_years * 12").run()
            try await sql.raw("ALTER TABLE programs DROP COLUMN min_residence_years").run()
            try await sql.raw("ALTER TABLE programs ADD COLUMN min_permit_months INTEGER NOT NULL DEFAULT 0").run()
            try await sql.raw("ALTER TABLE programs ADD COLUMN quota_rule TEXT NOT NULL DEFAULT 'beforeDeadline'").run()
            try await sql.raw("ALTER TABLE programs ADD COLUMN quota_days INTEGER NOT NULL DEFAULT 30").run()
            try await sql.raw("ALTER TABLE programs ADD COLUMN quota_by \(unsafeRaw: date)").run()
            try await sql.raw("ALTER TABLE programs ADD COLUMN allocates \(unsafeRaw: date)").run()
            try await sql.raw("ALTER TABLE programs ADD COLUMN spouses TEXT NOT NULL DEFAULT 'either'").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.raw("ALTER TABLE programs ADD COLUMN min_residence_years INTEGER NOT NULL DEFAULT 0").run()
            try await sql.raw("UPDATE programs SET min_residence_years = min_residence_months / 12").run()
            for column in ["min_residence_months", "min_permit_months", "quota_rule", "quota_days", "quota_by", "allocates", "spouses"] {
                try await sql.raw("ALTER TABLE programs DROP COLUMN \(ident: column)").run()
            }
        }
    }
}
