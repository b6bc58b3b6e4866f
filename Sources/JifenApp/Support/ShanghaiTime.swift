import Foundation
import JifenCore

/// Times shown to people are Asia/Shanghai.
enum ShanghaiTime {
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    static func format(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }

    static func clock(_ date: Date) -> String {
        guard let (_, s) = local(date) else { return format(date, "HH:mm") }
        return two(s / 3600) + ":" + two(s / 60 % 60)
    }

    static func dateTime(_ date: Date) -> String {
        guard let (day, s) = local(date) else { return format(date, "yyyy-MM-dd HH:mm:ss") }
        return day.description + " " + two(s / 3600) + ":" + two(s / 60 % 60) + ":" + two(s % 60)
    }

    /// The day in Shanghai and the seconds since its midnight. Shanghai has kept UTC+8 without
    /// summer time since 1992, so from then on this is arithmetic (every page shows a time, and a
    /// formatter made for it costs more than the page's queries); earlier instants, and those after
    /// 2100, are left to the time-zone database (nil).
    static func local(_ date: Date) -> (day: CivilDate, seconds: Int)? {
        let t = date.timeIntervalSince1970
        guard t >= 694_195_200, t < 4_102_444_800 else { return nil }
        // Whole milliseconds first, as the formatter takes them (an instant a hair before a second
        // shows that second).
        let seconds = Int((t * 1000).rounded()) / 1000 + 8 * 3600
        return (CivilDate(dayNumber: seconds / 86_400), seconds % 86_400)
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0" + String(n) : String(n) }

    /// The instant a `yyyy-MM-dd` day starts in Shanghai.
    static func startOfDay(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.isLenient = false
        return formatter.date(from: text)
    }
}

/// Today's date in Asia/Shanghai.
enum ShanghaiDate {
    static func today(_ now: Date = Date()) -> CivilDate {
        if let (day, _) = ShanghaiTime.local(now) { return day }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return CivilDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    /// The instant `day` begins in Asia/Shanghai.
    static func startOfDay(_ day: CivilDate) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
    }
}
