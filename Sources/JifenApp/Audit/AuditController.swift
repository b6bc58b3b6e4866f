import Fluent
import JifenCore
import Vapor

/// The audit log, filtered and paged, for center admins and auditors.
enum AuditController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.audit, access: .roles([.centerAdmin, .auditor]), use: list)
    }

    struct Filter: Equatable {
        var entity = ""
        var action = ""
        var actor = ""
        var from, to: Date?
        var page: Int?
    }

    struct Row: Encodable {
        let at, actor, action, entity, entityID, before, after: String
    }

    struct Content: Encodable {
        let fields: [FormField]
        let rows: [Row]
        let pager: Pager
        let action: String
    }

    /// The query on its own, so a test can call it without HTTP.
    static func fetch(_ filter: Filter, on db: any Database) async throws -> (entries: [AuditEntry], paging: Paging) {
        func base() -> QueryBuilder<AuditEntry> {
            let q = AuditEntry.query(on: db)
            if !filter.entity.isEmpty { q.filter(\.$entity == filter.entity) }
            if !filter.action.isEmpty { q.filter(\.$action == filter.action) }
            if !filter.actor.isEmpty { q.filter(\.$actorLogin == filter.actor) }
            if let from = filter.from { q.filter(\.$at >= from) }
            if let to = filter.to { q.filter(\.$at < to) }
            return q
        }
        let paging = Paging(page: filter.page, perPage: 50, total: try await base().count())
        let entries = try await base().sort(\.$at, .descending).sort(\.$id).range(paging.offset..<(paging.offset + paging.perPage)).all()
        return (entries, paging)
    }

    static func list(_ req: Request) async throws -> Response {
        /// The catalog's name for a code, or the code itself when the catalog has none.
        func name(_ prefix: String, _ code: String) -> String {
            req.application.catalog.entries[prefix + code] != nil ? req.text(prefix + code) + " (" + code + ")" : code
        }
        let fields = ["entity", "action", "actor", "from", "to"]
        var values: [String: String] = [:]
        for field in fields { values[field] = String((req.query[String.self, at: field] ?? "").trimmingCharacters(in: .whitespaces).prefix(64)) }
        var form = FormState(fields: fields, values: values)
        var filter = Filter(entity: values["entity"]!, action: values["action"]!, actor: values["actor"]!, page: req.query[Int.self, at: "page"])
        for field in ["from", "to"] where !(values[field] ?? "").isEmpty {
            guard let day = ShanghaiTime.startOfDay(values[field]!) else {
                form.fail(field, req.text("problem_date", ["field": req.text("field_" + field)]))
                continue
            }
            if field == "from" { filter.from = day } else { filter.to = day.addingTimeInterval(24 * 3600) }
        }
        let (entries, paging) = try await fetch(filter, on: req.db)
        func link(_ page: Int) -> String {
            var items = fields.compactMap { f in values[f].flatMap { $0.isEmpty ? nil : f + "=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } }
            items.append("page=\(page)")
            return SiteRoute.audit.path + "?" + items.joined(separator: "&")
        }
        let content = Content(
            fields: [
                form.field("entity", req.text("field_entity"), placeholder: "user"),
                form.field("action", req.text("field_action"), placeholder: "create"),
                form.field("actor", req.text("field_actor")),
                form.field("from", req.text("field_from"), .date),
                form.field("to", req.text("field_to"), .date),
            ],
            rows: entries.map {
                Row(at: ShanghaiTime.dateTime($0.at), actor: $0.actorLogin, action: name("audit_action_", $0.action), entity: name("audit_entity_", $0.entity),
                    entityID: $0.entityID, before: Self.shown($0.before), after: Self.shown($0.after))
            },
            pager: Pager(paging, link: link),
            action: SiteRoute.audit.path
        )
        return try await req.render("audit/audit", title: "audit_title", content, status: form.isValid ? .ok : .badRequest)
    }

    /// A snapshot as the page shows it: compact JSON with its keys in order.
    static func shown(_ snapshot: [String: String]?) -> String {
        guard let snapshot else { return "" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(snapshot)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
