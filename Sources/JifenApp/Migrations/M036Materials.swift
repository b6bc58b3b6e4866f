import Fluent
import SQLKit

/// Migration 036 – the materials told once (一次性告知): for each business (a residence permit, a
/// points application, each kind of program) the documents required and those that help, as the
/// centre writes them.
/// Frozen: a shipped migration is never edited.
struct Materials036: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("materials")
            .id()
            .field("business", .string, .required)
            .field("position", .int, .required)
            .field("title", .string, .required)
            .field("required", .bool, .required)
            .field("note", .string, .required)
            .field("updated_at", .datetime, .required)
            .field("updated_by", .string, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "materials_business").on("materials").column("business").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX materials_business").run()
        try await database.schema("materials").delete()
    }
}
