import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import SQLKit
import Vapor

/// Many rows in few statements: what a city's round writes (12,000 frozen figures, results and
/// a trace of 30,000 steps) goes to the database a few hundred rows a statement, not a row a
/// statement, and without Fluent's per-model reflection. Values are bound as the database's own
/// encoder binds them, so they are stored exactly as Fluent stores them; the statements' text is
/// written here, not serialised by SQLKit value by value.
enum Batches {
    /// Rows a statement: every statement stays far below SQLite's 32,766 and PostgreSQL's 65,535
    /// bound parameters.
    static let rows = 500

    /// `ids` (or anything) in slices of `size`: queries with `IN (…)` stay below the limits.
    static func slices<T>(_ items: [T], size: Int = rows) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<Swift.min($0 + size, items.count)] }
    }

    /// A value of a row, in the kind the column keeps. On SQLite each goes straight to what Fluent's
    /// encoder makes of it (an id as its text, a flag as 0 or 1, a time as seconds since 1970, a
    /// list as JSON text) without a cast of an existential per value; elsewhere the Swift value
    /// is bound as Fluent binds it.
    enum Value: Sendable {
        case id(UUID)
        case text(String)
        case integer(Int)
        case flag(Bool)
        case time(Date)
        /// A list of numbers, kept as JSON (`[1250,300]` on SQLite).
        case integers([Int64])
        /// A list of texts, kept as JSON (`["S01","S02"]` on SQLite).
        case texts([String])
        /// Anything else, NULL of a type included, through the database's encoder.
        case encoded(any Encodable & Sendable)

        static func integer(_ n: Int64) -> Value { .integer(Int(n)) }

        /// `value` as `make` makes it, or NULL (of its type, as a database that types its
        /// parameters needs) when there is none.
        static func optional<T: Encodable & Sendable>(_ value: T?, _ make: (T) -> Value) -> Value {
            value.map(make) ?? .encoded(value)
        }

        /// The Swift value itself, for databases other than SQLite.
        var bound: any Encodable & Sendable {
            switch self {
            case .id(let id): id
            case .text(let text): text
            case .integer(let n): n
            case .flag(let flag): flag
            case .time(let time): time
            case .integers(let list): list
            case .texts(let list): list
            case .encoded(let value): value
            }
        }
    }

    /// `INSERT INTO table (columns) VALUES (…), (…)…`, `rows` rows a statement.
    static func insert(into table: String, columns: [String], _ values: [[Value]], on db: any Database) async throws {
        if let sqlite = db as? any SQLiteDatabase {
            // SQLite: the statement's text written here and the values converted as SQLite's own
            // encoder (Fluent's) converts them, without SQLKit's serialising of every bound value.
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
            // PostgreSQL: the text written here and the values bound as PostgresKit binds them.
            if let postgres = db as? any PostgresDatabase, let binds = postgresBinds(slice) {
                let head = "INSERT INTO \"\(table)\" (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES "
                _ = try await postgres.rows(head + placeholders(rows: slice.count, columns: columns.count), binds)
                continue
            }
            let insert = sql.insert(into: table).columns(columns)
            for row in slice { insert.values(row.map { SQLBind($0.bound) }) }
            try await insert.run()
        }
    }

    /// The values of `rows` in order, as SQLite's encoder (Fluent's) binds them.
    private static func sqliteBinds(_ rows: ArraySlice<[Value]>) throws -> [SQLiteData] {
        let encoder = SQLiteDataEncoder()
        var binds: [SQLiteData] = []
        binds.reserveCapacity(rows.count * (rows.first?.count ?? 0))
        for row in rows {
            for value in row {
                switch value {
                case .id(let id): binds.append(.text(id.uuidString))
                case .text(let text): binds.append(.text(text))
                case .integer(let n): binds.append(.integer(n))
                case .flag(let flag): binds.append(.integer(flag ? 1 : 0))
                case .time(let time): binds.append(.float(time.timeIntervalSince1970))
                case .integers(let list): binds.append(.text("[" + list.map(String.init).joined(separator: ",") + "]"))
                // A text the encoder would escape goes to it.
                case .texts(let list) where list.allSatisfy(isPlain):
                    binds.append(.text("[" + list.map { "\"" + $0 + "\"" }.joined(separator: ",") + "]"))
                case .texts(let list): binds.append(try encoder.encode(list))
                case .encoded(let value): binds.append(try encoder.encode(value))
                }
            }
        }
        return binds
    }

    /// `($1,$2),($3,$4)…` for PostgreSQL.
    private static func placeholders(rows: Int, columns: Int) -> String {
        var text = ""
        text.reserveCapacity(rows * columns * 7)
        var n = 0
        for row in 0..<rows {
            text += row == 0 ? "(" : ",("
            for column in 0..<columns {
                n += 1
                text += column == 0 ? "$\(n)" : ",$\(n)"
            }
            text += ")"
        }
        return text
    }

    /// The values of `rows` in order as PostgresKit binds them, or nil when one is of a kind only
    /// its encoder takes (the slice then goes through SQLKit).
    private static func postgresBinds(_ rows: ArraySlice<[Value]>) -> PostgresValues? {
        var binds = PostgresValues(capacity: rows.count * (rows.first?.count ?? 0))
        for row in rows { for value in row { guard binds.append(value) else { return nil } } }
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
    static func update(_ table: String, columns: [String], _ values: [[Value]], on db: any Database) async throws {
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
            if let postgres = db as? any PostgresDatabase, let binds = postgresBinds(slice) {
                let head = "WITH v(\(names.map { "\"\($0)\"" }.joined(separator: ", "))) AS (VALUES "
                let tail = ") UPDATE \"\(table)\" SET \(columns.map { "\"\($0)\" = \"v\".\"\($0)\"" }.joined(separator: ", ")) FROM v WHERE \"\(table)\".\"id\" = \"v\".\"id\""
                _ = try await postgres.rows(head + placeholders(rows: slice.count, columns: names.count) + tail, binds)
                continue
            }
            let tuples = SQLList(slice.map { row in SQLGroupExpression(SQLList(row.map { SQLBind($0.bound) })) })
            let assignments = SQLList(columns.map { SQLBinaryExpression(SQLIdentifier($0), .equal, SQLColumn($0, table: "v")) })
            let query: SQLQueryString = """
                WITH v(\(SQLList(names.map { SQLIdentifier($0) }))) AS (VALUES \(tuples)) \
                UPDATE \(ident: table) SET \(assignments) FROM v WHERE \(SQLColumn("id", table: table)) = \(SQLColumn("id", table: "v"))
                """
            try await sql.raw(query).run()
        }
    }
}
