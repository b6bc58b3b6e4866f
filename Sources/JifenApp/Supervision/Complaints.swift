import Fluent
import JifenCore
import Vapor

/// A citizen's complaint about how a town (its window) or a member department handled his case
/// (监督投诉, seed 004 art. 19): the centre investigates within 15 working days, records what it
/// found and the correction it ordered.
final class Complaint: Model, @unchecked Sendable {
    static let schema = "complaints"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    /// TS + date + six digits: what the citizen quotes.
    @Field(key: "number") var number: String
    @Enum(key: "unit_kind") var unitKind: UnitKind
    /// The town's jurisdiction code, or the department's code; its name as it was when filed.
    @Field(key: "unit_code") var unitCode: String
    @Field(key: "unit_name") var unitName: String
    /// The case it is about: a points application, a permit or a program application, by its number.
    @OptionalField(key: "case_ref") var caseRef: String?
    @Field(key: "content") var content: String
    @Enum(key: "status") var status: Status
    @Field(key: "due_date") var dueDate: CivilDate
    @OptionalField(key: "finding") var finding: String?
    /// What the centre ordered the unit to correct, when the complaint is upheld.
    @OptionalField(key: "correction") var correction: String?
    @OptionalField(key: "upheld") var upheld: Bool?
    @OptionalField(key: "concluded_at") var concludedAt: Date?
    @OptionalField(key: "concluded_by") var concludedBy: String?

    // relationships
    @Parent(key: "resident_id") var resident: Resident

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $number, $unitKind, $unitCode, $unitName, $caseRef, $content, $status, $dueDate, $finding, $correction, $upheld, $concludedAt, $concludedBy, $resident] }

    init() {}

    enum UnitKind: String, Codable, Sendable, CaseIterable { case town, department }
    enum Status: String, Codable, Sendable, CaseIterable { case open, concluded }

    func isOverdue(today: CivilDate) -> Bool { status == .open && dueDate < today }

    var auditSnapshot: [String: String] {
        var s = ["unit": unitKind.rawValue + ":" + unitCode, "status": status.rawValue, "due": dueDate.description]
        if let caseRef { s["case"] = caseRef }
        if let upheld { s["upheld"] = upheld ? "yes" : "no" }
        return s
    }
}

extension Complaint: Audited {
    static let auditEntity = "complaint"
    var auditID: String { number }
}

/// Filing and concluding complaints; pages and the API turn the outcomes into words.
struct ComplaintService: WorkflowService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    /// Working days the centre has (seed 004 art. 19 speaks of investigating and correcting; the
    /// review periods of the same regulation are 15 working days).
    static let workingDays = 15

    /// A unit the citizen may complain about: `town:320582-01` or `department:hrss`.
    struct Unit: Sendable, Equatable { let kind: Complaint.UnitKind; let code, name: String }

    /// The towns and the departments, as the form offers them.
    func units() async throws -> [Unit] {
        let towns = try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.town.rawValue).sort(\.$code).all()
        let departments = try await Department.query(on: db).sort(\.$code).all()
        return towns.map { Unit(kind: .town, code: $0.code, name: $0.name) } + departments.map { Unit(kind: .department, code: $0.code, name: $0.name) }
    }

    /// The numbers of the resident's cases: his points applications, permits and program applications.
    func cases(of resident: Resident) async throws -> [String] {
        let id = try resident.requireID()
        let points = try await PointsApplication.query(on: db).filter(\.$resident.$id == id).sort(\.$createdAt, .descending).all(\.$number)
        let permits = try await ResidencePermit.query(on: db).filter(\.$resident.$id == id).sort(\.$createdAt, .descending).all(\.$number)
        let services = try await ServiceApplication.query(on: db).filter(\.$resident.$id == id).sort(\.$createdAt, .descending).all(\.$number)
        return points + permits + services
    }

    struct Filing: Sendable { var unit = "", caseRef = "", content = "" }

    func file(_ input: Filing, by resident: Resident) async throws -> ServiceOutcome<Complaint> {
        let content = input.content.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: FieldProblems = []
        let unit = try await units().first { $0.kind.rawValue + ":" + $0.code == input.unit }
        if unit == nil { problems.add("unit", "problem_choose", label: "field_complaint_unit") }
        let cases = try await cases(of: resident)
        if !input.caseRef.isEmpty && !cases.contains(input.caseRef) { problems.add("caseRef", "problem_choose", label: "field_complaint_case") }
        if content.isEmpty { problems.add("content", "problem_required", label: "field_complaint_content") }
        else if content.count > 1000 { problems.add("content", "problem_tooLong", ["max": "1000"], label: "field_complaint_content") }
        guard problems.isEmpty, let unit else { return .refused(problems) }
        let complaint = Complaint()
        complaint.createdAt = now
        let db = self.db
        complaint.number = try await CaseNumbers.next("TS", app: app, now: now) { try await Complaint.query(on: db).filter(\.$number == $0).count() > 0 }
        complaint.unitKind = unit.kind
        complaint.unitCode = unit.code
        complaint.unitName = unit.name
        complaint.caseRef = input.caseRef.isEmpty ? nil : input.caseRef
        complaint.content = content
        complaint.status = .open
        complaint.dueDate = try await app.workingCalendar(on: db).adding(workingDays: Self.workingDays, to: today).date
        complaint.$resident.id = try resident.requireID()
        try await db.transaction { db in
            try await complaint.create(on: db)
            try await Audit.record("file", entity: Complaint.auditEntity, id: complaint.number, after: complaint.auditSnapshot, by: actor, at: now, on: db)
            try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger).notify(resident, kind: "complaintFiled",
                text("sms_complaint_filed", ["number": complaint.number, "date": ShanghaiDate.long(complaint.dueDate)]))
        }
        return .done(complaint)
    }

    /// The centre's conclusion: what it found and, when the complaint is upheld, the correction it
    /// ordered. The citizen is texted to read it.
    func conclude(_ complaint: Complaint, upheld: Bool?, finding rawFinding: String, correction rawCorrection: String) async throws -> ServiceOutcome<Complaint> {
        let finding = rawFinding.trimmingCharacters(in: .whitespacesAndNewlines), correction = rawCorrection.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: FieldProblems = []
        if complaint.status != .open { problems.add("finding", "complaint_already_concluded") }
        if upheld == nil { problems.add("upheld", "problem_choose", label: "field_complaint_upheld") }
        if finding.isEmpty { problems.add("finding", "problem_required", label: "field_complaint_finding") }
        else if finding.count > 1000 { problems.add("finding", "problem_tooLong", ["max": "1000"], label: "field_complaint_finding") }
        if upheld == true && correction.isEmpty { problems.add("correction", "problem_required", label: "field_complaint_correction") }
        else if correction.count > 1000 { problems.add("correction", "problem_tooLong", ["max": "1000"], label: "field_complaint_correction") }
        guard problems.isEmpty, let upheld else { return .refused(problems) }
        let resident = try await complaint.$resident.get(on: db)
        try await db.transaction { db in
            try await complaint.save("conclude", by: actor, at: now, on: db) {
                complaint.status = .concluded
                complaint.upheld = upheld
                complaint.finding = finding
                complaint.correction = upheld ? correction : nil
                complaint.concludedAt = now
                complaint.concludedBy = actor.login
            }
            try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger).notify(resident, kind: "complaintConcluded",
                text("sms_complaint_concluded", ["number": complaint.number]))
        }
        return .done(complaint)
    }
}
