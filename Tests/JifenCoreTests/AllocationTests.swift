import JifenCore
import XCTest

final class AllocationTests: XCTestCase {
    func instance(_ text: String) throws -> AllocationInstance {
        try AllocationInstance.read(try JSONText.parse(text)).get()
    }

    func assignments(_ x: AllocationInstance) throws -> [String: String?] {
        let out = try JSONText.parse(Allocation.json(x, Allocation.run(x)))
        guard case .object(let members)? = out["assignments"] else { XCTFail("no assignments"); return [:] }
        return Dictionary(uniqueKeysWithValues: members.map { key, value in
            if case .string(let s) = value { return (key, Optional(s)) }
            return (key, nil)
        })
    }

    func testThePriorityOrderOfTheContract() throws {
        // One seat at each school, so each school goes to whoever comes first.
        let x = try instance("""
        {"seats": {"points": 1, "tiebreak": 1, "instant": 1, "id": 1, "none": 0},
         "applicants": [
          {"id": "low",  "points": 80,    "submittedAt": "2026-03-01T00:00:00Z", "preferences": ["points"]},
          {"id": "high", "points": 80.5,  "submittedAt": "2026-05-01T00:00:00Z", "preferences": ["points"]},
          {"id": "t1", "points": 70, "tiebreak": [30, 5], "submittedAt": "2026-05-01T00:00:00Z", "preferences": ["tiebreak"]},
          {"id": "t2", "points": 70, "tiebreak": [30, 6], "submittedAt": "2026-05-02T00:00:00Z", "preferences": ["tiebreak"]},
          {"id": "late",  "points": 60, "submittedAt": "2026-03-01T01:00:00Z",      "preferences": ["instant"]},
          {"id": "early", "points": 60, "submittedAt": "2026-03-01T08:30:00+08:00", "preferences": ["instant"]},
          {"id": "b", "points": 50, "submittedAt": "2026-03-01T09:00:00+08:00", "preferences": ["id"]},
          {"id": "a", "points": 50, "submittedAt": "2026-03-01T01:00:00Z",      "preferences": ["id"]},
          {"id": "nowhere", "points": 99, "submittedAt": "2026-03-01T00:00:00Z", "preferences": ["none", "unknown"]}
         ]}
        """)
        let got = try assignments(x)
        XCTAssertEqual(got["high"], "points", "more points first")
        XCTAssertEqual(got["low"], .some(nil))
        XCTAssertEqual(got["t2"], "tiebreak", "tie-break values compared one by one, higher first")
        XCTAssertEqual(got["early"], "instant", "08:30 in Shanghai is 00:30 UTC, before 01:00 UTC: instants, not strings")
        XCTAssertEqual(got["a"], "id", "the same instant written two ways; then the id decides")
        XCTAssertEqual(got["nowhere"], .some(nil), "a school without seats, or missing from seats, admits nobody")
        // The cutoff of a school: its last admitted applicant's figures, as given.
        let out = try JSONText.parse(Allocation.json(x, Allocation.run(x)))
        XCTAssertEqual(out["cutoffs"]?["points"]?["applicant"], .string("high"))
        XCTAssertEqual(out["cutoffs"]?["points"]?["points"], .number("80.5"))
        XCTAssertEqual(out["cutoffs"]?["tiebreak"]?["tiebreak"], .array([.number("30"), .number("6")]))
        XCTAssertEqual(out["cutoffs"]?["none"]?["admitted"], .number("0"))
    }

    func testAMalformedInstanceNamesTheApplicantAndTheField() {
        let cases: [(String, String)] = [
            (#"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": "90", "submittedAt": "2026-03-01T00:00:00Z"}]}"#, #"applicant "A7": points"#),
            (#"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": 90, "submittedAt": "2026-02-30T00:00:00Z"}]}"#, #"applicant "A7": submittedAt"#),
            (#"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": 90}]}"#, #"applicant "A7": submittedAt"#),
            (#"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": 90, "submittedAt": "2026-03-01T00:00:00Z", "tiebreak": [1, "x"]}]}"#, #"applicant "A7": tiebreak[1]"#),
            (#"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": 90, "submittedAt": "2026-03-01T00:00:00Z", "preferences": "s"}]}"#, #"applicant "A7": preferences"#),
            (#"{"seats": {"s": 1}, "applicants": [{"points": 90, "submittedAt": "2026-03-01T00:00:00Z"}]}"#, "applicants[0]: id"),
            (#"{"seats": {"s": 1}, "applicants": [{"id": "A", "points": 1, "submittedAt": "2026-03-01"}, {"id": "A", "points": 2, "submittedAt": "2026-03-01"}]}"#, #"applicant "A": id"#),
            (#"{"seats": {"s": -1}, "applicants": []}"#, "seats.s"),
            (#"{"seats": {"s": 1.5}, "applicants": []}"#, "seats.s"),
            (#"{"applicants": []}"#, "seats"),
        ]
        for (text, expected) in cases {
            let result = AllocationInstance.read(try! JSONText.parse(text))
            guard case .failure(let problem) = result else { XCTFail("accepted: \(text)"); continue }
            XCTAssertTrue(problem.message.hasPrefix(expected), "\(problem.message) should start with \(expected)")
        }
        XCTAssertThrowsError(try JSONText.parse(#"{"seats": {"s": 1}, "applicants": [}"#))
    }

    func testInstantsAreReadAsPointsInTime() {
        XCTAssertEqual(Instant(iso8601: "2026-03-01T09:00:00+08:00"), Instant(iso8601: "2026-03-01T01:00:00Z"))
        XCTAssertEqual(Instant(iso8601: "2026-03-01T09:00:00+0800"), Instant(iso8601: "2026-03-01T01:00:00.000Z"))
        XCTAssertEqual(Instant(iso8601: "2026-03-01T09:00:00"), Instant(iso8601: "2026-03-01T01:00:00Z"), "no offset: Asia/Shanghai")
        XCTAssertLessThan(Instant(iso8601: "2026-03-01T01:00:00.1Z")!, Instant(iso8601: "2026-03-01T01:00:00.25Z")!)
        XCTAssertEqual(Instant(iso8601: "1970-01-01T00:00:00Z")?.seconds, 0)
        XCTAssertEqual(Instant(iso8601: "2000-03-01T00:00:00Z")?.seconds, 951_868_800)
        for bad in ["2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-03-01T24:00:00Z", "yesterday", "2026-03-01T00:00:00+8", "2026-03-01T00:00:00Zx"] {
            XCTAssertNil(Instant(iso8601: bad), bad)
        }
    }

    /// Random instances: nobody over capacity, no blocking pair, and the same output whatever
    /// the order the applicants were listed in.
    func testRandomInstancesHaveNoOverfullSchoolNoBlockingPairAndOneAnswer() throws {
        var rng = SplitMix64(seed: 7)
        for round in 0..<150 {
            let schoolCount = Int.random(in: 1...12, using: &rng)
            // Everyone of a program has the same tie-break keys (the program's categories).
            let tiebreakCount = Int.random(in: 0...2, using: &rng)
            let schools = (0..<schoolCount).map { "S\($0)" }
            var people: [(String, Double, [Double], Instant, [String])] = []
            for n in 0..<Int.random(in: 0...250, using: &rng) {
                // Few distinct points, so ties and every later key matter.
                let points = Double(Int.random(in: 0...8, using: &rng)) / 2
                let tiebreak = (0..<tiebreakCount).map { _ in Double(Int.random(in: 0...2, using: &rng)) }
                let instant = Instant(seconds: Int64(Int.random(in: 0...5, using: &rng)) * 3600)
                let prefs = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Int.random(in: 0...schoolCount, using: &rng) }.map { $0 == schoolCount ? "ghost" : schools[$0] }
                people.append(("p\(n)", points, tiebreak, instant, prefs))
            }
            let seats = schools.map { _ in Int.random(in: 0...20, using: &rng) }
            func build(_ list: [(String, Double, [Double], Instant, [String])]) -> AllocationInstance {
                var x = AllocationInstance(schools: schools.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, seats: [])
                x.seats = x.schools.map { seats[schools.firstIndex(of: $0)!] }
                for p in list { x.append(id: p.0, points: p.1, tiebreak: p.2, submittedAt: p.3, preferences: p.4) }
                return x
            }
            let x = build(people)
            let outcome = Allocation.run(x)
            // capacity
            for k in 0..<x.schools.count {
                XCTAssertLessThanOrEqual(Int(outcome.admitted[k]), x.seats[k], "round \(round): \(x.schools[k]) over capacity")
                XCTAssertEqual(Int(outcome.admitted[k]), outcome.assignment.filter { $0 == Int32(k) }.count)
            }
            // The priority order of DESIGN §3, written here from its text, not taken from the code:
            // points descending, tie-break values one by one (higher first), submission instant
            // ascending, id ascending.
            func before(_ p: (String, Double, [Double], Instant, [String]), _ q: (String, Double, [Double], Instant, [String])) -> Bool {
                if p.1 != q.1 { return p.1 > q.1 }
                for (u, v) in zip(p.2, q.2) where u != v { return u > v }
                if p.3.seconds != q.3.seconds { return p.3.seconds < q.3.seconds }
                return p.0.utf8.lexicographicallyPrecedes(q.0.utf8)
            }
            // Serial dictatorship by hand over that order: the first listed school with a seat left.
            var left = Dictionary(zip(schools, seats), uniquingKeysWith: { a, _ in a })
            var expected: [String: String] = [:]
            for p in people.sorted(by: before) {
                if let school = p.4.first(where: { (left[$0] ?? 0) > 0 }) { left[school]! -= 1; expected[p.0] = school }
            }
            var got: [String: String] = [:]
            for a in 0..<x.count where outcome.assignment[a] >= 0 { got[x.ids[a]] = x.schools[Int(outcome.assignment[a])] }
            XCTAssertEqual(got, expected, "round \(round): the assignment differs from serial dictatorship over the order")
            let byID = Dictionary(uniqueKeysWithValues: people.map { ($0.0, $0) })
            // no blocking pair: a school someone prefers to what he got is full of people before him
            for a in 0..<x.count {
                let prefs = Array(x.preferences[Int(x.preferenceStart[a])..<Int(x.preferenceStart[a + 1])])
                let got = outcome.assignment[a]
                let better = got >= 0 ? Array(prefs.prefix { $0 != got }) : prefs
                if got >= 0 { XCTAssertTrue(prefs.contains(got), "assigned only to a school he listed") }
                for s in better where s >= 0 {
                    XCTAssertEqual(Int(outcome.admitted[Int(s)]), x.seats[Int(s)], "round \(round): \(x.ids[a]) refused by a school with a seat left")
                    for b in 0..<x.count where outcome.assignment[b] == s {
                        XCTAssertTrue(before(byID[x.ids[b]]!, byID[x.ids[a]]!), "round \(round): \(x.ids[b]) admitted at \(x.schools[Int(s)]) ranks below \(x.ids[a])")
                    }
                }
                // The trace says the same thing.
                let steps = Allocation.trace(a, in: x, outcome: outcome)
                for step in steps {
                    if case .full(_, let cutoff) = step { XCTAssertLessThan(outcome.rank[Int(cutoff)], outcome.rank[a]) }
                }
                if got >= 0 { XCTAssertEqual(steps.last, .admitted(school: x.schools[Int(got)])) }
            }
            // one answer: same bytes twice, and from the applicants listed in another order
            let json = Allocation.json(x, outcome)
            XCTAssertEqual(json, Allocation.json(x, Allocation.run(x)))
            var shuffled = people
            shuffled.shuffle(using: &rng)
            XCTAssertEqual(Allocation.json(build(shuffled), Allocation.run(build(shuffled))), json, "round \(round): input order changed the result")
        }
    }

    func testTheJSONReaderKeepsNumbersAndReportsWhereTextIsBroken() throws {
        let v = try JSONText.parse(#"{"a": [1, 2.50, -3e2, "x\u00e9\n", true, null], "b": {}}"#)
        XCTAssertEqual(v["a"], .array([.number("1"), .number("2.50"), .number("-3e2"), .string("xé\n"), .bool(true), .null]))
        XCTAssertEqual(v["b"], .object([]))
        XCTAssertThrowsError(try JSONText.parse("{\n  \"a\": 01\n}")) { error in
            XCTAssertEqual((error as? JSONText.ParseError)?.line, 2)
        }
        for bad in ["", "[1,]", "{\"a\" 1}", "\"open", "[1] 2", "tru"] {
            XCTAssertThrowsError(try JSONText.parse(bad), bad)
        }
    }
}
