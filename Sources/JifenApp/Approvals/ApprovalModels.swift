import Fluent
import JifenCore
import Vapor

/// One approval step a draft standard or a program's quotas passed: when, by which body, with
/// which document. Publishing is refused until every step the jurisdiction requires is here.
final class ApprovalRecord: Model, @unchecked Sendable {
    static let schema = "approval_records"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "recorded_at") var recordedAt: Date

    // data fields
    @Enum(key: "subject") var subject: ApprovalStep.Subject
    /// The standard's code, or the program's code for its quotas.
    @Field(key: "subject_code") var subjectCode: String
    @Enum(key: "step") var step: ApprovalStep
    @Field(key: "done_on") var doneOn: CivilDate
    /// The body that did it (市司法局, 专家组, 市政府常务会议…).
    @Field(key: "body") var body: String
    /// The document's number or title (会议纪要、审查意见书文号…).
    @Field(key: "document") var document: String
    /// The Jifen consultation a public consultation ran as.
    @OptionalField(key: "consultation_code") var consultationCode: String?
    @Field(key: "recorded_by") var recordedBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $recordedAt, $subject, $subjectCode, $step, $doneOn, $body, $document, $consultationCode, $recordedBy] }

    init() {}

    /// The steps recorded for one subject.
    static func done(_ subject: ApprovalStep.Subject, _ code: String, on db: any Database) async throws -> [ApprovalRecord] {
        try await query(on: db).filter(\.$subject == subject).filter(\.$subjectCode == code).all()
    }
}

extension ApprovalRecord: Audited {
    static let auditEntity = "approval"
    var auditID: String { subject.rawValue + ":" + subjectCode + ":" + step.rawValue }
    var auditSnapshot: [String: String] {
        var s = ["step": step.rawValue, "doneOn": doneOn.description, "body": body, "document": document]
        if let consultationCode { s["consultation"] = consultationCode }
        return s
    }
}
