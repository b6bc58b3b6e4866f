import Fluent
import JifenCore
import Vapor

/// The policy portal: anyone reads and searches the announcements, the policy documents with
/// their interpretation and the questions and answers, beside the year's calendar of the cycle;
/// the centre writes them.
enum PortalController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.policy, access: .anyone, use: index).cachedForVisitors()
        routes.get(.policyArticle(":id"), access: .anyone, use: article).cachedForVisitors()
        routes.get(.adminPolicy, access: .roles([.centerAdmin]), use: adminPage)
        routes.post(.adminPolicy, access: .roles([.centerAdmin]), use: add)
        routes.post(.adminPolicyDelete(":id"), access: .roles([.centerAdmin]), use: delete)
    }

    struct Row: Encodable { let href, kind, kindCode, title, date, summary: String; let deleteAction: String? }

    static func row(_ a: PortalArticle, _ req: Request, deletable: Bool = false) -> Row {
        Row(href: SiteRoute.policyArticle(a.id!.uuidString).path, kind: req.text("portal_kind_" + a.kind.rawValue), kindCode: a.kind.rawValue, title: a.title,
            date: ShanghaiTime.format(a.publishedAt, "yyyy-MM-dd"), summary: SafeMarkdown.summary(a.body),
            deleteAction: deletable ? SiteRoute.adminPolicyDelete(a.id!.uuidString).path : nil)
    }

    static func index(_ req: Request) async throws -> Response {
        let q = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        let kind = PortalArticle.Kind(rawValue: req.query[String.self, at: "kind"] ?? "")
        func base() -> QueryBuilder<PortalArticle> {
            let query = PortalArticle.query(on: req.db)
            if let kind { query.filter(\.$kind == kind) }
            if !q.isEmpty { query.group(.or) { $0.filter(\.$title ~~ q).filter(\.$body ~~ q).filter(\.$interpretation ~~ q) } }
            return query
        }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 20, total: try await base().count())
        let list = try await base().sort(\.$publishedAt, .descending).sort(\.$title).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let year = ShanghaiDate.today(req.now).year
        struct Content: Encodable {
            let q: String
            let kinds: [NavItem]
            let rows: [Row]
            let pager: Pager
            let calendar: [PolicyCalendar.Line]
            let calendarYear: Int
            let found: String?
        }
        let base = SiteRoute.policy.path
        func link(_ k: PortalArticle.Kind?) -> String {
            var parts: [String] = []
            if let k { parts.append("kind=" + k.rawValue) }
            if !q.isEmpty { parts.append("q=" + (q.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")) }
            return parts.isEmpty ? base : base + "?" + parts.joined(separator: "&")
        }
        let content = Content(
            q: q, kinds: [NavItem(label: req.text("portal_all"), href: link(nil), current: kind == nil)]
                + PortalArticle.Kind.allCases.map { NavItem(label: req.text("portal_kind_" + $0.rawValue), href: link($0), current: kind == $0) },
            rows: list.map { row($0, req) },
            pager: Pager(paging) { link(kind) + (link(kind).contains("?") ? "&" : "?") + "page=\($0)" },
            calendar: q.isEmpty && kind == nil ? try await PolicyCalendar.lines(year: year, on: req) : [], calendarYear: year,
            found: q.isEmpty ? nil : req.text("portal_found", ["n": String(paging.total), "q": q]))
        return try await req.render("services/policy", title: "portal_title", content)
    }

    static func article(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self), let a = try await PortalArticle.find(id, on: req.db) else { throw Abort(.notFound) }
        struct Content: Encodable { let title, kind, date, body: String; let interpretation: String?; let back: String }
        return try await req.render("services/policy-article", title: "portal_title", Content(
            title: a.title, kind: req.text("portal_kind_" + a.kind.rawValue), date: ShanghaiTime.format(a.publishedAt, "yyyy-MM-dd"),
            body: SafeMarkdown.html(a.body), interpretation: a.interpretation.isEmpty ? nil : SafeMarkdown.html(a.interpretation), back: SiteRoute.policy.path))
    }

    struct AdminContent: Encodable { let rows: [Row]; let fields: [FormField]; let action: String; let notice: String? }

    static func adminPage(_ req: Request) async throws -> Response { try await renderAdmin(req, form: nil) }

    static func renderAdmin(_ req: Request, form given: FormState?) async throws -> Response {
        let list = try await PortalArticle.query(on: req.db).sort(\.$publishedAt, .descending).limit(200).all()
        let form = given ?? FormState(fields: fields, values: ["kind": PortalArticle.Kind.announcement.rawValue])
        let content = AdminContent(
            rows: list.map { row($0, req, deletable: true) },
            fields: [
                form.field("kind", req.text("field_portal_kind"), .select, options: PortalArticle.Kind.allCases.map { ($0.rawValue, req.text("portal_kind_" + $0.rawValue)) }),
                form.field("title", req.text("field_portal_title"), maxLength: 100, required: true),
                form.field("body", req.text("field_portal_body"), .textarea, hint: req.text("portal_markdown_hint"), maxLength: 20_000, required: true, rows: 10),
                form.field("interpretation", req.text("field_portal_interpretation"), .textarea, hint: req.text("portal_interpretation_hint"), maxLength: 20_000, rows: 6),
            ],
            action: SiteRoute.adminPolicy.path, notice: req.query[String.self, at: "done"] != nil ? req.text("hazard_types_saved") : nil)
        return try await req.render("services/policy-admin", title: "portal_admin_title", content, status: given == nil ? .ok : .badRequest)
    }

    static let fields = ["kind", "title", "body", "interpretation"]
    struct AddForm: Decodable { var kind: String?, title: String?, body: String?, interpretation: String? }

    static func add(_ req: Request) async throws -> Response {
        let input = (try? req.content.decode(AddForm.self)) ?? AddForm()
        var form = FormState(fields: fields, values: ["kind": input.kind ?? "", "title": (input.title ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                                                      "body": (input.body ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                                                      "interpretation": (input.interpretation ?? "").trimmingCharacters(in: .whitespacesAndNewlines)])
        let kind = PortalArticle.Kind(rawValue: form.values["kind"]!)
        if kind == nil { form.fail("kind", req.text("problem_choose", ["field": req.text("field_portal_kind")])) }
        form.requireText("title", label: "field_portal_title", max: 100, on: req)
        form.requireText("body", label: "field_portal_body", max: 20_000, on: req)
        if form.values["interpretation"]!.count > 20_000 { form.fail("interpretation", req.text("problem_tooLong", ["field": req.text("field_portal_interpretation"), "max": "20000"])) }
        guard form.isValid, let kind else { return try await renderAdmin(req, form: form) }
        let article = PortalArticle()
        article.kind = kind
        article.title = form.values["title"]!
        article.body = form.values["body"]!
        article.interpretation = kind == .policy ? form.values["interpretation"]! : ""
        article.publishedAt = req.now
        article.updatedBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await article.create(on: db)
            try await Audit.record("create", entity: "portalArticle", id: article.id!.uuidString, after: ["kind": kind.rawValue, "title": article.title], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.adminPolicy.path + "?done=saved")
    }

    static func delete(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self), let article = try await PortalArticle.find(id, on: req.db) else { throw Abort(.notFound) }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await article.delete(on: db)
            try await Audit.record("delete", entity: "portalArticle", id: id.uuidString, before: ["kind": article.kind.rawValue, "title": article.title], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.adminPolicy.path + "?done=saved")
    }
}
