import Fluent
import Foundation
import JifenCore
import SQLKit

extension AllocationRound {
    /// Locks round `id` inside a transaction before it is read and changed (a write: PostgreSQL's
    /// row lock, SQLite's write lock), so corrections and declines of one round happen one after
    /// another.
    static func lock(_ id: UUID, on db: any Database) async throws {
        try await (db as! any SQLDatabase).raw("UPDATE allocation_rounds SET round = round WHERE id = \(bind: id)").run()
    }

    struct SchoolCutoff { let school: String; let seats: Int; let admitted: Int; let points: String? }

    /// Each school of the round in code order: seats, admitted and the cutoff's points.
    func cutoffs(on db: any Database) async throws -> [SchoolCutoff] {
        try await RoundSchool.query(on: db).filter(\.$round.$id == requireID()).all()
            .sorted { $0.schoolCode.utf8.lexicographicallyPrecedes($1.schoolCode.utf8) }
            .map { SchoolCutoff(school: $0.schoolCode, seats: $0.seats, admitted: $0.admitted, points: $0.cutoffPoints.map { Points(hundredths: $0).description }) }
    }

    /// The trace of one applicant in this round, in his order.
    func steps(of number: String, on db: any Database) async throws -> [AllocationTrace.Step] {
        try await AllocationTrace.query(on: db).filter(\.$round.$id == requireID()).filter(\.$number == number).first()?.steps ?? []
    }

    /// Every applicant's trace in this round, by application number.
    func traces(on db: any Database) async throws -> [String: [AllocationTrace.Step]] {
        var traces: [String: [AllocationTrace.Step]] = [:]
        for trace in try await AllocationTrace.query(on: db).filter(\.$round.$id == requireID()).all() { traces[trace.number] = try trace.steps }
        return traces
    }

    /// Stores the schools and the trace of an allocation, replacing what the round held.
    func store(_ instance: AllocationInstance, _ outcome: Allocation.Outcome, points: [String: Int64], on db: any Database) async throws {
        let id = try requireID()
        try await RoundSchool.query(on: db).filter(\.$round.$id == id).delete()
        try await AllocationTrace.query(on: db).filter(\.$round.$id == id).delete()
        var schools: [[Batches.Value]] = []
        for (k, code) in instance.schools.enumerated() {
            let c = Int(outcome.last[k])
            schools.append([.id(UUID()), .id(id), .text(code), .integer(instance.seats[k]), .integer(Int(outcome.admitted[k])),
                            .optional(c >= 0 ? instance.ids[c] : nil, Batches.Value.text), .optional(c >= 0 ? points[instance.ids[c]] ?? 0 : nil, Batches.Value.integer),
                            .optional(c >= 0 ? Int(outcome.rank[c]) + 1 : nil, Batches.Value.integer)])
        }
        try await Batches.insert(into: RoundSchool.schema,
                                 columns: ["id", "round_id", "school_code", "seats", "admitted", "cutoff_number", "cutoff_points", "cutoff_rank"], schools, on: db)
        var traces: [[Batches.Value]] = []
        traces.reserveCapacity(instance.count)
        let traceIDs = OrderedIDs(now: runAt)
        // By number, the order of the trace's index (round, number).
        let byNumber = (0..<instance.count).sorted { instance.ids[$0].utf8.lexicographicallyPrecedes(instance.ids[$1].utf8) }
        for a in byNumber {
            var tried: [String] = [], outcomes: [String] = []
            for step in Allocation.trace(a, in: instance, outcome: outcome) {
                let (school, what): (String, AllocationTrace.Outcome) = switch step {
                case .admitted(let school): (school, .admitted)
                case .noSeats(let school): (school, .noSeats)
                case .full(let school, _): (school, .full)
                }
                tried.append(school)
                outcomes.append(what.rawValue)
            }
            // No school to try (no list in the round): no trace, as none is read for him.
            if !tried.isEmpty { traces.append([.id(traceIDs.id(traces.count)), .id(id), .text(instance.ids[a]), .texts(tried), .texts(outcomes)]) }
        }
        try await Batches.insert(into: AllocationTrace.schema, columns: ["id", "round_id", "number", "schools", "outcomes"], traces, on: db)
    }
}
