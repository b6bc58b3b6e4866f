import Foundation

/// How much the demo holds: the small demo city `serve --demo` loads, or a whole city for
/// measuring (`jifen demo --scale city`), shaped after Zhangjiagang's figures: 716,000 new
/// citizens, about 900 grids, 150,000 rental houses, 20,000 points applications a year, 300 schools
/// with 5,800 seats over three levels and 12,000 applicants for them.
public struct DemoSize: Sendable, Equatable {
    /// Generated residents, each with his registrations (and a permit for a third of them).
    var residents = 1000
    /// Grids in all, at least: communities of ten grids are added to the towns to reach it.
    var grids = 0
    /// Rental houses in all (0: two per grid).
    var houses = 0
    /// This year's points applications in all, at least: those the programs' applicants hold and
    /// those made through the services are counted, the rest are added in every state.
    var pointsApplications = 0
    /// Schools of each level; nil: two or three primary schools per town, no other level.
    var schools: Levels? = nil
    /// Seats of each level's program (with `schools`).
    var seats = Levels(primary: 0, kindergarten: 0, middle: 0)
    /// This year's grade-1 applicants, ranked and placed in the round in publicity.
    var applicants = 240
    /// Last year's grade-1 applicants (both rounds final).
    var lastYearApplicants = 220

    struct Levels: Sendable, Equatable { var primary, kindergarten, middle: Int }

    /// The small demo: 1,000 residents, 42 grids, 21 schools, 240 applicants.
    public static let small = DemoSize()

    /// A city the size of Zhangjiagang times `scale` (1 is the city; 0.01 a hundredth of it).
    public static func city(_ scale: Double) -> DemoSize {
        func n(_ x: Double, atLeast minimum: Int = 1) -> Int { max(minimum, Int((x * scale).rounded())) }
        return DemoSize(residents: n(716_000, atLeast: 2_000), grids: n(900), houses: n(150_000, atLeast: 100), pointsApplications: n(20_000, atLeast: 500),
                        schools: Levels(primary: n(120, atLeast: 3), kindergarten: n(110, atLeast: 3), middle: n(70, atLeast: 3)),
                        seats: Levels(primary: n(2_900, atLeast: 30), kindergarten: n(1_900, atLeast: 30), middle: n(1_000, atLeast: 30)),
                        applicants: n(12_000, atLeast: 300), lastYearApplicants: n(11_000, atLeast: 250))
    }

    /// `city` or a positive number (the city times it), as `jifen demo --scale` takes it.
    public static func parse(_ text: String) -> DemoSize? {
        if text == "city" { return city(1) }
        guard let scale = Double(text), scale > 0, scale <= 20, scale.isFinite else { return nil }
        return city(scale)
    }

    /// Residents kept in memory while loading, for the points applications and programs.
    var kept: Int { min(residents, max(1000, 2 * (applicants + lastYearApplicants + pointsApplications))) }
}
