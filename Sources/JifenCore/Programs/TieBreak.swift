/// One key that orders applicants with equal points. Nanhu (seed 004 art. 15) breaks a tie by
/// "新居民基本状况、创新创业、社会服务三项指标的合计分数" — one key, the *sum* of three
/// categories — "如排序依然并列则按提出申请的时间先后": then the application time. Zhangjiagang
/// compares two subtotals one after the other: two keys of one category each.
///
/// Written as text: `basicStatus+innovation+socialService`, `socialSecurity`, `time`.
public enum TieBreakKey: Sendable, Equatable, CustomStringConvertible {
    /// The sum of the named categories' subtotals, higher first (one category: its subtotal).
    case sum([String])
    /// The application time, earlier first. Always the last key (implied when not written).
    case applicationTime

    public static let timeWord = "time"

    public var description: String {
        switch self {
        case .sum(let ids): ids.joined(separator: "+")
        case .applicationTime: Self.timeWord
        }
    }

    /// Why a written list of keys is refused.
    public enum Problem: Error, Sendable, Equatable {
        case unknownCategory(String)
        case emptyTerm(key: String)
        /// `time` must be the last key: nothing after it can ever decide.
        case timeNotLast
        case repeatedCategory(String)
    }

    /// Parses keys separated by commas (, or ，) or spaces; categories are checked against
    /// `categories` when it is given.
    public static func parse(_ text: String, categories: Set<String>?) -> Result<[TieBreakKey], Problem> {
        let words = text.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == " " || $0 == "、" }).map(String.init)
        var keys: [TieBreakKey] = []
        var seen: Set<String> = []
        for (n, word) in words.enumerated() {
            if word == timeWord {
                guard n == words.count - 1 else { return .failure(.timeNotLast) }
                keys.append(.applicationTime)
                continue
            }
            let terms = word.split(separator: "+", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if terms.contains(where: \.isEmpty) { return .failure(.emptyTerm(key: word)) }
            for term in terms {
                if let categories, !categories.contains(term) { return .failure(.unknownCategory(term)) }
                if !seen.insert(term).inserted { return .failure(.repeatedCategory(term)) }
            }
            keys.append(.sum(terms))
        }
        return .success(keys)
    }

    /// Reads keys stored by `description` (already checked when written).
    public static func stored(_ words: [String]) -> [TieBreakKey] {
        words.map { $0 == timeWord ? .applicationTime : .sum($0.split(separator: "+").map(String.init)) }
    }

    /// The value of this key for one evaluation; nil for the application time, which the
    /// allocation compares after every value.
    public func value(in categories: [(id: String, title: String, points: Points)]) -> Points? {
        guard case .sum(let ids) = self else { return nil }
        return ids.reduce(Points.zero) { sum, id in sum + (categories.first { $0.id == id }?.points ?? .zero) }
    }

    /// The values to freeze for the allocation, one per category key, in order.
    public static func values(_ keys: [TieBreakKey], in categories: [(id: String, title: String, points: Points)]) -> [Points] {
        keys.compactMap { $0.value(in: categories) }
    }
}
