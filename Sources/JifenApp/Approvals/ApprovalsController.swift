import Fluent
import JifenCore
import Vapor

/// The approval steps of a draft standard (on its page) and of a program's quotas (on the
/// program's page): each recorded with its date, body and document; publishing is refused until
/// all the jurisdiction requires are done.
enum ApprovalsController {
    static func register(_ routes: any RoutesBuilder) {
        routes.post(.standardApprovals(":code"), access: StandardsController.admin, use: recordForStandard)
        routes.post(.programApprovals(":code"), access: ProgramsController.organisers, use: recordForQuota)
    }

    static let fields = ["step", "doneOn", "body", "document"]

    struct Row: Encodable {
        let step, label: String
        let done: Bool
        let doneOn, body, document: String?
        let consultationHref: String?
    }

    /// The checklist a page shows: every required step, done or not, and the form for the next.
    struct Checklist: Encodable {
        let rows: [Row]
        let missing: Int
        let canRecord: Bool
        let action: String
        let form: FormState
        let fields: [FormField]
    }

    static func required(_ subject: ApprovalStep.Subject, _ app: Application) -> [ApprovalStep] {
        subject == .standard ? app.jifenConfig.standardApprovals : app.jifenConfig.quotaApprovals
    }

    /// The required steps not yet recorded for `code`.
    static func missing(_ subject: ApprovalStep.Subject, _ code: String, on req: Request) async throws -> [ApprovalStep] {
        let done = Set(try await ApprovalRecord.done(subject, code, on: req.db).map(\.step))
        return ApprovalStep.missing(required: required(subject, req.application), done: done)
    }

    /// "尚未完成：合法性审查、政府批准" in the reader's language.
    static func refusal(_ missing: [ApprovalStep], _ req: Request) -> String {
        req.text("approval_missing", ["steps": missing.map { req.text("approval_step_" + $0.rawValue) }.joined(separator: req.language == .en ? ", " : "、")])
    }

    static func checklist(_ subject: ApprovalStep.Subject, _ code: String, canRecord: Bool, form: FormState?, on req: Request) async throws -> Checklist {
        let records = Dictionary(try await ApprovalRecord.done(subject, code, on: req.db).map { ($0.step, $0) }, uniquingKeysWith: { a, _ in a })
        let steps = required(subject, req.application)
        let rows = steps.map { step in
            let r = records[step]
            return Row(step: step.rawValue, label: req.text("approval_step_" + step.rawValue), done: r != nil,
                       doneOn: r.map { ShanghaiDate.long($0.doneOn, req.language) }, body: r?.body, document: r?.document,
                       consultationHref: r?.consultationCode.map { SiteRoute.consultation($0).path })
        }
        let next = steps.first { records[$0] == nil }
        let form = form ?? FormState(fields: fields, values: ["step": next?.rawValue ?? "", "doneOn": ShanghaiDate.today(req.now).description])
        let open = steps.filter { records[$0] == nil }
        return Checklist(
            rows: rows, missing: open.count, canRecord: canRecord && !open.isEmpty,
            action: (subject == .standard ? SiteRoute.standardApprovals(code) : SiteRoute.programApprovals(code)).path, form: form,
            fields: [
                form.field("step", req.text("field_approval_step"), .select, options: open.map { ($0.rawValue, req.text("approval_step_" + $0.rawValue)) }, idPrefix: "ap-"),
                form.field("doneOn", req.text("field_approval_doneOn"), .date, idPrefix: "ap-"),
                form.field("body", req.text("field_approval_body"), hint: req.text("approval_body_hint"), maxLength: 80, idPrefix: "ap-"),
                form.field("document", req.text("field_approval_document"), hint: req.text("approval_document_hint"), maxLength: 120, idPrefix: "ap-"),
            ])
    }

    static func recordForStandard(_ req: Request) async throws -> Response {
        guard let code = req.parameters.get("code"), let version = try await StandardVersion.find(code: code, on: req.db) else { throw Abort(.notFound) }
        return try await record(.standard, code, open: version.status == .draft, on: req) { form in
            try await StandardsController.showPage(req, publishForm: nil, approvalForm: form, status: .badRequest)
        }
    }

    static func recordForQuota(_ req: Request) async throws -> Response {
        let program = try await ProgramsController.find(req)
        return try await record(.quota, program.code, open: program.quotaPublishedAt == nil, on: req) { form in
            try await ProgramsController.page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [], approvalForm: form, status: .badRequest)
        }
    }

    /// Records one step; a refused form is shown again on its page by `refused`.
    static func record(_ subject: ApprovalStep.Subject, _ code: String, open: Bool, on req: Request,
                       refused: (FormState) async throws -> Response) async throws -> Response {
        let back = (subject == .standard ? SiteRoute.standard(code) : SiteRoute.program(code)).path
        guard open else { return req.redirect(to: back) }
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        var form = FormState(fields: fields, values: Dictionary(uniqueKeysWithValues: fields.map { ($0, (input[$0] ?? "").trimmingCharacters(in: .whitespaces)) }))
        let step = ApprovalStep(rawValue: form.values["step"] ?? "")
        if step == nil || !required(subject, req.application).contains(step!) {
            form.fail("step", req.text("problem_choose", ["field": req.text("field_approval_step")]))
        } else if try await ApprovalRecord.done(subject, code, on: req.db).contains(where: { $0.step == step }) {
            form.fail("step", req.text("approval_step_done"))
        }
        let doneOn = CivilDate(form.values["doneOn"] ?? "")
        if doneOn == nil { form.fail("doneOn", req.text("problem_date", ["field": req.text("field_approval_doneOn")])) }
        else if doneOn! > ShanghaiDate.today(req.now) { form.fail("doneOn", req.text("approval_not_future")) }
        form.requireText("body", label: "field_approval_body", max: 80, on: req)
        form.requireText("document", label: "field_approval_document", max: 120, on: req)
        let body = form.values["body"] ?? "", document = form.values["document"] ?? ""
        // A public consultation held in Jifen is linked by its code, and must have closed.
        var consultation: String?
        if step == .publicConsultation, let held = try await Consultation.query(on: req.db).filter(\.$code == document).first() {
            if held.closes >= ShanghaiDate.today(req.now) { form.fail("document", req.text("approval_consultation_open", ["date": ShanghaiDate.long(held.closes, req.language)])) }
            consultation = held.code
        }
        guard form.isValid, let step, let doneOn else { return try await refused(form) }
        let record = ApprovalRecord()
        record.recordedAt = req.now
        record.subject = subject
        record.subjectCode = code
        record.step = step
        record.doneOn = doneOn
        record.body = body
        record.document = document
        record.consultationCode = consultation
        record.recordedBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await record.create(on: db)
            try await Audit.record("record", entity: ApprovalRecord.auditEntity, id: record.auditID, after: record.auditSnapshot, by: actor, at: now, on: db)
        }
        return req.redirect(to: back + "#approvals")
    }
}
