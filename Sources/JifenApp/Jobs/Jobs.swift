import Fluent
import Foundation
import SQLKit
import Vapor

/// Work that outlasts a request (DESIGN §4): a row in `jobs`, claimed by whichever app process's
/// worker gets it first (PostgreSQL: `FOR UPDATE SKIP LOCKED`), with its progress visible to
/// every process while it runs.
final class Job: Model, @unchecked Sendable {
    static let schema = "jobs"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "kind") var kind: String
    @Enum(key: "status") var status: Status
    /// What to do (for a feed import: the feed, the stored file, who asked).
    @Field(key: "payload") var payload: JobPayload
    @Field(key: "done") var done: Int
    @Field(key: "total") var total: Int
    @OptionalField(key: "result") var result: JobResult?
    @OptionalField(key: "error") var error: String?
    @OptionalField(key: "started_at") var startedAt: Date?
    @OptionalField(key: "finished_at") var finishedAt: Date?
    @Field(key: "created_by") var createdBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $kind, $status, $payload, $done, $total, $result, $error, $startedAt, $finishedAt, $createdBy] }

    init() {}

    enum Status: String, Codable, Sendable { case queued, running, done, failed }
}
enum JobWorker {
    /// Claims the oldest queued job, if any, so no other process takes it.
    static func claim(on db: any Database, now: Date) async throws -> Job? {
        let sql = db as! any SQLDatabase
        let lock = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
        struct Claimed: Decodable { let id: UUID }
        let claimed = try await sql.raw("""
            UPDATE jobs SET status = 'running', started_at = \(bind: now)
            WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at LIMIT 1\(unsafeRaw: lock))
            RETURNING id
            """).first(decoding: Claimed.self)
        guard let id = claimed?.id else { return nil }
        return try await Job.find(id, on: db)
    }

    /// What one turn of the worker did.
    enum Outcome: Equatable, Sendable { case idle, done, failed }

    /// Runs one queued job to its end and says how it ended: `.idle` when there was none,
    /// `.failed` when it threw or ended failed itself (a feed file with the wrong header).
    @discardableResult
    static func runOnce(_ app: Application) async throws -> Outcome {
        guard let job = try await claim(on: app.db, now: app.effects.now()) else { return .idle }
        do {
            switch job.kind {
            case FeedImportJob.kind: try await FeedImportJob.run(job, app: app)
            case SimulationController.kind: try await SimulationController.run(job, app: app)
            default: throw Abort(.internalServerError, reason: "unknown job kind \(job.kind)")
            }
        } catch {
            job.status = .failed
            job.error = String(describing: error).prefix(500).description
            job.finishedAt = app.effects.now()
            try await job.save(on: app.db)
            app.logger.error("job failed", metadata: ["job": .string(job.id?.uuidString ?? ""), "kind": .string(job.kind)])
            return .failed
        }
        return job.status == .done ? .done : .failed
    }

    /// The loop the server runs: a job when there is one, the texts that are due, a short sleep
    /// when there was nothing to do.
    static func start(_ app: Application) {
        let task = Task {
            while !Task.isCancelled {
                let outcome = (try? await runOnce(app)) ?? .idle
                await Reminders.runIfDue(app)
                let texts = (try? await OutboxDelivery.runOnce(app)) ?? (sent: 0, failed: 0)
                if outcome == .idle && texts.sent + texts.failed == 0 { try? await Task.sleep(nanoseconds: 1_000_000_000) }
            }
        }
        app.lifecycle.use(WorkerLifecycle(task: task))
    }

    struct WorkerLifecycle: LifecycleHandler {
        let task: Task<Void, Never>
        func shutdown(_ application: Application) { task.cancel() }
        /// The loop is stopped and waited for: it must not touch the application once it is gone.
        func shutdownAsync(_ application: Application) async {
            task.cancel()
            await task.value
        }
    }
}

/// `jifen worker [--once]`: runs queued jobs and delivers due texts on this machine, beside or instead of the servers'
/// own loops (any number of workers can share one PostgreSQL). `--once` runs what is queued now
/// and stops.
enum WorkerCommand: JifenCommand {
    static let name = "worker"
    static let usage = "jifen worker [--once]"
    static let needsApplication = true

    /// Prints `jobs run N` and `jobs failed M`; with `--once`, exits 1 when any failed.
    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        let signature = try Arguments(arguments, flags: ["--once", Arguments.demo])
        guard signature.positional.isEmpty else { throw CommandUsage(message: "多余的参数 / unexpected: \(signature.positional.joined(separator: " "))") }
        let app = try await migrated(app)
        var ran = 0, failed = 0, texts = 0
        while !Task.isCancelled {
            texts += try await OutboxDelivery.runOnce(app).sent
            switch try await JobWorker.runOnce(app) {
            case .done: ran += 1; continue
            case .failed: ran += 1; failed += 1; continue
            case .idle: break
            }
            if signature.has("--once") { break }
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
        io.output("jobs run \(ran)")
        io.output("jobs failed \(failed)")
        io.output("texts sent \(texts)")
        if failed > 0 { throw CommandFailure(description: "\(failed) 个任务失败 / \(failed) jobs failed") }
        return 0
    }
}
