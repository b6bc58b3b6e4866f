import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 015 – a round's result as rows (schools with cutoffs, every trace) instead of a JSON document. Frozen: a shipped migration is never edited.

/// A round's result moves from one JSON document (`allocation_rounds.result`: DESIGN §5's output
/// with the trace) to rows: its schools with their cutoffs, and every applicant's trace. The
/// column is dropped; the assignments were rows already (`allocation_results`).
struct CreateRoundRows: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One transaction: a conversion stopped half-way leaves the database as it was.
        try await database.transaction { database in
            try await database.schema(RoundSchool.schema)
                .id()
                .field("round_id", .uuid, .required, .references("allocation_rounds", .id, onDelete: .cascade))
                .field("school_code", .string, .required)
                .field("seats", .int, .required)
                .field("admitted", .int, .required)
                .field("cutoff_number", .string)
                .field("cutoff_points", .int64)
                .field("cutoff_rank", .int)
                .unique(on: "round_id", "school_code")
                .create()
            try await database.schema(AllocationStep.schema)
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
            let sql = database as! any SQLDatabase
            struct Old: Decodable { let id: UUID; let result: String }
            for round in try await sql.raw("SELECT id, result FROM allocation_rounds").all(decoding: Old.self) {
                let json = try JSONText.parse(round.result)
                func int(_ v: JSONValue?) -> Int? { if case .number(let n)? = v { Int(n) } else { nil } }
                func string(_ v: JSONValue?) -> String? { if case .string(let s)? = v { s } else { nil } }
                var schools: [RoundSchool] = []
                if case .object(let members)? = json["cutoffs"] {
                    for (code, c) in members {
                        let row = RoundSchool()
                        row.$round.id = round.id
                        row.schoolCode = code
                        row.seats = int(c["seats"]) ?? 0
                        row.admitted = int(c["admitted"]) ?? 0
                        row.cutoffNumber = string(c["applicant"])
                        if case .number(let p)? = c["points"] { row.cutoffPoints = Points(parsing: p)?.hundredths }
                        row.cutoffRank = int(c["rank"])
                        schools.append(row)
                    }
                }
                try await schools.create(on: database, batch: 200)
                var steps: [AllocationStep] = []
                if case .object(let trace)? = json["trace"] {
                    for (number, t) in trace {
                        guard case .array(let list)? = t["steps"] else { continue }
                        for (position, s) in list.enumerated() {
                            let row = AllocationStep()
                            row.$round.id = round.id
                            row.number = number
                            row.position = position
                            row.schoolCode = string(s["school"]) ?? ""
                            row.outcome = AllocationStep.Outcome(rawValue: string(s["result"]) ?? "") ?? .noSeats
                            row.cutoffNumber = string(s["cutoff"])
                            row.cutoffRank = int(s["cutoffRank"])
                            steps.append(row)
                        }
                    }
                }
                try await steps.create(on: database, batch: 500)
            }
            try await sql.raw("ALTER TABLE allocation_rounds DROP COLUMN result").run()
        }
    }

    /// Back to one document per round, in DESIGN §5's form with the trace, from the rows (and
    /// the round's results, which hold each applicant's school and rank).
    func revert(on database: any Database) async throws {
        // One transaction: a conversion stopped half-way leaves the database as it was.
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.raw("ALTER TABLE allocation_rounds ADD COLUMN result TEXT NOT NULL DEFAULT ''").run()
            struct Round: Decodable { let id: UUID }
            for round in try await sql.raw("SELECT id FROM allocation_rounds").all(decoding: Round.self) {
                // Read as plain rows: the model has grown columns later migrations add (and a
                // revert of those has taken away by now).
                struct Result: Decodable {
                    let number: String; let schoolCode: String?; let rank: Int
                    enum CodingKeys: String, CodingKey { case number, schoolCode = "school_code", rank }
                }
                let results = try await sql.select().columns("number", "school_code", "rank").from("allocation_results")
                    .where("round_id", .equal, round.id).all(decoding: Result.self)
                let schools = try await RoundSchool.query(on: database).filter(\.$round.$id == round.id).all()
                let steps = Dictionary(grouping: try await AllocationStep.query(on: database).filter(\.$round.$id == round.id).all(), by: \.number)
                let byUTF8 = { (a: String, b: String) in a.utf8.lexicographicallyPrecedes(b.utf8) }
                var out = "{\"assignments\":{" + results.sorted { byUTF8($0.number, $1.number) }
                    .map { JSONText.quote($0.number) + ":" + ($0.schoolCode.map(JSONText.quote) ?? "null") }.joined(separator: ",")
                out += "},\"cutoffs\":{" + schools.sorted { byUTF8($0.schoolCode, $1.schoolCode) }.map { s in
                    var text = JSONText.quote(s.schoolCode) + ":{\"seats\":\(s.seats),\"admitted\":\(s.admitted)"
                    if let number = s.cutoffNumber, let points = s.cutoffPoints, let rank = s.cutoffRank {
                        text += ",\"applicant\":" + JSONText.quote(number) + ",\"points\":" + Points(hundredths: points).description + ",\"rank\":\(rank)"
                    }
                    return text + "}"
                }.joined(separator: ",")
                out += "},\"trace\":{" + results.sorted { byUTF8($0.number, $1.number) }.map { r in
                    JSONText.quote(r.number) + ":{\"rank\":\(r.rank),\"steps\":[" + (steps[r.number] ?? []).sorted { $0.position < $1.position }.map { s in
                        var text = "{\"school\":" + JSONText.quote(s.schoolCode) + ",\"result\":\"" + s.outcome.rawValue + "\""
                        if let c = s.cutoffNumber { text += ",\"cutoff\":" + JSONText.quote(c) }
                        if let r = s.cutoffRank { text += ",\"cutoffRank\":\(r)" }
                        return text + "}"
                    }.joined(separator: ",") + "]}"
                }.joined(separator: ",") + "}}"
                try await sql.update("allocation_rounds").set("result", to: out).where("id", .equal, round.id).run()
            }
            try await database.schema(AllocationStep.schema).delete()
            try await database.schema(RoundSchool.schema).delete()
        }
    }
}
