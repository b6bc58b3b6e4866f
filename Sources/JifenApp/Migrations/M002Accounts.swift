import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 002 – accounts, sessions, login throttling, verification codes. Frozen: a shipped migration is never edited.

struct CreateUser: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("login", .string, .required)
            .field("password_hash", .string, .required)
            .field("display_name", .string, .required)
            .field("role", .string, .required)
            .field("status", .string, .required)
            .field("phone", .string)
            .field("jurisdiction_id", .uuid, .references(Jurisdiction.schema, .id, onDelete: .restrict))
            .field("department_id", .uuid, .references(Department.schema, .id, onDelete: .restrict))
            .unique(on: "login")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(User.schema).delete()
    }
}

struct CreateUserSession: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserSession.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("token_hash", .string, .required)
            .field("last_seen_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("address", .string)
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserSession.schema).delete()
    }
}

struct CreateLoginAttempt: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(LoginAttempt.schema)
            .id()
            .field("login", .string, .required)
            .field("address", .string, .required)
            .field("succeeded", .bool, .required)
            .field("at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "login_attempts_login_at").on(LoginAttempt.schema).column("login").column("at").run()
        try await sql.create(index: "login_attempts_address_at").on(LoginAttempt.schema).column("address").column("at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LoginAttempt.schema).delete()
    }
}

struct CreateVerificationCode: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(VerificationCode.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("code_hash", .string, .required)
            .field("purpose", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("consumed_at", .datetime)
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(VerificationCode.schema).delete()
    }
}
