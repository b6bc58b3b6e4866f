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
        let result: Result<AllocationInstance, AllocationInstance.Problem>
        do {  // the file's bytes are freed once read
            guard let bytes = read(file) else {
                errors("\(file): 无法读取 / cannot be read")
                return 2
            }
            result = AllocationInstance.read(bytes: bytes)
        }
        switch result {
        case .failure(let problem):
            errors("\(file): \(problem)")
            return 2
        case .success(let instance):
            output(String(decoding: Allocation.jsonBytes(instance, Allocation.run(instance), trace: trace), as: UTF8.self))
            return 0
        }
    }

    /// A file's bytes read straight into an array (a million applicants are 145 MB).
    static func readBytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return FileManager.default.contents(atPath: path).map(Array.init) }
        let size = Int(info.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let n = Foundation.read(fd, buffer.baseAddress! + count, size - count)
                if n <= 0 { failed = n < 0; break }
                count += n
            }
        }
        return failed ? nil : bytes
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
            let tiebreak = Double(Int.random(in: 0...60, using: &rng))
            let submitted = base.seconds + Int64(Int.random(in: 0..<(90 * 86_400), using: &rng))
            instance.append(id: "A\(n)", points: Double(hundredths) / 100, tiebreak: [tiebreak],
                            submittedAt: Instant(seconds: submitted), submittedText: shanghaiText(submitted), preferences: prefs)
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
        // End to end as `jifen allocate` does it: the instance's JSON read, allocated, the
        // result's JSON written (the file's bytes are in memory before the clock starts).
        let text = inputJSON(instance)
        let started = ContinuousClock.now
        guard case .success(let read) = AllocationInstance.read(bytes: text) else { output("allocation_end_to_end refused"); return }
        let written = Allocation.jsonBytes(read, Allocation.run(read))
        let took = ContinuousClock.now - started
        let total = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
        output("allocation_input_megabytes \(String(format: "%.1f", Double(text.count) / 1e6)) MB")
        output("allocation_output_megabytes \(String(format: "%.1f", Double(written.count) / 1e6)) MB")
        output("allocation_1m_end_to_end_seconds \(String(format: "%.3f", total * 1_000_000 / Double(applicants))) s")
    }

    /// `2026-03-01T08:00:00+08:00` for a time in seconds since 1970.
    static func shanghaiText(_ seconds: Int64) -> String {
        let local = Int(seconds) + 8 * 3600
        let days = local / 86_400, rest = local % 86_400
        // Civil date from days since 1970 (H. Hinnant's algorithm).
        let z = days + 719_468, era = z / 146_097, doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))+08:00"
    }

    /// The instance as the JSON `jifen allocate` reads (DESIGN §5).
    static func inputJSON(_ x: AllocationInstance) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(x.count * 150)
        out += Array("{\"seats\":{".utf8)
        for (k, school) in x.schools.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("\(JSONText.quote(school)):\(x.seats[k])".utf8)
        }
        out += Array("},\"applicants\":[".utf8)
        for a in 0..<x.count {
            if a > 0 { out.append(UInt8(ascii: ",")) }
            let tiebreak = x.tiebreakText[Int(x.tiebreakStart[a])..<Int(x.tiebreakStart[a + 1])].joined(separator: ",")
            let preferences = x.preferenceText[Int(x.preferenceStart[a])..<Int(x.preferenceStart[a + 1])].map(JSONText.quote).joined(separator: ",")
            out += Array("{\"id\":\(JSONText.quote(x.ids[a])),\"points\":\(x.pointsText[a]),\"tiebreak\":[\(tiebreak)],\"submittedAt\":\(JSONText.quote(x.submittedText[a])),\"preferences\":[\(preferences)]}".utf8)
        }
        out += Array("]}\n".utf8)
        return out
    }
}
