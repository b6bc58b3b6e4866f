import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 001 – the organisation: jurisdictions and member departments. Frozen: a shipped migration is never edited.

struct CreateJurisdiction: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Jurisdiction.schema)
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("level", .string, .required)
            .field("parent_id", .uuid, .references(Jurisdiction.schema, .id, onDelete: .restrict))
            .unique(on: "code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Jurisdiction.schema).delete()
    }
}

struct CreateDepartment: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Department.schema)
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .unique(on: "code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Department.schema).delete()
    }
}
