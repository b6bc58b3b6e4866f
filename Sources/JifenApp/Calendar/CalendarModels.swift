import Fluent
import Vapor
import JifenCore

/// One year of holidays and adjusted working days entered by an admin, in the YAML form of the
/// shipped calendar. It takes precedence over a shipped year.
final class CalendarYear: Model, @unchecked Sendable {
    static let schema = "calendar_years"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "updated_at") var updatedAt: Date

    // data fields
    @Field(key: "year") var year: Int
    @Field(key: "yaml") var yaml: String
    @Field(key: "updated_by") var updatedBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $updatedAt, $year, $yaml, $updatedBy] }

    init() {}
}
