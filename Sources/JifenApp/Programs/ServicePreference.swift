import Fluent
import SQLKit
import Vapor

/// One school of an application's ranking (志愿) for a round: rank 1 is the first choice.
/// Round 1 is the application's own ranking; round 2 the new one given for the second round
/// (调剂) — none there places the applicant by the town he lives in.
final class ServicePreference: Model, @unchecked Sendable {
    static let schema = "service_preferences"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "round") var round: Int
    @Field(key: "rank") var rank: Int
    @Field(key: "school_code") var schoolCode: String

    // relationships
    @Parent(key: "application_id") var application: ServiceApplication

    init() {}

    init(application: UUID, round: Int, rank: Int, school: String) {
        self.$application.id = application
        self.round = round
        self.rank = rank
        self.schoolCode = school
    }
}

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
