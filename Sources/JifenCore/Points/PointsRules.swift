/// A claimed item of a points application and what review made of it.
public struct Claim: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Waiting for its department (or a feed).
        case claimed
        /// Confirmed as claimed, by a department reviewer or a data feed.
        case verified(by: Verifier)
        /// Confirmed with a different fact (a reviewer corrected the quantity or option).
        case corrected(Fact, by: Verifier)
        case rejected(reason: String)
    }

    public enum Verifier: Sendable, Equatable {
        case department(String)
        /// A data feed record: which feed, as of which date.
        case feed(String, asOf: CivilDate)
    }

    public var item: String
    public var fact: Fact
    public var state: State

    public init(item: String, fact: Fact, state: State = .claimed) {
        self.item = item
        self.fact = fact
        self.state = state
    }

    /// The fact that counts, if review has confirmed one.
    public var confirmedFact: Fact? {
        switch state {
        case .verified: fact
        case .corrected(let corrected, _): corrected
        case .claimed, .rejected: nil
        }
    }
}

/// The rules of the points archive (积分档案) that do not depend on storage.
public enum PointsArchiveRules {
    /// Scores only what review confirmed; claims still waiting or rejected give nothing.
    public static func evaluate(_ claims: [Claim], standard: ScoringStandard, asOf: CivilDate, id: String = "archive") -> Evaluator.Evaluation {
        evaluate(claims, with: Evaluator(standard), asOf: asOf, id: id)
    }

    /// The same with an evaluator made once for many people (a round freezing a city's points).
    public static func evaluate(_ claims: [Claim], with evaluator: Evaluator, asOf: CivilDate, id: String = "archive") -> Evaluator.Evaluation {
        evaluator.evaluate(Profile(id: id, asOf: asOf, facts: confirmedFacts(claims)), asOf: asOf)
    }

    /// The category subtotals of `evaluate(_:with:asOf:id:)`, without its line-by-line
    /// explanation (a round's tie-break values).
    public static func categoryPoints(_ claims: [Claim], with evaluator: Evaluator, asOf: CivilDate, buffer: inout Evaluator.Buffer) -> [(id: String, title: String, points: Points)] {
        evaluator.categoryPoints(Profile(id: "archive", asOf: asOf, facts: confirmedFacts(claims)), asOf: asOf, buffer: &buffer)
    }

    /// The total and the category subtotals of `evaluate(_:with:asOf:id:)`, without its
    /// line-by-line explanation, from the confirmed facts alone, by item in the order of their
    /// claims (a round freezing each applicant's points and tie-break values reads of fifty
    /// thousand claims only the confirmed ones, only what makes their facts).
    public static func score(confirmed facts: [String: [Fact]], with evaluator: Evaluator, asOf: CivilDate, buffer: inout Evaluator.Buffer) -> (total: Points, categories: [(id: String, title: String, points: Points)]) {
        let score = evaluator.score(evaluator.facts(Profile(id: "archive", asOf: asOf, facts: facts)), asOf: asOf, into: &buffer)
        return (score.total, evaluator.standard.categories.enumerated().map { ($1.id, $1.title, Points(hundredths: buffer.subtotals[$0])) })
    }

    static func confirmedFacts(_ claims: [Claim]) -> [String: [Fact]] {
        var facts: [String: [Fact]] = [:]
        for claim in claims {
            if let fact = claim.confirmedFact { facts[claim.item, default: []].append(fact) }
        }
        return facts
    }

    /// What the person could score if every claim were confirmed as claimed (shown while review
    /// is going on, never used to rank).
    public static func estimate(_ claims: [Claim], standard: ScoringStandard, asOf: CivilDate) -> Evaluator.Evaluation {
        var facts: [String: [Fact]] = [:]
        for claim in claims {
            if case .rejected = claim.state { continue }
            facts[claim.item, default: []].append(claim.confirmedFact ?? claim.fact)
        }
        return Evaluator(standard).evaluate(Profile(id: "estimate", asOf: asOf, facts: facts), asOf: asOf)
    }
}

/// Data matching: a feed's records for one person become the verified fact of the item the feed
/// covers — the latest record dated on or before the as-of date (a later one is not known yet).
public enum FeedMatching {
    public struct Record: Sendable, Equatable {
        public var quantity: Decimal2
        public var asOf: CivilDate
        public init(quantity: Decimal2, asOf: CivilDate) {
            self.quantity = quantity
            self.asOf = asOf
        }
    }

    /// The items of `standard` a feed verifies (items whose `feed` names it).
    public static func items(of standard: ScoringStandard, verifiedBy feed: String) -> [ScoringStandard.Item] {
        standard.items.filter { $0.feed == feed }
    }

    public static func claim(item: String, feed: String, records: [Record], asOf: CivilDate) -> Claim? {
        guard let latest = records.filter({ $0.asOf <= asOf }).max(by: { $0.asOf < $1.asOf }) else { return nil }
        return Claim(item: item, fact: Fact(.quantity(latest.quantity), date: latest.asOf),
                     state: .verified(by: .feed(feed, asOf: latest.asOf)))
    }
}

/// Points are valid for one application year; after fraud the person is barred for three years.
public enum PointsValidity {
    /// An application year: points confirmed for it count from `opens` to `closes` inclusive.
    public struct ApplicationYear: Sendable, Equatable {
        public var year: Int
        public var opens, closes: CivilDate
        public init(year: Int, opens: CivilDate, closes: CivilDate) {
            self.year = year
            self.opens = opens
            self.closes = closes
        }

        public func contains(_ date: CivilDate) -> Bool { opens <= date && date <= closes }
    }

    public enum Standing: Sendable, Equatable {
        case valid
        /// Points of an earlier year: shown as expired, never counted (seed 000 asks for this).
        case expired(year: Int)
        case notYetOpen
    }

    public static func standing(of year: ApplicationYear, on date: CivilDate) -> Standing {
        if year.contains(date) { return .valid }
        return date < year.opens ? .notYetOpen : .expired(year: year.year)
    }

    public static let fraudBarYears = 3

    /// After fraud found on `found`, a new application is possible from this day (seed 004).
    public static func possibleAgain(afterFraudOn found: CivilDate) -> CivilDate {
        found.adding(years: fraudBarYears)
    }

    public static func mayApply(on date: CivilDate, fraudFound: [CivilDate]) -> (allowed: Bool, from: CivilDate?) {
        guard let last = fraudFound.max() else { return (true, nil) }
        let from = possibleAgain(afterFraudOn: last)
        return date >= from ? (true, nil) : (false, from)
    }
}
