import Foundation
@testable import JifenCore
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

    /// The submission time written beside each applicant in a round's instance is the text
    /// Foundation's formatter writes, over three centuries and at the edges of days and years, and
    /// reads back as the same instant.
    func testAnInstantsTextIsFoundationsISO8601() {
        let formatter = ISO8601DateFormatter()
        var rng = SplitMix64(seed: 20261203)
        var seconds: [Int64] = [0, -1, 86_399, 86_400, 951_782_400, 951_868_799, 1_798_761_599, 1_798_761_600, -2_208_988_800, 7_258_118_399]
        for _ in 0..<20_000 { seconds.append(Int64(rng.next() % 9_467_280_000) - 2_208_988_800) }
        for s in seconds {
            let instant = Instant(seconds: s)
            XCTAssertEqual(instant.utcText, formatter.string(from: Date(timeIntervalSince1970: TimeInterval(s))), "\(s)")
            XCTAssertEqual(Instant(iso8601: instant.utcText), instant, "\(s)")
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

    // MARK: reading and writing bytes (a million applicants are 145 MB of JSON)

    /// The instance as the general reader has it: the `JSONValue` tree, then `read(_:)`, and the
    /// message `jifen allocate` gives for a text that is not JSON.
    func readThroughTree(_ bytes: [UInt8]) -> Result<AllocationInstance, AllocationInstance.Problem> {
        do { return AllocationInstance.read(try JSONText.parse(bytes)) } catch {
            return .failure(AllocationInstance.Problem(message: "不是有效的 JSON / not valid JSON: \(error)"))
        }
    }

    func assertSame(_ a: AllocationInstance, _ b: AllocationInstance, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.schools, b.schools, "schools: " + message, file: file, line: line)
        XCTAssertEqual(a.seats, b.seats, "seats: " + message, file: file, line: line)
        XCTAssertEqual(a.ids, b.ids, "ids: " + message, file: file, line: line)
        XCTAssertEqual(a.ids.map { Array($0.utf8) }, b.ids.map { Array($0.utf8) }, "id bytes: " + message, file: file, line: line)
        XCTAssertEqual(a.idIsNumber, b.idIsNumber, "idIsNumber: " + message, file: file, line: line)
        XCTAssertEqual(a.priority, b.priority, "priority: " + message, file: file, line: line)
        XCTAssertEqual(a.points.map(\.bitPattern), b.points.map(\.bitPattern), "points: " + message, file: file, line: line)
        XCTAssertEqual(a.pointsText, b.pointsText, "pointsText: " + message, file: file, line: line)
        XCTAssertEqual(a.tiebreak.map(\.bitPattern), b.tiebreak.map(\.bitPattern), "tiebreak: " + message, file: file, line: line)
        XCTAssertEqual(a.tiebreakText, b.tiebreakText, "tiebreakText: " + message, file: file, line: line)
        XCTAssertEqual(a.tiebreakStart, b.tiebreakStart, "tiebreakStart: " + message, file: file, line: line)
        XCTAssertEqual(a.submittedAt, b.submittedAt, "submittedAt: " + message, file: file, line: line)
        XCTAssertEqual(a.submittedText, b.submittedText, "submittedText: " + message, file: file, line: line)
        XCTAssertEqual(a.preferences, b.preferences, "preferences: " + message, file: file, line: line)
        XCTAssertEqual(a.preferenceStart, b.preferenceStart, "preferenceStart: " + message, file: file, line: line)
        XCTAssertEqual(a.preferenceText.map { Array($0.utf8) }, b.preferenceText.map { Array($0.utf8) }, "preferenceText: " + message, file: file, line: line)
    }

    /// The same instance, or the same message, from both readers.
    func assertReadAlike(_ bytes: [UInt8], _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        let text = String(decoding: bytes.prefix(300), as: UTF8.self)
        switch (AllocationInstance.read(bytes: bytes), readThroughTree(bytes)) {
        case (.success(let a), .success(let b)): assertSame(a, b, "\(context): \(text)", file: file, line: line)
        case (.failure(let a), .failure(let b)): XCTAssertEqual(a.message, b.message, "\(context): \(text)", file: file, line: line)
        case (let a, let b): XCTFail("\(context): read(bytes:) gave \(a), the tree \(b): \(text)", file: file, line: line)
        }
    }

    func testReadingBytesGivesTheInstanceTheTreeGives() {
        readingBytesGivesTheInstanceTheTreeGives()
    }

    /// The same, every list read by two threads, the second from a place that seems to begin an
    /// applicant halfway (sometimes inside a string: then its work is dropped).
    func testReadingBytesInTwoHalvesGivesTheInstanceTheTreeGives() {
        let saved = InstanceBytesReader.parallelFrom
        InstanceBytesReader.parallelFrom = 0
        defer { InstanceBytesReader.parallelFrom = saved }
        readingBytesGivesTheInstanceTheTreeGives()
        readingBytesAgreesWithTheTreeOnDamagedText()
        // Applicants with lists of objects that look like applicants: halfway falls in one of
        // them, where a reader taking it for the applicants' list reads to its end.
        for count in 1...30 {
            let history = (0..<5).map { #"{"id": "h\#($0)", "points": \#($0), "submittedAt": "2026-03-01"}"# }.joined(separator: ",")
            let list = (0..<count).map { #"{"id": "a\#($0)", "points": 1, "submittedAt": "2026-03-01", "history": [\#(history)], "preferences": ["s"]}"# }
            let text = #"{"seats": {"s": 2}, "applicants": ["# + list.joined(separator: ", ") + "]}"
            guard let fast = AllocationInstance.readInOnePass(bytes: Array(text.utf8)), case .success(let expected) = readThroughTree(Array(text.utf8)) else {
                XCTFail("\(count) applicants with histories not read"); continue
            }
            assertSame(fast, expected, "\(count) applicants with histories")
            XCTAssertEqual(fast.count, count)
        }
        // The same id in both halves.
        for count in 2...40 {
            for (a, b) in [(0, count - 1), (count / 2 - 1, count / 2), (1, count - 2)] where a >= 0 && b > a && b < count {
                let list = (0..<count).map { n in #"{"id": "a\#(n == b ? a : n)", "points": 1, "submittedAt": "2026-03-01"}"# }
                assertReadAlike(Array((#"{"seats": {}, "applicants": ["# + list.joined(separator: ",") + "]}").utf8), "\(count) applicants, \(a) twice")
            }
        }
    }

    func readingBytesGivesTheInstanceTheTreeGives() {
        var rng = SplitMix64(seed: 2026_0301)
        var writer = InstanceWriter()
        for round in 0..<300 {
            // Some instances big enough for the reader's reservation after 1,024 applicants.
            let applicants = round % 50 == 7 ? Int.random(in: 1100...2500, using: &rng) : Int.random(in: 0...40, using: &rng)
            let text = writer.instance(applicants: applicants, using: &rng)
            let bytes = Array(text.utf8)
            guard case .success(let expected) = readThroughTree(bytes) else { XCTFail("round \(round): the tree refused \(text.prefix(500))"); continue }
            // The single pass takes these as they are (else the comparison below would be the
            // general reader against itself).
            guard let fast = AllocationInstance.readInOnePass(bytes: bytes) else { XCTFail("round \(round): left to the tree: \(text.prefix(500))"); continue }
            assertSame(fast, expected, "round \(round)")
            guard case .success(let viaRead) = AllocationInstance.read(bytes: bytes) else { XCTFail("round \(round)"); continue }
            assertSame(viaRead, expected, "round \(round)")
        }
    }

    /// Many school ids of one length that begin alike, and preferences for them and for others
    /// like them that are not schools.
    func testReadingBytesFindsSchoolsThatBeginAlike() {
        let schools = (100..<400).map { "LONGPREFIX-\($0)" }
        var text = "{\"seats\":{" + schools.map { "\"\($0)\":1" }.joined(separator: ",") + "},\"applicants\":["
        text += (0..<500).map { n in
            "{\"id\":\"a\(n)\",\"points\":1,\"submittedAt\":\"2026-03-01\",\"preferences\":[\"LONGPREFIX-\(n)\",\"LONGPREFIX-\(999 - n)\",\"LONGPREFIY-\(n)\"]}"
        }.joined(separator: ",") + "]}"
        let bytes = Array(text.utf8)
        guard let fast = AllocationInstance.readInOnePass(bytes: bytes), case .success(let expected) = readThroughTree(bytes) else { return XCTFail("not read") }
        assertSame(fast, expected, "schools that begin alike")
        XCTAssertEqual(fast.preferences.filter { $0 >= 0 }.count, 300)
    }

    func testReadingBytesGivesTheSameMessagesForBrokenInstances() {
        // The cases of testAMalformedInstanceNamesTheApplicantAndTheField, and more.
        let cases = [
            #"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": "90", "submittedAt": "2026-03-01T00:00:00Z"}]}"#,
            #"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": 90, "submittedAt": "2026-02-30T00:00:00Z"}]}"#,
            #"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": 90}]}"#,
            #"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": 90, "submittedAt": "2026-03-01T00:00:00Z", "tiebreak": [1, "x"]}]}"#,
            #"{"seats": {"s": 1}, "applicants": [{"id": "A7", "points": 90, "submittedAt": "2026-03-01T00:00:00Z", "preferences": "s"}]}"#,
            #"{"seats": {"s": 1}, "applicants": [{"points": 90, "submittedAt": "2026-03-01T00:00:00Z"}]}"#,
            #"{"seats": {"s": 1}, "applicants": [{"id": "A", "points": 1, "submittedAt": "2026-03-01"}, {"id": "A", "points": 2, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {"s": -1}, "applicants": []}"#,
            #"{"seats": {"s": 1.5}, "applicants": []}"#,
            #"{"applicants": []}"#,
            #"{"seats": {"s": 1}, "applicants": [}"#,
            // not JSON
            "", " ", "[]", "null", "{", "{}", #"{"seats": {}, "applicants": [],}"#, #"{"seats": {}, "applicants": []} x"#,
            #"{"seats": {}, "applicants": [{"id": 1, "points": 01, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a\x", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a\ud800", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a\udc00x", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a\u12", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            "{\"seats\": {}, \"applicants\": [{\"id\": \"a\tb\", \"points\": 1, \"submittedAt\": \"2026-03-01\"}]}",
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1., "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1e, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": -, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "x": tru}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "x": [1 2]}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01"} {"id": "b"}]}"#,
            #"{"seats" {}, "applicants": []}"#,
            #"{seats: {}, "applicants": []}"#,
            "{\"seats\": {}, \"applicants\": [], \"x\": " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}",
            "{\"seats\": {}, \"applicants\": [], \"x\": " + String(repeating: "[", count: 198) + String(repeating: "]", count: 198) + "}",
            "{\"seats\": {}, \"applicants\": [], \"x\": " + String(repeating: "[", count: 199) + String(repeating: "]", count: 199) + "}",
            // well-formed JSON, a bad field
            #"{"seats": [], "applicants": []}"#,
            #"{"seats": {"s": "1"}, "applicants": []}"#,
            #"{"seats": {"s": -0}, "applicants": []}"#,
            #"{"seats": {"s": 1e2}, "applicants": []}"#,
            #"{"seats": {"s": 99999999999999999999}, "applicants": []}"#,
            #"{"seats": {"s": 1, "s": 2}, "applicants": []}"#,
            #"{"seats": {"s": 1}, "seats": {"t": 2}, "applicants": []}"#,
            #"{"seats": {"s": 1}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": ["t"]}], "seats": {"t": 2}}"#,
            #"{"applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": ["t"]}], "seats": {"t": 2}, "seats": {"t": 3}}"#,
            #"{"seats": {"s": 1}, "applicants": {}}"#,
            #"{"seats": {"s": 1}, "applicants": [1]}"#,
            #"{"seats": {"s": 1}, "applicants": [], "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": null, "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": ["a"], "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "id": "b", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": 7, "points": 1, "submittedAt": "2026-03-01"}, {"id": "7", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1e999, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": null, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "points": 2, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "priority": -1}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "priority": -0}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "priority": 1.0}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "priority": 2147483647}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "priority": 2147483648}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "priority": "1"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "tiebreak": 1}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "tiebreak": [1e999]}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "tiebreak": [], "tiebreak": [1]}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": 20260301}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": null}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01T25:00:00Z"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "submittedAt": "2026-03-02"}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": [{}]}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": [null]}]}"#,
            #"{"seats": {}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": [], "preferences": ["s"]}]}"#,
            #"{"seats": {"s": 1}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": ["s", "s", 1]}]}"#,
            // rare but fine: left to the general reader, which takes them
            #"{"seats": {"s": 1}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "priority": -0}]}"#,
            #"{"seats": {"\u00e9": 1, "e\u0301": 2}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": ["e\u0301", "\u00e9"]}]}"#,
            #"{"seats": {"\u00e9": 1}, "applicants": [{"id": "\u00e9", "points": 1, "submittedAt": "2026-03-01"}, {"id": "e\u0301", "points": 1, "submittedAt": "2026-03-01"}]}"#,
            #"{"seats": {"\u212a": 1}, "applicants": [{"id": "K", "points": 1, "submittedAt": "2026-03-01"}, {"id": "\u212a", "points": 1, "submittedAt": "2026-03-01", "preferences": ["K"]}]}"#,
            #"{"se\u0061ts": {"s": 1}, "\u0061pplicants": [{"\u0069d": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": ["\u0073"]}]}"#,
            #"{"seats": {"s": 1}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01T00:00:00.1234567891Z"}]}"#,
        ]
        for text in cases {
            assertReadAlike(Array(text.utf8), "case")
        }
        // Bytes that are not UTF-8, a byte-order mark, whitespace of every kind.
        let good = #"{"seats": {"s": 1}, "applicants": [{"id": "a", "points": 1, "submittedAt": "2026-03-01", "preferences": ["s"]}]}"#
        assertReadAlike([0xEF, 0xBB, 0xBF] + Array(good.utf8), "byte-order mark")
        XCTAssertNotNil(AllocationInstance.readInOnePass(bytes: [0xEF, 0xBB, 0xBF] + Array(good.utf8)))
        assertReadAlike([0x20, 0xEF, 0xBB, 0xBF] + Array(good.utf8), "byte-order mark after a space")
        assertReadAlike(Array(" \t\r\n".utf8) + Array(good.utf8) + Array("\n\n".utf8), "spaces around")
        for bad: [UInt8] in [[0xFF], [0xC3], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            let idBroken = Array(#"{"seats": {"s": 1}, "applicants": [{"id": "a"#.utf8) + bad + Array(#"", "points": 1, "submittedAt": "2026-03-01"}]}"#.utf8)
            assertReadAlike(idBroken, "id not UTF-8 \(bad)")
            let unknownBroken = Array(#"{"seats": {"s": 1}, "x": "a"#.utf8) + bad + Array(#"\u00e9", "applicants": []}"#.utf8)
            assertReadAlike(unknownBroken, "unknown key not UTF-8 \(bad)")
            let escapedBroken = Array(#"{"seats": {"s\n"#.utf8) + bad + Array(#"": 1}, "applicants": []}"#.utf8)
            assertReadAlike(escapedBroken, "escaped school not UTF-8 \(bad)")
        }
    }

    /// Random changes to good instances: whatever comes out, both readers say the same.
    func testReadingBytesAgreesWithTheTreeOnDamagedText() {
        readingBytesAgreesWithTheTreeOnDamagedText()
    }

    func readingBytesAgreesWithTheTreeOnDamagedText() {
        var rng = SplitMix64(seed: 45)
        var writer = InstanceWriter()
        let pieces: [[UInt8]] = ["{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "0", "-", ".", "e", "1", " ", "\n", "null", "true", "x",
                                 "\u{1}", "é", "\"id\"", "\"points\"", "\"submittedAt\"", "\"preferences\"", "\"tiebreak\"", "\"priority\"", "\"seats\""].map { Array($0.utf8) }
            + [[0xFF], [0xC3], [0xED, 0xA0, 0x80]]
        var refusedByBoth = 0
        for round in 0..<1500 {
            var bytes = Array(writer.instance(applicants: Int.random(in: 0...4, using: &rng), using: &rng).utf8)
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(contentsOf: pieces.randomElement(using: &rng)!, at: at)
                default: bytes.replaceSubrange(at..<min(bytes.count, at + Int.random(in: 1...4, using: &rng)), with: pieces.randomElement(using: &rng)!)
                }
            }
            assertReadAlike(bytes, "round \(round)")
            if case .failure = readThroughTree(bytes) { refusedByBoth += 1 }
        }
        XCTAssertGreaterThan(refusedByBoth, 500, "the changes should break most instances")
    }

    func testJSONBytesAreTheBytesOfTheJSON() {
        var rng = SplitMix64(seed: 11)
        var writer = InstanceWriter()
        for round in 0..<120 {
            let applicants = round % 20 == 3 ? Int.random(in: 1000...3000, using: &rng) : Int.random(in: 0...60, using: &rng)
            let x = try! AllocationInstance.read(bytes: Array(writer.instance(applicants: applicants, using: &rng).utf8)).get()
            let outcome = Allocation.run(x)
            for trace in [false, true] {
                let expected = Array(referenceJSON(x, outcome, trace: trace).utf8)
                let bytes = Allocation.jsonBytes(x, outcome, trace: trace)
                XCTAssertEqual(bytes.count, expected.count, "round \(round), trace \(trace)")
                XCTAssertTrue(bytes == expected, "round \(round), trace \(trace): \(String(decoding: bytes.prefix(400), as: UTF8.self))")
                XCTAssertEqual(Allocation.json(x, outcome, trace: trace), String(decoding: expected, as: UTF8.self))
            }
        }
        // Ids that share long beginnings, end where others go on, are equal, empty, or need escapes;
        // more than the sort's small runs.
        var x = AllocationInstance(schools: ["a", "b\u{1}\"\\\n\r\t\u{7f}é"], seats: [3, 2000])
        let stems = ["", "APPLICANT-2026-", "APPLICANT-2026-0", "APPLICANT-2026-00", "\u{0}", "\u{0}\u{0}", "é", "e\u{301}", "\"q\"", "\u{1f}", "😀"]
        for n in 0..<1200 {
            let stem = stems[n % stems.count]
            let id = n % 7 == 0 ? stem : stem + String(Int.random(in: 0...60, using: &rng))
            x.append(id: id, idIsNumber: false, priority: Int32(n % 3) - 1, points: Double(n % 5), tiebreak: n % 2 == 0 ? [1] : [],
                     submittedAt: Instant(seconds: Int64(n % 4)), submittedText: "t\u{8}\(n % 9)", preferences: ["a", "b\u{1}\"\\\n\r\t\u{7f}é", "c"])
        }
        let outcome = Allocation.run(x)
        for trace in [false, true] {
            XCTAssertTrue(Allocation.jsonBytes(x, outcome, trace: trace) == Array(referenceJSON(x, outcome, trace: trace).utf8), "trace \(trace)")
        }
        XCTAssertEqual(Allocation.idOrder(x), (0..<Int32(x.count)).sorted { x.ids[Int($0)].utf8.lexicographicallyPrecedes(x.ids[Int($1)].utf8) })
        // Ids already in order.
        var sorted = AllocationInstance(schools: ["s"], seats: [1])
        for n in 0..<100 { sorted.append(id: String(format: "A%04d", n), points: 1, submittedAt: Instant(seconds: 0), preferences: ["s"]) }
        XCTAssertEqual(Allocation.idOrder(sorted), Array(0..<100))
        XCTAssertEqual(Allocation.jsonBytes(sorted, Allocation.run(sorted)), Array(referenceJSON(sorted, Allocation.run(sorted)).utf8))
    }

    /// The order found by radix passes is the order of `precedes` (a stable sort), for figures that
    /// tie a lot, numeric ids, -0, missing tie-break values, instants apart by nanoseconds, and the
    /// same id twice.
    func testThePriorityOrderIsTheOrderOfPrecedes() {
        var rng = SplitMix64(seed: 3)
        for round in 0..<200 {
            var x = AllocationInstance(schools: ["s"], seats: [1])
            let count = round % 25 == 0 ? 3000 : Int.random(in: 0...80, using: &rng)
            for n in 0..<count {
                let numeric = Int.random(in: 0..<4, using: &rng) == 0
                let id = numeric ? ["1", "1.0", "-2", "10", "1e1", "2", "-0", "0"].randomElement(using: &rng)! + (n % 3 == 0 ? "" : "\(n)")
                    : ["b", "a", "a\(n)", "A", ""].randomElement(using: &rng)!
                // Half the rounds with figures whose keys fit one word, half with keys that do not.
                let wide = round % 2 == 0
                let points = wide ? [0.0, -0.0, 1, 2.5, -1, .infinity, -.infinity, 1e300].randomElement(using: &rng)! : [1.0, 2.5, 3, 80].randomElement(using: &rng)!
                let tiebreak = (0..<Int.random(in: 0...2, using: &rng)).map { _ in [0.0, -0.0, 1, 2].randomElement(using: &rng)! }
                x.append(id: id, idIsNumber: numeric, priority: Int32.random(in: wide ? -1...2 : 0...2, using: &rng), points: points, tiebreak: tiebreak,
                         submittedAt: wide ? Instant(seconds: Int64.random(in: -1...1, using: &rng), nanoseconds: Int32.random(in: -1...1, using: &rng))
                                           : Instant(seconds: 1_770_000_000 + Int64.random(in: 0...3, using: &rng)),
                         preferences: ["s"])
            }
            let expected = (0..<Int32(x.count)).map { $0 }.sorted { Allocation.precedes(Int($0), Int($1), in: x) }
            XCTAssertNotNil(Allocation.radixOrder(x))
            XCTAssertEqual(Allocation.order(x), expected, "round \(round)")
        }
        // NaN: no order; the comparison sort decides, as before.
        var x = AllocationInstance(schools: ["s"], seats: [1])
        for n in 0..<10 { x.append(id: "a\(n)", points: n % 3 == 0 ? .nan : Double(n % 2), submittedAt: Instant(seconds: 0), preferences: ["s"]) }
        XCTAssertNil(Allocation.radixOrder(x))
        XCTAssertEqual(Allocation.order(x), (0..<Int32(x.count)).map { $0 }.sorted { Allocation.precedes(Int($0), Int($1), in: x) })
    }

    func testInstantsFromBytesAreTheInstantsOfTheFormerReader() {
        var rng = SplitMix64(seed: 5)
        let pieces = ["2026", "2024", "1999", "0000", "-", "03", "02", "13", "00", "29", "30", "31", "T", "t", " ", "x", ":", "23", "24", "59", "60", "61",
                      ".", ",", "5", "123456789", "Z", "z", "+", "-", "08", "0800", "08:00", "24:00", "23:59", "+8"]
        var valid = 0
        for _ in 0..<20_000 {
            var text = "2026-03-01"
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: text = (0..<Int.random(in: 1...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            case 1: text += ["T", " ", "t", "x"].randomElement(using: &rng)! + (0..<Int.random(in: 1...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            default: text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int.random(in: 1968...2100, using: &rng), Int.random(in: 0...13, using: &rng), Int.random(in: 0...32, using: &rng),
                                   Int.random(in: 0...24, using: &rng), Int.random(in: 0...60, using: &rng), Int.random(in: 0...61, using: &rng))
                + ["", "Z", "+08:00", "-05:30", "+0800", ".5Z", ".123456789+08:00", "+23:59", "+24:00"].randomElement(using: &rng)!
            }
            let got = Instant(iso8601: text)
            XCTAssertEqual(got, formerInstant(text), text)
            XCTAssertEqual(Array(text.utf8).withUnsafeBufferPointer { Instant(iso8601UTF8: $0) }, got, text)
            if got != nil { valid += 1 }
        }
        XCTAssertGreaterThan(valid, 3000)
        for digits in 1...9 {
            let text = "2026-03-01T00:00:00." + String("123456789".prefix(digits)) + "Z"
            XCTAssertEqual(Instant(iso8601: text), formerInstant(text), text)
        }
        // More than nine digits of a second: the first nine (the former reader stopped the program).
        XCTAssertEqual(Instant(iso8601: "2026-03-01T00:00:00.1234567891Z"), Instant(iso8601: "2026-03-01T00:00:00.123456789Z"))
    }

    /// `Instant(iso8601:)` as it was written before it read bytes (up to nine digits of a second).
    func formerInstant(_ text: String) -> Instant? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var v = 0
            for k in i..<i + count {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            i += count
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        func daysIn(month: Int, year: Int) -> Int {
            switch month {
            case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var hour = 0, minute = 0, second = 0, nanos = 0
        var offset = 8 * 3600
        if i < b.count {
            guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else { return nil }
            i += 1
            guard let h = number(2), expect(":"), let m = number(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if expect(":") {
                guard let s = number(2), s < 61 else { return nil }
                second = min(s, 59)
                if expect(".") || expect(",") {
                    var digits = 0
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        if digits < 9 { nanos = nanos * 10 + Int(b[i] - 0x30) }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in digits..<9 where digits < 9 { nanos *= 10 }
                }
            }
            if i < b.count {
                if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                    offset = 0
                    i += 1
                } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                    let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                    i += 1
                    guard let oh = number(2), oh <= 23 else { return nil }
                    _ = expect(":")
                    guard let om = number(2), om < 60 else { return nil }
                    offset = sign * (oh * 3600 + om * 60)
                } else {
                    return nil
                }
            }
            guard i == b.count else { return nil }
        }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
        return Instant(seconds: Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset), nanoseconds: Int32(nanos))
    }

    /// `Allocation.json` as it was written before it wrote bytes: `String` concatenation.
    func referenceJSON(_ x: AllocationInstance, _ outcome: Allocation.Outcome, trace withTrace: Bool = false) -> String {
        var out = "{\"assignments\":{"
        let byID = (0..<x.count).sorted { x.ids[$0].utf8.lexicographicallyPrecedes(x.ids[$1].utf8) }
        for (n, a) in byID.enumerated() {
            if n > 0 { out += "," }
            out += JSONText.quote(x.ids[a]) + ":"
            out += outcome.assignment[a] >= 0 ? JSONText.quote(x.schools[Int(outcome.assignment[a])]) : "null"
        }
        out += "},\"cutoffs\":{"
        for (k, school) in x.schools.enumerated() {
            if k > 0 { out += "," }
            out += JSONText.quote(school) + ":{\"seats\":\(x.seats[k]),\"admitted\":\(outcome.admitted[k])"
            let c = Int(outcome.last[k])
            if c >= 0 {
                let t = Int(x.tiebreakStart[c])..<Int(x.tiebreakStart[c + 1])
                out += ",\"applicant\":" + JSONText.quote(x.ids[c])
                if x.priority[c] != 0 { out += ",\"priority\":\(x.priority[c])" }
                out += ",\"points\":" + x.pointsText[c]
                out += ",\"tiebreak\":[" + x.tiebreakText[t].joined(separator: ",") + "]"
                out += ",\"submittedAt\":" + JSONText.quote(x.submittedText[c]) + ",\"rank\":\(outcome.rank[c] + 1)"
            }
            out += "}"
        }
        out += "}"
        if withTrace {
            out += ",\"trace\":{"
            for (n, a) in byID.enumerated() {
                if n > 0 { out += "," }
                out += JSONText.quote(x.ids[a]) + ":{\"rank\":\(outcome.rank[a] + 1),\"steps\":["
                out += Allocation.trace(a, in: x, outcome: outcome).map { step -> String in
                    switch step {
                    case .noSeats(let s): "{\"school\":" + JSONText.quote(s) + ",\"result\":\"noSeats\"}"
                    case .admitted(let s): "{\"school\":" + JSONText.quote(s) + ",\"result\":\"admitted\"}"
                    case .full(let s, let c): "{\"school\":" + JSONText.quote(s) + ",\"result\":\"full\",\"cutoff\":" + JSONText.quote(x.ids[Int(c)]) + ",\"cutoffRank\":\(outcome.rank[Int(c)] + 1)}"
                    }
                }.joined(separator: ",")
                out += "]}"
            }
            out += "}"
        }
        return out + "}"
    }
}

/// Random instances written as JSON the way people and programs write them: keys in any order,
/// unknown keys, whitespace anywhere, escapes (surrogate pairs too), numeric ids, numbers as
/// written (`85.50`, `-0`, `1e2`), optional fields missing or null, every instant format.
struct InstanceWriter {
    /// School ids no two of which are equal strings.
    let schoolNames = ["S1", "S2", "S10", "南湖实验小学", "南湖实验小学分校", "a\"b", "back\\slash", "école", "😀", "tab\there", "12", "S1 ", "", "/x/", "\u{7f}", "\u{1}"]
    var counter = 0

    func space(_ rng: inout SplitMix64) -> String {
        ["", "", "", " ", "  ", "\n", "\t", "\r\n", "\n    "].randomElement(using: &rng)!
    }

    /// `text` as a JSON string, escaping more or less.
    func quoted(_ text: String, _ rng: inout SplitMix64) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            let escape = Int.random(in: 0..<6, using: &rng) == 0
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += escape ? "\\u0009" : "\\t"
            case "/": out += escape ? "\\/" : "/"
            default:
                if scalar.value < 0x20 || escape {
                    for unit in String(scalar).utf16 {
                        let hex = String(unit, radix: 16)
                        let digits = String(repeating: "0", count: 4 - hex.count) + hex
                        out += "\\u" + (Bool.random(using: &rng) ? digits.uppercased() : digits)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    func object(_ members: [(String, String)], _ rng: inout SplitMix64) -> String {
        "{" + space(&rng) + members.shuffled(using: &rng).map { quoted($0.0, &rng) + space(&rng) + ":" + space(&rng) + $0.1 }.joined(separator: space(&rng) + "," + space(&rng)) + space(&rng) + "}"
    }

    func array(_ items: [String], _ rng: inout SplitMix64) -> String {
        "[" + space(&rng) + items.joined(separator: space(&rng) + "," + space(&rng)) + space(&rng) + "]"
    }

    func unknownValue(_ rng: inout SplitMix64, depth: Int = 0) -> String {
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &rng) {
        case 0: return quoted(["note", "é\"\\/\n", "😀", "", "},{", "}, {\"id\": 1}, {"].randomElement(using: &rng)!, &rng)
        case 1: return ["0", "-1.5e-3", "12", "1E+2"].randomElement(using: &rng)!
        case 2: return "true"
        case 3: return "false"
        case 4: return "null"
        case 5: return array((0..<Int.random(in: 0...3, using: &rng)).map { _ in unknownValue(&rng, depth: depth + 1) }, &rng)
        default: return object((0..<Int.random(in: 0...3, using: &rng)).map { k in (["id", "points", "x\(k)"].randomElement(using: &rng)! + "\(k)", unknownValue(&rng, depth: depth + 1)) }, &rng)
        }
    }

    mutating func instance(applicants: Int, using rng: inout SplitMix64) -> String {
        let schools = schoolNames.filter { _ in Int.random(in: 0..<4, using: &rng) > 0 }
        var top: [(String, String)] = [
            ("seats", object(schools.map { ($0, String(Int.random(in: 0...3, using: &rng))) }, &rng)),
        ]
        var list: [String] = []
        for _ in 0..<applicants {
            counter += 1
            var members: [(String, String)] = []
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: members.append(("id", String(counter)))
            case 1: members.append(("id", ["-\(counter)", "\(counter).25", "\(counter)e0", "\(counter)E+1"].randomElement(using: &rng)!))
            default: members.append(("id", quoted(["A", "申请-", "é\"", "😀\\", "\u{1}", "a/b"].randomElement(using: &rng)! + String(counter), &rng)))
            }
            members.append(("points", ["85", "85.50", "-0", "0", "1e2", "100.25", "3.14159", "1234567890123456.5", "7E-1", "123456789012345",
                                       "0.000000000000000000001", "-12.5", "99.99"].randomElement(using: &rng)!))
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: break
            case 1: members.append(("priority", "null"))
            default: members.append(("priority", String(Int.random(in: 0...3, using: &rng))))
            }
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: break
            case 1: members.append(("tiebreak", "null"))
            default: members.append(("tiebreak", array((0..<Int.random(in: 0...3, using: &rng)).map { _ in ["1", "30", "2.5", "-0", "1e1", "0"].randomElement(using: &rng)! }, &rng)))
            }
            members.append(("submittedAt", quoted(["2026-03-01T09:00:00+08:00", "2026-03-01T01:00:00Z", "2026-03-01", "2026-03-01 09:00", "2026-03-01t01:00:00.5z",
                                                   "2026-02-28T23:59:59.123456789-05:30", "2024-02-29T12:00:00+0800", "2026-03-01T09:00:60"].randomElement(using: &rng)!, &rng)))
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: break
            case 1: members.append(("preferences", "null"))
            default:
                let names = schoolNames + ["ghost", "S3"]
                members.append(("preferences", array((0..<Int.random(in: 0...6, using: &rng)).map { _ in
                    Int.random(in: 0..<8, using: &rng) == 0 ? "12" : quoted(names.randomElement(using: &rng)!, &rng)
                }, &rng)))
            }
            for k in 0..<Int.random(in: 0...2, using: &rng) { members.append((["note", "name", "Id", "ids", "points "].randomElement(using: &rng)! + "\(k)", unknownValue(&rng))) }
            list.append(object(members, &rng))
        }
        top.append(("applicants", array(list, &rng)))
        for k in 0..<Int.random(in: 0...2, using: &rng) { top.append(("program\(k)", unknownValue(&rng))) }
        return space(&rng) + object(top, &rng) + space(&rng)
    }
}
