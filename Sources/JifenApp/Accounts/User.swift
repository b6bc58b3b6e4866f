import Fluent
import JifenCore
import Vapor

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

    // relationships
    @OptionalParent(key: "jurisdiction_id") var jurisdiction: Jurisdiction?
    @OptionalParent(key: "department_id") var department: Department?

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
