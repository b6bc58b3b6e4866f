import Fluent
import Foundation
import SQLKit

/// Migration 029 – the outbox delivered: each message's state (pending → sending → sent | failed),
/// its tries, when the next is due, the last error and the gateway's reference. Messages written
/// before delivery existed are marked `skipped`: an upgrade never sends months-old texts. An
/// account's WeChat openid (bound from the mini-program) for subscription messages.
/// Frozen: a shipped migration is never edited.
struct OutboxDelivery029: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        try await database.schema("outbox_messages").field("status", .string, .required, .sql(.default("pending"))).update()
        try await database.schema("outbox_messages").field("attempts", .int, .required, .sql(.default(0))).update()
        try await database.schema("outbox_messages").field("next_attempt_at", .datetime).update()
        try await database.schema("outbox_messages").field("claimed_at", .datetime).update()
        try await database.schema("outbox_messages").field("last_error", .string).update()
        try await database.schema("outbox_messages").field("provider_reference", .string).update()
        let sql = database as! any SQLDatabase
        try await sql.raw("UPDATE outbox_messages SET status = 'sent' WHERE delivered_at IS NOT NULL").run()
        try await sql.raw("UPDATE outbox_messages SET status = 'skipped' WHERE delivered_at IS NULL").run()
        try await sql.raw("CREATE INDEX outbox_messages_due ON outbox_messages (status, next_attempt_at)").run()
        try await database.schema("users").field("wechat_openid", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").deleteField("wechat_openid").update()
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX outbox_messages_due").run()
        for column in ["provider_reference", "last_error", "claimed_at", "next_attempt_at", "attempts", "status"] {
            try await database.schema("outbox_messages").deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}
