import Fluent
import SQLKit
import Vapor

/// One try to sign in, kept to throttle guessing per account and per address.
final class LoginAttempt: Model, @unchecked Sendable {
    static let schema = "login_attempts"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "login") var login: String
    @Field(key: "address") var address: String
    @Field(key: "succeeded") var succeeded: Bool
    @Field(key: "at") var at: Date

    init() {}

    init(login: String, address: String, succeeded: Bool, at: Date) {
        self.login = login
        self.address = address
        self.succeeded = succeeded
        self.at = at
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
