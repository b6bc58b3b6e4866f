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
