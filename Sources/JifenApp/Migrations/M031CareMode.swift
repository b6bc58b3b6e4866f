import Fluent
import SQLKit

/// Migration 031 – an account remembers care mode (关怀模式: larger type, larger targets, more
/// contrast, the common tasks first), so it follows the person to another browser.
/// Frozen: a shipped migration is never edited.
struct CareMode031: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("care_mode", .bool, .required, .sql(.default(false))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").deleteField("care_mode").update()
    }
}
