import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 007 – working-day calendar years entered by admins. Frozen: a shipped migration is never edited.

struct CreateCalendarYear: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CalendarYear.schema)
            .id()
            .field("updated_at", .datetime, .required)
            .field("year", .int, .required)
            .field("yaml", .string, .required)
            .field("updated_by", .string, .required)
            .unique(on: "year")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CalendarYear.schema).delete()
    }
}
