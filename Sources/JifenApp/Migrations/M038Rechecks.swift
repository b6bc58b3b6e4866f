import Fluent
import SQLKit

/// Migration 038 – the re-check before a round is published (发布前复核): each finding about an
/// application (its permit, its residence, its social insurance as the latest feed has it), its
/// due day and the bureau's decision.
/// Frozen: a shipped migration is never edited.
struct Rechecks038: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("recheck_findings")
            .id()
            .field("program_id", .uuid, .required, .references("programs", "id"))
            .field("application_id", .uuid, .required, .references("service_applications", "id"))
            .field("number", .string, .required)
            .field("found_at", .datetime, .required)
            .field("due_date", .date, .required)
            .field("kind", .string, .required)
            .field("needed", .int)
            .field("has", .int)
            .field("as_of", .date)
            .field("decision", .string)
            .field("note", .string)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .unique(on: "application_id", "kind")
            .create()
        try await (database as! any SQLDatabase).create(index: "recheck_findings_program").on("recheck_findings").column("program_id").column("decision").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX recheck_findings_program").run()
        try await database.schema("recheck_findings").delete()
    }
}
