import Fluent
import SQLKit

/// Migration 037 – offers and waitlists: a program's days to answer an offer, what silence
/// means and the day its waitlist closes; each result's offer (pending, accepted, declined, or
/// taken as one of them when the days ran out), its due day and when it was answered; the
/// waitlist's moves, the addendum to the publicity.
/// Frozen: a shipped migration is never edited.
struct Offers037: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column a statement: SQLite alters a table one column at a time.
        for (column, type) in [("offer_days", DatabaseSchema.DataType.int), ("offer_silence", .string), ("waitlist_closes", .date)] {
            try await database.schema("programs").field(FieldKey(stringLiteral: column), type).update()
        }
        for (column, type) in [("offer", DatabaseSchema.DataType.string), ("offer_due", .date), ("offer_answered_at", .datetime)] {
            try await database.schema("allocation_results").field(FieldKey(stringLiteral: column), type).update()
        }
        // The reminders and the lapse read pending offers by their due day.
        try await (database as! any SQLDatabase).create(index: "allocation_results_offer").on("allocation_results").column("offer").column("offer_due").run()
        try await database.schema("waitlist_moves")
            .id()
            .field("round_id", .uuid, .required, .references("allocation_rounds", "id"))
            .field("at", .datetime, .required)
            .field("position", .int, .required)
            .field("declined_number", .string, .required)
            .field("number", .string, .required)
            .field("name_masked", .string, .required)
            .field("school_before", .string)
            .field("school_after", .string)
            .create()
        try await (database as! any SQLDatabase).create(index: "waitlist_moves_round").on("waitlist_moves").column("round_id").column("at").column("position").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX waitlist_moves_round").run()
        try await database.schema("waitlist_moves").delete()
        try await (database as! any SQLDatabase).raw("DROP INDEX allocation_results_offer").run()
        for column in ["offer_answered_at", "offer_due", "offer"] {
            try await database.schema("allocation_results").deleteField(FieldKey(stringLiteral: column)).update()
        }
        for column in ["waitlist_closes", "offer_silence", "offer_days"] {
            try await database.schema("programs").deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}
