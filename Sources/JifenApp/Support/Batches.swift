import Fluent
import FluentSQLiteDriver
import SQLKit
import Vapor

/// Many rows at once: what a city's round writes (12,000 frozen figures, results and a trace of
/// 30,000 steps) goes to the database without Fluent's per-model reflection. On SQLite one
/// statement of a row is prepared once and run for every row on the connection's own `sqlite3`
/// handle (compiling statements of thousands of values and binding them through SQLiteNIO cost
/// three times SQLite's storing of the rows); on PostgreSQL a few hundred rows a statement.
/// Values are bound as the database's own encoder binds them, so they are stored exactly as
/// Fluent stores them.
enum Batches {
    /// Rows a statement: every statement stays far below SQLite's 32,766 and PostgreSQL's 65,535
    /// bound parameters.
    static let rows = 500

    /// `ids` (or anything) in slices of `size`: queries with `IN (…)` stay below the limits.
    static func slices<T>(_ items: [T], size: Int = rows) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<Swift.min($0 + size, items.count)] }
    }

    /// `INSERT INTO table (columns) VALUES (…), (…)…`, `rows` rows a statement.
    static func insert(into table: String, columns: [String], _ values: [[any Encodable & Sendable]], on db: any Database) async throws {
        if let sqlite = db as? any SQLiteDatabase {
            let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
            try await eachRow("INSERT INTO \"\(table)\" (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES \(tuple)",
                              try sqliteRows(values), on: sqlite)
            return
        }
        let sql = db as! any SQLDatabase
        let size = Swift.max(1, Swift.min(rows, 30_000 / Swift.max(1, columns.count)))
        for slice in slices(values, size: size) {
            let insert = sql.insert(into: table).columns(columns)
            for row in slice { insert.values(row.map { SQLBind($0) }) }
            try await insert.run()
        }
    }

    /// `sql` run for each of `rows` on SQLite, in the caller's transaction (or a connection of
    /// the pool held meanwhile): one statement prepared once, on a thread of the pool.
    private static func eachRow(_ sql: String, _ rows: [[SQLiteData]], on sqlite: any SQLiteDatabase) async throws {
        try await sqlite.withConnection { connection in
            guard let raw = SQLiteHandle.raw(of: connection) else {
                return connection.eventLoop.makeFailedFuture(SQLiteHandle.Missing()) as EventLoopFuture<Void>
            }
            nonisolated(unsafe) let handle = raw
            return NIOThreadPool.singleton.runIfActive(eventLoop: connection.eventLoop) { try KeptStatements.runEach(sql, rows, on: handle) }
        }.get()
    }

    /// The values of each row, as SQLite's encoder (Fluent's) binds them; an id, a text, an
    /// integer and a list of integers go straight to what that encoder makes of them (an id by
    /// way of `Encodable`, as its text; a list as JSON text), without the encoder's look-up of
    /// their conversion or its JSON encoder.
    private static func sqliteRows(_ rows: [[any Encodable & Sendable]]) throws -> [[SQLiteData]] {
        let encoder = SQLiteDataEncoder()
        return try rows.map { row in
            var binds: [SQLiteData] = []
            binds.reserveCapacity(row.count)
            for value in row {
                switch value {
                case let id as UUID: binds.append(.text(id.uuidString))
                case let text as String: binds.append(.text(text))
                case let n as Int: binds.append(.integer(n))
                case let n as Int64: binds.append(.integer(Int(n)))
                // A list of numbers is JSON text, as the encoder writes it (`[1250,300]`).
                case let list as [Int64]: binds.append(.text("[" + list.map(String.init).joined(separator: ",") + "]"))
                default: binds.append(try encoder.encode(value))
                }
            }
            return binds
        }
    }

    /// Each row's first value is its id, the rest the columns' new values. PostgreSQL:
    /// `UPDATE table SET column = v.column… FROM (VALUES …) v WHERE table.id = v.id`.
    static func update(_ table: String, columns: [String], _ values: [[any Encodable & Sendable]], on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        let names = ["id"] + columns
        let size = Swift.max(1, Swift.min(rows, 30_000 / names.count))
        if let sqlite = db as? any SQLiteDatabase {
            // SQLite: as `insert`, a row a run of one statement; its id is the last value bound.
            try await eachRow("UPDATE \"\(table)\" SET \(columns.map { "\"\($0)\" = ?" }.joined(separator: ", ")) WHERE \"id\" = ?",
                              try sqliteRows(values).map { Array($0.dropFirst()) + $0.prefix(1) }, on: sqlite)
            return
        }
        for slice in slices(values, size: size) {
            let tuples = SQLList(slice.map { row in SQLGroupExpression(SQLList(row.map { SQLBind($0) })) })
            let assignments = SQLList(columns.map { SQLBinaryExpression(SQLIdentifier($0), .equal, SQLColumn($0, table: "v")) })
            let query: SQLQueryString = """
                WITH v(\(SQLList(names.map { SQLIdentifier($0) }))) AS (VALUES \(tuples)) \
                UPDATE \(ident: table) SET \(assignments) FROM v WHERE \(SQLColumn("id", table: table)) = \(SQLColumn("id", table: "v"))
                """
            try await sql.raw(query).run()
        }
    }
}

/// SQLiteNIO's `sqlite3` handle of a connection. SQLiteNIO keeps it to itself (`handle.raw`,
/// internal); it is read here by reflection. A test holds that it is found, and writes through it
/// rows SQLiteNIO reads back value for value: a SQLiteNIO that keeps it otherwise fails that test
/// rather than a round.
enum SQLiteHandle {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "SQLiteNIO's connection no longer keeps its sqlite3 handle where Jifen reads it" }
    }

    static func raw(of connection: SQLiteConnection) -> OpaquePointer? {
        guard let handle = Mirror(reflecting: connection).descendant("handle"),
              let raw = Mirror(reflecting: handle).descendant("raw") else { return nil }
        return raw as? OpaquePointer
    }
}
