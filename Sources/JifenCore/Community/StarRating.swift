/// The star rating of a landlord who manages several houses (包租星级): five stars less what the
/// rules deduct for what happened at his houses — hazards found there, hazards closed late or
/// still overdue, tenants declared late, tenants disputing what he declared. The centre sets the
/// deductions; the rating never falls under one star. Every deduction is given as a reason.
public struct StarRules: Sendable, Equatable {
    /// Deducted for each hazard found at one of his houses (not dismissed).
    public var hazardFound: Double
    /// Deducted again for each of those closed after its due date, or overdue and still open.
    public var hazardLate: Double
    /// Deducted for each tenant declared more than `declarationDays` after he moved in.
    public var declarationLate: Double
    public var declarationDays: Int
    /// Deducted for each declaration its tenant disputed.
    public var dispute: Double
    /// Only what happened in the last so many days counts.
    public var windowDays: Int

    public init(hazardFound: Double, hazardLate: Double, declarationLate: Double, declarationDays: Int, dispute: Double, windowDays: Int) {
        self.hazardFound = hazardFound
        self.hazardLate = hazardLate
        self.declarationLate = declarationLate
        self.declarationDays = declarationDays
        self.dispute = dispute
        self.windowDays = windowDays
    }

    public static let standard = StarRules(hazardFound: 0.5, hazardLate: 1, declarationLate: 0.5, declarationDays: 3, dispute: 0.5, windowDays: 365)
}

public struct StarRating: Sendable, Equatable {
    public enum Reason: String, Sendable, CaseIterable { case hazardFound, hazardLate, declarationLate, dispute }

    /// One reason: how many times it happened and what it cost.
    public struct Deduction: Sendable, Equatable {
        public let reason: Reason
        public let count: Int
        public let points: Double

        public init(reason: Reason, count: Int, points: Double) {
            self.reason = reason
            self.count = count
            self.points = points
        }
    }

    /// What the rating is made from.
    public struct Inputs: Sendable, Equatable {
        public var hazardsFound = 0, hazardsLate = 0, declarationsLate = 0, disputes = 0
        public init(hazardsFound: Int = 0, hazardsLate: Int = 0, declarationsLate: Int = 0, disputes: Int = 0) {
            self.hazardsFound = hazardsFound
            self.hazardsLate = hazardsLate
            self.declarationsLate = declarationsLate
            self.disputes = disputes
        }
    }

    public let stars: Int
    public let deductions: [Deduction]

    /// Five less the deductions, rounded down, between one and five.
    public static func rate(_ inputs: Inputs, rules: StarRules) -> StarRating {
        let all = [
            Deduction(reason: .hazardFound, count: inputs.hazardsFound, points: Double(inputs.hazardsFound) * rules.hazardFound),
            Deduction(reason: .hazardLate, count: inputs.hazardsLate, points: Double(inputs.hazardsLate) * rules.hazardLate),
            Deduction(reason: .declarationLate, count: inputs.declarationsLate, points: Double(inputs.declarationsLate) * rules.declarationLate),
            Deduction(reason: .dispute, count: inputs.disputes, points: Double(inputs.disputes) * rules.dispute),
        ].filter { $0.count > 0 }
        let total = all.reduce(0) { $0 + $1.points }
        let stars = Int((5 - total + 1e-9).rounded(.down))
        return StarRating(stars: min(5, max(1, stars)), deductions: all)
    }
}
