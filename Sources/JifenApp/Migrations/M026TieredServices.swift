import Fluent
import Foundation

/// Migration 026 – services given in steps by points (梯度服务): what each gives, who provides it,
/// the points line under a standard series. Frozen: a shipped migration is never edited.
struct CreateTieredServices: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("tiered_services")
            .id()
            .field("created_at", .datetime, .required)
            .field("code", .string, .required)
            .field("title", .string, .required)
            .field("gives", .string, .required)
            .field("provider", .string, .required)
            .field("line", .int64, .required)
            .field("series", .string, .required)
            .field("created_by", .string, .required)
            .unique(on: "code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tiered_services").delete()
    }
}
