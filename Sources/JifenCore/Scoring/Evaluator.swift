/// Scores profiles against one standard. The numeric core fills a reusable buffer and makes no
/// strings, so scoring is fast; `evaluate` explains the same results line by line, so the
/// explanation can never disagree with the score.
public struct Evaluator: Sendable {
    public let standard: ScoringStandard
    let categoryOfItem: [Int]
    let groupOfItem: [Int]          // -1: none
    let optionIndex: [[String: Int]]
    let itemIndex: [String: Int]

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
        public var categories: [Points]
        public var eligible: Bool
    }

    /// Scores `facts` as of `asOf`, writing each item's result into `lines` (resized as needed).
    public func score(_ facts: Facts, asOf: CivilDate, into lines: inout [LineResult]) -> Score {
        let items = standard.items
        if lines.count != items.count { lines = [LineResult](repeating: LineResult(), count: items.count) }
        let asOfOrdinal = Int32(asOf.ordinal)
        var eligible = true

        for i in 0..<items.count {
            var line = LineResult()
            let first = Int(facts.starts[i]), end = Int(facts.starts[i + 1])
            if first == end { lines[i] = line; continue }
            let item = items[i]
            // Which facts are valid on the as-of date.
            let cutoff: Int32 = item.validYears.map { Int32(asOf.adding(years: -$0).ordinal) } ?? 0
            var validCount = 0
            var quantity: Int64 = 0
            var best: Int64 = -1
            var anyTrue = false
            var wrongKind = false
            for s in first..<end {
                let slot = facts.slots[s]
                if slot.date != 0, slot.date > asOfOrdinal { line.invalidReason = 4; continue }
                if item.validYears != nil {
                    if slot.date == 0 { line.invalidReason = 3; continue }
                    if slot.date < cutoff { line.expiredDate = max(line.expiredDate, slot.date); continue }
                }
                validCount += 1
                switch (item.rule, slot.kind) {
                case (.choice(let options), .option):
                    if best < 0 || options[Int(slot.value)].points.hundredths > options[Int(best)].points.hundredths { best = slot.value }
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
            switch item.rule {
            case .choice(let options):
                if best >= 0 { line.used = best; line.raw = options[Int(best)].points.hundredths; line.points = line.raw }
            case .perUnit(_, let per, let points, let rounding, let maxQuantity, let cap):
                let q = min(quantity, maxQuantity?.hundredths ?? Int64.max)
                line.used = quantity
                line.raw = rounding == .floor ? (q / per.hundredths) * points.hundredths : q * points.hundredths / per.hundredths
                line.points = line.raw
                if let cap, line.raw > cap.hundredths { line.points = cap.hundredths; line.status = .capped }
            case .tiers(_, let tiers, let maxQuantity):
                let q = min(quantity, maxQuantity?.hundredths ?? Int64.max)
                line.used = quantity
                for tier in tiers where tier.from.hundredths <= q { line.raw = tier.points.hundredths }
                line.points = line.raw
            case .flag(let points):
                line.used = anyTrue ? 1 : 0
                line.raw = anyTrue ? points.hundredths : 0
                line.points = line.raw
            case .deduction(let points, let cap):
                let count = quantity / 100
                line.used = quantity
                line.raw = -count * points.hundredths
                line.points = line.raw
                if let cap, -line.raw > cap.hundredths { line.points = -cap.hundredths; line.status = .capped }
            case .veto:
                line.used = anyTrue ? 1 : 0
                if anyTrue { line.status = .veto; eligible = false }
            }
            lines[i] = line
        }

        // Highest one only: in each group the item with the most points counts (the first on a tie).
        if !standard.groups.isEmpty {
            for g in 0..<standard.groups.count {
                var winner = -1
                for i in 0..<items.count where groupOfItem[i] == g && lines[i].points > 0 {
                    if winner < 0 || lines[i].points > lines[winner].points { winner = i }
                }
                guard winner >= 0 else { continue }
                for i in 0..<items.count where groupOfItem[i] == g && i != winner && lines[i].points > 0 {
                    lines[i].points = 0
                    lines[i].status = .superseded
                    lines[i].supersededBy = winner
                }
            }
        }

        // Category caps, applied in item order; then the subtotals and the total are sums of lines.
        var subtotals = [Int64](repeating: 0, count: standard.categories.count)
        for i in 0..<items.count {
            let c = categoryOfItem[i]
            var points = lines[i].points
            if let cap = standard.categories[c].cap?.hundredths {
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
        var total: Int64 = 0
        for s in subtotals { total += s }
        return Score(total: Points(hundredths: total), categories: subtotals.map { Points(hundredths: $0) }, eligible: eligible)
    }

    // MARK: explanation

    public struct Line: Sendable, Equatable {
        public var item: String
        public var title: String
        public var category: String
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

    public func evaluate(_ profile: Profile, asOf: CivilDate) -> Evaluation {
        let facts = self.facts(profile)
        var results: [LineResult] = []
        let score = self.score(facts, asOf: asOf, into: &results)
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
            categories: standard.categories.enumerated().map { ($1.id, $1.title, score.categories[$0]) },
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
