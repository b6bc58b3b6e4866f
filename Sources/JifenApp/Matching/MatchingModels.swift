import Fluent
import Vapor
import JifenCore

/// One row of a department's feed as stored: keyed by the keyed hash of the ID number (the
/// number itself is not needed to match, so it is not kept), one quantity as of one date.
final class FeedRecordModel: Model, @unchecked Sendable {
    static let schema = "feed_records"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "updated_at") var updatedAt: Date

    // data fields
    @Field(key: "feed") var feed: String
    @Field(key: "id_hash") var idHash: String
    @Field(key: "id_masked") var idMasked: String
    @Field(key: "as_of") var asOf: CivilDate
    /// Hundredths, as `Decimal2` keeps them.
    @Field(key: "quantity") var quantity: Int64
    @Field(key: "import_id") var importID: UUID

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $updatedAt, $feed, $idHash, $idMasked, $asOf, $quantity, $importID] }

    init() {}
}

/// One import of a feed file: what came in and what it changed.
final class FeedImportModel: Model, @unchecked Sendable {
    static let schema = "feed_imports"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "feed") var feed: String
    @Field(key: "filename") var filename: String
    @Field(key: "sha256") var sha256: String
    @Field(key: "encoding") var encoding: String
    @Field(key: "rows") var rows: Int
    @Field(key: "added") var added: Int
    @Field(key: "changed") var changed: Int
    @Field(key: "unchanged") var unchanged: Int
    @Field(key: "refused") var refused: Int
    @Field(key: "created_by") var createdBy: String

    /// The refused rows with their reasons.
    @Children(for: \.$feedImport) var problems: [FeedImportProblem]

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $feed, $filename, $sha256, $encoding, $rows, $added, $changed, $unchanged, $refused, $createdBy, $problems] }

    init() {}
}

/// A row of a feed file that was refused, and why.
final class FeedImportProblem: Model, @unchecked Sendable {
    static let schema = "feed_import_problems"

    @ID(key: .id) var id: UUID?
    @Field(key: "line") var line: Int
    @Field(key: "reason") var reason: String
    @Parent(key: "import_id") var feedImport: FeedImportModel

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $line, $reason, $feedImport] }

    init() {}

    init(feedImport: UUID, line: Int, reason: String) {
        self.$feedImport.id = feedImport
        self.line = line
        self.reason = reason
    }
}
