import Fluent
import SQLKit

/// Migration 040 – the policy portal (政策宣传): announcements, policy documents with their
/// interpretation, and questions and answers, written by the centre in Markdown.
/// Frozen: a shipped migration is never edited.
struct Portal040: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("portal_articles")
            .id()
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("interpretation", .string, .required)
            .field("published_at", .datetime, .required)
            .field("updated_by", .string, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "portal_articles_kind").on("portal_articles").column("kind").column("published_at").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX portal_articles_kind").run()
        try await database.schema("portal_articles").delete()
    }
}
