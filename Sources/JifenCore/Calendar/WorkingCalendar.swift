/// Working days: Monday to Friday, less the public holidays, plus the adjusted working weekend
/// days (调休) — entered per year. A year without an entry falls back to weekends only, and every
/// answer says whether it did, so a screen can warn instead of guessing silently.
public struct WorkingCalendar: Sendable, Equatable {
    public struct Year: Sendable, Equatable {
        public var holidays, workdays: Set<CivilDate>
        public init(holidays: Set<CivilDate>, workdays: Set<CivilDate>) {
            self.holidays = holidays
            self.workdays = workdays
        }
    }

    public var years: [Int: Year]

    public init(years: [Int: Year] = [:]) { self.years = years }

    public func knows(_ year: Int) -> Bool { years[year] != nil }

    public func isWorkingDay(_ date: CivilDate) -> Bool {
        if let year = years[date.year] {
            if year.workdays.contains(date) { return true }
            if year.holidays.contains(date) { return false }
        }
        return date.weekday <= 5
    }

    /// A due date counted in working days, and whether any year it crossed had no calendar.
    public struct Deadline: Sendable, Equatable {
        public var date: CivilDate
        /// Years the count passed through that have no entered calendar (weekends only there).
        public var guessedYears: [Int]
        public var isCertain: Bool { guessedYears.isEmpty }
    }

    /// The date `days` working days after `start` (the start day itself does not count).
    public func adding(workingDays days: Int, to start: CivilDate) -> Deadline {
        var date = start
        var left = days
        var guessed: Set<Int> = []
        while left > 0 {
            date = date.next
            if !knows(date.year) { guessed.insert(date.year) }
            if isWorkingDay(date) { left -= 1 }
        }
        return Deadline(date: date, guessedYears: guessed.sorted())
    }

    /// Working days after `start` up to and including `end` (0 when `end` is not after `start`).
    public func workingDays(from start: CivilDate, to end: CivilDate) -> Int {
        var count = 0
        var date = start
        while date < end {
            date = date.next
            if isWorkingDay(date) { count += 1 }
        }
        return count
    }
}

extension CivilDate {
    /// Days since 1970-01-01 (negative before), by the civil-from-days algorithm.
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self = CivilDate(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)!
    }

    public var next: CivilDate { CivilDate(dayNumber: dayNumber + 1) }

    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    /// ISO weekday: 1 Monday … 7 Sunday.
    public var weekday: Int {
        let w = (dayNumber + 3) % 7   // 1970-01-01 was a Thursday
        return (w < 0 ? w + 7 : w) + 1
    }
}
