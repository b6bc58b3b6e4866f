import Fluent
import Vapor
import JifenCore

/// A node of city → town/district → community → grid. Staff accounts and records belong to one.
final class Jurisdiction: Model, @unchecked Sendable {
    static let schema = "jurisdictions"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "level") var level: String
    @OptionalParent(key: "parent_id") var parent: Jurisdiction?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $code, $name, $level, $parent] }

    init() {}

    init(id: UUID? = nil, code: JurisdictionCode, name: String, parentID: UUID?) {
        self.id = id
        self.code = code.rawValue
        self.name = name
        self.level = code.level.rawValue
        self.$parent.id = parentID
    }

    var jurisdictionCode: JurisdictionCode? { JurisdictionCode(code) }
}

extension Jurisdiction {
    static func find(code: String, on db: any Database) async throws -> Jurisdiction? {
        try await query(on: db).filter(\.$code == code).first()
    }

    /// This node and everything under it.
    static func within(_ scope: JurisdictionCode, on db: any Database) -> QueryBuilder<Jurisdiction> {
        query(on: db).group(.or) { $0.filter(\.$code == scope.rawValue).filter(\.$code, .custom("LIKE"), scope.rawValue + "-%") }
    }
}

/// A member department (成员部门) that reviews the points items it is responsible for.
final class Department: Model, @unchecked Sendable {
    static let schema = "departments"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $code, $name] }

    init() {}

    init(id: UUID? = nil, code: String, name: String) {
        self.id = id
        self.code = code
        self.name = name
    }
}
