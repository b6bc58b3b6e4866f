import Fluent
import Foundation
import JifenCore

/// An application as a round reads it: the columns the freeze, the allocation and the results
/// use, and its ranked schools, as plain values. A city's round reads twelve thousand of them and
/// their seventy thousand ranked schools; as models (each ranking line a model of its own) that
/// reading cost most of a second.
struct RoundApplicant: Sendable, Equatable {
    let id: UUID
    let number: String
    /// The applicant (the resident who applied).
    let resident: UUID
    let submittedAt: Date
    /// Frozen by round 1: hundredths of a point, the tie-break values, the priority level.
    var points: Int64?
    var tiebreakPoints: [Int64]?
    var priority: Int?
    /// The ranked school codes of round 1 and of round 2, in rank order.
    var first: [String]
    var second: [String]

    /// The ranked schools of round `n`.
    func schools(round n: Int) -> [String] { n == 2 ? second : first }

    /// An application model already read, with its rankings loaded.
    init(_ application: ServiceApplication) throws {
        id = try application.requireID()
        number = application.number
        resident = application.$resident.id
        submittedAt = application.submittedAt
        points = application.points
        tiebreakPoints = application.tiebreakPoints
        priority = application.priority
        first = application.schools(round: 1)
        second = application.schools(round: 2)
    }

    init(id: UUID, number: String, resident: UUID, submittedAt: Date, points: Int64?, tiebreakPoints: [Int64]?, priority: Int?, first: [String], second: [String]) {
        self.id = id
        self.number = number
        self.resident = resident
        self.submittedAt = submittedAt
        self.points = points
        self.tiebreakPoints = tiebreakPoints
        self.priority = priority
        self.first = first
        self.second = second
    }

    /// Every application of `program` with its rankings: two queries of plain rows.
    static func all(of program: UUID, on db: any Database) async throws -> [RoundApplicant] {
        // The applications first: one saved between the two reads has its rankings read too
        // (an application and its rankings are saved in one transaction).
        let rows = try await PlainRow.many("""
            SELECT id, number, resident_id, submitted_at, points, tiebreak_points, priority FROM \(unsafeRaw: ServiceApplication.schema)
            WHERE program_id = \(bind: program)
            """, on: db)
        var ranked: [UUID: [(round: Int64, rank: Int64, school: String)]] = [:]
        for row in try await PlainRow.many("""
            SELECT application_id, "round", "rank", school_code FROM \(unsafeRaw: ServicePreference.schema)
            WHERE application_id IN (SELECT id FROM \(unsafeRaw: ServiceApplication.schema) WHERE program_id = \(bind: program))
            """, on: db) {
            ranked[try row.uuid("application_id"), default: []].append((try row.int("round"), try row.int("rank"), try row.string("school_code")))
        }
        return try rows.map { row in
            let id = try row.uuid("id")
            let lines = (ranked[id] ?? []).sorted { ($0.round, $0.rank) < ($1.round, $1.rank) }
            return RoundApplicant(id: id, number: try row.string("number"), resident: try row.uuid("resident_id"), submittedAt: try row.date("submitted_at"),
                                  points: try row.optionalInt("points"), tiebreakPoints: try row.optionalJSON("tiebreak_points", as: [Int64].self),
                                  priority: try row.optionalInt("priority").map { Int($0) },
                                  first: lines.filter { $0.round == 1 }.map(\.school), second: lines.filter { $0.round == 2 }.map(\.school))
        }
    }
}
