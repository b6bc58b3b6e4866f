import Fluent
import Foundation
import SQLKit

/// Migration 028 – the JSON API's access: tokens the centre issues to department systems (only
/// their hash kept, with a name, scopes, an expiry and a revocation), the first answer to each
/// `Idempotency-Key` a token sent (a replay gets it again), and which channel a session was
/// started on (the web or the API). Frozen: a shipped migration is never edited.
struct ApiAccess: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("api_tokens")
            .id()
            .field("created_at", .datetime, .required)
            .field("name", .string, .required)
            .field("department", .string, .required)
            .field("scopes", .array(of: .string), .required)
            .field("token_hash", .string, .required)
            .field("token_prefix", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("revoked_by", .string)
            .field("last_used_at", .datetime)
            .field("created_by", .string, .required)
            .unique(on: "token_hash")
            .create()
        try await database.schema("api_idempotency")
            .id()
            .field("created_at", .datetime, .required)
            .field("token_id", .uuid, .required)
            .field("idempotency_key", .string, .required)
            .field("request_hash", .string, .required)
            .field("status", .int, .required)
            .field("body", .string, .required)
            .unique(on: "token_id", "idempotency_key")
            .create()
        try await database.schema("user_sessions").field("channel", .string, .required, .sql(.default("web"))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_sessions").deleteField("channel").update()
        try await database.schema("api_idempotency").delete()
        try await database.schema("api_tokens").delete()
    }
}
