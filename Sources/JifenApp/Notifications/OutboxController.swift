import Fluent
import JifenCore
import Vapor

/// `/admin/outbox`: the centre sees how texts are delivered — how many wait, are sent or failed —
/// and each failed or retried text with its last error, and sends a failed one again.
enum OutboxController {
    static let access: Access = .roles([.centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.outbox, access: access, use: page)
        routes.post(.outboxRetry(":id"), access: access, use: retry)
    }

    struct Count: Encodable { let status, label: String; let count: Int; let href: String; let current: Bool }
    struct Row: Encodable {
        let created, kind, recipient, status, attempts: String
        let nextAttempt, lastError, delivered: String?
        let retryAction: String?
    }
    struct Content: Encodable {
        let sender: String
        let counts: [Count]
        let rows: [Row]
        let pager: Pager
        let notice: String?
    }

    static let statuses = ["failed", "pending", "sending", "sent", "skipped"]

    static func page(_ req: Request) async throws -> Response {
        let show = req.query[String.self, at: "show"].flatMap { statuses.contains($0) ? $0 : nil } ?? "failed"
        var counts: [Count] = []
        for status in statuses {
            let n = try await OutboxMessage.query(on: req.db).filter(\.$status == status).count()
            counts.append(Count(status: status, label: req.text("outbox_status_" + status), count: n, href: SiteRoute.outbox.path + "?show=" + status, current: status == show))
        }
        let total = counts.first { $0.status == show }?.count ?? 0
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 50, total: total)
        let messages = try await OutboxMessage.query(on: req.db).filter(\.$status == show).sort(\.$createdAt, .descending).sort(\.$id)
            .range(paging.offset..<(paging.offset + paging.perPage)).all()
        let rows = messages.map { m in
            Row(created: ShanghaiTime.dateTime(m.createdAt), kind: m.kind, recipient: Mask.phone(m.recipient), status: req.text("outbox_status_" + m.status),
                attempts: String(m.attempts), nextAttempt: m.status == "pending" ? m.nextAttemptAt.map(ShanghaiTime.dateTime) : nil,
                lastError: m.lastError, delivered: m.deliveredAt.map(ShanghaiTime.dateTime),
                retryAction: m.status == "failed" ? SiteRoute.outboxRetry(m.id?.uuidString ?? "").path : nil)
        }
        let senders = [req.application.messageSender?.name, req.application.weChatSender?.name].compactMap { $0 }
        let content = Content(sender: senders.isEmpty ? req.text("outbox_no_sender") : senders.joined(separator: "、"), counts: counts, rows: rows,
                              pager: Pager(paging) { SiteRoute.outbox.path + "?show=\(show)&page=\($0)" },
                              notice: req.query[String.self, at: "retried"] != nil ? req.text("outbox_retried") : nil)
        return try await req.render("admin/admin-outbox", title: "outbox_title", content)
    }

    /// A failed text goes back to the queue with its tries counted afresh.
    static func retry(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self), let message = try await OutboxMessage.find(id, on: req.db) else { throw Abort(.notFound) }
        guard message.status == "failed" else { return req.redirect(to: SiteRoute.outbox.path) }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            message.status = "pending"
            message.attempts = 0
            message.nextAttemptAt = nil
            try await message.save(on: db)
            try await Audit.record("retry", entity: "outboxMessage", id: id.uuidString, after: ["kind": message.kind, "recipient": Mask.phone(message.recipient)],
                                   by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.outbox.path + "?show=failed&retried=1")
    }
}
