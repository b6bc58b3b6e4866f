import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 008 – data matching: feed imports and their records. Frozen: a shipped migration is never edited.

struct CreateFeeds: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(FeedImportModel.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("feed", .string, .required)
            .field("filename", .string, .required)
            .field("sha256", .string, .required)
            .field("encoding", .string, .required)
            .field("rows", .int, .required)
            .field("added", .int, .required)
            .field("changed", .int, .required)
            .field("unchanged", .int, .required)
            .field("refused", .int, .required)
            .field("problems", .string, .required)
            .field("created_by", .string, .required)
            .create()
        try await database.schema(FeedRecordModel.schema)
            .id()
            .field("updated_at", .datetime, .required)
            .field("feed", .string, .required)
            .field("id_hash", .string, .required)
            .field("id_masked", .string, .required)
            .field("as_of", .string, .required)
            .field("quantity", .int64, .required)
            .field("import_id", .uuid, .required, .references(FeedImportModel.schema, .id, onDelete: .restrict))
            .unique(on: "feed", "id_hash", "as_of")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(FeedRecordModel.schema).delete()
        try await database.schema(FeedImportModel.schema).delete()
    }
}
