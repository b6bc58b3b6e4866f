// Reading and writing the JSON of `jifen allocate` (DESIGN §5) straight from and to bytes: a
// million applicants are some 145 MB of JSON, too many for a generic `JSONValue` tree and for
// output built by `String` concatenation.

import Foundation

extension AllocationInstance {
    /// Reads `{"seats":{…},"applicants":[…]}` from its UTF-8 bytes in one pass, without a
    /// `JSONValue` tree: the same instance as `read(try JSONText.parse(bytes))`. Whatever the
    /// single pass does not take as it is (broken JSON, a malformed field, a repeated key or id,
    /// deep nesting, a number written unusually) is read again by `JSONText.parse` and
    /// `read(_:)`, so every problem has the same message as there; a text that is not JSON at all
    /// gives `不是有效的 JSON / not valid JSON: ` followed by the parse error (what `jifen
    /// allocate` printed after the file's name). A list of applicants of 4 MB or more is read by
    /// two threads, each half in one pass (see `InstanceBytesReader.applicants`).
    public static func read(bytes: [UInt8]) -> Result<AllocationInstance, Problem> {
        if let instance = readInOnePass(bytes: bytes) { return .success(instance) }
        return readThroughTree(bytes)
    }

    /// The single pass of `read(bytes:)` alone: the instance, or nil when it leaves the text to
    /// the general reader (a problem, or one of the rare things it does not take as it is).
    static func readInOnePass(bytes: [UInt8]) -> AllocationInstance? {
        bytes.withUnsafeBufferPointer { InstanceBytesReader.read($0) }
    }

    /// The general path: a `JSONValue` tree, then `read(_:)`.
    static func readThroughTree(_ bytes: [UInt8]) -> Result<AllocationInstance, Problem> {
        let value: JSONValue
        do { value = try JSONText.parse(bytes) } catch {
            return .failure(Problem(message: "不是有效的 JSON / not valid JSON: \(error)"))
        }
        return read(value)
    }
}

/// The single pass of `AllocationInstance.read(bytes:)`. It follows `JSONText.Reader` and
/// `AllocationInstance.read(_:)` rule by rule and gives up (nil) on anything they would refuse,
/// and on the rare things it leaves to them (see `read(bytes:)`).
struct InstanceBytesReader {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    /// Numbers of up to eight bytes read lately (points and tie-break values repeat a lot), so
    /// their text and value are made once.
    var numbers = [Number](repeating: Number(head: ~0, length: 0, value: 0, text: ""), count: 512)

    struct Number {
        var head: UInt64
        var length: Int
        var value: Double
        var text: String
    }

    enum Key { case seats, applicants, id, points, priority, tiebreak, submittedAt, preferences, other }

    /// A string as read: its bytes in the text when they are ASCII without escapes (the usual
    /// case), else its decoded text.
    enum Text {
        case plain(Int, Int)
        case decoded(String)
    }

    static func read(_ b: UnsafeBufferPointer<UInt8>) -> AllocationInstance? {
        var reader = InstanceBytesReader(b: b)
        return reader.document()
    }

    // MARK: the document

    mutating func document() -> AllocationInstance? {
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        space()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var instance: AllocationInstance?
        var schools = SchoolTable()
        var applicantsAt: Int?  // "applicants" seen before "seats": read when the schools are known
        var sawApplicants = false
        var ids = IDSet()
        space()
        guard i < b.count, b[i] != UInt8(ascii: "}") else { return nil }  // no "seats"
        while true {
            space()
            guard let key = key() else { return nil }
            space()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            space()
            switch key {
            case .seats:
                guard instance == nil, let x = seats() else { return nil }  // a repeated key: the last counts, left to read(_:)
                instance = x
                schools = SchoolTable(x.schools)
                if let at = applicantsAt {
                    let resume = i
                    i = at
                    guard applicants(&instance!, schools, &ids) else { return nil }
                    i = resume
                }
            case .applicants:
                guard !sawApplicants else { return nil }
                sawApplicants = true
                if instance != nil {
                    guard applicants(&instance!, schools, &ids) else { return nil }
                } else {
                    applicantsAt = i
                    guard skip(depth: 1) else { return nil }
                }
            default:
                guard skip(depth: 1) else { return nil }
            }
            space()
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; break }
            return nil
        }
        space()
        guard i == b.count, sawApplicants, let instance, ids.unique(instance.ids) else { return nil }
        return instance
    }

    /// `"seats": {"school": n, …}`: the schools sorted by their UTF-8 bytes, as `read(_:)` does.
    mutating func seats() -> AllocationInstance? {
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var names: [String] = [], counts: [Int] = []
        space()
        if i < b.count, b[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                space()
                guard i < b.count, b[i] == UInt8(ascii: "\""), let name = text() else { return nil }
                space()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                space()
                // Digits only ("-0" and the like are left to read(_:)).
                let start = i
                var count = 0
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { count = count &* 10 &+ Int(b[i] &- 0x30); i += 1 }
                guard i > start, i - start <= 18, i - start == 1 || b[start] != 0x30 else { return nil }
                if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { return nil }
                names.append(string(name))
                counts.append(count)
                space()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; break }
                return nil
            }
        }
        guard Set(names).count == names.count else { return nil }  // a school twice: the last counts, left to read(_:)
        let order = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        return AllocationInstance(schools: order.map { names[$0] }, seats: order.map { counts[$0] })
    }

    /// `"applicants": [{…}, …]`, each appended to `x` as `read(_:)` would. A long list is read
    /// by two threads: this one from the start, another from an applicant that seems to begin
    /// halfway. When this thread arrives exactly there (so it was an applicant's beginning), the
    /// other's applicants are appended to its own; else the other's work is dropped.
    mutating func applicants(_ x: inout AllocationInstance, _ schools: SchoolTable, _ ids: inout IDSet) -> Bool {
        guard i < b.count, b[i] == UInt8(ascii: "[") else { return false }
        i += 1
        space()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return true }
        var count = Count(first: i)
        guard b.count - i >= InstanceBytesReader.parallelFrom, let split = halfway() else {
            return elements(&x, schools, &ids, &count, stopAt: nil) == .end
        }
        let other = SecondHalf(InstanceBytesReader(b: b, i: split), AllocationInstance(schools: x.schools, seats: x.seats), schools)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { other.read() }
        let end = elements(&x, schools, &ids, &count, stopAt: split)
        group.wait()
        switch end {
        case .failed: return false
        case .end: return true  // the other began within an applicant
        case .arrived:
            guard other.done else {
                // The other found something it does not take: this thread goes on alone.
                return elements(&x, schools, &ids, &count, stopAt: nil) == .end
            }
            other.append(to: &x, &ids)
            i = other.reader.i
            return true
        }
    }

    /// Lists at least this long (in bytes) are read by two threads (the tests set it to 0).
    nonisolated(unsafe) static var parallelFrom = 4 << 20

    enum Elements { case end, arrived, failed }

    struct Count {
        let first: Int
        var n = 0
    }

    /// The applicants from `i` (at one's beginning) to the end of the list, or until one begins at
    /// `stopAt`.
    mutating func elements(_ x: inout AllocationInstance, _ schools: SchoolTable, _ ids: inout IDSet, _ count: inout Count, stopAt: Int?) -> Elements {
        while true {
            space()
            if i == stopAt { return .arrived }
            guard applicant(&x, schools, &ids) else { return .failed }
            count.n += 1
            if count.n == 1024 { reserve(&x, read: count.n, bytesSoFar: i - count.first, ids: &ids) }
            space()
            guard i < b.count else { return .failed }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .end }
            return .failed
        }
    }

    /// Where an applicant seems to begin halfway through the rest of the text: a `{` after a `}`
    /// and a comma (whitespace between). It may be inside a string; the caller finds out.
    func halfway() -> Int? {
        var k = i + (b.count - i) / 2
        let limit = Swift.min(b.count - 1, k + (1 << 20))
        while k < limit {
            if b[k] == UInt8(ascii: "}") {
                var j = k + 1
                while j < limit, b[j] == 0x20 || b[j] == 0x0A || b[j] == 0x0D || b[j] == 0x09 { j += 1 }
                if j < limit, b[j] == UInt8(ascii: ",") {
                    j += 1
                    while j < limit, b[j] == 0x20 || b[j] == 0x0A || b[j] == 0x0D || b[j] == 0x09 { j += 1 }
                    if j < limit, b[j] == UInt8(ascii: "{") { return j }
                }
            }
            k += 1
        }
        return nil
    }

    /// Room for the applicants still to come, guessed from the first ones, so a million
    /// applicants do not grow every column a dozen times (each time holding two copies).
    func reserve(_ x: inout AllocationInstance, read n: Int, bytesSoFar: Int, ids: inout IDSet) {
        guard bytesSoFar > 0 else { return }
        let total = Int(Double(n) * Double(b.count - i + bytesSoFar) / Double(bytesSoFar) * 1.02) + 64
        let perApplicant = { (count: Int) in Int(Double(count) / Double(n) * Double(total)) + 64 }
        x.ids.reserveCapacity(total)
        x.idIsNumber.reserveCapacity(total)
        x.priority.reserveCapacity(total)
        x.points.reserveCapacity(total)
        x.pointsText.reserveCapacity(total)
        x.tiebreak.reserveCapacity(perApplicant(x.tiebreak.count))
        x.tiebreakText.reserveCapacity(perApplicant(x.tiebreakText.count))
        x.tiebreakStart.reserveCapacity(total + 1)
        x.submittedAt.reserveCapacity(total)
        x.submittedText.reserveCapacity(total)
        x.preferences.reserveCapacity(perApplicant(x.preferences.count))
        x.preferenceText.reserveCapacity(perApplicant(x.preferenceText.count))
        x.preferenceStart.reserveCapacity(total + 1)
        ids.reserve(total)
    }

    /// One applicant `{"id":…, "points":…, …}`, the keys in any order.
    mutating func applicant(_ x: inout AllocationInstance, _ schools: SchoolTable, _ ids: inout IDSet) -> Bool {
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return false }
        i += 1
        var id: String?, idIsNumber = false, idBytes: (Int, Int)?
        var points: Double?, pointsText = ""
        var priority: Int32 = 0, sawPriority = false
        var submitted: (Instant, String)?
        var sawTiebreak = false, sawPreferences = false
        space()
        guard i < b.count, b[i] != UInt8(ascii: "}") else { return false }  // no id
        while true {
            space()
            guard let key = key() else { return false }
            space()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { return false }
            i += 1
            space()
            guard i < b.count else { return false }
            switch key {
            case .id:
                guard id == nil else { return false }
                if b[i] == UInt8(ascii: "\"") {
                    guard let t = text() else { return false }
                    switch t {
                    case .plain(let s, let e):
                        guard s < e else { return false }  // empty: refused by read(_:)
                        id = string(s, e)
                        idBytes = (s, e)
                    case .decoded(let s):
                        guard !s.isEmpty else { return false }
                        id = s
                    }
                } else {
                    guard let (s, e) = number() else { return false }
                    id = string(s, e)
                    idBytes = (s, e)
                    idIsNumber = true
                }
            case .points:
                guard points == nil, let (s, e) = number(), let (v, text) = number(s, e), v.isFinite else { return false }
                points = v
                pointsText = text
            case .priority:
                guard !sawPriority else { return false }
                sawPriority = true
                if b[i] == UInt8(ascii: "n") {
                    guard literal("null") else { return false }
                } else {
                    // Digits only, at most nine (anything else is left to read(_:)).
                    let start = i
                    var p: Int32 = 0
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { p = p &* 10 &+ Int32(b[i] &- 0x30); i += 1 }
                    guard i > start, i - start <= 9, i - start == 1 || b[start] != 0x30 else { return false }
                    if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { return false }
                    priority = p
                }
            case .tiebreak:
                guard !sawTiebreak else { return false }
                sawTiebreak = true
                if b[i] == UInt8(ascii: "n") {
                    guard literal("null") else { return false }
                } else {
                    guard b[i] == UInt8(ascii: "[") else { return false }
                    i += 1
                    space()
                    if i < b.count, b[i] == UInt8(ascii: "]") {
                        i += 1
                    } else {
                        while true {
                            space()
                            guard let (s, e) = number(), let (v, text) = number(s, e), v.isFinite else { return false }
                            x.tiebreak.append(v)
                            x.tiebreakText.append(text)
                            space()
                            guard i < b.count else { return false }
                            if b[i] == UInt8(ascii: ",") { i += 1; continue }
                            if b[i] == UInt8(ascii: "]") { i += 1; break }
                            return false
                        }
                    }
                }
            case .submittedAt:
                guard submitted == nil, b[i] == UInt8(ascii: "\""), let t = text() else { return false }
                switch t {
                case .plain(let s, let e):
                    guard let instant = Instant(iso8601UTF8: UnsafeBufferPointer(rebasing: b[s..<e])) else { return false }
                    submitted = (instant, string(s, e))
                case .decoded(let s):
                    guard let instant = Instant(iso8601: s) else { return false }
                    submitted = (instant, s)
                }
            case .preferences:
                guard !sawPreferences else { return false }
                sawPreferences = true
                if b[i] == UInt8(ascii: "n") {
                    guard literal("null") else { return false }
                } else {
                    guard b[i] == UInt8(ascii: "[") else { return false }
                    i += 1
                    space()
                    if i < b.count, b[i] == UInt8(ascii: "]") {
                        i += 1
                    } else {
                        let start = x.preferences.count
                        while true {
                            space()
                            guard i < b.count else { return false }
                            var school: Int32 = -1, name = ""
                            var found = false
                            if b[i] == UInt8(ascii: "\""), i + 9 <= b.count {
                                // A short school id written plainly: its bytes up to the closing
                                // quote, in one word, are the key of the school table.
                                let w = UInt64(littleEndian: UnsafeRawPointer(b.baseAddress! + i + 1).loadUnaligned(as: UInt64.self))
                                let length = InstanceBytesReader.special(w).trailingZeroBitCount >> 3
                                if length < 8, b[i + 1 + length] == UInt8(ascii: "\""),
                                   let k = schools.index(head: length == 0 ? 0 : w & ((1 << UInt64(8 * length)) - 1), length: length) {
                                    school = k
                                    name = x.schools[Int(k)]  // the same bytes
                                    i += length + 2
                                    found = true
                                }
                            }
                            if !found {
                                if b[i] == UInt8(ascii: "\"") {
                                    guard let t = text() else { return false }
                                    switch t {
                                    case .plain(let s, let e):
                                        if let k = schools.index(UnsafeBufferPointer(rebasing: b[s..<e]), in: b) {
                                            school = k
                                            name = x.schools[Int(k)]
                                        } else {
                                            name = string(s, e)
                                            school = x.schoolIndex(name)
                                        }
                                    case .decoded(let s):
                                        name = s
                                        school = x.schoolIndex(name)
                                    }
                                } else {
                                    guard let (s, e) = number() else { return false }
                                    name = string(s, e)
                                    school = schools.index(UnsafeBufferPointer(rebasing: b[s..<e]), in: b) ?? x.schoolIndex(name)
                                }
                            }
                            // A school listed twice counts once, as in `append` (whose set compares
                            // strings). A name found among the schools equals that school's id, and
                            // no two schools' ids are equal: for two of them, comparing the
                            // indices is comparing the strings.
                            var again = false
                            for k in start..<x.preferences.count {
                                let other = x.preferences[k]
                                if school >= 0, other >= 0 ? other == school : x.preferenceText[k] == name { again = true; break }
                                if school < 0, x.preferenceText[k] == name { again = true; break }
                            }
                            if !again {
                                x.preferences.append(school)
                                x.preferenceText.append(name)
                            }
                            space()
                            guard i < b.count else { return false }
                            if b[i] == UInt8(ascii: ",") { i += 1; continue }
                            if b[i] == UInt8(ascii: "]") { i += 1; break }
                            return false
                        }
                    }
                }
            default:
                guard skip(depth: 3) else { return false }
            }
            space()
            guard i < b.count else { return false }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; break }
            return false
        }
        guard let id, let points, let submitted else { return false }
        x.ids.append(id)
        if let (s, e) = idBytes { ids.append(UnsafeBufferPointer(rebasing: b[s..<e])) } else { ids.append(id) }
        x.idIsNumber.append(idIsNumber)
        x.priority.append(priority)
        x.points.append(points)
        x.pointsText.append(pointsText)
        x.tiebreakStart.append(Int32(x.tiebreak.count))
        x.submittedAt.append(submitted.0)
        x.submittedText.append(submitted.1)
        x.preferenceStart.append(Int32(x.preferences.count))
        return true
    }

    // MARK: JSON, as JSONText.Reader reads it

    @inline(__always)
    mutating func space() {
        while i < b.count {
            let c = b[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard b.count - i >= n else { return false }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { return false }
        i += n
        return true
    }

    /// A key, known or not (nil: not a string, or a broken one).
    @inline(__always)
    mutating func key() -> Key? {
        // The keys of an applicant, written plainly, are found by their first bytes.
        if i + 16 <= b.count, b[i] == UInt8(ascii: "\"") {
            let raw = UnsafeRawPointer(b.baseAddress! + i + 1)
            let w = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            // The bytes of `id"`, `points"`, `priority`, `tiebreak`, `submitte` + `dAt"`, `preferen` + `ces"`.
            if w & 0xFF_FFFF == 0x226469 { i += 4; return .id }
            if w & 0xFF_FFFF_FFFF_FFFF == 0x2273746E696F70 { i += 8; return .points }
            if b[i + 9] == UInt8(ascii: "\"") {
                if w == 0x797469726F697270 { i += 10; return .priority }
                if w == 0x6B61657262656974 { i += 10; return .tiebreak }
            }
            if b[i + 12] == UInt8(ascii: "\"") {
                let tail = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
                if w == 0x657474696D627573, tail == 0x22744164 { i += 13; return .submittedAt }
                if w == 0x6E65726566657270, tail == 0x22736563 { i += 13; return .preferences }
            }
        }
        return slowKey()
    }

    mutating func slowKey() -> Key? {
        guard i < b.count, b[i] == UInt8(ascii: "\""), let t = text() else { return nil }
        switch t {
        case .plain(let s, let e):
            let p = b.baseAddress! + s
            func equals(_ word: StaticString) -> Bool {
                word.utf8CodeUnitCount == e - s && memcmp(p, word.utf8Start, e - s) == 0
            }
            switch e - s {
            case 2: return equals("id") ? .id : .other
            case 5: return equals("seats") ? .seats : .other
            case 6: return equals("points") ? .points : .other
            case 8: return equals("priority") ? .priority : equals("tiebreak") ? .tiebreak : .other
            case 10: return equals("applicants") ? .applicants : .other
            case 11: return equals("submittedAt") ? .submittedAt : equals("preferences") ? .preferences : .other
            default: return .other
            }
        case .decoded(let s):
            // Escaped or not ASCII: compared as strings, as `JSONValue`'s subscript does.
            switch s {
            case "id": return .id
            case "seats": return .seats
            case "points": return .points
            case "priority": return .priority
            case "tiebreak": return .tiebreak
            case "applicants": return .applicants
            case "submittedAt": return .submittedAt
            case "preferences": return .preferences
            default: return .other
            }
        }
    }

    func string(_ s: Int, _ e: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
    }

    func string(_ t: Text) -> String {
        switch t {
        case .plain(let s, let e): string(s, e)
        case .decoded(let s): s
        }
    }

    /// The high bit of each byte of `w` (eight bytes, the first lowest) that is a quote, a
    /// backslash, below 0x20 or beyond ASCII. The lowest flagged byte is always a right one (a
    /// false flag, from a borrow, can only sit above a true one).
    @inline(__always)
    static func special(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        let below = (w &- ones &* 0x20) & ~w, quotes = (quote &- ones) & ~quote, backslashes = (backslash &- ones) & ~backslash
        return (below | quotes | backslashes | w) & highs
    }

    /// At an opening quote: the string, as `JSONText.Reader.string()` reads it.
    mutating func text() -> Text? {
        i += 1
        let start = i
        // Eight bytes at a time to the first that is a quote, a backslash, below 0x20 or beyond
        // ASCII.
        let raw = UnsafeRawPointer(b.baseAddress!)
        while i + 8 <= b.count {
            let flags = InstanceBytesReader.special(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            if flags == 0 { i += 8; continue }
            i += flags.trailingZeroBitCount >> 3
            break
        }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return .plain(start, i - 1) }
            if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { break }
            i += 1
        }
        // Escapes or UTF-8 beyond ASCII: decoded as JSONText.Reader does.
        var out = Array(UnsafeBufferPointer(rebasing: b[start..<i]))
        while true {
            guard i < b.count else { return nil }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { return nil }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { return nil }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else { return nil }
                    i += 2
                    guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    return nil
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default: return nil
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { return nil }
        return .decoded(text)
    }

    mutating func hex4() -> UInt32? {
        // Exactly as JSONText.Reader.hex4() (which lets `UInt32(_:radix:)` judge the four bytes).
        guard b.count - i >= 4, let v = UInt32(String(decoding: UnsafeBufferPointer(rebasing: b[i..<i + 4]), as: UTF8.self), radix: 16) else { return nil }
        i += 4
        return v
    }

    /// A number's text (its byte range), by JSONText.Reader.number()'s grammar.
    mutating func number() -> (Int, Int)? {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        let whole = i
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        guard i > whole else { return nil }
        if b[whole] == 0x30, i - whole > 1 { return nil }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let s = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > s else { return nil }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let s = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > s else { return nil }
        }
        return (start, i)
    }

    /// The value (`Double(text)`) and the text of the number at `s..<e`.
    @inline(__always)
    mutating func number(_ s: Int, _ e: Int) -> (Double, String)? {
        let n = e - s
        guard n <= 8, s + 8 <= b.count else {
            guard let v = double(s, e) else { return nil }
            return (v, string(s, e))
        }
        var head = UInt64(littleEndian: UnsafeRawPointer(b.baseAddress! + s).loadUnaligned(as: UInt64.self))
        if n < 8 { head &= (1 << UInt64(8 * n)) - 1 }
        let slot = Int(truncatingIfNeeded: ((head ^ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15) >> 55)
        if numbers[slot].head == head, numbers[slot].length == n { return (numbers[slot].value, numbers[slot].text) }
        guard let v = double(s, e) else { return nil }
        let text = string(s, e)
        numbers[slot] = Number(head: head, length: n, value: v, text: text)
        return (v, text)
    }

    /// `Double(text)` of a number's text. Up to 15 significant digits and no exponent: the digits
    /// as an integer (exact below 2^53) divided by a power of ten (exact up to 10^22), one
    /// correctly rounded operation, so the same double as `Double(text)`; else `Double(text)`.
    func double(_ s: Int, _ e: Int) -> Double? {
        var k = s
        let negative = b[k] == UInt8(ascii: "-")
        if negative { k += 1 }
        var mantissa: UInt64 = 0, digits = 0, fraction = 0, inFraction = false
        while k < e {
            let c = b[k]
            if c == UInt8(ascii: ".") {
                inFraction = true
            } else if c >= 0x30, c <= 0x39 {
                mantissa = mantissa &* 10 &+ UInt64(c &- 0x30)
                digits += 1
                if inFraction { fraction += 1 }
            } else {
                return Double(string(s, e))  // an exponent
            }
            k += 1
        }
        guard digits <= 15 else { return Double(string(s, e)) }
        let v = Double(mantissa) / InstanceBytesReader.powersOfTen[fraction]
        return negative ? -v : v
    }

    static let powersOfTen: [Double] = (0...22).map { (0..<$0).reduce(1.0) { r, _ in r * 10 } }

    /// Skips a value, checking it as JSONText.Reader would (nesting depth included).
    mutating func skip(depth: Int) -> Bool {
        guard depth < 200, i < b.count else { return false }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            space()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return true }
            while true {
                space()
                guard i < b.count, b[i] == UInt8(ascii: "\""), text() != nil else { return false }
                space()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return false }
                i += 1
                space()
                guard skip(depth: depth + 1) else { return false }
                space()
                guard i < b.count else { return false }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return true }
                return false
            }
        case UInt8(ascii: "["):
            i += 1
            space()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return true }
            while true {
                space()
                guard skip(depth: depth + 1) else { return false }
                space()
                guard i < b.count else { return false }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return true }
                return false
            }
        case UInt8(ascii: "\""): return text() != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number() != nil
        }
    }
}

/// School ids by their UTF-8 bytes (an open-addressing table), for the preferences.
struct SchoolTable {
    struct Slot {
        /// The first eight bytes, little-endian, zeros past the end.
        var head: UInt64
        var length: Int32
        /// -1: empty.
        var index: Int32
    }

    var slots: [Slot] = []
    var shift: UInt64 = 64
    var bytes: [UInt8] = []
    var start: [Int] = [0]

    init() {}

    init(_ schools: [String]) {
        for var s in schools {
            s.withUTF8 { bytes.append(contentsOf: $0) }
            start.append(bytes.count)
        }
        var size = 16
        shift = 60
        while size < schools.count * 2 { size *= 2; shift -= 1 }
        slots = [Slot](repeating: Slot(head: 0, length: 0, index: -1), count: size)
        let mask = size - 1
        bytes.withUnsafeBufferPointer { all in
            for k in schools.indices {
                let p = UnsafeBufferPointer(rebasing: all[start[k]..<start[k + 1]])
                let head = SchoolTable.head(p)
                var h = hash(head, p)
                while slots[h].index >= 0 { h = (h + 1) & mask }
                slots[h] = Slot(head: head, length: Int32(p.count), index: Int32(k))
            }
        }
    }

    @inline(__always)
    static func head(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<Swift.min(8, p.count) { v |= UInt64(p[k]) << UInt64(8 * k) }
        return v
    }

    @inline(__always)
    func hash(_ head: UInt64, _ p: UnsafeBufferPointer<UInt8>) -> Int {
        var h = head ^ UInt64(p.count) << 56
        if p.count > 8 {
            for c in p[8...] { h = (h ^ UInt64(c)) &* 0x0000_0100_0000_01B3 }
        }
        return Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The index of the school whose id is the `length` (at most 7) bytes of `head`, else nil.
    @inline(__always)
    func index(head: UInt64, length: Int) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var h = Int(truncatingIfNeeded: ((head ^ UInt64(length) << 56) &* 0x9E37_79B9_7F4A_7C15) >> shift)
        return slots.withUnsafeBufferPointer { slots -> Int32? in
            while true {
                let slot = slots[h]
                if slot.index < 0 { return nil }
                if slot.head == head, Int(slot.length) == length { return slot.index }
                h = (h + 1) & mask
            }
        }
    }

    /// The index of the school whose bytes are exactly `p` (which lie in `text`), else nil (then
    /// `schoolIndex` decides, which also knows strings that are equal without the same bytes).
    @inline(__always)
    func index(_ p: UnsafeBufferPointer<UInt8>, in text: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard !slots.isEmpty else { return nil }
        var head: UInt64
        let offset = p.baseAddress! - text.baseAddress!
        if offset + 8 <= text.count {
            head = UInt64(littleEndian: UnsafeRawPointer(p.baseAddress!).loadUnaligned(as: UInt64.self))
            if p.count < 8 { head &= (1 << UInt64(8 * p.count)) - 1 }
        } else {
            head = SchoolTable.head(p)
        }
        let mask = slots.count - 1
        var h = hash(head, p)
        return slots.withUnsafeBufferPointer { slots -> Int32? in
            while true {
                let slot = slots[h]
                if slot.index < 0 { return nil }
                if slot.head == head, Int(slot.length) == p.count {
                    if p.count <= 8 { return slot.index }
                    let s = start[Int(slot.index)]
                    let same = bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + s + 8, p.baseAddress! + 8, p.count - 8) == 0 }
                    if same { return slot.index }
                }
                h = (h + 1) & mask
            }
        }
    }
}

/// The applicant ids, to refuse a repeated one (`read(_:)` keeps a `Set<String>`, whose random
/// accesses cost more than the rest of the reading): a 32-bit hash of each id's bytes beside its
/// index, sorted by the hash at the end; ids with the same hash are compared. Ids beyond ASCII
/// may be equal strings with other bytes: when there are any, a `Set<String>` decides.
struct IDSet {
    var entries: [UInt64] = []
    var beyondASCII = false

    mutating func reserve(_ n: Int) { entries.reserveCapacity(n) }

    /// The id of the next applicant, by its bytes.
    @inline(__always)
    mutating func append(_ p: UnsafeBufferPointer<UInt8>) {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var high: UInt8 = 0
        for c in p {
            h = (h ^ UInt64(c)) &* 0x0000_0100_0000_01B3
            high |= c
        }
        if high >= 0x80 { beyondASCII = true }
        entries.append(((h ^ h >> 29) &* 0x9E37_79B9_7F4A_7C15) & 0xFFFF_FFFF_0000_0000 | UInt64(entries.count))
    }

    @inline(__always)
    mutating func append(_ id: String) {
        var id = id
        id.withUTF8 { append($0) }
    }

    /// Whether no two of `ids` (those appended, in order) are equal strings.
    mutating func unique(_ ids: [String]) -> Bool {
        if beyondASCII { return Set(ids).count == ids.count }
        var sorted = entries
        entries = []
        RadixSort.sort(&sorted, significant: 0xFFFF_FFFF_0000_0000)
        var k = 0
        while k < sorted.count {
            var j = k + 1
            while j < sorted.count, sorted[j] >> 32 == sorted[k] >> 32 { j += 1 }
            for a in k..<j {
                for b in a + 1..<j where ids[Int(sorted[a] & 0xFFFF_FFFF)] == ids[Int(sorted[b] & 0xFFFF_FFFF)] { return false }
            }
            k = j
        }
        return true
    }
}

/// The applicants of the second half of a long list, read by another thread.
final class SecondHalf: @unchecked Sendable {
    var reader: InstanceBytesReader
    var instance: AllocationInstance
    let schools: SchoolTable
    var ids = IDSet()
    /// Read to the end of the list.
    var done = false

    init(_ reader: InstanceBytesReader, _ instance: AllocationInstance, _ schools: SchoolTable) {
        self.reader = reader
        self.instance = instance
        self.schools = schools
    }

    func read() {
        var count = InstanceBytesReader.Count(first: reader.i)
        done = reader.elements(&instance, schools, &ids, &count, stopAt: nil) == .end
    }

    /// Appends these applicants to the first half's, column by column (each freed once copied).
    func append(to x: inout AllocationInstance, _ firstIDs: inout IDSet) {
        let tiebreakBase = Int32(x.tiebreak.count), preferenceBase = Int32(x.preferences.count)
        let applicantBase = UInt64(x.count)
        x.ids += instance.ids; instance.ids = []
        x.idIsNumber += instance.idIsNumber; instance.idIsNumber = []
        x.priority += instance.priority; instance.priority = []
        x.points += instance.points; instance.points = []
        x.pointsText += instance.pointsText; instance.pointsText = []
        x.tiebreak += instance.tiebreak; instance.tiebreak = []
        x.tiebreakText += instance.tiebreakText; instance.tiebreakText = []
        for start in instance.tiebreakStart.dropFirst() { x.tiebreakStart.append(start + tiebreakBase) }
        instance.tiebreakStart = []
        x.submittedAt += instance.submittedAt; instance.submittedAt = []
        x.submittedText += instance.submittedText; instance.submittedText = []
        x.preferences += instance.preferences; instance.preferences = []
        x.preferenceText += instance.preferenceText; instance.preferenceText = []
        for start in instance.preferenceStart.dropFirst() { x.preferenceStart.append(start + preferenceBase) }
        instance.preferenceStart = []
        firstIDs.entries.reserveCapacity(firstIDs.entries.count + ids.entries.count)
        for entry in ids.entries { firstIDs.entries.append(entry + applicantBase) }
        ids.entries = []
        if ids.beyondASCII { firstIDs.beyondASCII = true }
    }
}

/// Stable least-significant-digit radix sorts on 64-bit keys, sixteen bits at a time (eight for
/// few keys), skipping the digits all keys share.
public enum RadixSort {
    public struct Entry: RadixKeyed, Sendable {
        public var key: UInt64
        public var index: Int32
        @inline(__always) public var radixKey: UInt64 { key }
        public init(key: UInt64, index: Int32) {
            self.key = key
            self.index = index
        }
    }

    /// Sorts `values` by their keys (the bits of `significant` only), stably.
    public static func sort<T: RadixKeyed>(_ values: inout [T], significant: UInt64 = ~0) {
        let n = values.count
        guard n > 1 else { return }
        var scratch = values
        values.withUnsafeMutableBufferPointer { v in
            scratch.withUnsafeMutableBufferPointer { s in sort(v, s, significant: significant) }
        }
    }

    /// Sorts `a` by the keys (the bits of `significant` only), stably, using `b` (as long) in
    /// between.
    static func sort<T: RadixKeyed>(_ a: UnsafeMutableBufferPointer<T>, _ b: UnsafeMutableBufferPointer<T>, significant: UInt64 = ~0) {
        let n = a.count
        guard n > 1 else { return }
        var all: UInt64 = ~0, any: UInt64 = 0
        for k in 0..<n {
            let v = a[k].radixKey
            all &= v
            any |= v
        }
        let differ = (all ^ any) & significant
        guard differ != 0 else { return }
        let digitBits: UInt64 = n >= 1 << 14 ? 16 : 8
        let mask: UInt64 = (1 << digitBits) - 1
        var counts = [Int](repeating: 0, count: 1 << Int(digitBits))
        var source = a, target = b
        var shift = UInt64(differ.trailingZeroBitCount)
        counts.withUnsafeMutableBufferPointer { c in
            while shift < 64 {
                defer { shift += digitBits }
                guard (differ >> shift) & mask != 0 else { continue }
                for d in 0..<c.count { c[d] = 0 }
                for k in 0..<n { c[Int(truncatingIfNeeded: (source[k].radixKey >> shift) & mask)] += 1 }
                var sum = 0
                for d in 0..<c.count { let v = c[d]; c[d] = sum; sum += v }
                for k in 0..<n {
                    let v = source[k]
                    let d = Int(truncatingIfNeeded: (v.radixKey >> shift) & mask)
                    target[c[d]] = v
                    c[d] += 1
                }
                swap(&source, &target)
            }
        }
        if source.baseAddress != a.baseAddress {
            _ = a.update(fromContentsOf: source)
        }
    }
}

public protocol RadixKeyed {
    var radixKey: UInt64 { get }
}

extension UInt64: RadixKeyed {
    @inline(__always) public var radixKey: UInt64 { self }
}

extension Allocation {
    /// The bytes of `json(x, outcome, trace:)`, written into one buffer: `{"assignments":{…},
    /// "cutoffs":{…}}` (and `"trace"`), keys sorted by their UTF-8 bytes, numbers as they were
    /// given.
    public static func jsonBytes(_ x: AllocationInstance, _ outcome: Outcome, trace withTrace: Bool = false) -> [UInt8] {
        let byID = idOrder(x)
        // Each school's quoted id, once.
        var schoolBytes: [UInt8] = [], schoolStart: [Int] = [0]
        for school in x.schools {
            JSONBytes.quote(school, into: &schoolBytes)
            schoolStart.append(schoolBytes.count)
        }
        var idBytes = 0
        for id in x.ids { idBytes += id.utf8.count }
        var room = 64 + idBytes + x.count * 10 + schoolBytes.count * 2 + x.schools.count * 200
        for a in 0..<x.count where outcome.assignment[a] >= 0 {
            let s = Int(outcome.assignment[a])
            room += schoolStart[s + 1] - schoolStart[s]
        }
        if withTrace { room += idBytes + x.count * 40 + x.preferences.count * 80 }
        var out = JSONBytes(capacity: room)
        out.append("{\"assignments\":{")
        schoolBytes.withUnsafeBufferPointer { quoted in
            for (n, a32) in byID.enumerated() {
                let a = Int(a32)
                if n > 0 { out.append(UInt8(ascii: ",")) }
                out.quote(x.ids[a])
                out.append(UInt8(ascii: ":"))
                let s = Int(outcome.assignment[a])
                if s >= 0 {
                    out.append(UnsafeBufferPointer(rebasing: quoted[schoolStart[s]..<schoolStart[s + 1]]))
                } else {
                    out.append("null")
                }
            }
        }
        out.append("},\"cutoffs\":{")
        for k in x.schools.indices {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.append(schoolBytes[schoolStart[k]..<schoolStart[k + 1]])
            out.append(":{\"seats\":")
            out.integer(x.seats[k])
            out.append(",\"admitted\":")
            out.integer(Int(outcome.admitted[k]))
            let c = Int(outcome.last[k])
            if c >= 0 {
                out.append(",\"applicant\":")
                out.quote(x.ids[c])
                if x.priority[c] != 0 {
                    out.append(",\"priority\":")
                    out.integer(Int(x.priority[c]))
                }
                out.append(",\"points\":")
                out.raw(x.pointsText[c])
                out.append(",\"tiebreak\":[")
                for t in Int(x.tiebreakStart[c])..<Int(x.tiebreakStart[c + 1]) {
                    if t > Int(x.tiebreakStart[c]) { out.append(UInt8(ascii: ",")) }
                    out.raw(x.tiebreakText[t])
                }
                out.append("],\"submittedAt\":")
                out.quote(x.submittedText[c])
                out.append(",\"rank\":")
                out.integer(Int(outcome.rank[c]) + 1)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        if withTrace {
            out.append(",\"trace\":{")
            for (n, a32) in byID.enumerated() {
                let a = Int(a32)
                if n > 0 { out.append(UInt8(ascii: ",")) }
                out.quote(x.ids[a])
                out.append(":{\"rank\":")
                out.integer(Int(outcome.rank[a]) + 1)
                out.append(",\"steps\":[")
                // The steps of `trace(a, in: x, outcome: outcome)`, written as they are found.
                var first = true
                for p in Int(x.preferenceStart[a])..<Int(x.preferenceStart[a + 1]) {
                    let school = Int(x.preferences[p])
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    out.append("{\"school\":")
                    out.quote(x.preferenceText[p])
                    if school < 0 || x.seats[school] <= 0 {
                        out.append(",\"result\":\"noSeats\"}")
                        continue
                    }
                    if outcome.assignment[a] == Int32(school) {
                        out.append(",\"result\":\"admitted\"}")
                        break
                    }
                    let cutoff = Int(outcome.last[school])
                    out.append(",\"result\":\"full\",\"cutoff\":")
                    out.quote(x.ids[cutoff])
                    out.append(",\"cutoffRank\":")
                    out.integer(Int(outcome.rank[cutoff]) + 1)
                    out.append(UInt8(ascii: "}"))
                }
                out.append("]}")
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        return out.bytes
    }

    /// The applicants by id, ids compared by their UTF-8 bytes (a shorter id first when it is the
    /// start of a longer one), applicants with the same id in their order: `(0..<x.count).sorted
    /// { x.ids[$0].utf8.lexicographicallyPrecedes(x.ids[$1].utf8) }`, by radix sorts on seven
    /// bytes at a time.
    static func idOrder(_ x: AllocationInstance) -> [Int32] {
        let n = x.count
        var order = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for k in 0..<n { buffer[k] = Int32(k) }
            count = n
        }
        guard n > 1 else { return order }
        // Already in order (ids given in sequence often are): nothing to do.
        var sorted = true
        for k in 1..<n where x.ids[k].utf8.lexicographicallyPrecedes(x.ids[k - 1].utf8) { sorted = false; break }
        if sorted { return order }
        var entries = [RadixSort.Entry](repeating: RadixSort.Entry(key: 0, index: 0), count: n)
        var scratch = entries
        order.withUnsafeMutableBufferPointer { order in
            entries.withUnsafeMutableBufferPointer { entries in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    sortByID(order, offset: 0, ids: x.ids, entries: entries, scratch: scratch)
                }
            }
        }
        return order
    }

    /// Sorts `order` (applicants whose ids agree on their first `offset` bytes) by id. The key of
    /// an id: its next seven bytes, big-endian, zeros past its end, then a byte saying how many
    /// of them it has (8: more follow), so that an id ending first comes first.
    static func sortByID(_ order: UnsafeMutableBufferPointer<Int32>, offset: Int, ids: [String],
                         entries: UnsafeMutableBufferPointer<RadixSort.Entry>, scratch: UnsafeMutableBufferPointer<RadixSort.Entry>) {
        let count = order.count
        if count < 2 { return }
        if count <= 24 {
            // Insertion sort, stable, comparing whole ids.
            for k in 1..<count {
                let v = order[k]
                var j = k
                while j > 0, ids[Int(v)].utf8.lexicographicallyPrecedes(ids[Int(order[j - 1])].utf8) {
                    order[j] = order[j - 1]
                    j -= 1
                }
                order[j] = v
            }
            return
        }
        for k in 0..<count {
            let a = Int(order[k])
            var id = ids[a]
            let key = id.withUTF8 { p -> UInt64 in
                var key: UInt64 = 0
                for j in offset..<offset + 7 { key = key << 8 | (j < p.count ? UInt64(p[j]) : 0) }
                return key << 8 | UInt64(Swift.min(8, Swift.max(0, p.count - offset)))
            }
            entries[k] = RadixSort.Entry(key: key, index: Int32(a))
        }
        let mine = UnsafeMutableBufferPointer(rebasing: entries[0..<count])
        RadixSort.sort(mine, UnsafeMutableBufferPointer(rebasing: scratch[0..<count]))
        for k in 0..<count { order[k] = entries[k].index }
        // Runs with the same seven bytes and more to come: by the next seven. A run's sort uses
        // entries[0..<its length] only, which lie before its end: the entries after it stay.
        var k = 0
        while k < count {
            var j = k + 1
            while j < count, entries[j].key == entries[k].key { j += 1 }
            if j - k > 1, entries[k].key & 0xFF == 8 {
                sortByID(UnsafeMutableBufferPointer(rebasing: order[k..<j]), offset: offset + 7, ids: ids, entries: entries, scratch: scratch)
            }
            k = j
        }
    }
}

/// A growing buffer of JSON bytes.
struct JSONBytes {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func append(_ b: UInt8) { bytes.append(b) }

    @inline(__always)
    mutating func append(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ p: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: p) }

    @inline(__always)
    mutating func append(_ p: ArraySlice<UInt8>) { bytes.append(contentsOf: p) }

    /// A number's text, as it was given.
    @inline(__always)
    mutating func raw(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// `String(v)`'s bytes.
    mutating func integer(_ v: Int) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - n] = UInt8(truncatingIfNeeded: m % 10) + 0x30
                m /= 10
                n += 1
            } while m > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[(20 - n)...]))
        }
    }

    /// `JSONText.quote(s)`'s bytes.
    @inline(__always)
    mutating func quote(_ s: String) {
        JSONBytes.quote(s, into: &bytes)
    }

    /// `JSONText.quote` byte by byte: a byte below 0x80 is a whole scalar, and the scalars it
    /// escapes are all below 0x20 or `"` and `\`; the bytes of other scalars are copied.
    static func quote(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { p in
            out.append(0x22)
            var plain = true
            for c in p where c < 0x20 || c == 0x22 || c == 0x5C { plain = false; break }
            if plain {
                out.append(contentsOf: p)
            } else {
                for c in p {
                    switch c {
                    case 0x22: out.append(0x5C); out.append(0x22)
                    case 0x5C: out.append(0x5C); out.append(0x5C)
                    case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                    case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                    case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                    case ..<0x20:
                        let hex: StaticString = "0123456789abcdef"
                        out.append(0x5C); out.append(UInt8(ascii: "u")); out.append(0x30); out.append(0x30)
                        out.append(hex.utf8Start[Int(c >> 4)]); out.append(hex.utf8Start[Int(c & 15)])
                    default: out.append(c)
                    }
                }
            }
            out.append(0x22)
        }
    }
}
