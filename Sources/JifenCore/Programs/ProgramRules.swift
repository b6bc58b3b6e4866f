/// A public service given by points for one year (公共服务项目): what it is, when one may
/// apply, who may, and how places are given. Rules are data; the checks are here.
public struct ProgramRules: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// 幼儿园小班
        case kindergarten
        /// 小学一年级
        case grade1
        /// 初中一年级
        case grade7
        /// 少儿医保 (积分入医): everyone at or above the line
        case childInsurance
        /// 公共租赁住房
        case housing
        /// 积分落户
        case settlement

        /// Ranked choices over schools, allocated by DESIGN §3.
        public var isSchool: Bool { [.kindergarten, .grade1, .grade7].contains(self) }
        /// Applied for on behalf of a child.
        public var forChild: Bool { isSchool || self == .childInsurance }

        /// The child's age (in whole years on the cut-off date) the level takes, by default.
        public var defaultAges: ClosedRange<Int>? {
            switch self {
            case .kindergarten: 3...3
            case .grade1: 6...6
            case .grade7: 11...13
            case .childInsurance: 0...17
            case .housing, .settlement: nil
            }
        }
    }

    public var kind: Kind
    public var opens, closes: CivilDate
    /// How many schools an applicant may rank (1 reproduces today's single-school practice).
    public var maxChoices: Int
    /// Whole years of verified residence needed on the closing day.
    public var minResidenceYears: Int
    public var requirePermit: Bool
    public var childAges: ClosedRange<Int>?
    /// The day the child's age is counted on (e.g. 31 August of the year).
    public var ageCutoff: CivilDate
    /// Threshold programs: the points one needs (everyone at or above qualifies).
    public var threshold: Points?

    public init(kind: Kind, opens: CivilDate, closes: CivilDate, maxChoices: Int, minResidenceYears: Int, requirePermit: Bool,
                childAges: ClosedRange<Int>?, ageCutoff: CivilDate, threshold: Points?) {
        self.kind = kind
        self.opens = opens
        self.closes = closes
        self.maxChoices = maxChoices
        self.minResidenceYears = minResidenceYears
        self.requirePermit = requirePermit
        self.childAges = childAges
        self.ageCutoff = ageCutoff
        self.threshold = threshold
    }

    /// What is checked when someone applies.
    public struct Applicant: Sendable, Equatable {
        public var hasValidPermit: Bool
        public var residenceYears: Int
        /// Points valid for the program's year, nil when he has none.
        public var points: Points?
        public var childBirth: CivilDate?
        /// Another application (his or his spouse's) already names this child.
        public var childAlreadyApplied: Bool

        public init(hasValidPermit: Bool, residenceYears: Int, points: Points?, childBirth: CivilDate?, childAlreadyApplied: Bool) {
            self.hasValidPermit = hasValidPermit
            self.residenceYears = residenceYears
            self.points = points
            self.childBirth = childBirth
            self.childAlreadyApplied = childAlreadyApplied
        }
    }

    public enum Refusal: Sendable, Equatable {
        case notOpenYet(opens: CivilDate)
        case closed(closes: CivilDate)
        case noPermit
        case residence(needed: Int, has: Int)
        case noPoints
        case belowThreshold(needed: Points, has: Points)
        case noChild
        case childAge(ages: ClosedRange<Int>, age: Int, on: CivilDate)
        case childAlreadyApplied
        case tooManyChoices(max: Int)
        case noChoice
    }

    /// Every reason the application is refused on `date` (empty: it may go ahead).
    public func check(_ a: Applicant, choices: Int, on date: CivilDate) -> [Refusal] {
        var refusals: [Refusal] = []
        if date < opens { refusals.append(.notOpenYet(opens: opens)) }
        if date > closes { refusals.append(.closed(closes: closes)) }
        if requirePermit && !a.hasValidPermit { refusals.append(.noPermit) }
        if a.residenceYears < minResidenceYears { refusals.append(.residence(needed: minResidenceYears, has: a.residenceYears)) }
        if let threshold {
            if let points = a.points, points < threshold { refusals.append(.belowThreshold(needed: threshold, has: points)) }
            else if a.points == nil { refusals.append(.noPoints) }
        } else if a.points == nil {
            refusals.append(.noPoints)
        }
        if kind.forChild {
            if let birth = a.childBirth {
                let age = ResidentID.age(born: birth, on: ageCutoff)
                if let ages = childAges, !ages.contains(age) { refusals.append(.childAge(ages: ages, age: age, on: ageCutoff)) }
            } else {
                refusals.append(.noChild)
            }
            if a.childAlreadyApplied { refusals.append(.childAlreadyApplied) }
        }
        if kind.isSchool {
            if choices == 0 { refusals.append(.noChoice) }
            if choices > maxChoices { refusals.append(.tooManyChoices(max: maxChoices)) }
        }
        return refusals
    }
}
