import Fluent
import Vapor

/// A code sent to a mobile number to confirm it. Only a keyed hash of the code is stored.
final class VerificationCode: Model, @unchecked Sendable {
    static let schema = "verification_codes"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "code_hash") var codeHash: String
    @Field(key: "purpose") var purpose: String
    @Field(key: "expires_at") var expiresAt: Date
    @Field(key: "attempts") var attempts: Int
    @OptionalField(key: "consumed_at") var consumedAt: Date?

    // relationships
    @Parent(key: "user_id") var user: User

    init() {}

    init(userID: UUID, codeHash: String, purpose: String, now: Date, expiresAt: Date) {
        self.$user.id = userID
        self.codeHash = codeHash
        self.purpose = purpose
        self.createdAt = now
        self.expiresAt = expiresAt
        self.attempts = 0
    }

    static let maxAttempts = 5
    static let lifetime: TimeInterval = 10 * 60
}
