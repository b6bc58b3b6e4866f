/// An instant read from ISO-8601 text: compared as a point in time, never as text
/// (`2026-03-01T09:00:00+08:00` equals `2026-03-01T01:00:00Z`).
public struct Instant: Sendable, Hashable, Comparable {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: Instant, b: Instant) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z`, `±HH:MM` or `±HHMM`; a space may
    /// stand for `T`. Without an offset the time is read in Asia/Shanghai (+08:00), the time of
    /// the city's own systems; a date alone is midnight there.
    public init?(iso8601 text: String) {
        var text = text
        guard let instant = text.withUTF8({ Instant(iso8601UTF8: $0) }) else { return nil }
        self = instant
    }

    /// The same, from the text's UTF-8 bytes (the instance reader passes them without making a
    /// `String` first).
    public init?(iso8601UTF8 b: UnsafeBufferPointer<UInt8>) {
        var c = ISO8601Cursor(b: b)
        guard let year = c.number(4), c.expect("-"), let month = c.number(2), c.expect("-"), let day = c.number(2),
              (1...12).contains(month), day >= 1, day <= Instant.daysIn(month: month, year: year) else { return nil }
        var hour = 0, minute = 0, second = 0, nanos = 0
        var offset = 8 * 3600
        if c.i < b.count {
            guard b[c.i] == UInt8(ascii: "T") || b[c.i] == UInt8(ascii: "t") || b[c.i] == UInt8(ascii: " ") else { return nil }
            c.i += 1
            guard let h = c.number(2), c.expect(":"), let m = c.number(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if c.expect(":") {
                guard let s = c.number(2), s < 61 else { return nil }
                second = min(s, 59)
                if c.expect(".") || c.expect(",") {
                    var digits = 0
                    while c.i < b.count, b[c.i] >= 0x30, b[c.i] <= 0x39 {
                        if digits < 9 { nanos = nanos * 10 + Int(b[c.i] - 0x30) }
                        digits += 1
                        c.i += 1
                    }
                    guard digits > 0 else { return nil }
                    // More than nine digits: the first nine count (`digits..<9` would trap).
                    if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
                }
            }
            if c.i < b.count {
                if b[c.i] == UInt8(ascii: "Z") || b[c.i] == UInt8(ascii: "z") {
                    offset = 0
                    c.i += 1
                } else if b[c.i] == UInt8(ascii: "+") || b[c.i] == UInt8(ascii: "-") {
                    let sign = b[c.i] == UInt8(ascii: "-") ? -1 : 1
                    c.i += 1
                    guard let oh = c.number(2), oh <= 23 else { return nil }
                    _ = c.expect(":")
                    guard let om = c.number(2), om < 60 else { return nil }
                    offset = sign * (oh * 3600 + om * 60)
                } else {
                    return nil
                }
            }
            guard c.i == b.count else { return nil }
        }
        let days = Instant.daysFromCivil(year: year, month: month, day: day)
        seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        nanoseconds = Int32(nanos)
    }

    /// Where `init?(iso8601UTF8:)` is in its bytes.
    private struct ISO8601Cursor {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        /// `count` digits as a number, else nil (and nothing read).
        @inline(__always)
        mutating func number(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var v = 0
            for k in i..<i + count {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            i += count
            return v
        }

        @inline(__always)
        mutating func expect(_ c: Unicode.Scalar) -> Bool {
            guard i < b.count, b[i] == UInt8(ascii: c) else { return false }
            i += 1
            return true
        }
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The instant in UTC to the second, `YYYY-MM-DDTHH:MM:SSZ` (what Foundation's
    /// `ISO8601DateFormatter` writes by default), without a formatter: a city's round writes one
    /// for each of its twelve thousand applicants.
    public var utcText: String {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let time = Int(seconds - Int64(days) * 86_400)
        func two(_ n: Int) -> String { n < 10 ? "0" + String(n) : String(n) }
        return CivilDate(dayNumber: days).description + "T" + two(time / 3600) + ":" + two(time / 60 % 60) + ":" + two(time % 60) + "Z"
    }

    /// Days since 1970-01-01 (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// An allocation instance (DESIGN §3 and §5): seats per school, and applicants with points,
/// tie-break values, a submission instant and ranked schools. Stored column by column, so a
/// million applicants are a handful of arrays.
public struct AllocationInstance: Sendable {
    /// School ids, sorted; `seats[k]` belongs to `schools[k]`.
    public var schools: [String]
    public var seats: [Int]
    public var ids: [String]
    /// Whether the id was a JSON number (numbers order by value, before text ids).
    public var idIsNumber: [Bool]
    /// The priority group's level (0: none): a higher level comes before any lower one, whatever
    /// the points (children of servicemen, of fire and rescue personnel… placed ahead).
    public var priority: [Int32]
    public var points: [Double]
    public var pointsText: [String]
    /// Tie-break values of applicant `i`: `tiebreak[tiebreakStart[i]..<tiebreakStart[i + 1]]`.
    public var tiebreak: [Double]
    public var tiebreakText: [String]
    public var tiebreakStart: [Int32]
    public var submittedAt: [Instant]
    public var submittedText: [String]
    /// Ranked school indices of applicant `i`: `preferences[preferenceStart[i]..<preferenceStart[i + 1]]`;
    /// -1 for a school that has no seats entry.
    public var preferences: [Int32]
    public var preferenceStart: [Int32]
    /// The preference ids as given, for the trace.
    public var preferenceText: [String]

    public var count: Int { ids.count }

    public init(schools: [String] = [], seats: [Int] = []) {
        self.schools = schools
        self.seats = seats
        ids = []; idIsNumber = []; priority = []; points = []; pointsText = []
        tiebreak = []; tiebreakText = []; tiebreakStart = [0]
        submittedAt = []; submittedText = []
        preferences = []; preferenceStart = [0]; preferenceText = []
    }

    public func schoolIndex(_ id: String) -> Int32 {
        var lo = 0, hi = schools.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if schools[mid].utf8.lexicographicallyPrecedes(id.utf8) { lo = mid + 1 } else { hi = mid }
        }
        return lo < schools.count && schools[lo] == id ? Int32(lo) : -1
    }

    /// Adds an applicant (`preferences` as school ids; ids without seats stay, as -1).
    public mutating func append(id: String, idIsNumber: Bool = false, priority: Int32 = 0, points: Double, pointsText: String? = nil,
                                tiebreak: [Double] = [], tiebreakText: [String]? = nil,
                                submittedAt: Instant, submittedText: String = "", preferences prefs: [String]) {
        ids.append(id)
        self.idIsNumber.append(idIsNumber)
        self.priority.append(priority)
        self.points.append(points)
        self.pointsText.append(pointsText ?? Allocation.numberText(points))
        tiebreak.forEach { self.tiebreak.append($0) }
        (tiebreakText ?? tiebreak.map(Allocation.numberText)).forEach { self.tiebreakText.append($0) }
        tiebreakStart.append(Int32(self.tiebreak.count))
        self.submittedAt.append(submittedAt)
        self.submittedText.append(submittedText)
        var seen: Set<String> = []
        for p in prefs where seen.insert(p).inserted {
            preferences.append(schoolIndex(p))
            preferenceText.append(p)
        }
        preferenceStart.append(Int32(preferences.count))
    }

    // MARK: reading the JSON of DESIGN §5

    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Reads `{"seats":{…},"applicants":[…]}`. A malformed instance is refused with a message
    /// naming the applicant (or school) and the field.
    public static func read(_ value: JSONValue) -> Result<AllocationInstance, Problem> {
        func fail(_ m: String) -> Result<AllocationInstance, Problem> { .failure(Problem(message: m)) }
        guard case .object = value else { return fail("instance: 应为 JSON 对象 / expected a JSON object") }
        guard case .object(let seatMembers)? = value["seats"] else { return fail("seats: 应为对象 {学校: 学位数} / expected an object {school: seats}") }
        var seatOf: [String: Int] = [:]
        for (school, n) in seatMembers {
            guard case .number(let text) = n, let count = Int(text), count >= 0 else {
                return fail("seats.\(school): 学位数应为非负整数 / seats must be a non-negative integer, got \(render(n))")
            }
            seatOf[school] = count
        }
        let schools = seatOf.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var instance = AllocationInstance(schools: schools, seats: schools.map { seatOf[$0]! })
        guard case .array(let list)? = value["applicants"] else { return fail("applicants: 应为数组 / expected an array") }
        var seen: Set<String> = []
        for (n, entry) in list.enumerated() {
            var name = "applicants[\(n)]"
            guard case .object = entry else { return fail("\(name): 应为对象 / expected an object") }
            let id: String, idIsNumber: Bool
            switch entry["id"] {
            case .string(let s)? where !s.isEmpty: id = s; idIsNumber = false
            case .number(let s)?: id = s; idIsNumber = true
            case nil: return fail("\(name): id: 缺少 / missing")
            case let other?: return fail("\(name): id: 应为字符串或数字 / expected a string or a number, got \(render(other))")
            }
            name = "applicant \(JSONText.quote(id))"
            guard seen.insert(id).inserted else { return fail("\(name): id: 重复 / duplicate id") }
            guard case .number(let pointsText)? = entry["points"], let points = Double(pointsText), points.isFinite else {
                return fail("\(name): points: 应为数字 / expected a number" + (entry["points"].map { ", got \(render($0))" } ?? " (missing)"))
            }
            var priority: Int32 = 0
            switch entry["priority"] {
            case nil, .null?: break
            case .number(let p)? where Int32(p).map { $0 >= 0 } ?? false: priority = Int32(p)!
            case let other?: return fail("\(name): priority: 应为非负整数 / expected a whole number from 0, got \(render(other))")
            }
            var tiebreak: [Double] = [], tiebreakText: [String] = []
            switch entry["tiebreak"] {
            case nil, .null?: break
            case .array(let values)?:
                for (k, v) in values.enumerated() {
                    guard case .number(let t) = v, let d = Double(t), d.isFinite else { return fail("\(name): tiebreak[\(k)]: 应为数字 / expected a number, got \(render(v))") }
                    tiebreak.append(d)
                    tiebreakText.append(t)
                }
            case let other?: return fail("\(name): tiebreak: 应为数字数组 / expected an array of numbers, got \(render(other))")
            }
            guard case .string(let submitted)? = entry["submittedAt"] else {
                return fail("\(name): submittedAt: 应为 ISO-8601 时间字符串 / expected an ISO-8601 string" + (entry["submittedAt"].map { ", got \(render($0))" } ?? " (missing)"))
            }
            guard let instant = Instant(iso8601: submitted) else {
                return fail("\(name): submittedAt: 不是有效的 ISO-8601 时间 / not a valid ISO-8601 instant: \(JSONText.quote(submitted))")
            }
            var prefs: [String] = []
            switch entry["preferences"] {
            case nil, .null?: break
            case .array(let values)?:
                for (k, v) in values.enumerated() {
                    switch v {
                    case .string(let s): prefs.append(s)
                    case .number(let s): prefs.append(s)
                    default: return fail("\(name): preferences[\(k)]: 应为学校 id / expected a school id, got \(render(v))")
                    }
                }
            case let other?: return fail("\(name): preferences: 应为学校 id 数组 / expected an array of school ids, got \(render(other))")
            }
            instance.append(id: id, idIsNumber: idIsNumber, priority: priority, points: points, pointsText: pointsText, tiebreak: tiebreak, tiebreakText: tiebreakText,
                            submittedAt: instant, submittedText: submitted, preferences: prefs)
        }
        return .success(instance)
    }

    static func render(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): JSONText.quote(s)
        case .number(let s): s
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Serial dictatorship over one priority order (DESIGN §3): with a common order this is the
/// student-proposing deferred acceptance, strategy-proof for applicants. Deterministic: the
/// same instance gives the same outcome, whatever the order applicants were listed in.
public enum Allocation {
    public struct Outcome: Sendable, Equatable {
        /// School index per applicant, -1 for none.
        public var assignment: [Int32]
        /// Position of each applicant in the priority order (0 first).
        public var rank: [Int32]
        /// Applicants in priority order.
        public var order: [Int32]
        public var admitted: [Int32]
        /// Per school, the last admitted applicant (the cutoff), -1 when nobody was admitted.
        public var last: [Int32]
    }

    /// Whether applicant `a` comes before `b`: a higher priority level first, then points higher
    /// first, then the tie-break values one
    /// by one (higher first; a missing value comes after any value), then the earlier
    /// submission, then the id (numbers by value before text, text by its UTF-8 bytes).
    @inline(__always)
    public static func precedes(_ a: Int, _ b: Int, in x: AllocationInstance) -> Bool {
        if x.priority[a] != x.priority[b] { return x.priority[a] > x.priority[b] }
        if x.points[a] != x.points[b] { return x.points[a] > x.points[b] }
        let sa = Int(x.tiebreakStart[a]), la = Int(x.tiebreakStart[a + 1]) - sa
        let sb = Int(x.tiebreakStart[b]), lb = Int(x.tiebreakStart[b + 1]) - sb
        var k = 0
        while k < la || k < lb {
            if k >= la { return false }
            if k >= lb { return true }
            let va = x.tiebreak[sa + k], vb = x.tiebreak[sb + k]
            if va != vb { return va > vb }
            k += 1
        }
        if x.submittedAt[a] != x.submittedAt[b] { return x.submittedAt[a] < x.submittedAt[b] }
        return idPrecedes(a, b, in: x)
    }

    static func idPrecedes(_ a: Int, _ b: Int, in x: AllocationInstance) -> Bool {
        switch (x.idIsNumber[a], x.idIsNumber[b]) {
        case (true, false): return true
        case (false, true): return false
        case (true, true):
            let da = Double(x.ids[a]) ?? 0, db = Double(x.ids[b]) ?? 0
            if da != db { return da < db }
            fallthrough
        default:
            return x.ids[a].utf8.lexicographicallyPrecedes(x.ids[b].utf8)
        }
    }

    /// The priority order of all applicants: sorted by `precedes`, applicants that are equal
    /// for it (the same id twice) in their order.
    public static func order(_ x: AllocationInstance) -> [Int32] {
        if let order = radixOrder(x) { return order }
        var order = (0..<Int32(x.count)).map { $0 }
        order.sort { precedes(Int($0), Int($1), in: x) }
        return order
    }

    /// The same order as the comparison sort by `precedes` (which is stable), by radix sorts. Each
    /// key of `precedes` but the id becomes an unsigned integer in the wanted order (smaller
    /// first): the submission instant, the tie-break values from the last position to the first
    /// (a missing value after any value), the points, the priority level. Of each only the bits
    /// that differ between applicants are kept, and the keys are packed, least significant
    /// first, into as few 64-bit words as they fit in (usually one), sorted by one stable pass
    /// each, the least significant word first. Applicants equal in all of these are then sorted
    /// by id. Nil when a figure is NaN, for which `precedes` is no order.
    static func radixOrder(_ x: AllocationInstance) -> [Int32]? {
        let n = x.count
        guard n > 1 else { return Array(0..<Int32(n)) }
        for v in x.points where v.isNaN { return nil }
        for v in x.tiebreak where v.isNaN { return nil }
        // A double as an unsigned integer in the same order (-0 and 0 alike, as `==` has them).
        @inline(__always) func ascending(_ v: Double) -> UInt64 {
            let bits = (v == 0 ? 0 : v).bitPattern
            return bits >> 63 == 1 ? ~bits : bits | 1 << 63
        }
        var longest = 0
        for a in 0..<n { longest = max(longest, Int(x.tiebreakStart[a + 1] - x.tiebreakStart[a])) }
        enum Kind { case nanoseconds, seconds, tiebreak(Int), points, priority }
        @inline(__always) func key(_ kind: Kind, _ a: Int) -> UInt64 {
            switch kind {
            case .nanoseconds: return UInt64(UInt32(bitPattern: x.submittedAt[a].nanoseconds) ^ 0x8000_0000)
            case .seconds: return UInt64(bitPattern: x.submittedAt[a].seconds) ^ 1 << 63
            case .tiebreak(let k):
                let start = Int(x.tiebreakStart[a])
                return k < Int(x.tiebreakStart[a + 1]) - start ? ~ascending(x.tiebreak[start + k]) : .max
            case .points: return ~ascending(x.points[a])
            case .priority: return UInt64(~(UInt32(bitPattern: x.priority[a]) ^ 0x8000_0000))
            }
        }
        /// `visit(a, key)` for every applicant in turn (the kind chosen once, not per applicant).
        @inline(__always) func scan(_ kind: Kind, _ visit: (Int, UInt64) -> Void) {
            switch kind {
            case .nanoseconds: for a in 0..<n { visit(a, key(.nanoseconds, a)) }
            case .seconds: for a in 0..<n { visit(a, key(.seconds, a)) }
            case .tiebreak(let k): for a in 0..<n { visit(a, key(.tiebreak(k), a)) }
            case .points: for a in 0..<n { visit(a, key(.points, a)) }
            case .priority: for a in 0..<n { visit(a, key(.priority, a)) }
            }
        }
        var kinds: [Kind] = [.nanoseconds, .seconds]
        for k in stride(from: longest - 1, through: 0, by: -1) { kinds.append(.tiebreak(k)) }
        kinds += [.points, .priority]
        // Each key's bits that differ between applicants: from `low`, `width` of them.
        struct Field {
            var kind: Kind
            var low: UInt64
            var width: Int
        }
        var fields: [Field] = []
        for kind in kinds {
            var all: UInt64 = ~0, any: UInt64 = 0
            scan(kind) { _, v in
                all &= v
                any |= v
            }
            let differ = all ^ any
            guard differ != 0 else { continue }
            let low = differ.trailingZeroBitCount
            fields.append(Field(kind: kind, low: UInt64(low), width: 64 - differ.leadingZeroBitCount - low))
        }
        // Words of fields, least significant first.
        var words: [[Field]] = []
        var width = 64
        for field in fields {
            if width + field.width > 64 { words.append([]); width = 0 }
            words[words.count - 1].append(field)
            width += field.width
        }
        var order = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for k in 0..<n { buffer[k] = Int32(k) }
            count = n
        }
        var entries = [RadixSort.Entry](repeating: RadixSort.Entry(key: 0, index: 0), count: n)
        var scratch = entries
        order.withUnsafeMutableBufferPointer { order in
            entries.withUnsafeMutableBufferPointer { entries in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    for (w, word) in words.enumerated() {
                        for k in 0..<n { entries[k] = RadixSort.Entry(key: 0, index: order[k]) }
                        var shift: UInt64 = 0
                        for field in word {
                            let mask: UInt64 = field.width == 64 ? ~0 : (1 << UInt64(field.width)) - 1
                            if w == 0 {
                                // Still in the applicants' order: entries[a] is applicant a.
                                scan(field.kind) { a, v in entries[a].key |= (v >> field.low & mask) << shift }
                            } else {
                                for k in 0..<n { entries[k].key |= (key(field.kind, Int(entries[k].index)) >> field.low & mask) << shift }
                            }
                            shift += UInt64(field.width)
                        }
                        RadixSort.sort(entries, scratch)
                        for k in 0..<n { order[k] = entries[k].index }
                    }
                    // Applicants equal but for the id: by id. With one word, equal keys are
                    // equal figures.
                    func tied(_ p: Int, _ q: Int) -> Bool {
                        if words.count <= 1 { return entries[p].key == entries[q].key }
                        let a = Int(order[p]), b = Int(order[q])
                        guard x.priority[a] == x.priority[b], x.points[a] == x.points[b], x.submittedAt[a] == x.submittedAt[b] else { return false }
                        let sa = Int(x.tiebreakStart[a]), la = Int(x.tiebreakStart[a + 1]) - sa
                        let sb = Int(x.tiebreakStart[b]), lb = Int(x.tiebreakStart[b + 1]) - sb
                        guard la == lb else { return false }
                        for k in 0..<la where x.tiebreak[sa + k] != x.tiebreak[sb + k] { return false }
                        return true
                    }
                    var k = 0
                    while k < n {
                        var j = k + 1
                        while j < n, tied(k, j) { j += 1 }
                        if j - k > 1 {
                            var run = UnsafeMutableBufferPointer(rebasing: order[k..<j])
                            run.sort { idPrecedes(Int($0), Int($1), in: x) }
                        }
                        k = j
                    }
                }
            }
        }
        return order
    }

    public static func run(_ x: AllocationInstance) -> Outcome {
        let order = order(x)
        var left = x.seats.map { Int32($0) }
        var admitted = [Int32](repeating: 0, count: x.schools.count)
        var last = [Int32](repeating: -1, count: x.schools.count)
        var assignment = [Int32](repeating: -1, count: x.count)
        var rank = [Int32](repeating: 0, count: x.count)
        for (position, applicant) in order.enumerated() {
            let a = Int(applicant)
            rank[a] = Int32(position)
            for p in Int(x.preferenceStart[a])..<Int(x.preferenceStart[a + 1]) {
                let school = Int(x.preferences[p])
                guard school >= 0, left[school] > 0 else { continue }
                left[school] -= 1
                admitted[school] += 1
                last[school] = applicant
                assignment[a] = Int32(school)
                break
            }
        }
        return Outcome(assignment: assignment, rank: rank, order: order, admitted: admitted, last: last)
    }

    /// Why applicant `a` got what he got, school by school in his order.
    public enum Step: Sendable, Equatable {
        /// The school has no seats at all (or is not in the instance).
        case noSeats(school: String)
        /// Full when his turn came: its last admitted applicant (the cutoff) ranks before him.
        case full(school: String, cutoff: Int32)
        case admitted(school: String)
    }

    public static func trace(_ a: Int, in x: AllocationInstance, outcome: Outcome) -> [Step] {
        var steps: [Step] = []
        for p in Int(x.preferenceStart[a])..<Int(x.preferenceStart[a + 1]) {
            let school = Int(x.preferences[p])
            let name = x.preferenceText[p]
            if school < 0 || x.seats[school] <= 0 { steps.append(.noSeats(school: name)); continue }
            if outcome.assignment[a] == Int32(school) { steps.append(.admitted(school: name)); break }
            steps.append(.full(school: name, cutoff: outcome.last[school]))
        }
        return steps
    }

    // MARK: output (DESIGN §5)

    /// `{"assignments":{…},"cutoffs":{…}}`, keys sorted by their UTF-8 bytes, numbers as they
    /// were given: identical input gives identical bytes.
    public static func json(_ x: AllocationInstance, _ outcome: Outcome, trace withTrace: Bool = false) -> String {
        String(decoding: jsonBytes(x, outcome, trace: withTrace), as: UTF8.self)
    }

    /// A number written back: integers without a decimal point, others in the shortest form.
    public static func numberText(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
