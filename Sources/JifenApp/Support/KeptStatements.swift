import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SQLiteNIO
import VaporCSQLite

/// A SQLite connection for plain reads that keeps its prepared statements, by their text, and
/// runs each again after a reset. SQLiteNIO compiles every statement afresh and keeps none (on a
/// signed-in page SQLite's parser took a tenth of the server's CPU), and hands each row to the
/// event loop as a job of its own. This uses the same SQLite library as SQLiteNIO (its
/// `sqlite_nio_`-prefixed copy, so both share SQLite's locks on the file), opened as SQLiteNIO
/// opens it: fully serialised, a busy handler that waits. One query at a time uses it (a lock);
/// it is called by the request's task (see `ReadConnections`). Only statements that read run
/// here: any other is refused before it steps.
final class KeptStatements: @unchecked Sendable {
    /// Statements kept at most; past that the oldest are finalized (the texts differ only in the
    /// number of values an `IN (…)` lists, so a page's reads stay far below).
    static let limit = 200

    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let message: String
        var description: String { "SQLite error \(code): \(message)" }
    }

    /// A row: its values in the statement's column order.
    struct Row: PlainRow.SQLiteValues {
        /// Where each column is, by name (shared by the statement's rows).
        let columns: [String: Int]
        let values: [SQLiteData]
        func column(_ name: String) -> SQLiteData? { columns[name].map { values[$0] } }
    }

    private let lock = NIOLock()
    private var handle: OpaquePointer?
    /// A kept statement with the names of its columns, as of its last compilation.
    private final class Entry {
        let statement: OpaquePointer
        var columns: [String: Int]
        /// How often SQLite compiled it again for a changed schema when the names were read.
        var recompiled: Int32
        init(_ statement: OpaquePointer) {
            self.statement = statement
            columns = KeptStatements.columns(of: statement)
            recompiled = sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0)
        }
    }
    private var statements: [String: Entry] = [:]
    private var order: [String] = []

    init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        let opened = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard opened == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite_nio_sqlite3_close_v2(db) }
            throw Failure(code: opened, message: message)
        }
        sqlite_nio_sqlite3_busy_handler(db, { _, _ in 1 }, nil)
        handle = db
    }

    deinit { close() }

    /// How many statements are kept now.
    var kept: Int { lock.withLock { statements.count } }

    /// How often SQLite has compiled the kept statement of `sql` again since it was prepared.
    func recompilations(of sql: String) -> Int32? {
        lock.withLock { statements[sql].map { sqlite_nio_sqlite3_stmt_status($0.statement, SQLITE_STMTSTATUS_REPREPARE, 0) } }
    }

    /// The rows of `sql` with `binds`, read on the calling thread.
    func rows(_ sql: String, _ binds: [SQLiteData]) throws -> [Row] {
        try lock.withLock {
            guard let db = handle else { throw Failure(code: SQLITE_MISUSE, message: "closed") }
            let entry = try prepared(sql, on: db)
            let statement = entry.statement
            // Reset after the run; its values are all bound again by the next one (clearing
            // them would make SQLite compile it again whenever its plan looked at a value).
            defer { sqlite_nio_sqlite3_reset(statement) }
            guard sqlite_nio_sqlite3_bind_parameter_count(statement) == Int32(binds.count) else {
                throw Failure(code: SQLITE_RANGE, message: "\(binds.count) values for \(sqlite_nio_sqlite3_bind_parameter_count(statement)) parameters")
            }
            try bind(binds, to: statement, on: db)
            var rows: [Row] = []
            while true {
                let stepped = sqlite_nio_sqlite3_step(statement)
                if stepped == SQLITE_DONE { break }
                guard stepped == SQLITE_ROW else { throw failure(stepped, db) }
                // Compiled again by its first step (the schema changed since): its columns anew.
                if rows.isEmpty {
                    let recompiled = sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0)
                    if recompiled != entry.recompiled { entry.columns = Self.columns(of: statement); entry.recompiled = recompiled }
                }
                let columns = entry.columns
                let count = sqlite_nio_sqlite3_column_count(statement)
                var values: [SQLiteData] = []
                values.reserveCapacity(Int(count))
                for k in 0..<count { values.append(try value(statement, k)) }
                rows.append(Row(columns: columns, values: values))
            }
            return rows
        }
    }

    func close() {
        lock.withLock {
            for entry in statements.values { sqlite_nio_sqlite3_finalize(entry.statement) }
            statements = [:]
            order = []
            if let db = handle { sqlite_nio_sqlite3_close_v2(db) }
            handle = nil
        }
    }

    private func prepared(_ sql: String, on db: OpaquePointer) throws -> Entry {
        if let kept = statements[sql] { return kept }
        var statement: OpaquePointer?
        let done = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard done == SQLITE_OK, let statement else { throw failure(done, db) }
        guard sqlite_nio_sqlite3_stmt_readonly(statement) != 0 else {
            sqlite_nio_sqlite3_finalize(statement)
            throw Failure(code: SQLITE_MISUSE, message: "only statements that read run on a read connection")
        }
        let entry = Entry(statement)
        if statements.count >= Self.limit, let oldest = order.first {
            order.removeFirst()
            if let old = statements.removeValue(forKey: oldest) { sqlite_nio_sqlite3_finalize(old.statement) }
        }
        statements[sql] = entry
        order.append(sql)
        return entry
    }

    /// Each column's place by its name: the first of two alike, as SQLiteNIO reads them.
    private static func columns(of statement: OpaquePointer) -> [String: Int] {
        var places: [String: Int] = [:]
        for k in 0..<sqlite_nio_sqlite3_column_count(statement) {
            let name = sqlite_nio_sqlite3_column_name(statement, k).map { String(cString: $0) } ?? ""
            if places[name] == nil { places[name] = Int(k) }
        }
        return places
    }

    /// Bound as SQLiteNIO binds them.
    private func bind(_ binds: [SQLiteData], to statement: OpaquePointer, on db: OpaquePointer) throws {
        for (k, value) in binds.enumerated() {
            let i = Int32(k + 1)
            let done: Int32 = switch value {
            case .integer(let n): sqlite_nio_sqlite3_bind_int64(statement, i, Int64(n))
            case .float(let x): sqlite_nio_sqlite3_bind_double(statement, i, x)
            case .text(let text): sqlite_nio_sqlite3_bind_text64(statement, i, text, UInt64(text.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
            case .blob(let buffer): buffer.withUnsafeReadableBytes {
                sqlite_nio_sqlite3_bind_blob64(statement, i, $0.baseAddress, UInt64($0.count), Self.transient)
            }
            case .null: sqlite_nio_sqlite3_bind_null(statement, i)
            }
            guard done == SQLITE_OK else { throw failure(done, db) }
        }
    }

    /// Read as SQLiteNIO reads it.
    private func value(_ statement: OpaquePointer, _ k: Int32) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, k) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, k)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, k))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, k) else { throw Failure(code: SQLITE_ERROR, message: "no text in a text column") }
            return .text(String(cString: text))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, k))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, k) { buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length)) }
            return .blob(buffer)
        case SQLITE_NULL: return .null
        default: throw Failure(code: SQLITE_ERROR, message: "a column of an unknown type")
        }
    }

    private func failure(_ code: Int32, _ db: OpaquePointer) -> Failure {
        Failure(code: code, message: String(cString: sqlite_nio_sqlite3_errmsg(db)))
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
