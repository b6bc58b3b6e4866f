import Fluent
import Vapor

/// A member department (成员部门) that reviews the points items it is responsible for.
final class Department: Model, @unchecked Sendable {
    static let schema = "departments"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String

    init() {}

    init(id: UUID? = nil, code: String, name: String) {
        self.id = id
        self.code = code
        self.name = name
    }
}
