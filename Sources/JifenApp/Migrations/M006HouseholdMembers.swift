import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 006 – household members (spouse, children), sealed. Frozen: a shipped migration is never edited.

struct CreateHouseholdMember: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(HouseholdMember.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("relation", .string, .required)
            .field("name_sealed", .string, .required)
            .field("name_masked", .string, .required)
            .field("id_sealed", .string, .required)
            .field("id_hash", .string, .required)
            .field("id_masked", .string, .required)
            .field("birth_date", .string, .required)
            .field("sex", .string, .required)
            .field("resident_id", .uuid, .required, .references(Resident.schema, .id, onDelete: .cascade))
            .unique(on: "resident_id", "id_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(HouseholdMember.schema).delete()
    }
}
