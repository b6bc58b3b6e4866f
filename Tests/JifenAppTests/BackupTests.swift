import Fluent
import Foundation
@testable import JifenApp
import JifenCore
import SQLKit
import XCTest

final class BackupTests: XCTestCase {
    /// Another process writes pairs of rows, each pair in one transaction, while the backup runs.
    static let writer = """
    import sqlite3, sys, time, uuid, os
    db, log, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    c = sqlite3.connect(db, timeout=30, isolation_level=None)
    out = open(log, "a")
    n = 0
    while not os.path.exists(stop):
        c.execute("BEGIN IMMEDIATE")
        for half in (0, 1):
            c.execute("INSERT INTO audit_entries (id, at, actor_login, action, entity, entity_id) VALUES (?, ?, 'writer', 'write', 'loadTest', ?)",
                      (str(uuid.uuid4()).upper(), time.time(), "k-%06d" % n))
        c.execute("COMMIT")
        out.write("%d\\n" % n); out.flush()
        n += 1
    """

    func testABackupTakenWhileAnotherProcessWritesHoldsEveryAcknowledgedWriteAndRestoresWithNothingLost() async throws {
        try await withApp { ctx in
            let fm = FileManager.default
            let file = ctx.dataDirectory + "/backup.sqlite"
            guard TestDatabase.postgresURL == nil else {
                // PostgreSQL is backed up with pg_dump: the command says so and writes nothing.
                do { _ = try await Backup.copy(ctx.app, to: file); XCTFail("a backup of PostgreSQL") } catch let failure as Backup.Failure {
                    XCTAssertEqual(failure, .postgres)
                }
                XCTAssertFalse(fm.fileExists(atPath: file))
                return
            }
            // A resident whose ID number is sealed: after the restore it opens to the same number.
            let id = try XCTUnwrap(ResidentID.validate("110101199003077571", today: CivilDate("2026-09-21")!, regions: ctx.app.regions).get())
            try await Resident(name: "备份人", id: id, phone: nil, userID: nil, data: ctx.app.personalData, at: ctx.clock.now).create(on: ctx.app.db)

            let log = ctx.dataDirectory + "/writer.log", stop = ctx.dataDirectory + "/writer.stop"
            fm.createFile(atPath: log, contents: nil)
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            writer.arguments = ["python3", "-c", Self.writer, ctx.dataDirectory + "/jifen.sqlite", log, stop]
            try writer.run()
            defer { if writer.isRunning { fm.createFile(atPath: stop, contents: nil); writer.waitUntilExit() } }
            /// Pairs the writer has committed and acknowledged so far.
            func acknowledged() -> Int { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count }
            func wait(until n: Int) async throws {
                for _ in 0..<600 where acknowledged() < n { try await Task.sleep(nanoseconds: 20_000_000) }
                XCTAssertGreaterThanOrEqual(acknowledged(), n, "the writer is writing")
            }

            try await wait(until: 100)
            let before = acknowledged()
            let summary = try await Backup.copy(ctx.app, to: file)
            let after = acknowledged()
            try await wait(until: after + 100)
            fm.createFile(atPath: stop, contents: nil)
            writer.waitUntilExit()
            XCTAssertEqual(writer.terminationStatus, 0)
            let written = acknowledged()

            // The copy is the database at one instant: every pair acknowledged before it began,
            // none half, none later than the writer had reached when it ended.
            XCTAssertEqual((try fm.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue, 0o600, "readable by its owner only")
            XCTAssertEqual(summary.residents, 1)
            let copied = try await rows(in: file, ctx)
            XCTAssertEqual(copied.pairs.count * 2, copied.count, "no pair is half in the copy")
            XCTAssertTrue(copied.pairs.allSatisfy { $0.value == 2 })
            XCTAssertGreaterThanOrEqual(copied.pairs.count, before, "every write acknowledged before the backup is in it")
            XCTAssertLessThanOrEqual(copied.pairs.count, after + 1)
            XCTAssertEqual(Set(copied.pairs.keys), Set((0..<copied.pairs.count).map { String(format: "k-%06d", $0) }), "the first writes, without a gap")
            XCTAssertGreaterThan(written, copied.pairs.count, "the writer went on after the backup")

            // Refusals change nothing: an existing file is not overwritten; a file that is not a
            // database, a damaged one and one from a newer version are not restored.
            let size = try fm.attributesOfItem(atPath: file)[.size] as? Int
            do { _ = try await Backup.copy(ctx.app, to: file); XCTFail("overwrote a file") } catch let failure as Backup.Failure {
                XCTAssertEqual(failure, .exists(file))
            }
            XCTAssertEqual(try fm.attributesOfItem(atPath: file)[.size] as? Int, size)
            let text = ctx.dataDirectory + "/notes.txt"
            fm.createFile(atPath: text, contents: Data("这不是数据库\n".utf8))
            do { _ = try await Backup.restore(ctx.app, from: text); XCTFail("restored a text file") } catch let failure as Backup.Failure {
                XCTAssertEqual(failure, .notSQLite)
            }
            var damaged = try Data(contentsOf: URL(fileURLWithPath: file))
            for k in stride(from: 4096 * 3, to: min(damaged.count, 4096 * 40), by: 97) { damaged[k] = 0xA5 }
            let damagedFile = ctx.dataDirectory + "/damaged.sqlite"
            fm.createFile(atPath: damagedFile, contents: damaged)
            do { _ = try await Backup.restore(ctx.app, from: damagedFile); XCTFail("restored a damaged file") } catch {}
            let newer = ctx.dataDirectory + "/newer.sqlite"
            try fm.copyItem(atPath: file, toPath: newer)
            try await onAttached(newer, ctx) { sql in
                try await sql.raw("INSERT INTO attached._fluent_migrations (id, name, batch, created_at, updated_at) SELECT 'future', 'JifenApp.FutureMigration999', batch, created_at, updated_at FROM attached._fluent_migrations LIMIT 1").run()
            }
            do { _ = try await Backup.restore(ctx.app, from: newer); XCTFail("restored a newer version's backup") } catch let failure as Backup.Failure {
                XCTAssertEqual(failure, .newer(["JifenApp.FutureMigration999"]))
            }
            let live = try await count(ctx)
            XCTAssertEqual(live, written * 2, "the refused restores changed nothing")

            // A backup made before migrations 030, 031 and 042 is upgraded on the way in.
            let older = ctx.dataDirectory + "/older.sqlite"
            try fm.copyItem(atPath: file, toPath: older)
            try await onAttached(older, ctx) { sql in
                try await sql.raw("DELETE FROM attached._fluent_migrations WHERE name LIKE '%ResidentAccounts042'").run()
                try await sql.raw("DROP INDEX attached.residents_user_unique").run()
                try await sql.raw("CREATE INDEX attached.residents_user ON residents (user_id)").run()
                try await sql.raw("DELETE FROM attached._fluent_migrations WHERE name LIKE '%ScaleIndexes030'").run()
                for index in ScaleIndexes030.indexes { try await sql.raw("DROP INDEX attached.\(ident: index.name)").run() }
                try await sql.raw("DELETE FROM attached._fluent_migrations WHERE name LIKE '%CareMode031'").run()
                try await sql.raw("ALTER TABLE attached.users DROP COLUMN care_mode").run()
            }

            // Restored: exactly the backup's rows, the later writes gone, the sealed number intact.
            let restored = try await Backup.restore(ctx.app, from: older)
            XCTAssertEqual(restored.residents, 1)
            let now = try await count(ctx)
            XCTAssertEqual(now, copied.count)
            let liveDigest = try await digest(nil, ctx), copyDigest = try await digest(file, ctx)
            XCTAssertEqual(liveDigest, copyDigest, "every row of the audit log as it was in the backup")
            let resident = try await Resident.query(on: ctx.app.db).first()
            XCTAssertEqual(try ctx.app.personalData.open(try XCTUnwrap(resident).idSealed), "110101199003077571")
            let indexes = try await (ctx.app.db as! any SQLDatabase).raw("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'residents_user%'").all()
            XCTAssertEqual(try indexes.map { try $0.decode(column: "name", as: String.self) }, ["residents_user_unique"], "the schema is this version's")
            let migrations = try await (ctx.app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM _fluent_migrations").first()?.decode(column: "n", as: Int.self)
            XCTAssertEqual(migrations, allMigrations().count, "the restored database records every migration")
            // The app goes on working on it.
            try await Resident(name: "恢复后", id: try XCTUnwrap(ResidentID.validate("11010119900307803X", today: CivilDate("2026-09-21")!, regions: ctx.app.regions).get()),
                               phone: nil, userID: nil, data: ctx.app.personalData, at: ctx.clock.now).create(on: ctx.app.db)
            let residents = try await Resident.query(on: ctx.app.db).count()
            XCTAssertEqual(residents, 2)
        }
    }

    /// The writer's rows in the database file at `path`: how many, and how many of each pair.
    private func rows(in path: String, _ ctx: TestContext) async throws -> (count: Int, pairs: [String: Int]) {
        try await onAttached(path, ctx) { sql in
            let rows = try await sql.raw("SELECT entity_id FROM attached.audit_entries WHERE entity = 'loadTest'").all()
            var pairs: [String: Int] = [:]
            for row in rows { pairs[try row.decode(column: "entity_id", as: String.self), default: 0] += 1 }
            return (rows.count, pairs)
        }
    }

    private func count(_ ctx: TestContext) async throws -> Int {
        try await AuditEntry.query(on: ctx.app.db).filter(\.$entity == "loadTest").count()
    }

    /// Every audit row of the live database (nil) or of the file, in id order, as one string.
    private func digest(_ path: String?, _ ctx: TestContext) async throws -> String {
        let read = { @Sendable (sql: any SQLDatabase, schema: String) async throws -> String in
            try await sql.raw("SELECT id || '|' || at || '|' || entity_id || '|' || coalesce(after, '') AS r FROM \(unsafeRaw: schema).audit_entries ORDER BY id").all()
                .map { try $0.decode(column: "r", as: String.self) }.joined(separator: "\n")
        }
        guard let path else { return try await read(ctx.app.db as! any SQLDatabase, "main") }
        return try await onAttached(path, ctx) { try await read($0, "attached") }
    }

    private func onAttached<T: Sendable>(_ path: String, _ ctx: TestContext, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await ctx.app.db.withConnection { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("ATTACH DATABASE \(bind: path) AS attached").run()
            do {
                let result = try await body(sql)
                try await sql.raw("DETACH DATABASE attached").run()
                return result
            } catch {
                try? await sql.raw("DETACH DATABASE attached").run()
                throw error
            }
        }
    }
}
