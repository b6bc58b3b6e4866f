import Foundation
import JifenCore

/// `jifen allocate --instance FILE [--trace]` (DESIGN §5): reads an instance, prints
/// `{"assignments":{…},"cutoffs":{…}}`. A malformed instance is refused with a message naming
/// the applicant and the field, and exit status 2.
enum AllocateCLI {
    static let usage = "用法 / usage: jifen allocate --instance FILE.json [--trace]"

    static func run(_ arguments: [String], read: (String) -> [UInt8]?, output: (String) -> Void, errors: (String) -> Void) -> Int32 {
        var file: String?
        var trace = false
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--instance" where i + 1 < arguments.count:
                file = arguments[i + 1]
                i += 2
            case "--trace":
                trace = true
                i += 1
            default:
                errors(usage)
                return 2
            }
        }
        guard let file else { errors(usage); return 2 }
        guard let bytes = read(file) else {
            errors("\(file): 无法读取 / cannot be read")
            return 2
        }
        let value: JSONValue
        do { value = try JSONText.parse(bytes) } catch {
            errors("\(file): 不是有效的 JSON / not valid JSON: \(error)")
            return 2
        }
        switch AllocationInstance.read(value) {
        case .failure(let problem):
            errors("\(file): \(problem)")
            return 2
        case .success(let instance):
            output(Allocation.json(instance, Allocation.run(instance), trace: trace))
            return 0
        }
    }
}

/// `jifen bench allocation`: a million applicants ranking five of 2,000 schools.
enum AllocationBench {
    static func instance(applicants: Int, schools: Int, using rng: inout SplitMix64) -> AllocationInstance {
        let ids = (0..<schools).map { String(format: "S%04d", $0) }
        // Seats for about 60% of the applicants, unevenly: some schools are wanted more.
        var instance = AllocationInstance(schools: ids, seats: (0..<schools).map { _ in Int.random(in: 1...(applicants * 6 / 5 / schools), using: &rng) })
        let base = Instant(iso8601: "2026-03-01T08:00:00+08:00")!
        instance.ids.reserveCapacity(applicants)
        for n in 0..<applicants {
            // Points in hundredths around 60–160, many ties; one tie-break value; a submission in March–May.
            let hundredths = Int.random(in: 6_000...16_000, using: &rng) / 50 * 50
            var prefs: [String] = []
            let popular = Int.random(in: 0..<schools, using: &rng)
            while prefs.count < 5 {
                let s = Bool.random(using: &rng) ? (popular + prefs.count) % schools : Int.random(in: 0..<schools, using: &rng)
                if !prefs.contains(ids[s]) { prefs.append(ids[s]) }
            }
            instance.append(id: "A\(n)", points: Double(hundredths) / 100, tiebreak: [Double(Int.random(in: 0...60, using: &rng))],
                            submittedAt: Instant(seconds: base.seconds + Int64(Int.random(in: 0..<(90 * 86_400), using: &rng))),
                            preferences: prefs)
        }
        return instance
    }

    static func run(applicants: Int, output: (String) -> Void) {
        var rng = SplitMix64(seed: 2_026_0301)
        let instance = instance(applicants: applicants, schools: 2_000, using: &rng)
        let start = ContinuousClock.now
        let outcome = Allocation.run(instance)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let placed = outcome.assignment.filter { $0 >= 0 }.count
        output("allocation_applicants \(applicants) applicants")
        output("allocation_schools 2000 schools")
        output("allocation_seats \(instance.seats.reduce(0, +)) seats")
        output("allocation_placed \(placed) applicants")
        output("allocation_1m_applicants_seconds \(String(format: "%.3f", seconds * 1_000_000 / Double(applicants))) s")
    }
}
