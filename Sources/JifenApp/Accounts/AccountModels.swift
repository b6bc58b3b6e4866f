import Fluent
import SQLKit
import Vapor
import JifenCore

/// An account: a citizen who registered with a mobile number, or a staff member created by an
/// administrator with a role and a jurisdiction.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    // data fields
    /// What the person types to sign in: the mobile number for citizens, a login name for staff.
    @Field(key: "login") var login: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "display_name") var displayName: String
    @Enum(key: "role") var role: Role
    @Enum(key: "status") var status: Status
    @OptionalField(key: "phone") var phone: String?
    /// The second factor's secret, sealed; it counts once `totpConfirmedAt` is set.
    @OptionalField(key: "totp_sealed") var totpSealed: String?
    @OptionalField(key: "totp_confirmed_at") var totpConfirmedAt: Date?
    /// The time step of the last code accepted: a code is used once.
    @OptionalField(key: "totp_last_step") var totpLastStep: Int64?
    /// An account the demo made: exempt from the second factor its role would require.
    @Field(key: "demo_account") var demoAccount: Bool
    /// Set by an administrator: the next sign-in leads to the password page until it is changed.
    @Field(key: "must_change_password") var mustChangePassword: Bool
    /// The version of the privacy notice the person accepted, and when.
    @OptionalField(key: "privacy_version") var privacyVersion: String?
    @OptionalField(key: "privacy_accepted_at") var privacyAcceptedAt: Date?
    /// His openid in the city's mini-program, bound from it: WeChat subscription messages go there too.
    @OptionalField(key: "wechat_openid") var wechatOpenID: String?
    /// Pages in care mode (关怀模式) wherever he signs in, unless the browser was switched since.
    @Field(key: "care_mode") var careMode: Bool

    // relationships
    @OptionalParent(key: "jurisdiction_id") var jurisdiction: Jurisdiction?
    @OptionalParent(key: "department_id") var department: Department?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $updatedAt, $login, $passwordHash, $displayName, $role, $status, $phone, $totpSealed, $totpConfirmedAt, $totpLastStep, $demoAccount, $mustChangePassword, $privacyVersion, $privacyAcceptedAt, $wechatOpenID, $careMode, $jurisdiction, $department] }

    init() {}

    init(id: UUID? = nil, login: String, passwordHash: String, displayName: String, role: Role, status: Status,
         phone: String? = nil, jurisdictionID: UUID? = nil, departmentID: UUID? = nil, at now: Date) {
        self.id = id
        self.login = login
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.role = role
        self.status = status
        self.phone = phone
        self.$jurisdiction.id = jurisdictionID
        self.$department.id = departmentID
        self.demoAccount = false
        self.mustChangePassword = false
        self.careMode = false
        self.createdAt = now
        self.updatedAt = now
    }
}

extension User {
    enum Status: String, Codable, CaseIterable, Sendable {
        /// Registered, mobile number not yet confirmed.
        case pending
        case active
        case disabled
    }

    static func find(login: String, on db: any Database) async throws -> User? {
        try await query(on: db).filter(\.$login == login).first()
    }

    /// What the audit log keeps of an account: never the password hash, and a citizen's mobile
    /// number (his login) only masked.
    var auditSnapshot: [String: String] {
        var snapshot = [
            "login": role == .citizen ? Mask.phone(login) : login, "displayName": displayName, "role": role.rawValue, "status": status.rawValue,
        ]
        if let phone { snapshot["phone"] = Mask.phone(phone) }
        if let id = $jurisdiction.id { snapshot["jurisdictionID"] = id.uuidString }
        if let id = $department.id { snapshot["departmentID"] = id.uuidString }
        return snapshot
    }
}

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
    /// `web` (a browser's cookie) or `api` (a bearer token of the mini-program).
    @Field(key: "channel") var channel: String

    // relationships
    @Parent(key: "user_id") var user: User

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $tokenHash, $lastSeenAt, $expiresAt, $address, $channel, $user] }

    init() {}

    init(tokenHash: String, userID: UUID, address: String?, now: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.$user.id = userID
        self.address = address
        self.createdAt = now
        self.lastSeenAt = now
        self.expiresAt = expiresAt
        self.channel = "web"
    }
}

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

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $login, $address, $succeeded, $at] }

    init() {}

    init(login: String, address: String, succeeded: Bool, at: Date) {
        self.login = login
        self.address = address
        self.succeeded = succeeded
        self.at = at
    }
}

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

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $codeHash, $purpose, $expiresAt, $attempts, $consumedAt, $user] }

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

extension User: Audited {
    static let auditEntity = "user"
}
