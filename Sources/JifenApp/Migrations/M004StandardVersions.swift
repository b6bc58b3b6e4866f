import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 004 – versions of the scoring standard. Frozen: a shipped migration is never edited.

struct CreateStandardVersion: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(StandardVersion.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("code", .string, .required)
            .field("title", .string, .required)
            .field("status", .string, .required)
            .field("effective_from", .string, .required)
            .field("yaml", .string, .required)
            .field("created_by", .string, .required)
            .field("published_at", .datetime)
            .field("published_by", .string)
            .unique(on: "code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(StandardVersion.schema).delete()
    }
}
