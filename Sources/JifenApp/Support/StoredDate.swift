import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import JifenCore

// A civil date is a model field of its own type (`@Field var opens: CivilDate`), stored as the
// database's date: PostgreSQL's `date` (days since 2000-01-01, no time and no zone, so no session
// time zone can move it), and in SQLite the ISO-8601 text SQLite's own date functions read
// (`YYYY-MM-DD`, which also sorts as the dates do). Comparisons in queries bind a `CivilDate` the
// same way, so `filter(\.$closes >= today)` compares dates in both databases.

extension CivilDate: SQLiteDataConvertible {
    public init?(sqliteData: SQLiteData) {
        switch sqliteData {
        case .text(let text):
            guard let date = CivilDate(text) else { return nil }
            self = date
        case .integer, .float:
            // A value written as a timestamp by another tool: the day it falls on in UTC.
            guard let instant = Date(sqliteData: sqliteData) else { return nil }
            self = CivilDate(dayNumber: Int((instant.timeIntervalSince1970 / 86_400).rounded(.down)))
        default:
            return nil
        }
    }

    public var sqliteData: SQLiteData? { .text(description) }
}

extension CivilDate: PostgresNonThrowingEncodable, PostgresDecodable {
    /// Days between 1970-01-01 and PostgreSQL's day zero, 2000-01-01.
    private static let postgresEpoch = 10_957

    public static var psqlType: PostgresDataType { .date }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeInteger(Int32(dayNumber - Self.postgresEpoch))
    }

    public init<JSONDecoder: PostgresJSONDecoder>(from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                                  context: PostgresDecodingContext<JSONDecoder>) throws {
        switch (type, format) {
        case (.date, .binary):
            guard buffer.readableBytes == 4, let days = buffer.readInteger(as: Int32.self) else { throw PostgresDecodingError.Code.failure }
            self = CivilDate(dayNumber: Int(days) + Self.postgresEpoch)
        case (.date, .text), (.text, _), (.varchar, _):
            guard let text = buffer.readString(length: buffer.readableBytes), let date = CivilDate(text) else { throw PostgresDecodingError.Code.failure }
            self = date
        default:
            throw PostgresDecodingError.Code.typeMismatch
        }
    }
}
