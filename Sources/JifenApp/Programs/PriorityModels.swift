import Fluent
import JifenCore
import Vapor

/// A priority group (优先/优待) of a program: children of active servicemen, of fire and rescue
/// personnel, of named talents… Membership is proven by evidence the named department verifies;
/// members are placed ahead of the points order, or within it with a bonus.
final class PriorityGroup: Model, @unchecked Sendable {
    static let schema = "priority_groups"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "title") var title: String
    /// The member department (code) that verifies the evidence.
    @Field(key: "department") var department: String
    @Enum(key: "placement") var placement: Placement
    /// Hundredths of a point added when `placement` is `bonus`.
    @Field(key: "bonus") var bonus: Int64
    @Parent(key: "program_id") var program: Program

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $code, $title, $department, $placement, $bonus, $program] }

    enum Placement: String, Codable, Sendable, CaseIterable {
        /// Ahead of everyone outside a priority group, in points order among themselves.
        case ahead
        /// Within the points order, with `bonus` points added.
        case bonus
    }

    init() {}
}

/// A parent's claim that his application belongs to a priority group, and its verification.
final class PriorityClaim: Model, @unchecked Sendable {
    static let schema = "priority_claims"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    /// What proves it (证件名称及编号), as the parent gave it.
    @Field(key: "evidence") var evidence: String
    @Enum(key: "state") var state: State
    @OptionalField(key: "reason") var reason: String?
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?

    // relationships
    @Parent(key: "application_id") var application: ServiceApplication
    @Parent(key: "group_id") var group: PriorityGroup

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $evidence, $state, $reason, $decidedBy, $decidedAt, $application, $group] }

    enum State: String, Codable, Sendable, CaseIterable { case claimed, verified, rejected }

    init() {}
}

extension PriorityClaim: Audited {
    static let auditEntity = "priorityClaim"
    var auditSnapshot: [String: String] {
        var s = ["state": state.rawValue, "group": $group.id.uuidString]
        if let reason { s["reason"] = reason }
        return s
    }
}
