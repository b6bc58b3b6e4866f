import Fluent
import Foundation
import JifenCore
import SQLKit

extension AllocationRound {
    struct SchoolCutoff { let school: String; let seats: Int; let admitted: Int; let points: String? }

    /// Each school of the round in code order: seats, admitted and the cutoff's points.
    func cutoffs(on db: any Database) async throws -> [SchoolCutoff] {
        try await RoundSchool.query(on: db).filter(\.$round.$id == requireID()).all()
            .sorted { $0.schoolCode.utf8.lexicographicallyPrecedes($1.schoolCode.utf8) }
            .map { SchoolCutoff(school: $0.schoolCode, seats: $0.seats, admitted: $0.admitted, points: $0.cutoffPoints.map { Points(hundredths: $0).description }) }
    }

    /// The trace of one applicant in this round, in his order.
    func steps(of number: String, on db: any Database) async throws -> [AllocationStep] {
        try await AllocationStep.query(on: db).filter(\.$round.$id == requireID()).filter(\.$number == number).sort(\.$position).all()
    }

    /// Stores the schools and the trace of an allocation, replacing what the round held.
    func store(_ instance: AllocationInstance, _ outcome: Allocation.Outcome, points: [String: Int64], on db: any Database) async throws {
        let id = try requireID()
        try await RoundSchool.query(on: db).filter(\.$round.$id == id).delete()
        try await AllocationStep.query(on: db).filter(\.$round.$id == id).delete()
        var schools: [RoundSchool] = []
        for (k, code) in instance.schools.enumerated() {
            let row = RoundSchool()
            row.$round.id = id
            row.schoolCode = code
            row.seats = instance.seats[k]
            row.admitted = Int(outcome.admitted[k])
            let c = Int(outcome.last[k])
            if c >= 0 {
                row.cutoffNumber = instance.ids[c]
                row.cutoffPoints = points[instance.ids[c]] ?? 0
                row.cutoffRank = Int(outcome.rank[c]) + 1
            }
            schools.append(row)
        }
        try await schools.create(on: db, batch: 200)
        var steps: [AllocationStep] = []
        for a in 0..<instance.count {
            for (position, step) in Allocation.trace(a, in: instance, outcome: outcome).enumerated() {
                let row = AllocationStep()
                row.$round.id = id
                row.number = instance.ids[a]
                row.position = position
                switch step {
                case .admitted(let school): row.schoolCode = school; row.outcome = .admitted
                case .noSeats(let school): row.schoolCode = school; row.outcome = .noSeats
                case .full(let school, let cutoff):
                    row.schoolCode = school
                    row.outcome = .full
                    row.cutoffNumber = instance.ids[Int(cutoff)]
                    row.cutoffRank = Int(outcome.rank[Int(cutoff)]) + 1
                }
                steps.append(row)
            }
        }
        try await steps.create(on: db, batch: 500)
    }
}
