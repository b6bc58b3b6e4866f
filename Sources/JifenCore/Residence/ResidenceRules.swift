/// A residence period (居住登记) as the rules see it: from a day, to a day or still going on.
public struct ResidencePeriod: Sendable, Equatable {
    public var from: CivilDate
    /// The last day lived there; nil while the person still lives there.
    public var to: CivilDate?
    public var verified: Bool

    public init(from: CivilDate, to: CivilDate? = nil, verified: Bool) {
        self.from = from
        self.to = to
        self.verified = verified
    }
}

/// The "residence time detail" window staff asked for (seed 000): every period and the counted total.
public enum ResidenceTime {
    public struct Detail: Sendable, Equatable {
        /// Verified periods, merged where they overlap or touch, cut at the as-of date.
        public var counted: [(from: CivilDate, to: CivilDate)]
        public var days: Int
        /// Whole years (365 days each) of verified residence.
        public var years: Int
        /// Whole months of the period still going on at the as-of date (0 if none).
        public var currentMonths: Int
        /// Whole calendar months of verified residence, summed over the counted stretches (a
        /// stretch from 21 March still going on is 6 months on 21 September, 5 on 20 September).
        public var months: Int

        public static func == (a: Self, b: Self) -> Bool {
            a.days == b.days && a.years == b.years && a.currentMonths == b.currentMonths && a.months == b.months
                && a.counted.map(\.from) == b.counted.map(\.from) && a.counted.map(\.to) == b.counted.map(\.to)
        }
    }

    /// Counts only verified periods; days are inclusive (a period from 1 March to 1 March is one day).
    public static func detail(_ periods: [ResidencePeriod], asOf: CivilDate) -> Detail {
        let ranges = periods.filter { $0.verified && $0.from <= asOf }
            .map { (from: $0.from, to: min($0.to ?? asOf, asOf)) }
            .filter { $0.from <= $0.to }
            .sorted { $0.from < $1.from }
        var merged: [(from: CivilDate, to: CivilDate)] = []
        for range in ranges {
            if let last = merged.last, range.from.dayNumber <= last.to.dayNumber + 1 {
                merged[merged.count - 1].to = max(last.to, range.to)
            } else {
                merged.append(range)
            }
        }
        let days = merged.reduce(0) { $0 + $1.to.dayNumber - $1.from.dayNumber + 1 }
        var currentMonths = 0
        if let ongoing = periods.filter({ $0.verified && $0.to == nil && $0.from <= asOf }).map(\.from).min() {
            // The ongoing stretch starts where the merged range containing it starts.
            let start = merged.first { $0.from <= ongoing && ongoing <= $0.to }?.from ?? ongoing
            currentMonths = months(from: start, to: asOf)
        }
        // A stretch that ended counts its last day in full; one reaching the as-of date counts to it.
        let months = merged.reduce(0) { $0 + Self.months(from: $1.from, to: $1.to == asOf ? asOf : $1.to.next) }
        return Detail(counted: merged, days: days, years: days / 365, currentMonths: currentMonths, months: months)
    }

    /// Whole calendar months from `start` to `end` (1 March → 31 August is 5, → 1 September is 6).
    public static func months(from start: CivilDate, to end: CivilDate) -> Int {
        var months = (end.year - start.year) * 12 + end.month - start.month
        if end.day < start.day { months -= 1 }
        return max(0, months)
    }
}

/// Who may apply for a residence permit (居住证): at least six months of residence registration
/// (verified, still going on) and one basis — stable employment, stable housing or continuous
/// study — with its evidence.
public enum PermitEligibility {
    public enum Basis: String, Sendable, CaseIterable, Codable {
        case employment, housing, study
    }

    public enum Refusal: Sendable, Equatable {
        /// No verified registration going on now.
        case noCurrentRegistration
        /// Registered, but for fewer than six months; possible from `from`.
        case tooShort(months: Int, possibleFrom: CivilDate)
        case noBasis
        case noEvidence(Basis)
    }

    public static let minimumMonths = 6

    public static func check(periods: [ResidencePeriod], basis: Basis?, hasEvidence: Bool, on date: CivilDate) -> [Refusal] {
        var refusals: [Refusal] = []
        let detail = ResidenceTime.detail(periods, asOf: date)
        let ongoing = periods.contains { $0.verified && $0.to == nil && $0.from <= date }
        if !ongoing {
            refusals.append(.noCurrentRegistration)
        } else {
            // Six months on from the start of the ongoing stretch (31 August → 28 February).
            let start = detail.counted.last?.from ?? date
            let possibleFrom = start.adding(months: minimumMonths)
            if date < possibleFrom { refusals.append(.tooShort(months: detail.currentMonths, possibleFrom: possibleFrom)) }
        }
        if let basis {
            if !hasEvidence { refusals.append(.noEvidence(basis)) }
        } else {
            refusals.append(.noBasis)
        }
        return refusals
    }
}

extension CivilDate {
    /// The same day `months` months later; a day past the month's end becomes its last day.
    public func adding(months: Int) -> CivilDate {
        let total = year * 12 + (month - 1) + months
        let y = total / 12, m = total % 12 + 1
        return CivilDate(year: y, month: m, day: min(day, CivilDate.days(in: m, of: y)))!
    }
}
