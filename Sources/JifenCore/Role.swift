/// The roles of DESIGN §1. The raw values are the code names stored in the database and used in
/// URLs and the string catalog (`role_<rawValue>`).
public enum Role: String, CaseIterable, Codable, Sendable, Hashable {
    case citizen
    case gridWorker
    case windowClerk
    case departmentReviewer
    case educationOfficer
    case centerAdmin
    case auditor

    /// Roles an administrator can give to a staff account. Citizens register themselves.
    public static let staff: [Role] = [.gridWorker, .windowClerk, .departmentReviewer, .educationOfficer, .centerAdmin, .auditor]

    public var isStaff: Bool { self != .citizen }

    /// Roles that see the whole city's records or its audit trail sign in with a second factor.
    public var requiresSecondFactor: Bool { self == .centerAdmin || self == .auditor }

    /// Staff of these roles belong to a member department as well as a jurisdiction.
    public var needsDepartment: Bool { self == .departmentReviewer }

    /// The jurisdiction level a staff account of this role is normally attached to; an admin
    /// may attach it higher (a city-level window clerk), never lower.
    public var deepestLevel: JurisdictionLevel? {
        switch self {
        case .citizen: nil
        case .gridWorker: .grid
        case .windowClerk: .town
        case .departmentReviewer, .educationOfficer, .centerAdmin, .auditor: .city
        }
    }
}
