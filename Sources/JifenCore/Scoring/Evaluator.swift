/// Scores profiles against one standard. The numeric core fills a reusable buffer and makes no
/// strings, so scoring is fast; `evaluate` explains the same results line by line, so the
/// explanation can never disagree with the score.
public struct Evaluator: Sendable {
    public let standard: ScoringStandard
    let categoryOfItem: [Int]
    let groupOfItem: [Int]          // -1: none
    let optionIndex: [[String: Int]]
    let itemIndex: [String: Int]
    /// The rules as plain numbers, so the scoring loop touches no strings (and no reference counts).
    let compiled: [CompiledItem]
    let optionPoints, tierFrom, tierPoints: [Int64]
    let categoryCap: [Int64]        // -1: no cap
    let groupCount: Int
    /// The distinct validity windows (years) of the standard's items.
    let windows: [Int]

    enum RuleKind: UInt8 { case choice, perUnit, tiers, flag, deduction, veto }

    struct CompiledItem {
        var kind: RuleKind
        var validYears: Int = 0
        var per: Int64 = 100
        var points: Int64 = 0
        var maxQuantity: Int64 = .max
        var cap: Int64 = -1
        var floor = true
        var window: Int = 0         // into `windows`, when validYears > 0
        var first: Int = 0          // into optionPoints or the tier arrays
        var end: Int = 0
    }

    public init(_ standard: ScoringStandard) {
        self.standard = standard
        let categoryIndex = Dictionary(uniqueKeysWithValues: standard.categories.enumerated().map { ($1.id, $0) })
        let groupIndex = Dictionary(uniqueKeysWithValues: standard.groups.enumerated().map { ($1.id, $0) })
        categoryOfItem = standard.items.map { categoryIndex[$0.category] ?? 0 }
        groupOfItem = standard.items.map { $0.group.flatMap { groupIndex[$0] } ?? -1 }
        optionIndex = standard.items.map { item in
            if case .choice(let options) = item.rule {
                return Dictionary(options.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
            }
            return [:]
        }
        itemIndex = Dictionary(standard.items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var optionPoints: [Int64] = []
        var tierFrom: [Int64] = []
        var tierPoints: [Int64] = []
        var compiled: [CompiledItem] = standard.items.map { item in
            var c: CompiledItem
            switch item.rule {
            case .choice(let options):
                c = CompiledItem(kind: .choice, first: optionPoints.count, end: optionPoints.count + options.count)
                optionPoints += options.map(\.points.hundredths)
            case .perUnit(_, let per, let points, let rounding, let maxQuantity, let cap):
                c = CompiledItem(kind: .perUnit, per: per.hundredths, points: points.hundredths, maxQuantity: maxQuantity?.hundredths ?? .max,
                                 cap: cap?.hundredths ?? -1, floor: rounding == .floor)
            case .tiers(_, let tiers, let maxQuantity):
                c = CompiledItem(kind: .tiers, maxQuantity: maxQuantity?.hundredths ?? .max, first: tierFrom.count, end: tierFrom.count + tiers.count)
                tierFrom += tiers.map(\.from.hundredths)
                tierPoints += tiers.map(\.points.hundredths)
            case .flag(let points):
                c = CompiledItem(kind: .flag, points: points.hundredths)
            case .deduction(let points, let cap):
                c = CompiledItem(kind: .deduction, points: points.hundredths, cap: cap?.hundredths ?? -1)
            case .veto:
                c = CompiledItem(kind: .veto)
            }
            c.validYears = item.validYears ?? 0
            return c
        }
        self.optionPoints = optionPoints
        self.tierFrom = tierFrom
        self.tierPoints = tierPoints
        categoryCap = standard.categories.map { $0.cap?.hundredths ?? -1 }
        groupCount = standard.groups.count
        let windows = Array(Set(standard.items.compactMap(\.validYears))).sorted()
        self.windows = windows
        for i in compiled.indices where compiled[i].validYears > 0 {
            compiled[i].window = windows.firstIndex(of: compiled[i].validYears)!
        }
        self.compiled = compiled
    }

    // MARK: facts in the evaluator's own form

    /// One fact, resolved against the standard: an option becomes its index.
    public struct Slot: Sendable, Equatable {
        public enum Kind: UInt8, Sendable { case quantity, option, flag, unknownOption }
        public var kind: Kind
        /// Hundredths for a quantity; the option index; 1 or 0 for a flag.
        public var value: Int64
        /// `yyyymmdd`, or 0 when undated.
        public var date: Int32
    }

    /// A profile's facts in one flat array: the facts of item `i` are `slots[starts[i]..<starts[i + 1]]`.
    public struct Facts: Sendable, Equatable {
        public var slots: [Slot]
        public var starts: [Int32]
        /// Fact keys that are not items of this standard.
        public var unknownItems: [String]

        public init(slots: [Slot], starts: [Int32], unknownItems: [String] = []) {
            self.slots = slots
            self.starts = starts
            self.unknownItems = unknownItems
        }
    }

    /// Resolves one fact against item `index` (an option id becomes its index).
    public func slot(_ fact: Fact, item index: Int) -> Slot {
        let date = Int32(fact.date?.ordinal ?? 0)
        switch fact.value {
        case .quantity(let q): return Slot(kind: .quantity, value: q.hundredths, date: date)
        case .flag(let f): return Slot(kind: .flag, value: f ? 1 : 0, date: date)
        case .option(let id):
            if let o = optionIndex[index][id] { return Slot(kind: .option, value: Int64(o), date: date) }
            return Slot(kind: .unknownOption, value: 0, date: date)
        }
    }

    public func facts(_ profile: Profile) -> Facts {
        var slots: [Slot] = []
        var starts: [Int32] = [0]
        starts.reserveCapacity(standard.items.count + 1)
        for (index, item) in standard.items.enumerated() {
            for fact in profile.facts[item.id] ?? [] { slots.append(slot(fact, item: index)) }
            starts.append(Int32(slots.count))
        }
        let unknown = profile.facts.keys.filter { itemIndex[$0] == nil }.sorted()
        return Facts(slots: slots, starts: starts, unknownItems: unknown)
    }

    // MARK: the numeric core

    public enum Status: String, Sendable, CaseIterable {
        case counted, absent, expired, superseded, capped, veto, invalid
    }

    /// What one item gave, in numbers.
    public struct LineResult: Sendable, Equatable {
        public var status: Status = .absent
        public var points: Int64 = 0
        /// Before the rule's own cap, the group and the category cap.
        public var raw: Int64 = 0
        /// The quantity (hundredths), option index or flag that was used; -1 when none.
        public var used: Int64 = -1
        /// The item that superseded this one (group), or -1.
        public var supersededBy: Int = -1
        /// Why it is invalid: 0 none, 1 wrong kind of fact, 2 unknown option, 3 missing date, 4 dated after the as-of date.
        public var invalidReason: UInt8 = 0
        /// The newest expired date, for the explanation (`yyyymmdd`).
        public var expiredDate: Int32 = 0
        /// True when the category cap cut this line.
        public var cutByCategory: Bool = false
    }

    public struct Score: Sendable, Equatable {
        public var total: Points
        public var eligible: Bool
    }

    /// Where scoring writes its per-item and per-category results. Reused from profile to
    /// profile, so scoring allocates nothing.
    public struct Buffer: Sendable {
        public var lines: [LineResult] = []
        /// Hundredths per category, in the standard's category order.
        public var subtotals: [Int64] = []
        var cutoffs: [Int32] = []
        public init() {}
    }

    /// Scores `facts` as of `asOf`, writing each item's and each category's result into `buffer`.
    public func score(_ facts: Facts, asOf: CivilDate, into buffer: inout Buffer) -> Score {
        let count = compiled.count
        if buffer.lines.count != count { buffer.lines = [LineResult](repeating: LineResult(), count: count) }
        if buffer.subtotals.count != categoryCap.count { buffer.subtotals = [Int64](repeating: 0, count: categoryCap.count) }
        let asOfOrdinal = Int32(asOf.ordinal)
        var eligible = true

        // Validity cutoffs, computed once per distinct window (a standard has one or two).
        if buffer.cutoffs.count != windows.count { buffer.cutoffs = [Int32](repeating: 0, count: windows.count) }
        for w in 0..<windows.count { buffer.cutoffs[w] = Int32(asOf.adding(years: -windows[w]).ordinal) }

        // The hot loop reads through unsafe buffers: the arrays' sizes are checked once above.
        precondition(facts.starts.count == count + 1 && Int(facts.starts[count]) <= facts.slots.count, "facts made for another standard")
        facts.starts.withUnsafeBufferPointer { starts in
        facts.slots.withUnsafeBufferPointer { slots in
        compiled.withUnsafeBufferPointer { compiled in
        optionPoints.withUnsafeBufferPointer { optionPoints in
        buffer.cutoffs.withUnsafeBufferPointer { cutoffs in
        buffer.lines.withUnsafeMutableBufferPointer { lines in
        for i in 0..<count {
            var line = LineResult()
            let first = Int(starts[i]), end = Int(starts[i + 1])
            if first == end { lines[i] = line; continue }
            let rule = compiled[i]
            // Which facts are valid on the as-of date.
            let cutoff: Int32 = rule.validYears > 0 ? cutoffs[rule.window] : 0
            var validCount = 0
            var quantity: Int64 = 0
            var best: Int64 = -1
            var anyTrue = false
            var wrongKind = false
            for s in first..<end {
                let slot = slots[s]
                if slot.date != 0, slot.date > asOfOrdinal { line.invalidReason = 4; continue }
                if rule.validYears > 0 {
                    if slot.date == 0 { line.invalidReason = 3; continue }
                    if slot.date < cutoff { line.expiredDate = max(line.expiredDate, slot.date); continue }
                }
                validCount += 1
                switch (rule.kind, slot.kind) {
                case (.choice, .option):
                    if best < 0 || optionPoints[rule.first + Int(slot.value)] > optionPoints[rule.first + Int(best)] { best = slot.value }
                case (.choice, .unknownOption):
                    line.invalidReason = 2
                case (.perUnit, .quantity), (.tiers, .quantity), (.deduction, .quantity):
                    quantity += slot.value
                case (.deduction, .flag):
                    quantity += slot.value * 100
                case (.flag, .flag), (.veto, .flag):
                    anyTrue = anyTrue || slot.value == 1
                default:
                    wrongKind = true
                }
            }
            if wrongKind { line.invalidReason = 1 }
            if validCount == 0 || line.invalidReason == 1 || (line.invalidReason == 2 && best < 0) {
                line.status = line.expiredDate != 0 && line.invalidReason == 0 ? .expired : (line.invalidReason != 0 ? .invalid : .absent)
                lines[i] = line
                continue
            }
            line.status = .counted
            switch rule.kind {
            case .choice:
                if best >= 0 { line.used = best; line.raw = optionPoints[rule.first + Int(best)]; line.points = line.raw }
            case .perUnit:
                let q = min(quantity, rule.maxQuantity)
                line.used = quantity
                line.raw = rule.floor ? (q / rule.per) * rule.points : q * rule.points / rule.per
                line.points = line.raw
                if rule.cap >= 0, line.raw > rule.cap { line.points = rule.cap; line.status = .capped }
            case .tiers:
                let q = min(quantity, rule.maxQuantity)
                line.used = quantity
                for t in rule.first..<rule.end where tierFrom[t] <= q { line.raw = tierPoints[t] }
                line.points = line.raw
            case .flag:
                line.used = anyTrue ? 1 : 0
                line.raw = anyTrue ? rule.points : 0
                line.points = line.raw
            case .deduction:
                line.used = quantity
                line.raw = -(quantity / 100) * rule.points
                line.points = line.raw
                if rule.cap >= 0, -line.raw > rule.cap { line.points = -rule.cap; line.status = .capped }
            case .veto:
                line.used = anyTrue ? 1 : 0
                if anyTrue { line.status = .veto; eligible = false }
            }
            lines[i] = line
        }
        }}}}}}

        // Highest one only: in each group the item with the most points counts (the first on a tie).
        buffer.lines.withUnsafeMutableBufferPointer { lines in
            for g in 0..<groupCount {
                var winner = -1
                for i in 0..<count where groupOfItem[i] == g && lines[i].points > 0 {
                    if winner < 0 || lines[i].points > lines[winner].points { winner = i }
                }
                guard winner >= 0 else { continue }
                for i in 0..<count where groupOfItem[i] == g && i != winner && lines[i].points > 0 {
                    lines[i].points = 0
                    lines[i].status = .superseded
                    lines[i].supersededBy = winner
                }
            }
        }

        // Category caps, applied in item order; then the subtotals and the total are sums of lines.
        var total: Int64 = 0
        buffer.lines.withUnsafeMutableBufferPointer { lines in
        buffer.subtotals.withUnsafeMutableBufferPointer { subtotals in
            for c in 0..<subtotals.count { subtotals[c] = 0 }
            for i in 0..<count {
                let c = categoryOfItem[i]
                var points = lines[i].points
                let cap = categoryCap[c]
                if cap >= 0 {
                    let used = subtotals[c]
                    if points > 0, used + points > cap {
                        points = max(0, cap - used)
                    } else if points < 0, used + points < -cap {
                        points = min(0, -cap - used)
                    }
                    if points != lines[i].points {
                        lines[i].points = points
                        lines[i].status = .capped
                        lines[i].cutByCategory = true
                    }
                }
                subtotals[c] += points
            }
            for c in 0..<subtotals.count { total += subtotals[c] }
        }}
        return Score(total: Points(hundredths: total), eligible: eligible)
    }

    // MARK: explanation

    public struct Line: Sendable, Equatable {
        public var item, title, category: String
        public var fact: String?
        public var rule: String
        public var points: Points
        public var status: Status
        public var reason: String?
    }

    public struct Evaluation: Sendable, Equatable {
        public var standard: String
        public var asOf: CivilDate
        public var total: Points
        public var categories: [(id: String, title: String, points: Points)]
        public var eligible: Bool
        public var vetoes: [String]
        public var lines: [Line]
        public var unknownItems: [String]

        public static func == (a: Self, b: Self) -> Bool {
            a.standard == b.standard && a.asOf == b.asOf && a.total == b.total && a.eligible == b.eligible && a.vetoes == b.vetoes
                && a.lines == b.lines && a.unknownItems == b.unknownItems
                && a.categories.map(\.id) == b.categories.map(\.id) && a.categories.map(\.points) == b.categories.map(\.points)
        }
    }

    /// Each category's subtotal, in the standard's order, as `evaluate` gives them in
    /// `Evaluation.categories`, without writing the explanation of every line: what a round
    /// freezing thousands of tie-break values needs.
    public func categoryPoints(_ profile: Profile, asOf: CivilDate, buffer: inout Buffer) -> [(id: String, title: String, points: Points)] {
        _ = score(facts(profile), asOf: asOf, into: &buffer)
        return standard.categories.enumerated().map { ($1.id, $1.title, Points(hundredths: buffer.subtotals[$0])) }
    }

    public func evaluate(_ profile: Profile, asOf: CivilDate) -> Evaluation {
        let facts = self.facts(profile)
        var buffer = Buffer()
        let score = self.score(facts, asOf: asOf, into: &buffer)
        let results = buffer.lines
        var lines: [Line] = []
        var vetoes: [String] = []
        for (i, item) in standard.items.enumerated() {
            let r = results[i]
            if case .veto(let reason) = item.rule, r.status == .veto { vetoes.append(reason) }
            lines.append(Line(item: item.id, title: item.title, category: item.category,
                              fact: Explain.fact(item.rule, r), rule: Explain.rule(item.rule),
                              points: Points(hundredths: r.points), status: r.status,
                              reason: Explain.reason(item, r, standard: standard)))
        }
        return Evaluation(
            standard: standard.id, asOf: asOf, total: score.total,
            categories: standard.categories.enumerated().map { ($1.id, $1.title, Points(hundredths: buffer.subtotals[$0])) },
            eligible: score.eligible, vetoes: vetoes, lines: lines, unknownItems: facts.unknownItems
        )
    }
}

/// The words of an explanation (Chinese: it is shown to citizens and staff of a Chinese city).
enum Explain {
    static func fact(_ rule: ScoringStandard.Rule, _ r: Evaluator.LineResult) -> String? {
        guard r.used >= 0 else { return nil }
        switch rule {
        case .choice(let options): return options[Int(r.used)].title
        case .perUnit(let unit, _, _, _, _, _), .tiers(let unit, _, _): return Decimal2(hundredths: r.used).description + " " + unit
        case .flag, .veto: return r.used == 1 ? "是" : "否"
        case .deduction: return String(r.used / 100) + " 次"
        }
    }

    static func rule(_ rule: ScoringStandard.Rule) -> String {
        switch rule {
        case .choice(let options):
            return options.map { "\($0.title) \($0.points) 分" }.joined(separator: "；")
        case .perUnit(let unit, let per, let points, let rounding, let maxQuantity, let cap):
            var text = (rounding == .floor ? "每满 " : "每 ") + per.description + " " + unit + " " + points.description + " 分"
            if rounding == .exact { text += "（按比例，保留两位小数）" }
            if let maxQuantity { text += "，最多计 " + maxQuantity.description + " " + unit }
            if let cap { text += "，最高 " + cap.description + " 分" }
            return text
        case .tiers(let unit, let tiers, let maxQuantity):
            var text = tiers.map { "满 \($0.from) \(unit) \($0.points) 分" }.joined(separator: "；")
            if let maxQuantity { text += "；最多计 " + maxQuantity.description + " " + unit }
            return text
        case .flag(let points): return "符合得 \(points) 分"
        case .deduction(let points, let cap): return "每次扣 \(points) 分" + (cap.map { "，最多扣 \($0) 分" } ?? "")
        case .veto(let reason): return "一票否决：" + reason
        }
    }

    static func reason(_ item: ScoringStandard.Item, _ r: Evaluator.LineResult, standard: ScoringStandard) -> String? {
        switch r.status {
        case .counted: return nil
        case .absent: return "未申报"
        case .expired:
            let date = r.expiredDate
            return "已超过 \(item.validYears ?? 0) 年有效期（\(date / 10000)-\(String(format2: Int(date / 100 % 100)))-\(String(format2: Int(date % 100)))）"
        case .superseded:
            let winner = standard.items[r.supersededBy]
            return "同组取最高一项：已按“\(winner.title)”计分"
        case .capped:
            if r.cutByCategory, let cap = standard.category(item.category)?.cap {
                return "“\(standard.category(item.category)?.title ?? "")”类别上限 \(cap) 分，本项按 \(Points(hundredths: r.points)) 分计（原为 \(Points(hundredths: r.raw)) 分）"
            }
            return "本项上限，原为 \(Points(hundredths: r.raw)) 分"
        case .veto: return "一票否决，不具备申请资格"
        case .invalid:
            switch r.invalidReason {
            case 2: return "没有这个选项"
            case 3: return "此项有有效期，须注明日期"
            case 4: return "日期晚于计算日"
            default: return "申报内容与计分规则不符"
            }
        }
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0" + String(value) : String(value) }
}

extension Evaluator.Evaluation {
    /// What could still be added: the items that gave nothing and can give something, each with
    /// the most it could add, the most first. An item of a group whose higher member already
    /// counts adds nothing.
    public func addable(under standard: ScoringStandard) -> [(item: ScoringStandard.Item, upTo: Points)] {
        let counted = Set(lines.filter { $0.points > .zero }.map(\.item))
        let countedGroups = Set(lines.filter { $0.points > .zero }.compactMap { standard.item($0.item)?.group })
        return standard.items
            .filter { !counted.contains($0.id) }
            .compactMap { item -> (item: ScoringStandard.Item, upTo: Points)? in
                guard let most = item.rule.maximum, most > .zero else { return nil }
                if let group = item.group, countedGroups.contains(group) { return nil }
                return (item, most)
            }
            .sorted { $0.upTo > $1.upTo }
    }
}
