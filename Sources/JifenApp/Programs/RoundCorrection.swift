import Fluent
import Foundation
import JifenCore
import SQLKit

/// A correction of a published round after an objection (更正): whose frozen points were
/// corrected, from what to what, why, by whom and when; and the results it changed.
final class RoundCorrection: Model, @unchecked Sendable {
    static let schema = "round_corrections"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date

    // data fields
    @Field(key: "by") var by: String
    /// The corrected application.
    @Field(key: "number") var number: String
    /// Hundredths of a point.
    @Field(key: "points_before") var pointsBefore: Int64
    @Field(key: "points_after") var pointsAfter: Int64
    @Field(key: "reason") var reason: String

    // relationships
    @Parent(key: "round_id") var round: AllocationRound
    @Children(for: \.$correction) var changes: [CorrectionChange]

    init() {}
}

/// One result a correction changed: the application and its school before and after (nil: not placed).
final class CorrectionChange: Model, @unchecked Sendable {
    static let schema = "correction_changes"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    /// The order in which the round lists them (its priority order).
    @Field(key: "position") var position: Int
    @Field(key: "number") var number: String
    @OptionalField(key: "school_before") var schoolBefore: String?
    @OptionalField(key: "school_after") var schoolAfter: String?

    // relationships
    @Parent(key: "correction_id") var correction: RoundCorrection

    init() {}

    init(correction: UUID, position: Int, number: String, before: String?, after: String?) {
        self.$correction.id = correction
        self.position = position
        self.number = number
        self.schoolBefore = before
        self.schoolAfter = after
    }
}
