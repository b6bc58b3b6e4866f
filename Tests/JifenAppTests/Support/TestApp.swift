import Fluent
import Foundation
@testable import JifenApp
import JifenCore
import NIOConcurrencyHelpers
import SQLKit
import XCTVapor

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let value: NIOLockedValueBox<Date>
    init(_ start: Date) { value = .init(start) }
    var now: Date { value.withLockedValue { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
}

/// Notifications the app sent, kept for the test as well as written to the outbox.
final class RecordingNotifier: Notifier {
    private let sent = NIOLockedValueBox<[OutgoingMessage]>([])
    var messages: [OutgoingMessage] { sent.withLockedValue { $0 } }

    func send(_ message: OutgoingMessage, on db: any Database, at: Date, logger: Logger) async throws {
        try await OutboxNotifier().send(message, on: db, at: at, logger: logger)
        sent.withLockedValue { $0.append(message) }
    }

    func send(all messages: [OutgoingMessage], on db: any Database, at: Date, logger: Logger) async throws {
        try await OutboxNotifier().send(all: messages, on: db, at: at, logger: logger)
        sent.withLockedValue { $0.append(contentsOf: messages) }
    }
}

enum TestDatabase {
    /// The PostgreSQL URL the suite runs against, or nil for SQLite (the default).
    static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["JIFEN_TEST_DATABASE_URL"]
        return url?.isEmpty == false ? url : nil
    }
}

/// For tests that start their own `jifen` processes (on SQLite) or use no database at all: they
/// run in the SQLite run only, and the PostgreSQL run reports them as skipped, not as passed.
func skipInThePostgresRun() throws {
    if TestDatabase.postgresURL != nil { throw XCTSkip("uses no configured database: runs in the SQLite run only") }
}

struct TestContext {
    let app: Application
    let clock: ManualClock
    let notifier: RecordingNotifier
    let dataDirectory: String
}

let testSecretHex = String(repeating: "0123456789abcdef", count: 4)

/// Runs `body` with a configured application on a fresh, migrated database, then shuts down.
/// `demo` loads the demo organisation; `residents` adds that many generated residents.
func withApp(demo: Bool = false, residents: Int = 0, _ body: (TestContext) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jifen-test-" + UUID().uuidString).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var environment = ["JIFEN_DATA_DIR": directory, "JIFEN_SECRET_KEY": testSecretHex, "JIFEN_BCRYPT_COST": "4", "JIFEN_LOG_LEVEL": "warning", "JIFEN_PAGE_CACHE_SECONDS": "0"]
    if let url = TestDatabase.postgresURL { environment["DATABASE_URL"] = url }
    var config = try AppConfig.load(environment: environment, demo: false)
    // With the demo's data the demo's exemptions hold (its accounts skip the second factor);
    // everything else is configured as outside the demo (Secure cookies, no texts shown).
    config.demo = demo

    let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))  // 2026-09-21, a fixed day
    let notifier = RecordingNotifier()
    let counterBox = NIOLockedValueBox<UInt8>(0)
    let effects = Effects(
        now: { clock.now },
        randomBytes: { n in
            // Distinct, repeatable bytes: tokens differ from each other within a test.
            let start = counterBox.withLockedValue { c -> UInt8 in c &+= 1; return c }
            return (0..<n).map { UInt8(truncatingIfNeeded: Int(start) &* 31 &+ $0 &* 7) }
        },
        notifier: notifier
    )

    let app = try await Application.make(.testing)
    do {
        try await configure(app, config: config, effects: effects)
        if TestDatabase.postgresURL != nil { try await app.autoRevert() }
        try await prepareDatabase(app)
        if demo { try await Demo.loadIfEmpty(app, residents: residents) }
        try await body(TestContext(app: app, clock: clock, notifier: notifier, dataDirectory: directory))
    } catch {
        try? await app.asyncShutdown()
        try? FileManager.default.removeItem(atPath: directory)
        throw error
    }
    try await app.asyncShutdown()
    try? FileManager.default.removeItem(atPath: directory)
}

extension TestContext {
    /// A new browser signed in to `login` (every demo account's password is `demo12345`); fails the
    /// test if the sign-in is refused.
    func signedIn(_ login: String, password: String = "demo12345", file: StaticString = #filePath, line: UInt = #line) async throws -> Browser {
        let browser = Browser(app)
        let answer = try await browser.signIn(login, password)
        XCTAssertEqual(answer.status, .seeOther, "sign-in as \(login)", file: file, line: line)
        return browser
    }
}

/// Saves a verified residence registration of `resident` in 城北社区's first grid (320582-01-01-01)
/// from `from` (its verification due a week later).
func verifiedRegistration(_ ctx: TestContext, of resident: Resident, address: String, from: String,
                          source: ResidenceRegistration.Source = .gridWorker) async throws {
    let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: ctx.app.db)!
    let start = CivilDate(from)!
    try await ResidenceRegistration(of: resident.requireID(), grid: grid.requireID(), house: nil, address: address, from: start,
                                    source: source, status: .verified, due: start.adding(days: 7), at: ctx.clock.now).create(on: ctx.app.db)
}

/// Records every approval step the configuration requires for `code` (setup for tests about
/// what comes after publication; `ApprovalTests` walks the steps through the pages).
func approveAllSteps(_ ctx: TestContext, _ subject: ApprovalStep.Subject, _ code: String) async throws {
    let steps = subject == .standard ? ctx.app.jifenConfig.standardApprovals : ctx.app.jifenConfig.quotaApprovals
    for step in steps {
        let record = ApprovalRecord()
        record.recordedAt = ctx.clock.now
        record.subject = subject
        record.subjectCode = code
        record.step = step
        record.doneOn = ShanghaiDate.today(ctx.clock.now)
        record.body = "测试机构"
        record.document = "测试文件"
        record.recordedBy = "admin"
        try await record.create(on: ctx.app.db)
    }
}

/// Claims of `items` (item, department, value) on `application`, as the applicant makes them.
@discardableResult
func makeClaims(_ ctx: TestContext, on application: PointsApplication, _ items: [(item: String, department: String, value: String)]) async throws -> [PointsClaim] {
    var claims: [PointsClaim] = []
    for (item, department, value) in items {
        let claim = PointsClaim()
        claim.createdAt = ctx.clock.now
        claim.item = item
        claim.department = department
        claim.value = value
        claim.state = .claimed
        claim.$application.id = try application.requireID()
        try await claim.create(on: ctx.app.db)
        claims.append(claim)
    }
    return claims
}
