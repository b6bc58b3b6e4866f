import Fluent
import JifenCore
import Vapor

/// Someone who lets or manages a rental house (出租房屋) and declares the people who move in and
/// out of it: its owner (房东), a sublandlord (二房东, 包租) who manages many houses, or an employer
/// whose collective dormitory it is (用工单位集体宿舍). He signs up like a citizen and asks to
/// manage a house; the grid worker of its grid confirms it before he may declare anyone.
final class HouseManager: Model, @unchecked Sendable {
    static let schema = "house_managers"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Enum(key: "kind") var kind: Kind
    /// His real name as he gave it (the grid worker checks it against the card).
    @Field(key: "name") var name: String
    /// The employer's name, for a dormitory.
    @OptionalField(key: "organisation") var organisation: String?
    @Enum(key: "status") var status: Status
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "reason") var reason: String?

    // relationships
    @Parent(key: "house_id") var house: RentalHouse
    @Parent(key: "user_id") var user: User

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $kind, $name, $organisation, $status, $decidedAt, $decidedBy, $reason, $house, $user] }

    init() {}

    enum Kind: String, Codable, Sendable, CaseIterable { case owner, sublandlord, employer }
    enum Status: String, Codable, Sendable, CaseIterable { case pending, confirmed, rejected, ended }

    /// How pages name him: the employer by its name, a person by his masked name.
    var shownName: String { organisation ?? Mask.name(name) }

    var auditSnapshot: [String: String] {
        var s = ["kind": kind.rawValue, "name": Mask.name(name), "status": status.rawValue]
        if let organisation { s["organisation"] = organisation }
        if let reason { s["reason"] = reason }
        return s
    }
}

extension HouseManager: Audited {
    static let auditEntity = "houseManager"
}
