/// A scoring standard (计分标准): versioned data, never code. See docs/scoring-standard-format.md.
public struct ScoringStandard: Sendable, Equatable {
    public var id, title, jurisdiction: String
    /// The standard this version belongs to: versions of one series supersede each other, and
    /// several series can be in force at once (a city's own standard for school places,
    /// Suzhou's for medical insurance and settlement). Items of different series that share an
    /// id read the same fact.
    public var series: String = ScoringStandard.generalSeries
    /// The series of a file that names none: the jurisdiction's own points standard.
    public static let generalSeries = "general"
    public var effectiveFrom: CivilDate
    public var effectiveTo: CivilDate?
    public var source: String
    public var note: String?
    public var categories: [Category]
    public var groups: [Group]
    public var items: [Item]

    public enum CategoryKind: String, Sendable, CaseIterable {
        case basic, additional, deduction
    }

    public struct Category: Sendable, Equatable {
        public var id, title: String
        public var kind: CategoryKind
        public var cap: Points?
    }

    public struct Group: Sendable, Equatable {
        public var id, title: String
    }

    public struct Item: Sendable, Equatable {
        public var id, title, category, department, evidence: String
        public var feed, group: String?
        public var validYears: Int?
        public var illustrative: Bool
        public var rule: Rule
        /// Who confirms a claimed value (积分核定): its department, or the town's window itself
        /// (seed 004 art. 4/9), which sends it to the department only when the materials are disputed.
        public var confirmedBy: Confirmer = .department
    }

    public enum Confirmer: String, Sendable, CaseIterable {
        case department, town
    }

    public struct Option: Sendable, Equatable {
        public var id, title: String
        public var points: Points
    }

    public struct Tier: Sendable, Equatable {
        public var from: Decimal2
        public var points: Points
    }

    public enum Rounding: String, Sendable, CaseIterable {
        /// Only whole units count (每满一个单位).
        case floor
        /// Proportional, cut to 0.01 point.
        case exact
    }

    public enum Rule: Sendable, Equatable {
        case choice(options: [Option])
        case perUnit(unit: String, per: Decimal2, points: Points, rounding: Rounding, maxQuantity: Decimal2?, cap: Points?)
        case tiers(unit: String, tiers: [Tier], maxQuantity: Decimal2?)
        case flag(points: Points)
        case deduction(points: Points, cap: Points?)
        case veto(reason: String)

        public var kind: String {
            switch self {
            case .choice: "choice"
            case .perUnit: "perUnit"
            case .tiers: "tiers"
            case .flag: "flag"
            case .deduction: "deduction"
            case .veto: "veto"
            }
        }

        public static let kinds = ["choice", "perUnit", "tiers", "flag", "deduction", "veto"]

        /// The most this rule can give (for deductions: 0), used by the self-estimate page to
        /// say what a person could still add.
        public var maximum: Points? {
            switch self {
            case .choice(let options): options.map(\.points).max()
            case .perUnit(_, let per, let points, _, let maxQuantity, let cap):
                if let cap { cap } else if let maxQuantity { Points(hundredths: maxQuantity.hundredths / per.hundredths * points.hundredths) } else { nil }
            case .tiers(_, let tiers, _): tiers.last?.points
            case .flag(let points): points
            case .deduction, .veto: .zero
            }
        }
    }

    public func category(_ id: String) -> Category? { categories.first { $0.id == id } }
    public func item(_ id: String) -> Item? { items.first { $0.id == id } }

    /// Whether this standard applies on `date`.
    public func isEffective(on date: CivilDate) -> Bool {
        effectiveFrom <= date && (effectiveTo.map { date <= $0 } ?? true)
    }

    /// Of several versions, the one of `series` in force on `date`: the latest `effectiveFrom` not after it.
    public static func inForce(on date: CivilDate, series: String = generalSeries, among standards: [ScoringStandard]) -> ScoringStandard? {
        standards.filter { $0.series == series && $0.isEffective(on: date) }.max { ($0.effectiveFrom, $0.id) < ($1.effectiveFrom, $1.id) }
    }
}
