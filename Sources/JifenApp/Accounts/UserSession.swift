import Fluent
import Vapor

/// A signed-in session, kept in the database so any app process can serve any user. Only a
/// hash of the cookie's token is stored: a copy of the database does not let anyone sign in.
final class UserSession: Model, @unchecked Sendable {
    static let schema = "user_sessions"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "last_seen_at") var lastSeenAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "address") var address: String?

    // relationships
    @Parent(key: "user_id") var user: User

    init() {}

    init(tokenHash: String, userID: UUID, address: String?, now: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.$user.id = userID
        self.address = address
        self.createdAt = now
        self.lastSeenAt = now
        self.expiresAt = expiresAt
    }
}
