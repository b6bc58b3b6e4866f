import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 005 – residents, rental houses, residence registrations, permits; the access log. Frozen: a shipped migration is never edited.

struct CreateAccessLog: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(AccessLogEntry.schema)
            .id()
            .field("at", .datetime, .required)
            .field("actor_id", .uuid)
            .field("actor_login", .string, .required)
            .field("role", .string, .required)
            .field("entity", .string, .required)
            .field("entity_id", .string, .required)
            .field("field", .string, .required)
            .field("purpose", .string, .required)
            .field("address", .string)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AccessLogEntry.schema).delete()
    }
}

struct CreateResidence: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Resident.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("name", .string, .required)
            .field("id_sealed", .string, .required)
            .field("id_hash", .string, .required)
            .field("id_masked", .string, .required)
            .field("sex", .string, .required)
            .field("birth_date", .string, .required)
            .field("hukou_region", .string, .required)
            .field("phone", .string)
            .field("user_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
            .unique(on: "id_hash")
            .create()
        try await database.schema(RentalHouse.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("address_code", .string, .required)
            .field("address", .string, .required)
            .field("landlord", .string, .required)
            .field("landlord_phone", .string)
            .field("capacity", .int, .required)
            .field("jurisdiction_id", .uuid, .required, .references(Jurisdiction.schema, .id, onDelete: .restrict))
            .unique(on: "address_code")
            .create()
        try await database.schema(ResidenceRegistration.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("address", .string, .required)
            .field("from_date", .string, .required)
            .field("to_date", .string)
            .field("source", .string, .required)
            .field("status", .string, .required)
            .field("due_date", .string, .required)
            .field("decided_at", .datetime)
            .field("decided_by", .string)
            .field("method", .string)
            .field("reason", .string)
            .field("resident_id", .uuid, .required, .references(Resident.schema, .id, onDelete: .restrict))
            .field("jurisdiction_id", .uuid, .required, .references(Jurisdiction.schema, .id, onDelete: .restrict))
            .field("rental_house_id", .uuid, .references(RentalHouse.schema, .id, onDelete: .restrict))
            .create()
        try await database.schema(ResidencePermit.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("number", .string, .required)
            .field("status", .string, .required)
            .field("basis", .string, .required)
            .field("evidence", .string, .required)
            .field("production_due", .string)
            .field("reason", .string)
            .field("history", .string, .required)
            .field("valid_until", .string)
            .field("resident_id", .uuid, .required, .references(Resident.schema, .id, onDelete: .restrict))
            .field("jurisdiction_id", .uuid, .required, .references(Jurisdiction.schema, .id, onDelete: .restrict))
            .unique(on: "number")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ResidencePermit.schema).delete()
        try await database.schema(ResidenceRegistration.schema).delete()
        try await database.schema(RentalHouse.schema).delete()
        try await database.schema(Resident.schema).delete()
    }
}
