import Fluent
import Foundation
import SQLKit

/// Migration 020 – a points history entry keeps what happened as data (`details`: the
/// application, the feed and its changes, the staff's reason, the end of a bar; PostgreSQL
/// `jsonb`, SQLite JSON text) so each page words it in its reader's language. Entries written
/// before keep their Chinese sentence in `reason` and no details.
/// Frozen: written in SQL against the table as it was.
struct HistoryDetails: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let type = sql.dialect.name == "postgresql" ? "jsonb" : "TEXT"
        try await sql.raw("ALTER TABLE points_history ADD COLUMN details \(unsafeRaw: type)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE points_history DROP COLUMN details").run()
    }
}
