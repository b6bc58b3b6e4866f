import Fluent
import SQLKit

/// Migration 035 – complaints about how a town or a department handled a citizen's case
/// (监督投诉, seed 004 art. 19): the unit, the case, what he says, the due date, and the centre's
/// finding and the correction it ordered.
/// Frozen: a shipped migration is never edited.
struct Complaints035: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("complaints")
            .id()
            .field("created_at", .datetime, .required)
            .field("number", .string, .required)
            .field("resident_id", .uuid, .required, .references("residents", .id, onDelete: .restrict))
            .field("unit_kind", .string, .required)
            .field("unit_code", .string, .required)
            .field("unit_name", .string, .required)
            .field("case_ref", .string)
            .field("content", .string, .required)
            .field("status", .string, .required)
            .field("due_date", .date, .required)
            .field("finding", .string)
            .field("correction", .string)
            .field("upheld", .bool)
            .field("concluded_at", .datetime)
            .field("concluded_by", .string)
            .unique(on: "number")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "complaints_resident").on("complaints").column("resident_id").run()
        try await sql.create(index: "complaints_status_due").on("complaints").column("status").column("due_date").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX complaints_status_due").run()
        try await sql.raw("DROP INDEX complaints_resident").run()
        try await database.schema("complaints").delete()
    }
}
