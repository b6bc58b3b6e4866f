import Fluent
import SQLKit

/// Migration 034 – the services around the house: the rules of the landlords' star rating as the
/// centre sets them (no row means the standard rules); reminders already sent (one row per event,
/// unique, so a reminder goes once however often the job runs and on however many nodes); a
/// permit applied for online (collected at the window or posted, with the address and tracking
/// number) and the token of its public verification page; the benefits the permit gives, as the
/// centre writes them.
/// Frozen: a shipped migration is never edited.
struct CommunityServices034: AsyncMigration {
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
        try await database.schema("reminders_sent")
            .id()
            .field("event", .string, .required)
            .field("sent_at", .datetime, .required)
            .unique(on: "event")
            .create()
        // One column a statement: SQLite alters a table one column at a time.
        for (column, type) in [("delivery", DatabaseSchema.DataType.string), ("postal_address", .string), ("tracking_number", .string), ("verification_token", .string)] {
            try await database.schema("residence_permits").field(FieldKey(stringLiteral: column), type).update()
        }
        // The public verification page finds a permit by its token.
        try await (database as! any SQLDatabase).create(index: "residence_permits_verification").on("residence_permits").column("verification_token").run()
        // The endorsement reminder reads issued permits running out soon.
        try await (database as! any SQLDatabase).create(index: "residence_permits_status_until").on("residence_permits").column("status").column("valid_until").run()
        try await database.schema("permit_benefits")
            .id()
            .field("kind", .string, .required)
            .field("position", .int, .required)
            .field("title", .string, .required)
            .field("detail", .string, .required)
            .field("updated_at", .datetime, .required)
            .field("updated_by", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("permit_benefits").delete()
        try await (database as! any SQLDatabase).raw("DROP INDEX residence_permits_verification").run()
        try await (database as! any SQLDatabase).raw("DROP INDEX residence_permits_status_until").run()
        for column in ["verification_token", "tracking_number", "postal_address", "delivery"] {
            try await database.schema("residence_permits").deleteField(FieldKey(stringLiteral: column)).update()
        }
        try await database.schema("reminders_sent").delete()
        try await database.schema("star_rules").delete()
    }
}
