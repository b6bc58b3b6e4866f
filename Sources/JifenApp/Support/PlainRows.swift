import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import JifenCore
import SQLKit

/// A few columns of many rows read with plain SQL, without a model or a `Decodable` per row: what
/// a city's round reads (tens of thousands of archives and claims) costs SQLite's own work and
/// little more. On SQLite the values come from a request's read connection (`ReadConnections`,
/// its kept statements) or straight from SQLiteNIO; on PostgreSQL from a request's read connection
/// (`PostgresReadConnections`, its prepared statements) or the pool, decoded by PostgresKit.
/// The SQL is written by the caller, its identifiers unquoted (only plain names).
struct PlainRow {
    private enum Source { case sqlite(any SQLiteValues), other(any SQLRow) }

    /// A row's values by column name, as SQLiteNIO's rows and the kept statements' give them.
    protocol SQLiteValues: Sendable { func column(_ name: String) -> SQLiteData? }
    private let source: Source

    static func all(_ query: SQLQueryString, on db: any Database) async throws -> [PlainRow] {
        let sql = db as! any SQLDatabase
        if let sqlite = db as? any SQLiteDatabase {
            let (text, values) = sql.serialize(query)
            let encoder = SQLiteDataEncoder()
            let binds = try values.map { try encoder.encode($0) }
            // Outside a transaction, a request reads on its event loop's own connection
            // (`ReadConnections`); inside one, on the transaction's.
            if !db.inTransaction, let connections = ReadConnections.current, let rows = try await connections.rows(text, binds, on: db.eventLoop) {
                return rows.map { PlainRow(source: .sqlite($0)) }
            }
            return try await sqlite.query(text, binds).map { PlainRow(source: .sqlite($0)) }
        }
        if let postgres = db as? any PostgresDatabase {
            let (text, values) = sql.serialize(query)
            if let values = PostgresValues(values) {
                // Outside a transaction, a request's read runs prepared on its event loop's own
                // connection (`PostgresReadConnections`); inside one, on the transaction's.
                if !db.inTransaction, let connections = PostgresReadConnections.current, Self.reads(text),
                   let rows = try await connections.rows(text, values, on: db.eventLoop) {
                    return rows.map { PlainRow(source: .other($0.sql())) }
                }
                return try await postgres.rows(text, values).map { PlainRow(source: .other($0.sql())) }
            }
        }
        return try await sql.raw(query).all().map { PlainRow(source: .other($0)) }
    }

    /// A statement that only reads (`SELECT`, or `WITH` before one).
    private static func reads(_ text: String) -> Bool {
        let start = text.drop { $0 == " " || $0 == "\n" }.prefix(6).uppercased()
        return start == "SELECT" || start.hasPrefix("WITH ")
    }

    /// The same for a read of thousands of rows (a round's applications, rankings, archives and
    /// claims): on SQLite the rows are handed over on SQLite's own thread as it steps, where the
    /// database's `query` queues an event-loop job and a future for each row. For a few rows, as
    /// a page reads, `all` is quicker (a signed-in home answered 500–670 requests a second this
    /// way against 980–1,000), so each read says which it is.
    static func many(_ query: SQLQueryString, on db: any Database) async throws -> [PlainRow] {
        guard let sqlite = db as? any SQLiteDatabase else {
            // PostgreSQL: on the pool's connection (or the transaction's), not holding up the
            // pages' reads on the event loop's read connection.
            if let postgres = db as? any PostgresDatabase {
                let (text, values) = (db as! any SQLDatabase).serialize(query)
                if let values = PostgresValues(values) { return try await postgres.rows(text, values).map { PlainRow(source: .other($0.sql())) } }
            }
            return try await all(query, on: db)
        }
        let (text, values) = (db as! any SQLDatabase).serialize(query)
        let encoder = SQLiteDataEncoder()
        let binds = try values.map { try encoder.encode($0) }
        let rows = Collected()
        try await sqlite.withConnection { connection in
            try await connection.query(text, binds) { rows.append(PlainRow(source: .sqlite($0))) }
        }
        return rows.rows
    }

    /// Rows appended one at a time by SQLite's thread (one query, one thread), read once the
    /// query has finished.
    private final class Collected: @unchecked Sendable {
        var rows: [PlainRow] = []
        func append(_ row: PlainRow) { rows.append(row) }
    }

    struct Missing: Error, CustomStringConvertible {
        let column: String
        var description: String { "column \(column) is missing or of another type" }
    }

    /// The row as Fluent's output, for a model to fill itself from (`PlainModels`).
    var output: any DatabaseOutput {
        switch source {
        case .sqlite(let row): PlainModels.SQLiteOutput(row: row)
        case .other(let row): PlainModels.RowOutput(row: row)
        }
    }

    /// A column's value: on SQLite as `read` takes it from SQLiteNIO's value (NULL is nil; a value
    /// of another kind, or no such column, is an error), elsewhere decoded by SQLKit.
    private func value<T: Decodable>(_ column: String, sqlite read: (SQLiteData) -> T?) throws -> T? {
        switch source {
        case .sqlite(let row):
            guard let data = row.column(column) else { throw Missing(column: column) }
            if case .null = data { return nil }
            guard let value = read(data) else { throw Missing(column: column) }
            return value
        case .other(let row): return try row.decodeNil(column: column) ? nil : row.decode(column: column, as: T.self)
        }
    }

    private func required<T>(_ column: String, _ value: T?) throws -> T {
        guard let value else { throw Missing(column: column) }
        return value
    }

    func optionalString(_ column: String) throws -> String? {
        try value(column) { data in guard case .text(let text) = data else { return nil }; return text }
    }

    func string(_ column: String) throws -> String { try required(column, optionalString(column)) }

    func optionalInt(_ column: String) throws -> Int64? {
        try value(column) { data in guard case .integer(let n) = data else { return nil }; return Int64(n) }
    }

    func int(_ column: String) throws -> Int64 { try required(column, optionalInt(column)) }

    func optionalUUID(_ column: String) throws -> UUID? {
        try value(column) { data in guard case .text(let text) = data else { return nil }; return Self.uuid(text) }
    }

    func uuid(_ column: String) throws -> UUID { try required(column, optionalUUID(column)) }

    /// A day, kept as `YYYY-MM-DD` text (on SQLite read as Fluent reads it, a timestamp another
    /// tool wrote included).
    func optionalDate(_ column: String) throws -> CivilDate? {
        try value(column) { CivilDate(sqliteData: $0) }
    }

    /// A value Fluent keeps as JSON on SQLite (an array, a structure), and in its own type
    /// elsewhere.
    func optionalJSON<T: Decodable>(_ column: String, as type: T.Type) throws -> T? {
        switch source {
        case .sqlite(let row):
            guard let data = row.column(column) else { throw Missing(column: column) }
            switch data {
            case .null: return nil
            case .text(let text): return try JSONDecoder().decode(T.self, from: Data(text.utf8))
            case .blob(let buffer): return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
            default: throw Missing(column: column)
            }
        case .other(let row): return try row.decodeNil(column: column) ? nil : row.decode(column: column, as: T.self)
        }
    }

    /// SQLite keeps an instant as seconds since 1970 (Fluent's encoding).
    func date(_ column: String) throws -> Date {
        try required(column, value(column) { data -> Date? in
            switch data {
            case .float(let seconds): Date(timeIntervalSince1970: seconds)
            case .integer(let seconds): Date(timeIntervalSince1970: Double(seconds))
            default: nil
            }
        })
    }

    /// SQLite keeps a boolean as 0 or 1.
    func bool(_ column: String) throws -> Bool {
        try required(column, value(column) { data -> Bool? in guard case .integer(let n) = data else { return nil }; return n != 0 })
    }

    /// A UUID's 36-character text (either case), read without `sscanf`.
    static func uuid(_ text: String) -> UUID? {
        var bytes = [UInt8](repeating: 0, count: 16)
        var k = 0, high = true
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: "-"): continue
            default: return nil
            }
            guard k < 16 else { return nil }
            if high { bytes[k] = v << 4 } else { bytes[k] |= v; k += 1 }
            high.toggle()
        }
        guard k == 16, text.utf8.count == 36 else { return nil }
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

/// Whole models read with plain SQL (`SELECT * FROM … WHERE …`, the columns under their own
/// names): the model fills itself from each row as it would from Fluent's query, but without
/// building the query through SQLKit and without Fluent's per-value decoding layers. What a city's
/// round reads (twelve thousand applications and their residents) and what every signed-in page
/// asks first (the citizen's resident) costs SQLite's own work and little more.
enum PlainModels {
    static func all<M: Model>(_ type: M.Type, _ query: SQLQueryString, on db: any Database) async throws -> [M] {
        try await PlainRow.all(query, on: db).map { row in
            let model = M()
            try model.output(from: row.output)
            return model
        }
    }

    /// A row of SQLiteNIO as Fluent's output: the common types taken straight from SQLite's value,
    /// the others through SQLiteKit's decoder as Fluent would.
    struct SQLiteOutput: DatabaseOutput {
        let row: any PlainRow.SQLiteValues

        func schema(_ schema: String) -> any DatabaseOutput { self }
        func contains(_ key: FieldKey) -> Bool { row.column(key.description) != nil }
        func decodeNil(_ key: FieldKey) throws -> Bool {
            guard let data = row.column(key.description) else { throw PlainRow.Missing(column: key.description) }
            return data == .null
        }

        func decode<T: Decodable>(_ key: FieldKey, as type: T.Type) throws -> T {
            let column = key.description
            guard let data = row.column(column) else { throw PlainRow.Missing(column: column) }
            // An optional field asks for `Value?`: the value's own type decides.
            let base: Any.Type = (T.self as? any OptionalValue.Type)?.wrappedType ?? T.self
            let value: Any? = switch data {
            case .text(let text): base == String.self ? text : base == UUID.self ? PlainRow.uuid(text) : base == CivilDate.self ? CivilDate(text) : nil
            case .integer(let n): base == Int.self ? n : base == Int64.self ? Int64(n) : base == Bool.self ? n != 0
                : base == Date.self ? Date(timeIntervalSince1970: Double(n)) : nil
            case .float(let x): base == Double.self ? x : base == Date.self ? Date(timeIntervalSince1970: x) : nil
            default: nil
            }
            if let value, let typed = value as? T { return typed }
            return try SQLiteDataDecoder().decode(T.self, from: data)
        }

        var description: String { "plain SQLite row" }
    }

    protocol OptionalValue { static var wrappedType: Any.Type { get } }

    /// Any other database's row, decoded by SQLKit under the column's own name.
    struct RowOutput: DatabaseOutput {
        let row: any SQLRow

        func schema(_ schema: String) -> any DatabaseOutput { self }
        func contains(_ key: FieldKey) -> Bool { row.contains(column: key.description) }
        func decodeNil(_ key: FieldKey) throws -> Bool { try row.decodeNil(column: key.description) }
        func decode<T: Decodable>(_ key: FieldKey, as type: T.Type) throws -> T { try row.decode(column: key.description, as: T.self) }
        var description: String { "plain row" }
    }
}

extension Optional: PlainModels.OptionalValue {
    static var wrappedType: Any.Type { Wrapped.self }
}

extension SQLiteRow: PlainRow.SQLiteValues {}
