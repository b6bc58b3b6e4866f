import Fluent
import SQLKit

/// Migration 032 – landlords, sublandlords and employers who manage rental houses (confirmed by
/// the grid worker before they may declare anyone), and on each registration who declared it for
/// the tenant and the tenant's dispute of it.
/// Frozen: a shipped migration is never edited.
struct HouseManagers032: AsyncMigration {
    static let indexes: [(name: String, table: String, columns: [String])] = [
        ("house_managers_user", "house_managers", ["user_id"]),
        ("house_managers_house", "house_managers", ["house_id"]),
        ("residence_registrations_declared_by", "residence_registrations", ["declared_by_id"]),
        // The reminder of declarations left unverified reads pending ones by age across the city.
        ("residence_registrations_status_created", "residence_registrations", ["status", "created_at"]),
    ]

    func prepare(on database: any Database) async throws {
        try await database.schema("house_managers")
            .id()
            .field("created_at", .datetime, .required)
            .field("house_id", .uuid, .required, .references("rental_houses", .id, onDelete: .restrict))
            .field("user_id", .uuid, .required, .references("users", .id, onDelete: .restrict))
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("organisation", .string)
            .field("status", .string, .required)
            .field("decided_at", .datetime)
            .field("decided_by", .string)
            .field("reason", .string)
            .create()
        // One column a statement: SQLite alters a table one column at a time.
        try await database.schema("residence_registrations").field("declared_by_id", .uuid).update()
        try await database.schema("residence_registrations").field("disputed_at", .datetime).update()
        try await database.schema("residence_registrations").field("dispute_reason", .string).update()
        let sql = database as! any SQLDatabase
        for index in Self.indexes {
            var create = sql.create(index: index.name).on(index.table)
            for column in index.columns { create = create.column(column) }
            try await create.run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in Self.indexes.reversed() { try await sql.raw("DROP INDEX \(ident: index.name)").run() }
        for column in ["dispute_reason", "disputed_at", "declared_by_id"] {
            try await database.schema("residence_registrations").deleteField(FieldKey(stringLiteral: column)).update()
        }
        try await database.schema("house_managers").delete()
    }
}
