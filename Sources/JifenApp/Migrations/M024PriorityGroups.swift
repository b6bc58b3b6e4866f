import Fluent
import Foundation
import SQLKit

/// Migration 024 – priority groups (优先/优待) per program: named groups verified by a department,
/// placed ahead of the points order or given a bonus; a parent's claim to a group and its
/// verification; the level frozen into an application, which the public list marks (without the reason).
/// Frozen: a shipped migration is never edited.
struct PriorityGroups: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("priority_groups")
            .id()
            .field("program_id", .uuid, .required, .references("programs", "id"))
            .field("code", .string, .required)
            .field("title", .string, .required)
            .field("department", .string, .required)
            .field("placement", .string, .required)
            .field("bonus", .int64, .required)
            .unique(on: "program_id", "code")
            .create()
        try await database.schema("priority_claims")
            .id()
            .field("created_at", .datetime, .required)
            .field("application_id", .uuid, .required, .references("service_applications", "id"))
            .field("group_id", .uuid, .required, .references("priority_groups", "id"))
            .field("evidence", .string, .required)
            .field("state", .string, .required)
            .field("reason", .string)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .unique(on: "application_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE service_applications ADD COLUMN priority INTEGER").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE service_applications DROP COLUMN priority").run()
        try await database.schema("priority_claims").delete()
        try await database.schema("priority_groups").delete()
    }
}
