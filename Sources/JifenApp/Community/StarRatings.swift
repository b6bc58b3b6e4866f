import Fluent
import JifenCore
import Vapor

/// The rules of the star rating as the centre set them (one row; none means the standard rules).
final class StarRuleSet: Model, @unchecked Sendable {
    static let schema = "star_rules"

    @ID(key: .id) var id: UUID?
    @Field(key: "hazard_found") var hazardFound: Double
    @Field(key: "hazard_late") var hazardLate: Double
    @Field(key: "declaration_late") var declarationLate: Double
    @Field(key: "declaration_days") var declarationDays: Int
    @Field(key: "dispute") var dispute: Double
    @Field(key: "window_days") var windowDays: Int
    @Field(key: "updated_at") var updatedAt: Date
    @Field(key: "updated_by") var updatedBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $hazardFound, $hazardLate, $declarationLate, $declarationDays, $dispute, $windowDays, $updatedAt, $updatedBy] }

    init() {}

    var rules: StarRules {
        StarRules(hazardFound: hazardFound, hazardLate: hazardLate, declarationLate: declarationLate, declarationDays: declarationDays, dispute: dispute, windowDays: windowDays)
    }
}

/// 包租星级: each landlord's rating, made from what happened at the houses he manages now (in the
/// rules' window). A report from the public counts only once the grid worker has sent it on. It is computed when it is shown, so it always follows its inputs: a hazard
/// closed late, a declaration disputed, a change of the rules.
enum StarRatings {
    static func rules(on db: any Database) async throws -> StarRules {
        try await StarRuleSet.query(on: db).first()?.rules ?? .standard
    }

    /// The rating of each of `users` (landlords), as of `now`.
    static func rate(_ users: [UUID], now: Date, on db: any Database) async throws -> [UUID: StarRating] {
        guard !users.isEmpty else { return [:] }
        let rules = try await rules(on: db)
        let today = ShanghaiDate.today(now)
        let since = now.addingTimeInterval(-Double(rules.windowDays) * 86_400)
        let managers = try await HouseManager.query(on: db).filter(\.$user.$id ~~ users).filter(\.$status == .confirmed).all()
        let houses = Array(Set(managers.map(\.$house.id)))
        var hazardsByHouse: [UUID: [Hazard]] = [:]
        for slice in Batches.slices(houses) {
            for h in try await Hazard.query(on: db).filter(\.$house.$id ~~ Array(slice)).filter(\.$createdAt >= since).filter(\.$status !~ [.dismissed, .received]).all() {
                if let house = h.$house.id { hazardsByHouse[house, default: []].append(h) }
            }
        }
        var declarations: [UUID: [ResidenceRegistration]] = [:]
        for slice in Batches.slices(managers.compactMap(\.id)) {
            for r in try await ResidenceRegistration.query(on: db).filter(\.$declaredBy.$id ~~ Array(slice)).filter(\.$createdAt >= since).all() {
                if let by = r.$declaredBy.id { declarations[by, default: []].append(r) }
            }
        }
        var result: [UUID: StarRating] = [:]
        for user in users {
            let his = managers.filter { $0.$user.id == user }
            let hazards = Set(his.map(\.$house.id)).flatMap { hazardsByHouse[$0] ?? [] }
            let declared = his.compactMap(\.id).flatMap { declarations[$0] ?? [] }
            let inputs = StarRating.Inputs(
                hazardsFound: hazards.count,
                hazardsLate: hazards.filter { $0.closedLate || $0.isOverdue(today: today) }.count,
                declarationsLate: declared.filter { ShanghaiDate.today($0.createdAt).dayNumber - $0.fromDate.dayNumber > rules.declarationDays }.count,
                disputes: declared.filter { $0.disputedAt != nil }.count)
            result[user] = StarRating.rate(inputs, rules: rules)
        }
        return result
    }

    /// 0.5, 1, 1.25: as many decimals as it has.
    static func number(_ v: Double) -> String { String(format: "%g", v) }

    /// The rating in words: "★★★☆☆ 3 星", and each reason with its count and points.
    static func words(_ rating: StarRating, on req: Request) -> (stars: String, label: String, reasons: [String]) {
        (String(repeating: "★", count: rating.stars) + String(repeating: "☆", count: 5 - rating.stars),
         req.text("stars_label", ["stars": String(rating.stars)]),
         rating.deductions.map { req.text("stars_reason_" + $0.reason.rawValue, ["count": String($0.count), "points": number($0.points)]) })
    }
}
