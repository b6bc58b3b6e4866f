import Fluent
import FluentSQLiteDriver
import SQLKit
import Vapor

/// Many rows in few statements: what a city's round writes (12,000 frozen figures, results and
/// a trace of 30,000 steps) goes to the database a few hundred rows a statement, not a row a
/// statement, and without Fluent's per-model reflection. Values are bound through the database's
/// own encoder, so they are stored exactly as Fluent stores them.
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
            // SQLite: the statement's text written here and the values converted by SQLite's own
            // encoder (what Fluent stores), without SQLKit's serialising of every bound value.
            let size = Swift.max(1, 30_000 / Swift.max(1, columns.count))
            let head = "INSERT INTO \(table) (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES "
            let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
            for slice in slices(values, size: size) {
                _ = try await sqlite.query(head + Array(repeating: tuple, count: slice.count).joined(separator: ","), try sqliteBinds(slice))
            }
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

    /// The values of `rows` in order, as SQLite's encoder (Fluent's) binds them; an id, a text,
    /// an integer, a list of integers and a list of plain codes go straight to what that encoder
    /// makes of them (an id by way of `Encodable`, as its text; a list as JSON text), without the
    /// encoder's look-up of their conversion or its JSON encoder.
    private static func sqliteBinds(_ rows: ArraySlice<[any Encodable & Sendable]>) throws -> [SQLiteData] {
        let encoder = SQLiteDataEncoder()
        var binds: [SQLiteData] = []
        binds.reserveCapacity(rows.count * (rows.first?.count ?? 0))
        for row in rows {
            for value in row {
                switch value {
                case let id as UUID: binds.append(.text(id.uuidString))
                case let text as String: binds.append(.text(text))
                case let n as Int: binds.append(.integer(n))
                case let n as Int64: binds.append(.integer(Int(n)))
                // A list of numbers is JSON text, as the encoder writes it (`[1250,300]`).
                case let list as [Int64]: binds.append(.text("[" + list.map(String.init).joined(separator: ",") + "]"))
                // A list of codes too (`["S01","S02"]`); a text the encoder would escape goes to it.
                case let list as [String] where list.allSatisfy(isPlain):
                    binds.append(.text("[" + list.map { "\"" + $0 + "\"" }.joined(separator: ",") + "]"))
                default: binds.append(try encoder.encode(value))
                }
            }
        }
        return binds
    }

    /// Printable ASCII that JSON writes as it is: no quote, backslash or slash (which the encoder
    /// writes as `\/`).
    private static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "/") }
    }

    /// `UPDATE table SET column = v.column… FROM (VALUES …) WHERE table.id = v.id`: each row's
    /// first value is its id, the rest the columns' new values. SQLite (3.33 and later) and
    /// PostgreSQL both read this form.
    static func update(_ table: String, columns: [String], _ values: [[any Encodable & Sendable]], on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        let names = ["id"] + columns
        let size = Swift.max(1, Swift.min(rows, 30_000 / names.count))
        if let sqlite = db as? any SQLiteDatabase {
            // SQLite: as `insert`, the text written here and the values bound by SQLite's encoder.
            let head = "WITH v(\(names.map { "\"\($0)\"" }.joined(separator: ", "))) AS (VALUES "
            let tuple = "(" + Array(repeating: "?", count: names.count).joined(separator: ",") + ")"
            let tail = ") UPDATE \"\(table)\" SET \(columns.map { "\"\($0)\" = \"v\".\"\($0)\"" }.joined(separator: ", ")) FROM v WHERE \"\(table)\".\"id\" = \"v\".\"id\""
            for slice in slices(values, size: size) {
                _ = try await sqlite.query(head + Array(repeating: tuple, count: slice.count).joined(separator: ",") + tail, try sqliteBinds(slice))
            }
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
