import JifenCore
import XCTest

final class WaitlistTests: XCTestCase {
    /// Random rounds, random families declining one after another (some of them after a move):
    /// the seats in the end are those serial dictatorship gives over the same order with the
    /// decliners removed and their choices deleted, and every move is up the mover's own list.
    func testDeclinesAndTheirChainsEndWhereSerialDictatorshipWithoutTheDeclinersEnds() {
        var rng = SplitMix64(seed: 16)
        var movesSeen = 0
        for round in 0..<300 {
            let schoolCount = Int.random(in: 1...8, using: &rng)
            let schools = (0..<schoolCount).map { "S\($0)" }
            var people: [(id: String, points: Double, prefs: [String])] = []
            for n in 0..<Int.random(in: 0...120, using: &rng) {
                let prefs = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Int.random(in: 0...schoolCount, using: &rng) }
                    .map { $0 == schoolCount ? "ghost" : schools[$0] }
                people.append(("p\(n)", Double(Int.random(in: 0...6, using: &rng)) / 2, prefs))
            }
            let seats = schools.map { _ in Int.random(in: 0...10, using: &rng) }
            func build(_ removed: Set<String>) -> AllocationInstance {
                var x = AllocationInstance(schools: schools, seats: seats)
                for p in people {
                    x.append(id: p.id, points: p.points, submittedAt: Instant(seconds: 0), preferences: removed.contains(p.id) ? [] : p.prefs)
                }
                return x
            }
            let x = build([])
            let outcome = Allocation.run(x)
            let preferences = (0..<x.count).map { a in Array(x.preferences[Int(x.preferenceStart[a])..<Int(x.preferenceStart[a + 1])]).filter { $0 >= 0 } }
            var list = Waitlist(order: outcome.order.map(Int.init), preferences: preferences, assignment: outcome.assignment)
            var decliners: Set<String> = []
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                // Someone holding a seat now (perhaps one a chain gave him) declines it.
                let holders = (0..<x.count).filter { list.assignment[$0] >= 0 }
                guard let a = holders.randomElement(using: &rng) else { break }
                let before = list.assignment
                let moves = list.decline(a)
                decliners.insert(x.ids[a])
                XCTAssertEqual(moves.first, Waitlist.Move(applicant: a, from: before[a], to: -1))
                for move in moves.dropFirst() {
                    movesSeen += 1
                    let mine = preferences[move.applicant]
                    XCTAssertNotNil(mine.firstIndex(of: move.to), "round \(round): moved to a school he did not rank")
                    if move.from >= 0 {
                        XCTAssertLessThan(mine.firstIndex(of: move.to)!, mine.firstIndex(of: move.from)!, "round \(round): a move down his list")
                    }
                }
                // Nobody's seat is taken away except the decliner's.
                for b in 0..<x.count where b != a && before[b] >= 0 { XCTAssertGreaterThanOrEqual(list.assignment[b], 0) }
            }
            let expected = Allocation.run(build(decliners))
            for a in 0..<x.count {
                XCTAssertEqual(list.assignment[a], expected.assignment[a], "round \(round): \(x.ids[a]) holds another school than serial dictatorship without the decliners gives")
            }
            for k in 0..<schools.count {
                XCTAssertLessThanOrEqual(list.assignment.filter { $0 == Int32(k) }.count, seats[k], "round \(round): \(schools[k]) over its seats")
            }
        }
        XCTAssertGreaterThan(movesSeen, 100, "the random rounds exercise chains of moves")
    }

    func testAClosedWaitlistLeavesTheSeatFree() {
        // A first at S0, B wanted S0 and holds S1, C holds nothing and wanted S1.
        var list = Waitlist(order: [0, 1, 2], preferences: [[0], [0, 1], [1]], assignment: [0, 1, -1])
        XCTAssertEqual(list.decline(0, fill: false), [Waitlist.Move(applicant: 0, from: 0, to: -1)])
        XCTAssertEqual(list.assignment, [-1, 1, -1])
        var open = Waitlist(order: [0, 1, 2], preferences: [[0], [0, 1], [1]], assignment: [0, 1, -1])
        XCTAssertEqual(open.decline(0), [Waitlist.Move(applicant: 0, from: 0, to: -1), Waitlist.Move(applicant: 1, from: 1, to: 0), Waitlist.Move(applicant: 2, from: -1, to: 1)])
        XCTAssertEqual(open.decline(0), [], "a second decline changes nothing")
    }
}
