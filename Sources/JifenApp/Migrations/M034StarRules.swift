import Fluent

/// Migration 034 – the rules of the landlords' star rating (包租星级) as the centre sets them; no
/// row means the standard rules.
/// Frozen: a shipped migration is never edited.
struct StarRules034: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("star_rules")
            .id()
            .field("hazard_found", .double, .required)
            .field("hazard_late", .double, .required)
            .field("declaration_late", .double, .required)
            .field("declaration_days", .int, .required)
            .field("dispute", .double, .required)
            .field("window_days", .int, .required)
            .field("updated_at", .datetime, .required)
            .field("updated_by", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("star_rules").delete()
    }
}
