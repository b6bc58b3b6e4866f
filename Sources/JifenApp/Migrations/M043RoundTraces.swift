import Fluent
import Foundation
import SQLKit

/// Migration 043 – a round's trace as one row an applicant (`allocation_traces`: the schools he
/// was tried at and what each did, two lists) instead of one row a step (`allocation_steps`,
/// migration 015). A city's round wrote some thirty-three thousand step rows, each with its own
/// id and two index entries, in the transaction that publishes it. Every stored step moves, in
/// order. A full school's step named the last applicant it admitted and his rank: that is the
/// school's cutoff in the round (`round_schools`), as the allocation makes it, and the migration
/// checks each one is before it drops the old table; one that is not stops the upgrade.
/// Frozen: a shipped migration is never edited.
struct RoundTraces043: AsyncMigration {
    private struct OldStep: Decodable {
        let round_id: UUID, number: String, position: Int, school_code: String, outcome: String, cutoff_number: String?, cutoff_rank: Int?
    }

    private struct Cutoff: Decodable { let round_id: UUID, school_code: String, cutoff_number: String?, cutoff_rank: Int? }
    private struct School: Hashable { let round: UUID, code: String }

    /// Each school's cutoff in each round.
    private static func cutoffs(on sql: any SQLDatabase) async throws -> [School: Cutoff] {
        var cutoffs: [School: Cutoff] = [:]
        for cutoff in try await sql.raw("SELECT round_id, school_code, cutoff_number, cutoff_rank FROM round_schools").all(decoding: Cutoff.self) {
            cutoffs[School(round: cutoff.round_id, code: cutoff.school_code)] = cutoff
        }
        return cutoffs
    }

    struct Unconvertible: Error, CustomStringConvertible {
        let number: String, school: String, problem: String
        var description: String { "allocation_steps of \(number) at \(school): \(problem)" }
    }

    func prepare(on database: any Database) async throws {
        // One transaction: a conversion stopped half-way leaves the database as it was.
        try await database.transaction { database in
            try await database.schema("allocation_traces")
                .id()
                .field("round_id", .uuid, .required, .references("allocation_rounds", .id, onDelete: .cascade))
                .field("number", .string, .required)
                .field("schools", .array(of: .string), .required)
                .field("outcomes", .array(of: .string), .required)
                .unique(on: "round_id", "number")
                .create()
            let sql = database as! any SQLDatabase
            let cutoffs = try await Self.cutoffs(on: sql)
            let old = try await sql.raw("""
                SELECT round_id, number, position, school_code, outcome, cutoff_number, cutoff_rank FROM allocation_steps
                ORDER BY round_id, number, position
                """).all(decoding: OldStep.self)
            var rows: [[Batches.Value]] = []
            var k = old.startIndex
            while k < old.endIndex {
                let first = old[k]
                var schools: [String] = [], outcomes: [String] = []
                while k < old.endIndex, old[k].round_id == first.round_id, old[k].number == first.number {
                    let step = old[k]
                    guard AllocationTrace.Outcome(rawValue: step.outcome) != nil else {
                        throw Unconvertible(number: step.number, school: step.school_code, problem: "\(step.outcome) is not admitted, full or noSeats")
                    }
                    if step.cutoff_number != nil || step.cutoff_rank != nil {
                        let school = cutoffs[School(round: step.round_id, code: step.school_code)]
                        guard school?.cutoff_number == step.cutoff_number, school?.cutoff_rank == step.cutoff_rank else {
                            throw Unconvertible(number: step.number, school: step.school_code, problem: "its cutoff is not the school's cutoff in the round")
                        }
                    }
                    schools.append(step.school_code)
                    outcomes.append(step.outcome)
                    k += 1
                }
                rows.append([.id(UUID()), .id(first.round_id), .text(first.number), .texts(schools), .texts(outcomes)])
            }
            try await Batches.insert(into: "allocation_traces", columns: ["id", "round_id", "number", "schools", "outcomes"], rows, on: database)
            try await database.schema("allocation_steps").delete()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { database in
            try await database.schema("allocation_steps")
                .id()
                .field("round_id", .uuid, .required, .references("allocation_rounds", .id, onDelete: .cascade))
                .field("number", .string, .required)
                .field("position", .int, .required)
                .field("school_code", .string, .required)
                .field("outcome", .string, .required)
                .field("cutoff_number", .string)
                .field("cutoff_rank", .int)
                .unique(on: "round_id", "number", "position")
                .create()
            let cutoffs = try await Self.cutoffs(on: database as! any SQLDatabase)
            var rows: [[Batches.Value]] = []
            for trace in try await AllocationTrace.query(on: database).all() {
                for (position, step) in try trace.steps.enumerated() {
                    let cutoff = step.outcome == .full ? cutoffs[School(round: trace.$round.id, code: step.schoolCode)] : nil
                    rows.append([.id(UUID()), .id(trace.$round.id), .text(trace.number), .integer(position), .text(step.schoolCode), .text(step.outcome.rawValue),
                                  .optional(cutoff?.cutoff_number, Batches.Value.text), .optional(cutoff?.cutoff_rank, Batches.Value.integer)])
                }
            }
            try await Batches.insert(into: "allocation_steps",
                                     columns: ["id", "round_id", "number", "position", "school_code", "outcome", "cutoff_number", "cutoff_rank"], rows, on: database)
            try await database.schema("allocation_traces").delete()
        }
    }
}
