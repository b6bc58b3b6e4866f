import Fluent
import Foundation
import SQLKit

/// Migration 027 – codes sent to phones as rows of their own (for registration and for public
/// forms; throttled per phone and per address, bound to the browser that asked), a second factor
/// and the demo's exemption on accounts, a forced password change, the privacy notice accepted,
/// outbox bodies that are sealed, and real-name binding: who confirmed that an account's identity
/// is its holder's, and that a child is the parent's. Bindings and children recorded before are
/// kept as confirmed (`before real-name binding`); staff may release any of them.
/// Frozen: a shipped migration is never edited.
struct AccountSecurity: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("phone_codes")
            .id()
            .field("created_at", .datetime, .required)
            .field("purpose", .string, .required)
            .field("phone_mac", .string, .required)
            .field("code_hash", .string, .required)
            .field("browser_hash", .string, .required)
            .field("address", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("consumed_at", .datetime)
            .field("password_hash", .string)
            .field("display_name", .string)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX phone_codes_by_phone ON phone_codes (phone_mac, created_at)").run()
        try await sql.raw("CREATE INDEX phone_codes_by_address ON phone_codes (address, created_at)").run()
        // One column per statement: SQLite adds one at a time.
        try await database.schema("users").field("totp_sealed", .string).update()
        try await database.schema("users").field("totp_confirmed_at", .datetime).update()
        try await database.schema("users").field("totp_last_step", .int64).update()
        try await database.schema("users").field("demo_account", .bool, .required, .sql(.default(false))).update()
        try await database.schema("users").field("must_change_password", .bool, .required, .sql(.default(false))).update()
        try await database.schema("users").field("privacy_version", .string).update()
        try await database.schema("users").field("privacy_accepted_at", .datetime).update()
        try await database.schema("outbox_messages")
            .field("sealed", .bool, .required, .sql(.default(false)))
            .update()
        for table in ["residents", "household_members"] {
            try await database.schema(table).field("verified_at", .datetime).update()
            try await database.schema(table).field("verified_by", .string).update()
        }
        try await database.schema("household_members").field("evidence", .string).update()
        // An opinion sent online counts with a confirmed phone; its keyed hash limits one phone's share.
        try await database.schema("opinions").field("respondent", .string).update()
        // A per-device questionnaire limits answers from one address (a keyed hash of it, not the address).
        try await database.schema("survey_answers").field("address_mac", .string).update()
        try await sql.raw("UPDATE residents SET verified_at = created_at, verified_by = 'before real-name binding' WHERE user_id IS NOT NULL").run()
        try await sql.raw("UPDATE household_members SET verified_at = created_at, verified_by = 'before real-name binding'").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE survey_answers DROP COLUMN address_mac").run()
        try await sql.raw("ALTER TABLE opinions DROP COLUMN respondent").run()
        try await sql.raw("ALTER TABLE household_members DROP COLUMN evidence").run()
        for table in ["household_members", "residents"] {
            try await sql.raw("ALTER TABLE \(unsafeRaw: table) DROP COLUMN verified_by").run()
            try await sql.raw("ALTER TABLE \(unsafeRaw: table) DROP COLUMN verified_at").run()
        }
        try await sql.raw("ALTER TABLE outbox_messages DROP COLUMN sealed").run()
        for column in ["privacy_accepted_at", "privacy_version", "must_change_password", "demo_account", "totp_last_step", "totp_confirmed_at", "totp_sealed"] {
            try await sql.raw("ALTER TABLE users DROP COLUMN \(unsafeRaw: column)").run()
        }
        try await database.schema("phone_codes").delete()
    }
}
