import Fluent
@testable import JifenApp
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
}
