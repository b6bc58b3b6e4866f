import Foundation

/// A department's data feed (大数据比对): one documented column layout per kind. Every row is
/// keyed by a resident ID number and carries one quantity as of one date.
public enum FeedKind: String, Sendable, CaseIterable, Codable {
    /// 人社局: months of social insurance contributions paid up to a date.
    case socialInsurance
    /// 税务局: tax paid (yuan) in a year, dated the year's last day.
    case tax
    /// 红十字会: blood donations (times) up to a date.
    case bloodDonation
    /// 民政局/文明办: volunteer hours up to a date.
    case volunteerHours
    /// 退役军人事务局: years of military service, dated the day of discharge.
    case military

    /// The header the file must have, in this order (Chinese, as the departments' exports have it).
    public var columns: [String] {
        switch self {
        case .socialInsurance: ["身份证号码", "姓名", "累计缴费月数", "截至日期"]
        case .tax: ["身份证号码", "姓名", "纳税金额（元）", "截至日期"]
        case .bloodDonation: ["身份证号码", "姓名", "献血次数", "截至日期"]
        case .volunteerHours: ["身份证号码", "姓名", "志愿服务时长（小时）", "截至日期"]
        case .military: ["身份证号码", "姓名", "服役年限", "退役日期"]
        }
    }

    /// The item of a scoring standard whose facts this feed verifies (by the item's `feed` field).
    public var feedName: String { rawValue }
}

/// One good row of a feed.
public struct FeedRecord: Sendable, Equatable, Hashable {
    public var idNumber, name: String
    public var quantity: Decimal2
    public var asOf: CivilDate
    /// The 1-based line of the file it came from (the header is line 1).
    public var line: Int
}

/// One refused row: its line number (in a JSON batch, its index), the column at fault (when one
/// is), and why.
public struct FeedRowProblem: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var reason: String
    /// The 0-based column of the layout at fault; nil when the row as a whole is (wrong number of
    /// columns, a repeat).
    public var column: Int?

    public init(line: Int, reason: String, column: Int? = nil) {
        self.line = line
        self.reason = reason
        self.column = column
    }
    public var description: String { "第 \(line) 行 / line \(line): \(reason)" }
}

public enum FeedReader {
    /// The text of a feed file: UTF-8 (a byte-order mark is dropped) or, when the bytes are not
    /// UTF-8, GB18030 — what Excel in China writes.
    public static func decode(_ bytes: [UInt8]) -> (text: String, encoding: String)? {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let text = String(validating: body, as: UTF8.self) { return (text, "UTF-8") }
        // 0x80000632 is GB18030 as Foundation numbers encodings (kCFStringEncodingGB_18030_2000).
        if let text = String(data: Data(bytes), encoding: String.Encoding(rawValue: 0x8000_0632)) { return (text, "GB18030") }
        return nil
    }

    /// Splits CSV text into rows of fields (RFC 4180: quoted fields, doubled quotes, CRLF or LF),
    /// each with the line it starts on. Works on the UTF-8 bytes: the delimiters are ASCII, and no
    /// byte of a multi-byte character is ever one of them.
    public static func rows(_ text: String) -> [(line: Int, fields: [String])] {
        var text = text
        return text.withUTF8 { rows(bytes: $0) }
    }

    static func rows(bytes: UnsafeBufferPointer<UInt8>, firstLine: Int = 1) -> [(line: Int, fields: [String])] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var rows: [(Int, [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        field.reserveCapacity(64)
        var quoted = false
        var fieldStarted = false
        var line = firstLine
        var rowStart = firstLine
        var i = 0
        let n = bytes.count
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        while i < n {
            let c = bytes[i]
            i += 1
            if quoted {
                if c == quote {
                    if i < n, bytes[i] == quote { field.append(quote); i += 1 } else { quoted = false }
                } else {
                    if c == lf { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case quote where field.isEmpty && !fieldStarted:
                quoted = true
                fieldStarted = true
            case comma:
                endField()
            case cr:
                continue
            case lf:
                endField()
                if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowStart, fields)) }
                fields.removeAll(keepingCapacity: true)
                line += 1
                rowStart = line
            default:
                field.append(c); fieldStarted = true
            }
        }
        if fieldStarted || !field.isEmpty || !fields.isEmpty {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowStart, fields)) }
        }
        return rows
    }

    /// Reads a whole feed: checks the header, then each row. Good rows and problems come back
    /// together; the file is never refused as a whole for a bad row.
    public static func read(_ text: String, kind: FeedKind, today: CivilDate, regions: RegionCodes) -> (records: [FeedRecord], problems: [FeedRowProblem], headerProblem: String?) {
        switch header(rows(text), kind: kind) {
        case .failure(let problem): return ([], [], problem.message)
        case .success(let body):
            let checked = check(body, kind: kind, today: today, regions: regions)
            return (checked.records, checked.problems, nil)
        }
    }

    /// `read` with the text split into `parts` pieces at row ends, each piece split into rows and
    /// checked at once (one a core): the same result, see `check(_:kind:today:regions:parts:)`.
    public static func read(_ text: String, kind: FeedKind, today: CivilDate, regions: RegionCodes, parts: Int) async -> (records: [FeedRecord], problems: [FeedRowProblem], headerProblem: String?) {
        let pieces = split(text, parts: parts)
        guard pieces.count > 1 else {
            switch header(rows(text), kind: kind) {
            case .failure(let problem): return ([], [], problem.message)
            case .success(let body):
                let checked = await check(body, kind: kind, today: today, regions: regions, parts: parts)
                return (checked.records, checked.problems, nil)
            }
        }
        let read = await Parallel.map(pieces) { k, piece in
            var text = text
            var body = text.withUTF8 { FeedReader.rows(bytes: UnsafeBufferPointer(rebasing: $0[piece.bytes]), firstLine: piece.firstLine) }
            // The first piece's first row is the header, checked once all pieces are read.
            var header: [(line: Int, fields: [String])] = []
            if k == 0, !body.isEmpty { header = [body.removeFirst()] }
            let checked = check(body, kind: kind, today: today, regions: regions)
            return (header, checked.records, checked.problems)
        }
        if case .failure(let problem) = header(read[0].0, kind: kind) { return ([], [], problem.message) }
        let merged = merge(read.map { ($0.1, $0.2) })
        return (merged.records, merged.problems, nil)
    }

    /// Byte ranges of `text` cut at row ends (never inside a quoted field, read as `rows` reads
    /// them), about `parts` of them, each with the line it starts on.
    static func split(_ text: String, parts: Int) -> [(bytes: Range<Int>, firstLine: Int)] {
        var text = text
        return text.withUTF8 { bytes in
            let n = bytes.count
            guard parts > 1, n >= 1_000_000 else { return [(0..<n, 1)] }
            var cuts: [(bytes: Range<Int>, firstLine: Int)] = []
            var start = 0, startLine = 1, line = 1
            // The parser's own state: a quote opens a quoted field only at a field's start; inside
            // one, a doubled quote is a quote and a single one ends it.
            var quoted = false, atFieldStart = true
            var next = n / parts
            var i = 0
            while i < n {
                let c = bytes[i]
                if quoted {
                    if c == UInt8(ascii: "\"") {
                        if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") { i += 1 } else { quoted = false }
                    } else if c == UInt8(ascii: "\n") {
                        line += 1
                    }
                } else if c == UInt8(ascii: "\"") && atFieldStart {
                    quoted = true
                    atFieldStart = false
                } else if c == UInt8(ascii: ",") {
                    atFieldStart = true
                } else if c == UInt8(ascii: "\n") {
                    line += 1
                    atFieldStart = true
                    if i >= next, cuts.count < parts - 1 {
                        cuts.append((start..<(i + 1), startLine))
                        start = i + 1
                        startLine = line
                        next = start + (n - start) / (parts - cuts.count)
                    }
                } else if c != UInt8(ascii: "\r") {
                    atFieldStart = false
                }
                i += 1
            }
            cuts.append((start..<n, startLine))
            return cuts
        }
    }

    struct HeaderProblem: Error { let message: String }

    /// The rows after a header that is the layout's, or why the header is not.
    static func header(_ all: [(line: Int, fields: [String])], kind: FeedKind) -> Result<[(line: Int, fields: [String])], HeaderProblem> {
        guard let header = all.first else { return .failure(HeaderProblem(message: "文件为空 / the file is empty")) }
        let expected = kind.columns
        let found = header.fields.map(\.trimmingSpaces)
        guard found == expected else {
            return .failure(HeaderProblem(message: "第 1 行表头应为 / line 1 must be: " + expected.joined(separator: ",") + "；实际为 / found: " + found.joined(separator: ",")))
        }
        return .success(Array(all.dropFirst()))
    }

    /// `check` of consecutive pieces of the rows, each on its own task, then one pass that refuses
    /// a person and date already taken in an earlier piece: the same records and the same refused
    /// lines, in the same order, as one `check` (a third repeat across pieces may name the second
    /// line it repeats rather than the first).
    public static func check(_ rows: [(line: Int, fields: [String])], kind: FeedKind, today: CivilDate, regions: RegionCodes, parts: Int) async -> (records: [FeedRecord], problems: [FeedRowProblem]) {
        let pieces = Parallel.slices(rows, parts: parts, minimum: 10_000)
        guard pieces.count > 1 else { return check(rows, kind: kind, today: today, regions: regions) }
        let checked = await Parallel.map(pieces) { _, piece in
            let result = check(Array(piece), kind: kind, today: today, regions: regions)
            return (result.records, result.problems)
        }
        return merge(checked)
    }

    /// The checked pieces of a feed as one: a person and date already taken in an earlier piece is
    /// refused as a repeat; problems in line order.
    static func merge(_ checked: [([FeedRecord], [FeedRowProblem])]) -> (records: [FeedRecord], problems: [FeedRowProblem]) {
        guard checked.count > 1 else { return (checked.first?.0 ?? [], checked.first?.1 ?? []) }
        var records: [FeedRecord] = []
        records.reserveCapacity(checked.reduce(0) { $0 + $1.0.count })
        var problems: [FeedRowProblem] = []
        var seen: [DuplicateKey: Int] = [:]
        seen.reserveCapacity(records.capacity)
        for (k, part) in checked.enumerated() {
            problems += part.1
            for record in part.0 {
                let key = DuplicateKey(id: record.idNumber, date: record.asOf)
                if k > 0, let first = seen[key] {
                    problems.append(duplicate(line: record.line, of: first))
                    continue
                }
                seen[key] = record.line
                records.append(record)
            }
        }
        problems.sort { $0.line < $1.line }
        return (records, problems)
    }

    struct DuplicateKey: Hashable { let id: String; let date: CivilDate }

    static func duplicate(line: Int, of first: Int) -> FeedRowProblem {
        FeedRowProblem(line: line, reason: "与第 \(first) 行重复（同一人同一日期）/ repeats line \(first)")
    }

    /// Checks rows of fields in the layout's order (a file's rows after the header, or a JSON
    /// batch's records by index): every field, and no person twice for one date.
    public static func check(_ rows: [(line: Int, fields: [String])], kind: FeedKind, today: CivilDate, regions: RegionCodes) -> (records: [FeedRecord], problems: [FeedRowProblem]) {
        let expected = kind.columns
        var records: [FeedRecord] = []
        var problems: [FeedRowProblem] = []
        records.reserveCapacity(rows.count)
        var seen: [DuplicateKey: Int] = [:]
        seen.reserveCapacity(rows.count)
        for row in rows {
            guard row.fields.count == expected.count else {
                problems.append(FeedRowProblem(line: row.line, reason: "应有 \(expected.count) 列，实际 \(row.fields.count) 列 / expected \(expected.count) columns"))
                continue
            }
            let f = row.fields.map(\.trimmingSpaces)
            let id: ResidentID
            switch ResidentID.validate(f[0], today: today, regions: regions) {
            case .success(let valid): id = valid
            case .failure(let problem):
                problems.append(FeedRowProblem(line: row.line, reason: "\(expected[0])：\(problem)", column: 0))
                continue
            }
            guard !f[1].isEmpty else { problems.append(FeedRowProblem(line: row.line, reason: "\(expected[1])：未填写 / empty", column: 1)); continue }
            guard let quantity = Decimal2(parsing: f[2]), quantity >= .zero else {
                problems.append(FeedRowProblem(line: row.line, reason: "\(expected[2])：应为不小于 0 的数，最多两位小数，实际为“\(f[2])” / a number ≥ 0 with at most two decimals", column: 2))
                continue
            }
            guard let date = CivilDate.lenient(f[3]) else {
                problems.append(FeedRowProblem(line: row.line, reason: "\(expected[3])：应为日期 YYYY-MM-DD，实际为“\(f[3])” / a date", column: 3))
                continue
            }
            guard date <= today else { problems.append(FeedRowProblem(line: row.line, reason: "\(expected[3])：晚于今天 / after today", column: 3)); continue }
            let key = DuplicateKey(id: id.value, date: date)
            if let first = seen[key] {
                problems.append(duplicate(line: row.line, of: first))
                continue
            }
            seen[key] = row.line
            records.append(FeedRecord(idNumber: id.value, name: f[1], quantity: quantity, asOf: date, line: row.line))
        }
        return (records, problems)
    }
}

extension CivilDate {
    /// `2026-09-01`, `2026-9-1` or `2026/9/1` (what spreadsheets write); still a real day only.
    public static func lenient(_ text: String) -> CivilDate? {
        if let strict = CivilDate(text) { return strict }
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "/" })
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        return CivilDate(year: y, month: m, day: d)
    }
}

extension String {
    /// The text without spaces and tabs at either end — what `trimmingCharacters(in: .whitespaces)`
    /// removes (tab, Unicode's space separators such as the ideographic space, and the zero-width
    /// space, as Core Foundation counts it), without
    /// Foundation's bridging, which costs more than the rest of a feed row's checks.
    public var trimmingSpaces: String {
        func space(_ s: Unicode.Scalar) -> Bool {
            s.isASCII ? (s == " " || s == "\t") : (s.value == 0x200B || s.properties.generalCategory == .spaceSeparator)
        }
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last, space(first) || space(last) else { return self }
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, space(scalars[start]) { start = scalars.index(after: start) }
        while end > start, space(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}
