import Fluent
import FluentSQLiteDriver
@testable import JifenApp
import JifenCore
import SQLKit
import XCTest

/// A request's plain reads outside a transaction go through the application's read connections
/// (SQLite); inside a transaction they see what it has not committed yet.
final class ReadConnectionsTests: XCTestCase {
    func testASignedInPageReadsThroughTheReadConnections() async throws {
        guard TestDatabase.postgresURL == nil else { throw XCTSkip("SQLite only") }
        try await withApp(demo: true) { ctx in
            let connections = try XCTUnwrap(ctx.app.readConnections)
            XCTAssertEqual(connections.count, 0, "none opened before a request")
            let citizen = try await ctx.signedIn("13800000001")
            let account = try await User.query(on: ctx.app.db).filter(\.$login == "13800000001").first()
            let name = try XCTUnwrap(account?.displayName)
            // The page's session, account and resident record read through a read connection.
            let home = try await citizen.get("/home")
            XCTAssertEqual(home.status, .ok)
            XCTAssertTrue(home.body.contains(">\(name)<"), "the signed-in citizen's name in the header")
            XCTAssertGreaterThanOrEqual(connections.count, 1)
            // A change written meanwhile is read by the next request.
            try await (ctx.app.db as! any SQLDatabase).raw("UPDATE users SET display_name = '新的名字' WHERE login = '13800000001'").run()
            let again = try await citizen.get("/home")
            XCTAssertTrue(again.body.contains(">新的名字<"), "the name as changed")
        }
    }

    func testAReadInATransactionSeesItsOwnWritesAndOneAfterItSeesTheCommit() async throws {
        guard TestDatabase.postgresURL == nil else { throw XCTSkip("SQLite only") }
        try await withApp(demo: true) { ctx in
            let connections = try XCTUnwrap(ctx.app.readConnections)
            @Sendable func name(on db: any Database) async throws -> String? {
                try await PlainRow.all("SELECT display_name FROM users WHERE login = 'admin'", on: db).first?.string("display_name")
            }
            try await ReadConnections.$current.withValue(connections) {
                let before = try await name(on: ctx.app.db)
                XCTAssertNotNil(before)
                XCTAssertEqual(connections.count, 1, "a read outside a transaction opens its loop's connection")
                try await ctx.app.db.transaction { db in
                    // (The transaction's work may run in a task of its own: the request's
                    // connections are made current again.)
                    try await ReadConnections.$current.withValue(connections) {
                        try await (db as! any SQLDatabase).raw("UPDATE users SET display_name = '改过的名字' WHERE login = 'admin'").run()
                        // On the transaction's own connection: the change not committed yet is there.
                        let inside = try await name(on: db)
                        XCTAssertEqual(inside, "改过的名字")
                        // A read connection still reads the name as it was.
                        let outside = try await name(on: ctx.app.db)
                        XCTAssertEqual(outside, before)
                    }
                }
                let after = try await name(on: ctx.app.db)
                XCTAssertEqual(after, "改过的名字")
                // Closed (as at shutdown): reads go through the pool again.
                await connections.close()
                XCTAssertEqual(connections.count, 0)
                let closed = try await name(on: ctx.app.db)
                XCTAssertEqual(closed, "改过的名字")
            }
        }
    }

    /// The kept statements read what SQLiteNIO reads, value for value, run again with other
    /// values, and refuse a statement that writes.
    func testKeptStatementsReadWhatSQLiteNIOReadsAndRefuseWrites() async throws {
        guard TestDatabase.postgresURL == nil else { throw XCTSkip("SQLite only") }
        try await withApp(demo: true) { ctx in
            guard case .sqlite(let path) = ctx.app.jifenConfig.database else { return XCTFail("SQLite") }
            let kept = try KeptStatements(path: path)
            defer { kept.close() }
            let nio = ctx.app.db as! any SQLiteDatabase
            func same(_ sql: String, _ binds: [SQLiteData], file: StaticString = #filePath, line: UInt = #line) async throws -> Int {
                let mine = try kept.rows(sql, binds)
                let theirs = try await nio.query(sql, binds)
                XCTAssertEqual(mine.count, theirs.count, sql, file: file, line: line)
                for (a, b) in zip(mine, theirs) {
                    for column in b.columns { XCTAssertEqual(a.column(column.name), b.column(column.name), "\(sql): \(column.name)", file: file, line: line) }
                }
                return mine.count
            }
            // Every kind of value, and two columns of one name (the first is read, as SQLiteNIO does).
            let kinds = try await same("SELECT 7 AS n, 2.5 AS x, 'text' AS t, x'00ff10' AS b, NULL AS z, 8 AS n", [])
            XCTAssertEqual(kinds, 1)
            XCTAssertEqual(try kept.rows("SELECT 7 AS n, 8 AS n", []).first?.column("n"), .integer(7))
            let theirs = try await nio.query("SELECT 7 AS n, 8 AS n", [])
            XCTAssertEqual(theirs.first?.column("n"), .integer(7))
            // Whole rows of real tables, and one statement run again with other values.
            let users = try await same("SELECT * FROM users ORDER BY login", [])
            XCTAssertGreaterThan(users, 5)
            let one = try await same("SELECT * FROM users WHERE login = ?", [.text("admin")])
            let none = try await same("SELECT * FROM users WHERE login = ?", [.text("no-such-login")])
            let again = try await same("SELECT * FROM users WHERE login = ?", [.text("admin")])
            XCTAssertEqual([one, none, again], [1, 0, 1])
            _ = try await same("SELECT * FROM residents ORDER BY id LIMIT 20", [])
            XCTAssertEqual(kept.kept, 5, "each text prepared once")
            // Run again with other values, a statement whose plan looked at its value (the
            // session's look-up, a join) is not compiled again.
            let byToken = "SELECT u.login FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.channel = 'web' LIMIT 1"
            for token in ["a", "b", "c"] { _ = try await same(byToken, [.text(token)]) }
            XCTAssertEqual(kept.recompilations(of: byToken), 0)
            XCTAssertThrowsError(try kept.rows(byToken, []), "a value missing")
            // A statement that writes is refused before it runs.
            XCTAssertThrowsError(try kept.rows("UPDATE users SET display_name = 'x' WHERE login = ?", [.text("admin")]))
            let admin = try await User.query(on: ctx.app.db).filter(\.$login == "admin").first()
            XCTAssertNotEqual(admin?.displayName, "x")
            // A statement SQLite cannot compile is an error, and the connection goes on.
            XCTAssertThrowsError(try kept.rows("SELECT * FROM no_such_table", []))
            XCTAssertEqual(try kept.rows("SELECT 1 AS one", []).first?.column("one"), .integer(1))
            // The schema changed under a kept statement: SQLite compiles it again, and its rows
            // carry the new column.
            try await (ctx.app.db as! any SQLDatabase).raw("ALTER TABLE users ADD COLUMN kept_check TEXT DEFAULT 'added'").run()
            let changed = try kept.rows("SELECT * FROM users WHERE login = ?", [.text("admin")])
            XCTAssertEqual(changed.first?.column("kept_check"), .text("added"))
            XCTAssertEqual(changed.first?.column("login"), .text("admin"))
        }
    }

    // MARK: PostgreSQL

    /// A signed-in page's plain reads run as statements prepared on the event loop's read
    /// connection, each prepared once and run again by name; a change committed meanwhile is read.
    func testOnPostgreSQLASignedInPageReadsThroughPreparedStatements() async throws {
        guard TestDatabase.postgresURL != nil else { throw XCTSkip("PostgreSQL only") }
        try await withApp(demo: true) { ctx in
            let connections = try XCTUnwrap(ctx.app.postgresReadConnections)
            XCTAssertNil(ctx.app.readConnections)
            XCTAssertEqual(connections.count, 0, "none opened before a request")
            let citizen = try await ctx.signedIn("13800000001")
            let account = try await User.query(on: ctx.app.db).filter(\.$login == "13800000001").first()
            let name = try XCTUnwrap(account?.displayName)
            let home = try await citizen.get("/home")
            XCTAssertEqual(home.status, .ok)
            XCTAssertTrue(home.body.contains(">\(name)<"), "the signed-in citizen's name in the header")
            XCTAssertGreaterThanOrEqual(connections.count, 1)
            let (served, prepared) = (connections.served, connections.prepared)
            XCTAssertGreaterThanOrEqual(served, 2, "the session and the resident, at least")
            XCTAssertGreaterThan(prepared, 0)
            let sql = ctx.app.db as! any SQLDatabase
            let named = try await sql.raw("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'jifen-read'").first(decoding: Count.self)
            XCTAssertGreaterThanOrEqual(named?.n ?? 0, 1, "the read connection is named in pg_stat_activity")
            try await sql.raw("UPDATE users SET display_name = '新的名字' WHERE login = '13800000001'").run()
            let again = try await citizen.get("/home")
            XCTAssertTrue(again.body.contains(">新的名字<"), "the name as changed")
            XCTAssertGreaterThan(connections.served, served)
            XCTAssertEqual(connections.prepared, prepared, "the same page's statements are run again, not prepared again")
        }
    }

    private struct Count: Decodable { let n: Int }

    func testOnPostgreSQLAReadInATransactionSeesItsOwnWritesAndOneAfterItSeesTheCommit() async throws {
        guard TestDatabase.postgresURL != nil else { throw XCTSkip("PostgreSQL only") }
        try await withApp(demo: true) { ctx in
            let connections = try XCTUnwrap(ctx.app.postgresReadConnections)
            @Sendable func name(on db: any Database) async throws -> String? {
                try await PlainRow.all("SELECT display_name FROM users WHERE login = \(bind: "admin")", on: db).first?.string("display_name")
            }
            try await PostgresReadConnections.$current.withValue(connections) {
                let before = try await name(on: ctx.app.db)
                XCTAssertNotNil(before)
                XCTAssertEqual(connections.count, 1, "a read outside a transaction opens its loop's connection")
                XCTAssertEqual(connections.served, 1)
                try await ctx.app.db.transaction { db in
                    try await PostgresReadConnections.$current.withValue(connections) {
                        try await (db as! any SQLDatabase).raw("UPDATE users SET display_name = '改过的名字' WHERE login = 'admin'").run()
                        let inside = try await name(on: db)
                        XCTAssertEqual(inside, "改过的名字", "on the transaction's own connection")
                        XCTAssertEqual(connections.served, 1, "not on the read connection")
                        let outside = try await name(on: ctx.app.db)
                        XCTAssertEqual(outside, before, "the read connection does not see what is not committed")
                    }
                }
                let after = try await name(on: ctx.app.db)
                XCTAssertEqual(after, "改过的名字")
                XCTAssertEqual(connections.served, 3)
                await connections.close()
                XCTAssertEqual(connections.count, 0)
                let closed = try await name(on: ctx.app.db)
                XCTAssertEqual(closed, "改过的名字", "closed (as at shutdown): read through the pool")
                XCTAssertEqual(connections.served, 3)
            }
        }
    }

    /// The values bound natively read what SQLKit's binding reads; a statement that writes fails
    /// on a read connection; a table changed under a prepared statement, or a connection lost, is
    /// read again through the pool and a fresh connection; past the limit statements run unnamed.
    func testOnPostgreSQLPreparedReadsReadWhatSQLKitReadsAndRecover() async throws {
        guard TestDatabase.postgresURL != nil else { throw XCTSkip("PostgreSQL only") }
        try await withApp(demo: true) { ctx in
            let connections = try XCTUnwrap(ctx.app.postgresReadConnections)
            let sql = ctx.app.db as! any SQLDatabase
            let admin = try await User.query(on: ctx.app.db).filter(\.$login == "admin").first()
            let adminID = try XCTUnwrap(admin?.id)
            try await PostgresReadConnections.$current.withValue(connections) {
                func same(_ query: SQLQueryString, _ column: String, file: StaticString = #filePath, line: UInt = #line) async throws -> Int {
                    let served = connections.served
                    let mine = try await PlainRow.all(query, on: ctx.app.db)
                    XCTAssertEqual(connections.served, served + 1, "read on the read connection", file: file, line: line)
                    let theirs = try await sql.raw(query).all()
                    XCTAssertEqual(mine.count, theirs.count, file: file, line: line)
                    for (a, b) in zip(mine, theirs) {
                        XCTAssertEqual(try a.optionalString(column), try b.decodeNil(column: column) ? nil : b.decode(column: column, as: String.self), file: file, line: line)
                    }
                    return mine.count
                }
                // Every kind of value the pages bind: an id, a text, a number, a flag, a time, NULL.
                let byID = try await same("SELECT login FROM users WHERE id = \(bind: adminID)", "login")
                XCTAssertEqual(byID, 1)
                let byTextAndFlag = try await same("SELECT login FROM users WHERE login = \(bind: "admin") AND must_change_password = \(bind: false)", "login")
                XCTAssertEqual(byTextAndFlag, 1)
                let byTime = try await same("SELECT login FROM users WHERE created_at < \(bind: Date().addingTimeInterval(86_400)) ORDER BY login LIMIT \(bind: 3)", "login")
                XCTAssertEqual(byTime, 3)
                let noRow = try await same("SELECT login FROM users WHERE login = \(bind: "no-such-login")", "login")
                XCTAssertEqual(noRow, 0)
                let byNull = try await same("SELECT login FROM users WHERE department_id IS NOT DISTINCT FROM \(bind: UUID?.none) AND login = \(bind: "admin")", "login")
                XCTAssertEqual(byNull, 1)
                let byIDAgain = try await same("SELECT login FROM users WHERE id = \(bind: adminID)", "login")
                XCTAssertEqual(byIDAgain, 1, "run again by name")
                // A value of a kind only SQLKit's encoder takes: the statement goes through SQLKit.
                let served = connections.served
                let role = try await PlainRow.all("SELECT \(bind: Role.citizen) AS role", on: ctx.app.db)
                XCTAssertEqual(try role.first?.string("role"), Role.citizen.rawValue)
                XCTAssertEqual(connections.served, served)

                // A statement that writes fails on the read-only connection, and writes nothing.
                do {
                    _ = try await PlainRow.all("WITH w AS (UPDATE users SET display_name = 'x' WHERE login = 'admin' RETURNING id) SELECT id FROM w", on: ctx.app.db)
                    XCTFail("a write on a read connection")
                } catch {}
                let unchanged = try await User.query(on: ctx.app.db).filter(\.$login == "admin").first()
                XCTAssertNotEqual(unchanged?.displayName, "x")

                // A table changed under a prepared statement: read again, with the new column.
                func adminRow() async throws -> PlainRow? {
                    try await PlainRow.all("SELECT * FROM users WHERE login = \(bind: "admin")", on: ctx.app.db).first
                }
                let beforeChange = try await adminRow()
                XCTAssertNotNil(beforeChange)
                try await sql.raw("ALTER TABLE users ADD COLUMN kept_check TEXT DEFAULT 'added'").run()
                let changed = try await adminRow()
                XCTAssertEqual(try changed?.optionalString("kept_check"), "added")
                XCTAssertEqual(try changed?.string("login"), "admin")
                let addedAgain = try await adminRow()?.optionalString("kept_check")
                XCTAssertEqual(addedAgain, "added", "and on a fresh read connection")

                // A table not there yet (another node's migration to come): an error, and once it
                // is made, it is read. (The suite's reverting of migrations leaves other tables.)
                try await sql.raw("DROP TABLE IF EXISTS kept_later").run()
                do {
                    _ = try await PlainRow.all("SELECT * FROM kept_later WHERE n = \(bind: 1)", on: ctx.app.db)
                    XCTFail("no such table yet")
                } catch {}
                try await sql.raw("CREATE TABLE kept_later (n BIGINT)").run()
                try await sql.raw("INSERT INTO kept_later VALUES (1)").run()
                let later = try await PlainRow.all("SELECT * FROM kept_later WHERE n = \(bind: 1)", on: ctx.app.db)
                XCTAssertEqual(try later.first?.int("n"), 1)
                let laterAgain = try await PlainRow.all("SELECT * FROM kept_later WHERE n = \(bind: 1)", on: ctx.app.db)
                XCTAssertEqual(laterAgain.count, 1, "and on a fresh read connection")
                try await sql.raw("DROP TABLE kept_later").run()

                // The connection lost (its backend ended): the read goes on, a fresh one opens.
                try await sql.raw("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'jifen-read'").run()
                try await Task.sleep(nanoseconds: 200_000_000)
                let afterLoss = try await adminRow()?.string("login")
                XCTAssertEqual(afterLoss, "admin")
                let before = connections.served
                let onFresh = try await adminRow()?.string("login")
                XCTAssertEqual(onFresh, "admin")
                XCTAssertEqual(connections.served, before + 1, "read on a fresh read connection")

                // Past the limit of prepared statements, the others run unnamed.
                for k in 0..<(PostgresReadConnections.limit + 5) {
                    let rows = try await PlainRow.all("SELECT \(unsafeRaw: String(k)) AS k, login FROM users WHERE login = \(bind: "admin")", on: ctx.app.db)
                    XCTAssertEqual(try rows.first?.int("k"), Int64(k))
                }
                XCTAssertEqual(connections.prepared, PostgresReadConnections.limit)
            }
        }
    }
}
