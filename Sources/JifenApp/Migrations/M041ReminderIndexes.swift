import Fluent
import SQLKit

/// Migration 041 – indexes for the hourly reminder check: December's archives of the year, and
/// tomorrow's booked appointments, are found without reading every archive or every appointment
/// ever booked.
/// Frozen: a shipped migration is never edited.
struct ReminderIndexes041: AsyncMigration {
    static let indexes: [(name: String, table: String, columns: [String])] = [
        ("points_archives_status_year", "points_archives", ["status", "year"]),
        ("appointments_status_day", "appointments", ["status", "day"]),
    ]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in Self.indexes {
            var create = sql.create(index: index.name).on(index.table)
            for column in index.columns { create = create.column(column) }
            try await create.run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in Self.indexes.reversed() {
            try await sql.raw("DROP INDEX \(ident: index.name)").run()
        }
    }
}
