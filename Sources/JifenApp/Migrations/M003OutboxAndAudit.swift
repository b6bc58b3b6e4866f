import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 003 – the notification outbox and the audit log. Frozen: a shipped migration is never edited.

struct CreateOutboxMessage: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(OutboxMessage.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("channel", .string, .required)
            .field("recipient", .string, .required)
            .field("kind", .string, .required)
            .field("body", .string, .required)
            .field("delivered_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OutboxMessage.schema).delete()
    }
}

struct CreateAuditEntry: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(AuditEntry.schema)
            .id()
            .field("at", .datetime, .required)
            .field("actor_id", .uuid)
            .field("actor_login", .string, .required)
            .field("action", .string, .required)
            .field("entity", .string, .required)
            .field("entity_id", .string, .required)
            .field("before", .string)
            .field("after", .string)
            .field("address", .string)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "audit_entries_at").on(AuditEntry.schema).column("at").run()
        try await sql.create(index: "audit_entries_entity").on(AuditEntry.schema).column("entity").column("entity_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AuditEntry.schema).delete()
    }
}
