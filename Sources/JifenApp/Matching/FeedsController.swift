import Crypto
import Fluent
import JifenCore
import Vapor

/// A feed import queued from the web: the file is stored under the data directory by its hash;
/// the worker imports it and writes progress to the job row.
enum FeedImportJob {
    static let kind = "feedImport"

    struct Payload: Codable, Sendable, Equatable {
        let feed, file, filename: String
        let actorID: UUID?
        let actorLogin: String
    }

    /// What an import found: rows read, added, changed, unchanged; the refused rows (the first
    /// 500) with their reasons; archives adjusted after it; or the header's problem.
    struct Result: Codable, Sendable, Equatable {
        struct Problem: Codable, Sendable, Equatable { let line: Int; let reason: String }
        var encoding: String
        var rows, added, changed, unchanged, refused: Int
        var header: String?
        var adjusted: Int?
        var problems: [Problem]
    }

    static func run(_ job: Job, app: Application) async throws {
        guard case .feedImport(let payload) = job.payload else { throw Abort(.internalServerError, reason: "not a feed import") }
        guard let kind = FeedKind(rawValue: payload.feed),
              let data = try SealedFiles(app, folder: "uploads").read(payload.file) else { throw Abort(.internalServerError, reason: "feed file missing") }
        let now = app.effects.now()
        let db = app.db
        let summary = try await FeedImporter.run(kind: kind, bytes: Array(data), filename: payload.filename,
                                                 by: Actor(id: payload.actorID, login: payload.actorLogin, address: nil),
                                                 app: app, db: db, today: ShanghaiDate.today(now), now: now) { done, total in
            job.done = done
            job.total = total
            try await job.save(on: db)
        }
        var result = Result(encoding: summary.encoding, rows: summary.rows, added: summary.added, changed: summary.changed, unchanged: summary.unchanged,
                            refused: summary.problems.count, header: summary.headerProblem, adjusted: nil,
                            problems: summary.problems.prefix(500).map { Result.Problem(line: $0.line, reason: $0.reason) })
        if summary.headerProblem == nil {
            // Points archives that the feed covers follow the new records (动态调整).
            result.adjusted = try await PointsService(app: app, db: db, now: app.effects.now(), actor: .system, logger: app.logger).refresh(afterFeed: kind.rawValue)
        }
        job.result = .feedImport(result)
        job.status = summary.headerProblem == nil ? .done : .failed
        job.error = summary.headerProblem
        job.finishedAt = app.effects.now()
        try await job.save(on: db)
    }

}

enum FeedsController {
    static let access: Access = .roles([.departmentReviewer, .centerAdmin])

    /// The department whose feed each is (their reviewers may import it).
    static let department: [FeedKind: String] = [
        .socialInsurance: "hrss", .tax: "tax", .bloodDonation: "redcross", .volunteerHours: "civil", .military: "veterans",
    ]

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.feeds, access: access, use: page)
        routes.on(.POST, .feeds, access: access, body: .collect(maxSize: "100mb"), use: upload)
        routes.get(.feedJob(":id"), access: access, use: job)
    }

    static func allowed(_ user: CurrentUser) async throws -> [FeedKind] {
        if user.role == .centerAdmin { return FeedKind.allCases }
        return FeedKind.allCases.filter { kind in
            guard let code = department[kind] else { return false }
            return user.departmentCode == code
        }
    }

    struct Recent: Encodable { let href: String; let feed: String; let status: String; let at: String; let progress: String }

    struct Content: Encodable {
        let feeds, layouts: [SelectOption]
        let form: FormState
        let recent: [Recent]
        let action: String
    }

    static func content(_ req: Request, form: FormState) async throws -> Content {
        let user = try req.requireUser()
        let kinds = try await allowed(user)
        let jobs = try await Job.query(on: req.db).filter(\.$kind == FeedImportJob.kind).filter(\.$createdBy == user.login)
            .sort(\.$createdAt, .descending).limit(10).all()
        return Content(
            feeds: kinds.map { SelectOption(value: $0.rawValue, label: req.text("feed_" + $0.rawValue), selected: form.values["feed"] == $0.rawValue) },
            layouts: kinds.map { SelectOption(value: req.text("feed_" + $0.rawValue), label: $0.columns.joined(separator: ", "), selected: false) },
            form: form,
            recent: jobs.map { Recent(href: SiteRoute.feedJob($0.id?.uuidString ?? "").path, feed: $0.payload.feedImport?.filename ?? "",
                                      status: req.text("job_" + $0.status.rawValue), at: ShanghaiTime.dateTime($0.createdAt), progress: "\($0.done)/\($0.total)") },
            action: SiteRoute.feeds.path
        )
    }

    static func page(_ req: Request) async throws -> Response {
        try await req.render("matching/feeds", title: "feeds_title", try await content(req, form: FormState(fields: ["feed", "file"])))
    }

    struct Form: Vapor.Content { var feed: String?; var file: File? }

    static func upload(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let input = try req.content.decode(Form.self)
        var form = FormState(fields: ["feed", "file"], values: ["feed": input.feed ?? ""])
        let kinds = try await allowed(user)
        let kind = FeedKind(rawValue: input.feed ?? "")
        if kind == nil || !kinds.contains(kind!) { form.fail("feed", req.text("problem_choose", ["field": req.text("field_feed")])) }
        let bytes = input.file.map { Array($0.data.readableBytesView) } ?? []
        if bytes.isEmpty { form.fail("file", req.text("feeds_file_required")) }
        else if FeedReader.decode(Array(bytes.prefix(65_536))) == nil && FeedReader.decode(bytes) == nil {
            form.fail("file", req.text("feeds_not_text"))
        }
        guard form.isValid, let kind else {
            return try await req.render("matching/feeds", title: "feeds_title", try await content(req, form: form), status: .badRequest)
        }
        // Stored sealed, named by a keyed hash of the content: the same file twice is one file.
        let sha = hex(SHA256.hash(data: Data(bytes)))
        let name = try SealedFiles(req.application, folder: "uploads").store(bytes, sha256: sha)
        let job = Job()
        job.createdAt = req.now
        job.kind = FeedImportJob.kind
        job.status = .queued
        job.done = 0
        job.total = 0
        job.createdBy = user.login
        let filename = input.file?.filename ?? "feed.csv"
        job.payload = .feedImport(FeedImportJob.Payload(feed: kind.rawValue, file: name, filename: String(filename.suffix(120)),
                                                        actorID: user.id, actorLogin: user.login))
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await job.create(on: db)
            try await Audit.record("queue", entity: "feedImport", id: try job.requireID().uuidString, after: ["feed": kind.rawValue, "file": filename, "sha256": sha],
                                   by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.feedJob(job.id!.uuidString).path)
    }

    struct Problem: Encodable { let line: String; let reason: String }

    struct JobContent: Encodable {
        let status: String
        let running: Bool
        let done, total, percent: Int
        let result: [String: String]
        let problems: [Problem]
        let error: String?
        let back: String
    }

    static func job(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let job = try await Job.find(id, on: req.db), job.kind == FeedImportJob.kind,
              job.createdBy == user.login || user.role == .centerAdmin
        else { throw Abort(.notFound) }
        let found = job.result?.feedImport
        var result: [String: String] = [:]
        if let found {
            result = ["encoding": found.encoding, "rows": String(found.rows), "added": String(found.added), "changed": String(found.changed),
                      "unchanged": String(found.unchanged), "refused": String(found.refused)]
            result["adjusted"] = found.adjusted.map(String.init)
        }
        let problems = (found?.problems ?? []).map { Problem(line: String($0.line), reason: $0.reason) }
        let running = job.status == .queued || job.status == .running
        let content = JobContent(status: req.text("job_" + job.status.rawValue), running: running, done: job.done, total: job.total,
                                 percent: job.total > 0 ? job.done * 100 / job.total : 0, result: result,
                                 problems: problems, error: job.error, back: SiteRoute.feeds.path)
        let response = try await req.render("matching/feed-job", title: "feeds_title", content)
        // While it runs, the page reloads itself every two seconds: progress without JavaScript.
        if running { response.headers.replaceOrAdd(name: "Refresh", value: "2") }
        return response
    }
}
