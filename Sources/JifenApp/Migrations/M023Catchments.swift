import Fluent
import Foundation
import SQLKit

/// Migration 023 – schools' catchments (施教区: a town or community code, from a day, possibly to
/// a day) and which schools a program lets an applicant rank (`choice_scope`: any school, his
/// town's, or those whose catchment covers his residence; existing programs: any).
/// Frozen: a shipped migration is never edited.
struct Catchments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("school_catchments")
            .id()
            .field("school_id", .uuid, .required, .references("schools", "id"))
            .field("area_code", .string, .required)
            .field("from_date", .date, .required)
            .field("to_date", .date)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE programs ADD COLUMN choice_scope TEXT NOT NULL DEFAULT 'city'").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE programs DROP COLUMN choice_scope").run()
        try await database.schema("school_catchments").delete()
    }
}
