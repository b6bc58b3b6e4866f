/// Offers and waitlists after a round is final (DESIGN §5a). A placed family may decline its
/// seat; the seat goes to the first applicant in the round's priority order who ranked that
/// school above what he holds (or holds nothing), his own seat goes on the same way, and so on
/// until nobody wants the seat left free. The chain of moves gives exactly what serial
/// dictatorship over the same order gives with the decliners removed: nobody before the
/// decliner wanted the seat (he had it when they chose), and each mover takes the seat he would
/// have taken had the decliner never applied.
public struct Waitlist: Sendable {
    /// A move of applicant `applicant` from school `from` to school `to` (-1: none).
    public struct Move: Sendable, Equatable {
        public let applicant: Int
        public let from: Int32
        public let to: Int32
        public init(applicant: Int, from: Int32, to: Int32) {
            self.applicant = applicant
            self.from = from
            self.to = to
        }
    }

    /// Applicants in the round's priority order.
    public let order: [Int]
    /// Each applicant's ranked schools (indices; -1 and schools he cannot hold are skipped).
    public let preferences: [[Int32]]
    /// Each applicant's school now, -1 for none.
    public private(set) var assignment: [Int32]
    /// Those who declined: out of the round for good.
    public private(set) var declined: [Bool]

    public init(order: [Int], preferences: [[Int32]], assignment: [Int32], declined: [Bool]? = nil) {
        precondition(preferences.count == assignment.count && order.count == assignment.count)
        self.order = order
        self.preferences = preferences
        self.assignment = assignment
        self.declined = declined ?? Array(repeating: false, count: assignment.count)
    }

    /// Whether `a` ranked `school` above what he holds.
    public func wants(_ a: Int, _ school: Int32) -> Bool {
        let held = assignment[a]
        for s in preferences[a] {
            if held >= 0 && s == held { return false }
            if s == school { return true }
        }
        return false
    }

    /// Applicant `a` declines. His own line comes first (`to` -1); the moves follow in the order
    /// they were made. When `fill` is false (the waitlist has closed) the seat is left free.
    public mutating func decline(_ a: Int, fill: Bool = true) -> [Move] {
        guard !declined[a] else { return [] }
        declined[a] = true
        var moves = [Move(applicant: a, from: assignment[a], to: -1)]
        var vacancy = assignment[a]
        assignment[a] = -1
        guard fill else { return moves }
        while vacancy >= 0 {
            guard let taker = order.first(where: { !declined[$0] && wants($0, vacancy) }) else { break }
            let left = assignment[taker]
            moves.append(Move(applicant: taker, from: left, to: vacancy))
            assignment[taker] = vacancy
            vacancy = left
        }
        return moves
    }
}
