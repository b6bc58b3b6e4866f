import Fluent
import SQLKit
import Vapor

extension ServiceApplication {
    /// The ranking of round `n`, in the parent's order (needs `ranking` loaded: `.with(\.$ranking)`).
    func schools(round n: Int) -> [String] {
        ranking.filter { $0.round == n }.sorted { $0.rank < $1.rank }.map(\.schoolCode)
    }

    /// Loads the rankings of many applications at once, in slices of five hundred, grouped by a
    /// dictionary (Fluent's own `.with(\.$ranking)` matches every ranking against every
    /// application: minutes for a city's round).
    /// The rankings come as plain rows (four columns, no model decoded each): they are only read.
    static func loadRankings(_ applications: [ServiceApplication], on db: any Database) async throws {
        let ids = applications.compactMap(\.id)
        var found: [UUID: [ServicePreference]] = [:]
        for slice in Batches.slices(ids) {
            for row in try await PlainRow.all("SELECT id, application_id, \"round\", \"rank\", school_code FROM \(unsafeRaw: ServicePreference.schema) WHERE application_id IN (\(binds: Array(slice)))", on: db) {
                let application = try row.uuid("application_id")
                let preference = ServicePreference(application: application, round: Int(try row.int("round")), rank: Int(try row.int("rank")), school: try row.string("school_code"))
                preference.id = try row.uuid("id")
                preference.$id.exists = true
                found[application, default: []].append(preference)
            }
        }
        for application in applications { application.$ranking.value = application.id.flatMap { found[$0] } ?? [] }
    }

    /// Loads the applicants of many applications, a slice at a time.
    static func loadResidents(_ applications: [ServiceApplication], on db: any Database) async throws {
        let found = try await Resident.whole(of: applications.map { $0.$resident.id }, on: db)
        for application in applications { application.$resident.value = found[application.$resident.id] }
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
