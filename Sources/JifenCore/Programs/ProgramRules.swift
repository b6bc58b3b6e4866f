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

    /// When the seats (学位数) must be published, as the jurisdiction's rules say.
    public enum QuotaTiming: Sendable, Equatable {
        /// N days before the application deadline.
        case beforeDeadline(days: Int)
        /// N days before the service is allocated (seed 004 art. 8: "提前30天"), on `allocates`.
        case beforeAllocation(days: Int, allocates: CivilDate)
        /// By a fixed day (seed 000 art. 16: "于5月中旬", before a 30 May deadline).
        case by(CivilDate)

        /// The last day the quotas may be published for a window closing on `closes`.
        public func due(closes: CivilDate) -> CivilDate {
            switch self {
            case .beforeDeadline(let days): closes.adding(days: -days)
            case .beforeAllocation(let days, let allocates): allocates.adding(days: -days)
            case .by(let day): day
            }
        }
    }

    /// Who of a married couple may apply (seed 000 塘桥 "夫妻双方不管有多少子女，只能由其中一方申请";
    /// seed 004 art. 16 "已婚的只取夫妻一方的积分").
    public enum Spouses: String, Sendable, Equatable, CaseIterable, Codable {
        /// Either parent may apply; only the same child cannot be named twice.
        case either
        /// One spouse applies for all the couple's children that year; his own points count.
        case oneSpouse
        /// One spouse applies for all the couple's children; the higher of the two spouses' points count.
        case oneSpouseHigherPoints
    }

    /// Which schools an applicant may rank (seed 000 "只能申请居住地镇区学校", "调整部分学校的施教区").
    public enum ChoiceScope: String, Sendable, Equatable, CaseIterable, Codable {
        /// Any school with seats in the program.
        case city
        /// Schools of the town (镇、街道、区) of his verified residence.
        case town
        /// Schools whose catchment (施教区) covers his verified residence.
        case catchment
    }

    public var kind: Kind
    public var opens, closes: CivilDate
    /// How many schools an applicant may rank (1 reproduces today's single-school practice).
    public var maxChoices: Int
    /// Whole months of verified residence needed on the day of application (a year is 12).
    public var minResidenceMonths: Int
    public var requirePermit: Bool
    /// Whole months the current residence permit must have been held (0: any valid permit).
    public var minPermitMonths: Int
    public var childAges: ClosedRange<Int>?
    /// The day the child's age is counted on (e.g. 31 August of the year).
    public var ageCutoff: CivilDate
    /// Threshold programs: the points one needs (everyone at or above qualifies).
    public var threshold: Points?
    public var quotaTiming: QuotaTiming
    public var spouses: Spouses

    public init(kind: Kind, opens: CivilDate, closes: CivilDate, maxChoices: Int, minResidenceMonths: Int, requirePermit: Bool,
                minPermitMonths: Int = 0, childAges: ClosedRange<Int>?, ageCutoff: CivilDate, threshold: Points?,
                quotaTiming: QuotaTiming = .beforeDeadline(days: 30), spouses: Spouses = .either) {
        self.kind = kind
        self.opens = opens
        self.closes = closes
        self.maxChoices = maxChoices
        self.minResidenceMonths = minResidenceMonths
        self.requirePermit = requirePermit
        self.minPermitMonths = minPermitMonths
        self.childAges = childAges
        self.ageCutoff = ageCutoff
        self.threshold = threshold
        self.quotaTiming = quotaTiming
        self.spouses = spouses
    }

    /// The last day the quotas may be published.
    public var quotaDue: CivilDate { quotaTiming.due(closes: closes) }

    /// What is checked when someone applies.
    public struct Applicant: Sendable, Equatable {
        public var hasValidPermit: Bool
        /// Whole months the current permit has been held (0 without one).
        public var permitMonths: Int
        /// Whole months of verified residence (`ResidenceTime.Detail.months`).
        public var residenceMonths: Int
        /// Points valid for the program's year, nil when he has none.
        public var points: Points?
        public var childBirth: CivilDate?
        /// Another application (his or his spouse's) already names this child.
        public var childAlreadyApplied: Bool
        /// His spouse has applied to a program of this service this year (only one spouse may).
        public var spouseApplied: Bool

        public init(hasValidPermit: Bool, permitMonths: Int = 0, residenceMonths: Int, points: Points?, childBirth: CivilDate?,
                    childAlreadyApplied: Bool, spouseApplied: Bool = false) {
            self.hasValidPermit = hasValidPermit
            self.permitMonths = permitMonths
            self.residenceMonths = residenceMonths
            self.points = points
            self.childBirth = childBirth
            self.childAlreadyApplied = childAlreadyApplied
            self.spouseApplied = spouseApplied
        }
    }

    public enum Refusal: Sendable, Equatable {
        case notOpenYet(opens: CivilDate)
        case closed(closes: CivilDate)
        case noPermit
        case permitHeld(neededMonths: Int, hasMonths: Int)
        case residence(neededMonths: Int, hasMonths: Int)
        case spouseApplied
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
        if requirePermit && a.hasValidPermit && a.permitMonths < minPermitMonths {
            refusals.append(.permitHeld(neededMonths: minPermitMonths, hasMonths: a.permitMonths))
        }
        if a.residenceMonths < minResidenceMonths { refusals.append(.residence(neededMonths: minResidenceMonths, hasMonths: a.residenceMonths)) }
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
        if spouses != .either && a.spouseApplied { refusals.append(.spouseApplied) }
        if kind.isSchool {
            if choices == 0 { refusals.append(.noChoice) }
            if choices > maxChoices { refusals.append(.tooManyChoices(max: maxChoices)) }
        }
        return refusals
    }
}

/// A school's catchment (施教区): areas — towns or communities, by jurisdiction code — each from a
/// day and possibly to a day.
public struct Catchment: Sendable, Equatable {
    public struct Area: Sendable, Equatable {
        public var code: String
        public var from: CivilDate
        public var to: CivilDate?
        public init(code: String, from: CivilDate, to: CivilDate? = nil) {
            self.code = code
            self.from = from
            self.to = to
        }
    }

    public var areas: [Area]
    public init(areas: [Area]) { self.areas = areas }

    /// Whether an area code covers a place: the same code, or a place under it (`320582-01`
    /// covers the grid `320582-01-03-02`, not `320582-010`).
    public static func covers(_ area: String, _ place: String) -> Bool {
        place == area || place.hasPrefix(area + "-")
    }

    /// Whether the catchment covers the place `place` on `date`.
    public func covers(_ place: String, on date: CivilDate) -> Bool {
        areas.contains { $0.from <= date && ($0.to.map { date <= $0 } ?? true) && Self.covers($0.code, place) }
    }
}

/// A length of time written in months, with years as a shorthand: `6个月`, `6 months`, `半年`,
/// `1年`, `2 years`, or a bare number of years (`1`).
public enum MonthsText {
    public static func parse(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.isEmpty { return nil }
        if t == "半年" || t == "half a year" { return 6 }
        for suffix in ["个月", "月", " months", "months", " month", "month"] where t.hasSuffix(suffix) {
            t = String(t.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            guard let n = Int(t), n >= 0 else { return nil }
            return n
        }
        for suffix in ["年", " years", "years", " year", "year"] where t.hasSuffix(suffix) {
            t = String(t.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            break
        }
        guard let years = Int(t), years >= 0, years <= 100 else { return nil }
        return years * 12
    }

    /// `6个月`, `1年`, `3年6个月` / `6 months`, `1 year`, `3 years 6 months`.
    public static func words(_ months: Int, english: Bool) -> String {
        let years = months / 12, rest = months % 12
        func y() -> String { english ? "\(years) year" + (years == 1 ? "" : "s") : "\(years)年" }
        func m() -> String { english ? "\(rest) month" + (rest == 1 ? "" : "s") : "\(rest)个月" }
        if years == 0 { return m() }
        if rest == 0 { return y() }
        return english ? y() + " " + m() : y() + m()
    }
}

/// Services given in steps by points (梯度服务, seed 000 "通过新市民积分的方式梯度提供服务";
/// seed 002: 公租房、公共自行车、园林、公交、妇检等市民卡各项服务): each service has a points line;
/// a total reaches every service at or below it.
public enum ServiceLadder {
    public struct Rung: Sendable, Equatable {
        public var code: String
        public var line: Points
        public init(code: String, line: Points) {
            self.code = code
            self.line = line
        }
    }

    public struct Standing: Sendable, Equatable {
        /// The services reached, lowest line first.
        public var reached: [String]
        /// The lowest service not reached and the points still needed for it.
        public var next: (code: String, needed: Points)?

        public init(reached: [String], next: (code: String, needed: Points)?) {
            self.reached = reached
            self.next = next
        }

        public static func == (a: Self, b: Self) -> Bool {
            a.reached == b.reached && a.next?.code == b.next?.code && a.next?.needed == b.next?.needed
        }
    }

    public static func standing(_ total: Points, on rungs: [Rung]) -> Standing {
        let sorted = rungs.sorted { ($0.line, $0.code) < ($1.line, $1.code) }
        let reached = sorted.filter { $0.line <= total }.map(\.code)
        let next = sorted.first { $0.line > total }.map { (code: $0.code, needed: $0.line - total) }
        return Standing(reached: reached, next: next)
    }
}
