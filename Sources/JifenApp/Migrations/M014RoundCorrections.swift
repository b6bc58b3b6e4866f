import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 014 – corrections of a round as rows instead of JSON lines. Frozen: a shipped migration is never edited.

/// Corrections move from JSON lines in `allocation_rounds.corrections` to rows; the column is dropped.
struct CreateRoundCorrections: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One transaction: a conversion stopped half-way leaves the database as it was.
        try await database.transaction { database in
            try await database.schema(RoundCorrection.schema)
                .id()
                .field("round_id", .uuid, .required, .references("allocation_rounds", .id, onDelete: .cascade))
                .field("at", .datetime, .required)
                .field("by", .string, .required)
                .field("number", .string, .required)
                .field("points_before", .int64, .required)
                .field("points_after", .int64, .required)
                .field("reason", .string, .required)
                .create()
            try await database.schema(CorrectionChange.schema)
                .id()
                .field("correction_id", .uuid, .required, .references(RoundCorrection.schema, .id, onDelete: .cascade))
                .field("position", .int, .required)
                .field("number", .string, .required)
                .field("school_before", .string)
                .field("school_after", .string)
                .create()
            let sql = database as! any SQLDatabase
            // The old lines: {"at":"2026-12-01 13:55:49" (Asia/Shanghai),"by","number","pointsBefore","pointsAfter","reason","changes":[{"number","before","after"}]}, "-" for not placed.
            struct Old: Decodable { let id: UUID; let corrections: String }
            struct Line: Decodable {
                struct Change: Decodable { let number: String; let before: String; let after: String }
                let at: String; let by: String; let number: String; let pointsBefore: String; let pointsAfter: String; let reason: String; let changes: [Change]
            }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            for round in try await sql.raw("SELECT id, corrections FROM allocation_rounds").all(decoding: Old.self) {
                for text in round.corrections.split(separator: "\n") {
                    let line = try JSONDecoder().decode(Line.self, from: Data(text.utf8))
                    let correction = RoundCorrection()
                    correction.$round.id = round.id
                    correction.at = formatter.date(from: line.at) ?? Date(timeIntervalSince1970: 0)
                    correction.by = line.by
                    correction.number = line.number
                    correction.pointsBefore = Points(parsing: line.pointsBefore)?.hundredths ?? 0
                    correction.pointsAfter = Points(parsing: line.pointsAfter)?.hundredths ?? 0
                    correction.reason = line.reason
                    try await correction.create(on: database)
                    for (k, change) in line.changes.enumerated() {
                        try await CorrectionChange(correction: correction.requireID(), position: k, number: change.number,
                                                   before: change.before == "-" ? nil : change.before, after: change.after == "-" ? nil : change.after).create(on: database)
                    }
                }
            }
            try await sql.raw("ALTER TABLE allocation_rounds DROP COLUMN corrections").run()
        }
    }

    func revert(on database: any Database) async throws {
        // One transaction: a conversion stopped half-way leaves the database as it was.
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.raw("ALTER TABLE allocation_rounds ADD COLUMN corrections TEXT NOT NULL DEFAULT ''").run()
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            struct Change: Encodable { let number: String; let before: String; let after: String }
            struct Line: Encodable { let at: String; let by: String; let number: String; let pointsBefore: String; let pointsAfter: String; let reason: String; let changes: [Change] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let corrections = try await RoundCorrection.query(on: database).with(\.$changes).sort(\.$at).all()
            for (round, group) in Dictionary(grouping: corrections, by: { $0.$round.id }) {
                let lines = try group.map { c in
                    String(decoding: try encoder.encode(Line(at: formatter.string(from: c.at), by: c.by, number: c.number,
                                                             pointsBefore: Points(hundredths: c.pointsBefore).description, pointsAfter: Points(hundredths: c.pointsAfter).description,
                                                             reason: c.reason, changes: c.changes.sorted { $0.position < $1.position }.map {
                                                                 Change(number: $0.number, before: $0.schoolBefore ?? "-", after: $0.schoolAfter ?? "-")
                                                             })), as: UTF8.self)
                }
                try await sql.update("allocation_rounds").set("corrections", to: lines.joined(separator: "\n")).where("id", .equal, round).run()
            }
            try await database.schema(CorrectionChange.schema).delete()
            try await database.schema(RoundCorrection.schema).delete()
        }
    }
}
