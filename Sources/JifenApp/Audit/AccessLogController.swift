import Fluent
import JifenCore
import Vapor

/// The access log: every view of a full ID number, every look-up by ID number and every view of
/// a minor's record — who, when, which record, from which page and address. Auditors and center
/// admins read it, filtered and paged, or download it as CSV.
enum AccessLogController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.accessLog, access: .roles([.centerAdmin, .auditor]), use: list)
    }

    struct Filter: Equatable {
        var actor = ""
        var entity = ""
        var field = ""
        var from, to: Date?
        var page: Int?
    }

    struct Row: Encodable {
        let at, actor, role, entity, entityID, field, purpose, address: String
    }

    struct Content: Encodable {
        let fields: [FormField]
        let rows: [Row]
        let pager: Pager
        let action, csvLink: String
    }

    static func base(_ filter: Filter, on db: any Database) -> QueryBuilder<AccessLogEntry> {
        let q = AccessLogEntry.query(on: db)
        if !filter.actor.isEmpty { q.filter(\.$actorLogin == filter.actor) }
        if !filter.entity.isEmpty { q.filter(\.$entity == filter.entity) }
        if !filter.field.isEmpty { q.filter(\.$field == filter.field) }
        if let from = filter.from { q.filter(\.$at >= from) }
        if let to = filter.to { q.filter(\.$at < to) }
        return q
    }

    /// The most rows one CSV download carries (narrow the dates for more).
    static let csvLimit = 50_000

    static func list(_ req: Request) async throws -> Response {
        let names = ["actor", "entity", "field", "from", "to"]
        var values: [String: String] = [:]
        for name in names { values[name] = String((req.query[String.self, at: name] ?? "").trimmingCharacters(in: .whitespaces).prefix(64)) }
        var form = FormState(fields: names, values: values)
        var filter = Filter(actor: values["actor"]!, entity: values["entity"]!, field: values["field"]!, page: req.query[Int.self, at: "page"])
        for name in ["from", "to"] where !(values[name] ?? "").isEmpty {
            guard let day = ShanghaiTime.startOfDay(values[name]!) else {
                form.fail(name, req.text("problem_date", ["field": req.text("field_" + name)]))
                continue
            }
            if name == "from" { filter.from = day } else { filter.to = day.addingTimeInterval(24 * 3600) }
        }
        func query(_ extra: [String]) -> String {
            let items = names.compactMap { n in values[n].flatMap { $0.isEmpty ? nil : n + "=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } }
            return SiteRoute.accessLog.path + "?" + (items + extra).joined(separator: "&")
        }
        func row(_ e: AccessLogEntry) -> Row {
            Row(at: ShanghaiTime.dateTime(e.at), actor: e.actorLogin, role: req.text("role_" + e.role), entity: e.entity, entityID: e.entityID,
                field: req.application.catalog.entries["access_field_" + e.field] != nil ? req.text("access_field_" + e.field) : e.field,
                purpose: e.purpose, address: e.address ?? "")
        }
        if form.isValid, req.query[String.self, at: "format"] == "csv" {
            let entries = try await base(filter, on: req.db).sort(\.$at, .descending).sort(\.$id).limit(csvLimit).all()
            let header = ["at", "actor", "role", "entity", "entityID", "field", "page", "address"].map { req.text("access_col_" + $0) }
            let rows = entries.map(row).map { [$0.at, $0.actor, $0.role, $0.entity, $0.entityID, $0.field, $0.purpose, $0.address] }
            try await Audit.record("exportAccessLog", entity: "accessLog", id: "csv", after: ["rows": String(rows.count)], by: req.actor, at: req.now, on: req.db)
            return CSVExport.response(filename: "access-log.csv", header: header, rows: rows)
        }
        let paging = Paging(page: filter.page, perPage: 50, total: try await base(filter, on: req.db).count())
        let entries = try await base(filter, on: req.db).sort(\.$at, .descending).sort(\.$id).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let content = Content(
            fields: [
                form.field("actor", req.text("field_actor")),
                form.field("entity", req.text("field_entity"), placeholder: "resident"),
                form.field("field", req.text("access_col_field"), placeholder: "idNumber"),
                form.field("from", req.text("field_from"), .date),
                form.field("to", req.text("field_to"), .date),
            ],
            rows: entries.map(row),
            pager: Pager(paging) { query(["page=\($0)"]) },
            action: SiteRoute.accessLog.path,
            csvLink: query(["format=csv"])
        )
        return try await req.render("audit/access", title: "access_title", content, status: form.isValid ? .ok : .badRequest)
    }
}
