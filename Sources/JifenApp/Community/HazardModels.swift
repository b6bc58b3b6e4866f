import Fluent
import JifenCore
import Vapor

/// A kind of hazard (隐患类型) and who deals with it: the department responsible and the working
/// days it has. The centre edits the table.
final class HazardType: Model, @unchecked Sendable {
    static let schema = "hazard_types"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "department_code") var departmentCode: String
    @Field(key: "due_working_days") var dueWorkingDays: Int
    @Field(key: "position") var position: Int
    @Field(key: "updated_at") var updatedAt: Date
    @Field(key: "updated_by") var updatedBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $code, $name, $departmentCode, $dueWorkingDays, $position, $updatedAt, $updatedBy] }

    init() {}
}

/// A hazard found in a rental house or a place (出租房屋隐患): reported by a grid worker (or by
/// anyone from a door's QR code, then sent on by the grid worker), handled by the department its
/// kind names, by a due date in working days; the department acknowledges and rectifies, or
/// forwards it to the department whose duty it is; the grid worker accepts the rectification on
/// site or sends it back; the centre spot-checks accepted ones (发现、整改、验收、抽查).
final class Hazard: Model, @unchecked Sendable {
    static let schema = "hazards"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    /// YH + date + six digits: what the reporter and the departments quote.
    @Field(key: "number") var number: String
    @Field(key: "type_code") var typeCode: String
    /// The address of the house, or the place as the reporter wrote it.
    @Field(key: "place") var place: String
    @Field(key: "description") var description: String
    /// A staff login, a citizen's masked number, or `public`.
    @Field(key: "reported_by") var reportedBy: String
    /// The number a member of the public left to be told the outcome (masked on every page).
    @OptionalField(key: "reporter_phone") var reporterPhone: String?
    @Enum(key: "status") var status: Status
    /// The department that has it now, and the one it was first sent to.
    @OptionalField(key: "department_code") var departmentCode: String?
    @OptionalField(key: "first_department_code") var firstDepartmentCode: String?
    @OptionalField(key: "assigned_on") var assignedOn: CivilDate?
    @OptionalField(key: "due_date") var dueDate: CivilDate?
    @OptionalField(key: "rectified_at") var rectifiedAt: Date?
    /// The day the grid worker accepted the rectification on site (验收): it is closed.
    @OptionalField(key: "accepted_on") var acceptedOn: CivilDate?
    @OptionalEnum(key: "spot_check") var spotCheck: SpotCheck?
    @OptionalField(key: "spot_checked_at") var spotCheckedAt: Date?

    // relationships
    @OptionalParent(key: "house_id") var house: RentalHouse?
    /// The grid it lies in.
    @Parent(key: "jurisdiction_id") var jurisdiction: Jurisdiction

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $number, $typeCode, $place, $description, $reportedBy, $reporterPhone, $status, $departmentCode, $firstDepartmentCode, $assignedOn, $dueDate, $rectifiedAt, $acceptedOn, $spotCheck, $spotCheckedAt, $house, $jurisdiction] }

    init() {}

    /// received: from the public, waiting for the grid worker; assigned: with a department, not
    /// yet acknowledged; acknowledged: the department is rectifying it; rectified: waiting for the
    /// grid worker's acceptance; accepted: closed; dismissed: the grid worker found nothing.
    enum Status: String, Codable, Sendable, CaseIterable { case received, assigned, acknowledged, rectified, accepted, dismissed }
    enum SpotCheck: String, Codable, Sendable { case passed, failed }

    /// With a department and not rectified by its due date.
    func isOverdue(today: CivilDate) -> Bool {
        guard let dueDate, status == .assigned || status == .acknowledged else { return false }
        return dueDate < today
    }

    /// Closed, its rectification done after its due date (the department's lateness, not the
    /// grid worker's day of acceptance).
    var closedLate: Bool {
        guard acceptedOn != nil, let rectifiedAt, let dueDate else { return false }
        return ShanghaiDate.today(rectifiedAt) > dueDate
    }

    var isOpen: Bool { status != .accepted && status != .dismissed }

    var auditSnapshot: [String: String] {
        var s = ["type": typeCode, "status": status.rawValue, "place": place]
        if let departmentCode { s["department"] = departmentCode }
        if let dueDate { s["due"] = dueDate.description }
        if let spotCheck { s["spotCheck"] = spotCheck.rawValue }
        return s
    }
}

extension Hazard: Audited {
    static let auditEntity = "hazard"
    var auditID: String { number }
}

/// One step of a hazard: who did what when, the department concerned, and what he wrote.
final class HazardStep: Model, @unchecked Sendable {
    static let schema = "hazard_steps"

    @ID(key: .id) var id: UUID?
    @Field(key: "position") var position: Int
    @Enum(key: "action") var action: Action
    @Field(key: "actor") var actor: String
    @Field(key: "at") var at: Date
    @OptionalField(key: "department_code") var departmentCode: String?
    @OptionalField(key: "note") var note: String?
    @Parent(key: "hazard_id") var hazard: Hazard

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $position, $action, $actor, $at, $departmentCode, $note, $hazard] }

    init() {}

    enum Action: String, Codable, Sendable, CaseIterable {
        case reported, received, assigned, dismissed, acknowledged, forwarded, rectified, accepted, sentBack, spotCheckPassed, spotCheckFailed
    }
}

/// A photo of a hazard or of its rectification: stored sealed under a keyed name of its content.
final class HazardPhoto: Model, @unchecked Sendable {
    static let schema = "hazard_photos"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "sha256") var sha256: String
    @Enum(key: "kind") var kind: EvidenceKind
    @Field(key: "size") var size: Int
    /// When it was taken: at the report, the rectification or the acceptance.
    @Field(key: "stage") var stage: String
    @Field(key: "uploaded_by") var uploadedBy: String
    @Parent(key: "hazard_id") var hazard: Hazard

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $sha256, $kind, $size, $stage, $uploadedBy, $hazard] }

    init() {}
}
