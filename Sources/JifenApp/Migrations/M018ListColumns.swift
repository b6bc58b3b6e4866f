import Fluent
import Foundation
import SQLKit

/// Migration 018 – short lists as lists: a program's tie-break categories and a consultation's
/// topics become text arrays, an application's frozen tie-break subtotals an array of hundredths
/// (`tiebreak_values` "12.5,3" → `tiebreak_points` [1250, 300]). PostgreSQL stores `text[]` and
/// `bigint[]`; SQLite, which has no arrays, JSON arrays (as Fluent reads them).
/// Frozen: written in SQL against the tables as they were.
struct ListColumns: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await Self.convert(sql, table: "programs", from: "tiebreak", to: "tiebreak", element: .text) { old in
                (old ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map { String($0) }
            }
            try await Self.convert(sql, table: "service_applications", from: "tiebreak_values", to: "tiebreak_points", element: .bigint, required: false) { old in
                old.map { $0.split(separator: ",").map { Self.hundredths(String($0)) } }
            }
            try await Self.convert(sql, table: "consultations", from: "topics", to: "topics", element: .text) { old in
                // (a browser's textarea sends CRLF, one Character in Swift: split on any line break)
                (old ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await Self.unconvert(sql, table: "programs", from: "tiebreak", to: "tiebreak", element: .text) { $0.joined(separator: ",") }
            try await Self.unconvert(sql, table: "service_applications", from: "tiebreak_points", to: "tiebreak_values", element: .bigint) { list in
                list.map { Self.points(Int64($0) ?? 0) }.joined(separator: ",")
            }
            try await Self.unconvert(sql, table: "consultations", from: "topics", to: "topics", element: .text) { $0.joined(separator: "\n") }
        }
    }

    enum Element { case text, bigint }

    /// "12.5" → 1250, "3" → 300, "0.05" → 5, "-3.5" → -350, "-0.5" → -50 (points have at most
    /// two decimals; a deduction's subtotal can be negative).
    static func hundredths(_ text: String) -> Int64 {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        let negative = digits.first == "-"
        if negative || digits.first == "+" { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = Int64(parts.first ?? "") ?? 0
        let fraction = parts.count > 1 ? String(parts[1].prefix(2)).padding(toLength: 2, withPad: "0", startingAt: 0) : "00"
        let magnitude = whole * 100 + (Int64(fraction) ?? 0)
        return negative ? -magnitude : magnitude
    }

    /// 1250 → "12.5", 300 → "3", 5 → "0.05", -350 → "-3.5": as the old text wrote points.
    static func points(_ hundredths: Int64) -> String {
        let magnitude = hundredths.magnitude
        var text = String(magnitude / 100)
        let cents = magnitude % 100
        if cents != 0 { text += "." + (cents < 10 ? "0" + String(cents) : (cents % 10 == 0 ? String(cents / 10) : String(cents))) }
        return (hundredths < 0 ? "-" : "") + text
    }

    /// Adds the list column, fills it row by row from the old text, drops the old column.
    static func convert(_ sql: any SQLDatabase, table: String, from old: String, to new: String, element: Element, required: Bool = true,
                        _ transform: (String?) -> [any Encodable & Sendable]?) async throws {
        let postgres = sql.dialect.name == "postgresql"
        let temporary = new + "_list"
        let type = postgres ? (element == .text ? "TEXT[]" : "BIGINT[]") : "JSON"
        try await sql.raw("ALTER TABLE \(ident: table) ADD COLUMN \(ident: temporary) \(unsafeRaw: type)").run()
        struct Row: Decodable { let id: UUID; let value: String? }
        for row in try await sql.raw("SELECT id, \(ident: old) AS value FROM \(ident: table)").all(decoding: Row.self) {
            guard let list = transform(row.value) else { continue }
            let bind: any Encodable & Sendable
            if postgres {
                bind = element == .text ? list.map { $0 as! String } : list.map { $0 as! Int64 } as (any Encodable & Sendable)
            } else {
                bind = String(decoding: try JSONSerialization.data(withJSONObject: list.map { $0 as Any }), as: UTF8.self)
            }
            try await sql.raw("UPDATE \(ident: table) SET \(ident: temporary) = \(bind: bind) WHERE id = \(bind: row.id)").run()
        }
        try await sql.raw("ALTER TABLE \(ident: table) DROP COLUMN \(ident: old)").run()
        try await sql.raw("ALTER TABLE \(ident: table) RENAME COLUMN \(ident: temporary) TO \(ident: new)").run()
        if postgres && required { try await sql.raw("ALTER TABLE \(ident: table) ALTER COLUMN \(ident: new) SET NOT NULL").run() }
    }

    /// The way back: the list joined into the old text column.
    static func unconvert(_ sql: any SQLDatabase, table: String, from new: String, to old: String, element: Element,
                          _ join: ([String]) -> String) async throws {
        let postgres = sql.dialect.name == "postgresql"
        let temporary = old + "_text"
        try await sql.raw("ALTER TABLE \(ident: table) ADD COLUMN \(ident: temporary) TEXT").run()
        struct Row: Decodable { let id: UUID; let value: String? }
        let read = postgres ? "array_to_json(\(new))::text" : new
        for row in try await sql.raw("SELECT id, \(unsafeRaw: read) AS value FROM \(ident: table)").all(decoding: Row.self) {
            guard let value = row.value, let list = try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [Any] else { continue }
            try await sql.raw("UPDATE \(ident: table) SET \(ident: temporary) = \(bind: join(list.map { "\($0)" })) WHERE id = \(bind: row.id)").run()
        }
        try await sql.raw("ALTER TABLE \(ident: table) DROP COLUMN \(ident: new)").run()
        try await sql.raw("ALTER TABLE \(ident: table) RENAME COLUMN \(ident: temporary) TO \(ident: old)").run()
    }
}
