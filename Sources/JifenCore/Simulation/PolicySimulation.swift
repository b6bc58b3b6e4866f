/// Policy simulation (政策模拟): a program year's applicants scored again under a draft standard
/// and allocated again, compared with the standard in force. Pure: it writes nothing anywhere.
public enum PolicySimulation {
    public struct Applicant: Sendable {
        public var id: String
        /// Masked name, for the lists of who gains and who loses.
        public var name: String
        public var town: String
        /// The confirmed facts of his points archive, by item id.
        public var facts: [String: [Fact]]
        public var submittedAt: Instant
        public var preferences: [String]

        public init(id: String, name: String, town: String, facts: [String: [Fact]], submittedAt: Instant, preferences: [String]) {
            self.id = id
            self.name = name
            self.town = town
            self.facts = facts
            self.submittedAt = submittedAt
            self.preferences = preferences
        }
    }

    public struct Person: Sendable, Equatable {
        public var id, name, town: String
        public var before, after: Points
        public var schoolBefore, schoolAfter: String?
    }

    public struct CategoryShift: Sendable, Equatable {
        public var id, title: String
        /// Applicants whose subtotal in this category went up, or down.
        public var up: Int
        public var down: Int
    }

    public struct CutoffShift: Sendable, Equatable {
        public var school: String
        public var before, after: Points?
    }

    public struct Result: Sendable {
        public var applicants: Int
        /// Applicants whose outcome (school, or none) differs.
        public var changed: Int
        public var changedByTown: [(town: String, count: Int)]
        public var categories: [CategoryShift]
        /// Those whose outcome changed, better first: a school where there was none, or one
        /// they ranked higher.
        public var gainers: [Person]
        public var losers: [Person]
        public var cutoffs: [CutoffShift]
        /// Applicants per band of `bandWidth` points, before and after.
        public var bandWidth: Int
        public var distributionBefore, distributionAfter: [Int]
    }

    /// Scores everyone under both standards (as of `asOf`), allocates both ways with the same
    /// seats and tie-break keys, and compares.
    public static func run(_ applicants: [Applicant], seats: [String: Int], current: ScoringStandard, draft: ScoringStandard,
                           tiebreak keys: [TieBreakKey], asOf: CivilDate, bandWidth: Int = 20,
                           progress: (Int, Int) -> Void = { _, _ in }) -> Result {
        let before = Evaluator(current), after = Evaluator(draft)
        var scoredBefore: [Evaluator.Evaluation] = [], scoredAfter: [Evaluator.Evaluation] = []
        scoredBefore.reserveCapacity(applicants.count)
        scoredAfter.reserveCapacity(applicants.count)
        for (n, a) in applicants.enumerated() {
            let profile = Profile(id: a.id, asOf: asOf, facts: a.facts)
            scoredBefore.append(before.evaluate(profile, asOf: asOf))
            scoredAfter.append(after.evaluate(profile, asOf: asOf))
            if n % 1000 == 999 { progress(n + 1, applicants.count) }
        }
        progress(applicants.count, applicants.count)
        func allocate(_ scored: [Evaluator.Evaluation]) -> (AllocationInstance, Allocation.Outcome) {
            let schools = seats.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            var x = AllocationInstance(schools: schools, seats: schools.map { seats[$0]! })
            for (a, e) in zip(applicants, scored) {
                let tiebreak = TieBreakKey.values(keys, in: e.categories)
                x.append(id: a.id, points: Double(e.total.hundredths) / 100, pointsText: e.total.description,
                         tiebreak: tiebreak.map { Double($0.hundredths) / 100 }, submittedAt: a.submittedAt, preferences: a.preferences)
            }
            return (x, Allocation.run(x))
        }
        let (x0, o0) = allocate(scoredBefore)
        let (x1, o1) = allocate(scoredAfter)
        func school(_ x: AllocationInstance, _ o: Allocation.Outcome, _ i: Int) -> String? { o.assignment[i] >= 0 ? x.schools[Int(o.assignment[i])] : nil }

        var changed = 0
        var byTown: [String: Int] = [:]
        var gainers: [Person] = [], losers: [Person] = []
        for (i, a) in applicants.enumerated() {
            let s0 = school(x0, o0, i), s1 = school(x1, o1, i)
            guard s0 != s1 else { continue }
            changed += 1
            byTown[a.town, default: 0] += 1
            let person = Person(id: a.id, name: a.name, town: a.town, before: scoredBefore[i].total, after: scoredAfter[i].total, schoolBefore: s0, schoolAfter: s1)
            // Better: a school where there was none, or one ranked higher than before.
            let rank = { (s: String?) -> Int in s.flatMap { a.preferences.firstIndex(of: $0) } ?? Int.max }
            if rank(s1) < rank(s0) { gainers.append(person) } else { losers.append(person) }
        }
        let categories = draft.categories.map { category -> CategoryShift in
            var up = 0, down = 0
            for i in applicants.indices {
                let b = scoredBefore[i].categories.first { $0.id == category.id }?.points ?? .zero
                let f = scoredAfter[i].categories.first { $0.id == category.id }?.points ?? .zero
                if f > b { up += 1 } else if f < b { down += 1 }
            }
            return CategoryShift(id: category.id, title: category.title, up: up, down: down)
        }
        let cutoffs = x0.schools.enumerated().map { k, s -> CutoffShift in
            let c0 = o0.last[k], c1 = o1.last[k]
            return CutoffShift(school: s, before: c0 >= 0 ? scoredBefore[Int(c0)].total : nil, after: c1 >= 0 ? scoredAfter[Int(c1)].total : nil)
        }
        func bands(_ scored: [Evaluator.Evaluation]) -> [Int] {
            let width = Int64(max(1, bandWidth)) * 100
            let top = Int((scored.map(\.total.hundredths).max() ?? 0) / width)
            var counts = [Int](repeating: 0, count: top + 1)
            for e in scored { counts[Int(max(0, e.total.hundredths) / width)] += 1 }
            return counts
        }
        var d0 = bands(scoredBefore), d1 = bands(scoredAfter)
        let n = max(d0.count, d1.count)
        d0 += [Int](repeating: 0, count: n - d0.count)
        d1 += [Int](repeating: 0, count: n - d1.count)
        return Result(applicants: applicants.count, changed: changed,
                      changedByTown: byTown.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { (town: $0.key, count: $0.value) },
                      categories: categories,
                      gainers: gainers.sorted { ($0.after - $0.before, $1.id) > ($1.after - $1.before, $0.id) },
                      losers: losers.sorted { ($0.before, $1.id) > ($1.before, $0.id) },
                      cutoffs: cutoffs, bandWidth: bandWidth, distributionBefore: d0, distributionAfter: d1)
    }
}
