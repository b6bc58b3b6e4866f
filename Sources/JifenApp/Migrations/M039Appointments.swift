import Fluent
import SQLKit

/// Migration 039 – appointments at the window (预约办): each town's schedule (the times of day and
/// the places at each), and the appointments booked, with their state.
/// Frozen: a shipped migration is never edited.
struct Appointments039: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("appointment_schedules")
            .id()
            .field("jurisdiction_id", .uuid, .required, .references("jurisdictions", "id"))
            .field("times", .string, .required)
            .field("capacity", .int, .required)
            .field("updated_at", .datetime, .required)
            .field("updated_by", .string, .required)
            .unique(on: "jurisdiction_id")
            .create()
        try await database.schema("appointments")
            .id()
            .field("number", .string, .required)
            .field("created_at", .datetime, .required)
            .field("user_id", .uuid, .required, .references("users", "id"))
            .field("jurisdiction_id", .uuid, .required, .references("jurisdictions", "id"))
            .field("business", .string, .required)
            .field("day", .date, .required)
            .field("time", .string, .required)
            .field("status", .string, .required)
            .field("marked_by", .string)
            .field("marked_at", .datetime)
            .unique(on: "number")
            .create()
        // A window's day, a slot's count; a citizen's own list and his no-shows.
        try await (database as! any SQLDatabase).create(index: "appointments_window_day").on("appointments").column("jurisdiction_id").column("day").column("time").run()
        try await (database as! any SQLDatabase).create(index: "appointments_user").on("appointments").column("user_id").column("day").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX appointments_user").run()
        try await (database as! any SQLDatabase).raw("DROP INDEX appointments_window_day").run()
        try await database.schema("appointments").delete()
        try await database.schema("appointment_schedules").delete()
    }
}
