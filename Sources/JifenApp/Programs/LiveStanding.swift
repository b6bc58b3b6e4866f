import Fluent
import JifenCore
import NIOConcurrencyHelpers
import Vapor

/// Where things stand while a program's window is open (实时报名情况): the round run as if the
/// window closed now, on the applications present and everyone's points as they stand, kept for a
/// few minutes. A parent is shown only his own place; the program's page only counts.
struct LiveStanding: Sendable {
    struct Place: Sendable, Equatable {
        let school: String
        /// 1 + those before him in the order who would take a seat there before his turn.
        let position: Int
        let seats: Int
    }

    let computedAt: Date
    /// By application number: his places at each ranked school, in his order, and the school he
    /// would get (nil: none).
    let places: [String: (places: [Place], school: String?)]
    /// By school: its seats, and how many rank it first, second, third…
    let demand: [String: (seats: Int, byRank: [Int])]

    /// How long a computed standing is kept.
    static let keepSeconds: TimeInterval = 300

    static func compute(_ program: Program, service: ProgramService) async throws -> LiveStanding {
        let db = service.db
        var applications = try await RoundApplicant.all(of: program.requireID(), on: db)
        var seats: [String: Int] = [:]
        for q in try await Quota.query(on: db).filter(\.$program.$id == program.requireID()).with(\.$school).all() { seats[q.school.code] = q.seats }
        // Everyone's points as they stand now, in memory only: nothing is frozen or saved.
        try await service.freeze(program, &applications)
        let instance = try await service.instance(program, round: 1, applications: applications, seats: seats, towns: [:])
        let outcome = Allocation.run(instance)
        var taken = Array(repeating: 0, count: instance.schools.count)
        var places: [String: (places: [Place], school: String?)] = [:]
        var byRank: [String: [Int]] = [:]
        for a32 in outcome.order {
            let a = Int(a32)
            let prefs = instance.preferences[Int(instance.preferenceStart[a])..<Int(instance.preferenceStart[a + 1])]
            var mine: [Place] = []
            for (rank, s) in prefs.enumerated() {
                let code = s >= 0 ? instance.schools[Int(s)] : instance.preferenceText[Int(instance.preferenceStart[a]) + rank]
                mine.append(Place(school: code, position: (s >= 0 ? taken[Int(s)] : 0) + 1, seats: s >= 0 ? instance.seats[Int(s)] : 0))
                var counts = byRank[code] ?? []
                while counts.count <= rank { counts.append(0) }
                counts[rank] += 1
                byRank[code] = counts
            }
            let got = outcome.assignment[a]
            if got >= 0 { taken[Int(got)] += 1 }
            places[instance.ids[a]] = (mine, got >= 0 ? instance.schools[Int(got)] : nil)
        }
        let demand = Dictionary(uniqueKeysWithValues: seats.map { code, n in (code, (seats: n, byRank: byRank[code] ?? [])) })
        return LiveStanding(computedAt: service.now, places: places, demand: demand)
    }

    /// The standing of `program`, from the node's store when it is younger than `keepSeconds`.
    static func current(_ program: Program, service: ProgramService) async throws -> LiveStanding {
        let key = try program.requireID()
        let store = service.app.liveStandings
        if let kept = store.withLockedValue({ $0[key] }), service.now.timeIntervalSince(kept.computedAt) < keepSeconds, kept.computedAt <= service.now {
            return kept
        }
        let fresh = try await compute(program, service: service)
        store.withLockedValue { $0[key] = fresh }
        return fresh
    }
}

extension Application {
    private struct LiveStandingsKey: StorageKey { typealias Value = NIOLockedValueBox<[UUID: LiveStanding]> }
    /// Each program's live standing, kept by this node.
    var liveStandings: NIOLockedValueBox<[UUID: LiveStanding]> {
        if let box = storage[LiveStandingsKey.self] { return box }
        let box = NIOLockedValueBox<[UUID: LiveStanding]>([:])
        storage[LiveStandingsKey.self] = box
        return box
    }
}
