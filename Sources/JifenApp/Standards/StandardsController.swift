import Fluent
import JifenCore
import Vapor

/// The versions of the scoring standard: list, readable table, new draft (upload or edit),
/// publication with an effective date, and the difference between two versions.
enum StandardsController {
    static let admin: Access = .roles([.centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.standards, access: .staff, use: list)
        routes.get(.standardNew, access: admin, use: newPage)
        routes.on(.POST, .standards, access: admin, body: .collect(maxSize: "2mb"), use: create)
        routes.get(.standardsDiff, access: .staff, use: diff)
        routes.get(.standard(":code"), access: .anyone, use: show).cachedForVisitors()
        routes.post(.standardPublish(":code"), access: admin, use: publish)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    // MARK: list

    struct ListRow: Encodable {
        let code, title, status: String
        let isDraft: Bool
        let effectiveFrom: String
        let inForce: Bool
        let href: String
        let diffHref: String?
    }

    struct ListContent: Encodable {
        let rows: [ListRow]
        let newLink: String?
        let today: String
    }

    static func list(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let versions = try await StandardVersion.query(on: req.db).sort(\.$effectiveFrom, .descending).sort(\.$code).all()
        // One version in force per series; a version is compared with its own series' current one.
        let current = Dictionary(try await StandardVersion.allInForce(on: today(req), on: req.db).map { ($0.0.series, $0.0.code) }, uniquingKeysWith: { a, _ in a })
        let rows = versions.map { v in
            ListRow(code: v.code, title: v.title, status: req.text("standard_status_" + v.status.rawValue), isDraft: v.status == .draft,
                    effectiveFrom: v.effectiveFrom.description, inForce: v.code == current[v.series], href: SiteRoute.standard(v.code).path,
                    diffHref: current[v.series].flatMap { $0 == v.code ? nil : SiteRoute.standardDiff(from: $0, to: v.code) })
        }
        return try await req.render("standards/standards", title: "standards_title",
                                    ListContent(rows: rows, newLink: user.role == .centerAdmin ? SiteRoute.standardNew.path : nil, today: today(req).description))
    }

    // MARK: the readable table

    struct ShowContent: Encodable {
        let table: StandardTable
        let status: String
        let isDraft, inForce, canPublish: Bool
        let publishAction: String
        let publishForm: FormState
        let editLink, estimateLink, listLink: String?
        /// The approval steps of a draft.
        let approvals: ApprovalsController.Checklist?
    }

    static func show(_ req: Request) async throws -> Response {
        try await showPage(req, publishForm: nil, status: .ok)
    }

    static func showPage(_ req: Request, publishForm: FormState?, approvalForm: FormState? = nil, status: HTTPStatus) async throws -> Response {
        guard let code = req.parameters.get("code"), let version = try await StandardVersion.find(code: code, on: req.db) else { throw Abort(.notFound) }
        let isAdmin = req.currentUser?.role == .centerAdmin
        // Drafts are for the affairs center only; everybody may read a published standard.
        if version.status == .draft && !isAdmin { throw Abort(.notFound) }
        let standard = try version.standard()
        let current = try await StandardVersion.inForce(on: today(req), series: version.series, on: req.db)?.0.code
        let form = publishForm ?? FormState(fields: ["effectiveFrom"], values: ["effectiveFrom": max(standard.effectiveFrom, today(req)).description])
        let content = ShowContent(
            table: try await StandardTable.make(standard, on: req), status: req.text("standard_status_" + version.status.rawValue),
            isDraft: version.status == .draft, inForce: current == version.code,
            canPublish: isAdmin && version.status == .draft, publishAction: SiteRoute.standardPublish(version.code).path, publishForm: form,
            editLink: isAdmin ? SiteRoute.standardNew.path + "?from=" + version.code : nil,
            estimateLink: current == version.code && version.series == ScoringStandard.generalSeries ? SiteRoute.estimate.path : nil,
            listLink: req.currentUser?.role.isStaff == true ? SiteRoute.standards.path : nil,
            approvals: isAdmin && version.status == .draft
                ? try await ApprovalsController.checklist(.standard, version.code, canRecord: true, form: approvalForm, on: req) : nil
        )
        return try await req.render("standards/standard", title: "standard_title", content, status: status)
    }

    // MARK: new draft

    struct NewContent: Encodable {
        let form: FormState
        let problems: [ProblemRow]
        let action: String
    }

    struct ProblemRow: Encodable {
        let line, field, message: String
    }

    struct NewForm: Content {
        var yaml: String?
        var file: File?
    }

    static func newPage(_ req: Request) async throws -> Response {
        var text = ""
        if let from = req.query[String.self, at: "from"], let version = try await StandardVersion.find(code: from, on: req.db) {
            text = version.yaml
        }
        return try await req.render("standards/standard-new", title: "standard_new_title",
                                    NewContent(form: FormState(fields: ["yaml"], values: ["yaml": text]), problems: [], action: SiteRoute.standards.path))
    }

    static func create(_ req: Request) async throws -> Response {
        let input = try req.content.decode(NewForm.self)
        var text = input.yaml ?? ""
        var form = FormState(fields: ["yaml"], values: ["yaml": text])
        if let file = input.file, file.data.readableBytes > 0 {
            guard let uploaded = file.data.getString(at: file.data.readerIndex, length: file.data.readableBytes) else {
                form.fail("yaml", req.text("standard_upload_not_utf8"))
                return try await req.render("standards/standard-new", title: "standard_new_title", NewContent(form: form, problems: [], action: SiteRoute.standards.path), status: .badRequest)
            }
            text = uploaded
            form.values["yaml"] = uploaded
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            form.fail("yaml", req.text("standard_yaml_required"))
            return try await req.render("standards/standard-new", title: "standard_new_title", NewContent(form: form, problems: [], action: SiteRoute.standards.path), status: .badRequest)
        }
        let standard: ScoringStandard
        switch StandardParser.parse(text) {
        case .failure(let failure):
            form.fail("yaml", req.text("standard_problems", ["count": String(failure.problems.count)]))
            let rows = failure.problems.map { ProblemRow(line: $0.line.map(String.init) ?? "—", field: $0.field, message: $0.message) }
            return try await req.render("standards/standard-new", title: "standard_new_title", NewContent(form: form, problems: rows, action: SiteRoute.standards.path), status: .badRequest)
        case .success(let s):
            standard = s
        }
        let now = req.now
        let actor = req.actor
        let yaml = text
        let existing = try await StandardVersion.find(code: standard.id, on: req.db)
        if let existing, existing.status == .published {
            form.fail("yaml", req.text("standard_published_locked", ["code": standard.id]))
            return try await req.render("standards/standard-new", title: "standard_new_title", NewContent(form: form, problems: [], action: SiteRoute.standards.path), status: .conflict)
        }
        try await req.db.transaction { db in
            if let existing {
                let changed = existing.yaml != yaml
                try await existing.save("update", by: actor, at: now, on: db) {
                    existing.title = standard.title
                    existing.series = standard.series
                    existing.effectiveFrom = standard.effectiveFrom
                    existing.yaml = yaml
                    existing.updatedAt = now
                }
                // The steps approved the text as it was: a changed text passes them again.
                if changed {
                    let approved = try await ApprovalRecord.done(.standard, standard.id, on: db)
                    for record in approved {
                        try await record.delete(on: db)
                        try await Audit.record("withdraw", entity: ApprovalRecord.auditEntity, id: record.auditID, before: record.auditSnapshot, by: actor, at: now, on: db)
                    }
                }
            } else {
                let version = StandardVersion(standard: standard, yaml: yaml, status: .draft, by: actor.login, at: now)
                try await version.create(on: db)
                try await Audit.record("create", entity: "scoringStandard", id: standard.id, after: version.auditSnapshot, by: actor, at: now, on: db)
            }
        }
        return req.redirect(to: SiteRoute.standard(standard.id).path)
    }

    // MARK: publish

    struct PublishForm: Decodable { var effectiveFrom: String? }

    static func publish(_ req: Request) async throws -> Response {
        guard let code = req.parameters.get("code"), let version = try await StandardVersion.find(code: code, on: req.db) else { throw Abort(.notFound) }
        let raw = (try req.content.decode(PublishForm.self).effectiveFrom ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["effectiveFrom"], values: ["effectiveFrom": raw])
        guard version.status == .draft else {
            form.fail("effectiveFrom", req.text("standard_published_locked", ["code": code]))
            return try await showPage(req, publishForm: form, status: .conflict)
        }
        guard let date = CivilDate(raw) else {
            form.fail("effectiveFrom", req.text("problem_date", ["field": req.text("field_effectiveFrom")]))
            return try await showPage(req, publishForm: form, status: .badRequest)
        }
        // A standard cannot reach back: scores already given stay as they were.
        if date < today(req) {
            form.fail("effectiveFrom", req.text("standard_not_in_past", ["today": today(req).description]))
            return try await showPage(req, publishForm: form, status: .badRequest)
        }
        let missing = try await ApprovalsController.missing(.standard, code, on: req)
        guard missing.isEmpty else {
            form.fail("effectiveFrom", ApprovalsController.refusal(missing, req))
            return try await showPage(req, publishForm: form, status: .conflict)
        }
        let now = req.now
        let actor = req.actor
        try await req.db.transaction { db in
            try await version.save("publish", by: actor, at: now, on: db) {
                version.status = .published
                version.effectiveFrom = date
                version.publishedAt = now
                version.publishedBy = actor.login
                version.updatedAt = now
            }
        }
        return req.redirect(to: SiteRoute.standard(code).path)
    }

    // MARK: diff

    struct DiffRow: Encodable {
        let kind, kindCode, entity, title: String
        let field, before, after: String?
    }

    struct DiffContent: Encodable {
        let from, to, fromTitle, toTitle: String
        let rows: [DiffRow]
        let versions: [String]
        let action: String
    }

    static func diff(_ req: Request) async throws -> Response {
        let versions = try await StandardVersion.query(on: req.db).sort(\.$effectiveFrom).all()
        let isAdmin = req.currentUser?.role == .centerAdmin
        let visible = versions.filter { isAdmin || $0.status == .published }
        guard let fromCode = req.query[String.self, at: "from"], let toCode = req.query[String.self, at: "to"],
              let from = visible.first(where: { $0.code == fromCode }), let to = visible.first(where: { $0.code == toCode })
        else { throw Abort(.notFound) }
        let old = try from.standard(), new = try to.standard()
        let rows = StandardDiff.compare(old, new).map { change in
            DiffRow(kind: req.text("diff_" + change.kind.rawValue), kindCode: change.kind.rawValue,
                    entity: req.text("diff_entity_" + change.entity), title: change.title,
                    field: change.field.map { req.application.catalog.entries["diff_field_" + $0] != nil ? req.text("diff_field_" + $0) : $0 },
                    before: change.before, after: change.after)
        }
        return try await req.render("standards/standard-diff", title: "diff_title",
                                    DiffContent(from: from.code, to: to.code, fromTitle: from.title, toTitle: to.title, rows: rows,
                                                versions: visible.map(\.code), action: SiteRoute.standardsDiff.path))
    }
}
