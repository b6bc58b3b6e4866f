import Fluent
import SQLKit
import Vapor

extension ServiceApplication {
    /// The ranking of round `n`, in the parent's order (needs `ranking` loaded: `.with(\.$ranking)`).
    func schools(round n: Int) -> [String] {
        ranking.filter { $0.round == n }.sorted { $0.rank < $1.rank }.map(\.schoolCode)
    }

    /// The application's own ranking (round 1).
    var schoolCodes: [String] { schools(round: 1) }

    /// Replaces the ranking of round `n` with `schools`, in the caller's transaction.
    func rank(_ schools: [String], round n: Int, on db: any Database) async throws {
        let id = try requireID()
        try await ServicePreference.query(on: db).filter(\.$application.$id == id).filter(\.$round == n).delete()
        for (k, school) in schools.enumerated() {
            try await ServicePreference(application: id, round: n, rank: k + 1, school: school).create(on: db)
        }
    }
}
