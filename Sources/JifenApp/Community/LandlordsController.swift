import Fluent
import JifenCore
import Vapor

/// The landlords who manage several houses in the viewer's jurisdiction, with their star rating
/// (包租星级) and its reasons; and the rating's rules, which the centre edits.
enum LandlordsController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.landlords, access: .roles([.gridWorker, .windowClerk, .centerAdmin]), use: list)
        routes.get(.landlordRules, access: .roles([.centerAdmin]), use: rulesPage)
        routes.post(.landlordRules, access: .roles([.centerAdmin]), use: saveRules)
    }

    struct Row: Encodable {
        let name: String
        let organisation: String?
        let kind: String
        let houses: Int
        let stars, starsLabel: String
        let starCount: Int
        let reasons: [String]
    }

    struct ListContent: Encodable { let rows: [Row]; let rulesLink: String? }

    /// Accounts confirmed on at least two houses, one of them in the viewer's jurisdiction.
    static func list(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let scope = try await StaffResidenceController.scopeIDs(req)
        var here: [UUID] = []
        for slice in Batches.slices(scope) {
            here += try await RentalHouse.query(on: req.db).filter(\.$jurisdiction.$id ~~ Array(slice)).all(\.$id)
        }
        var users = Set<UUID>()
        for slice in Batches.slices(here) {
            users.formUnion(try await HouseManager.query(on: req.db).filter(\.$house.$id ~~ Array(slice)).filter(\.$status == .confirmed).all(\.$user.$id))
        }
        let managed = try await HouseManager.query(on: req.db).filter(\.$user.$id ~~ Array(users)).filter(\.$status == .confirmed).sort(\.$createdAt).all()
        let several = Dictionary(grouping: managed, by: { $0.$user.id }).filter { $0.value.count >= 2 }
        let ratings = try await StarRatings.rate(Array(several.keys), now: req.now, on: req.db)
        let rows = several.compactMap { user, rows -> Row? in
            guard let first = rows.first, let rating = ratings[user] else { return nil }
            let words = StarRatings.words(rating, on: req)
            return Row(name: Mask.name(first.name), organisation: first.organisation, kind: req.text("manager_kind_" + first.kind.rawValue), houses: rows.count,
                       stars: words.stars, starsLabel: words.label, starCount: rating.stars, reasons: words.reasons)
        }.sorted { ($0.starCount, $0.name) < ($1.starCount, $1.name) }
        return try await req.render("community/landlords", title: "landlords_title",
                                    ListContent(rows: rows, rulesLink: user.role == .centerAdmin ? SiteRoute.landlordRules.path : nil))
    }

    // MARK: the rules

    static let fields = ["hazardFound", "hazardLate", "declarationLate", "declarationDays", "dispute", "windowDays"]

    struct RulesContent: Encodable { let fields: [FormField]; let action: String; let notice: String? }

    static func rulesContent(_ req: Request, form given: FormState?) async throws -> RulesContent {
        let rules = try await StarRatings.rules(on: req.db)
        let form = given ?? FormState(fields: fields, values: [
            "hazardFound": StarRatings.number(rules.hazardFound), "hazardLate": StarRatings.number(rules.hazardLate),
            "declarationLate": StarRatings.number(rules.declarationLate), "declarationDays": String(rules.declarationDays),
            "dispute": StarRatings.number(rules.dispute), "windowDays": String(rules.windowDays)])
        return RulesContent(fields: fields.map { form.field($0, req.text("field_stars_" + $0), $0.hasSuffix("Days") ? .number : .decimal, hint: req.text("stars_hint_" + $0), maxLength: 4) },
                            action: SiteRoute.landlordRules.path,
                            notice: req.query[String.self, at: "done"] != nil ? req.text("hazard_types_saved") : nil)
    }

    static func rulesPage(_ req: Request) async throws -> Response {
        try await req.render("community/landlord-rules", title: "stars_rules_title", try await rulesContent(req, form: nil))
    }

    static func saveRules(_ req: Request) async throws -> Response {
        var values: [String: String] = [:]
        for key in fields { values[key] = ((try? req.content.get(String.self, at: key)) ?? "").trimmingCharacters(in: .whitespaces) }
        var form = FormState(fields: fields, values: values)
        func points(_ key: String) -> Double? {
            guard let v = Double(values[key]!), v >= 0, v <= 5 else {
                form.fail(key, req.text("stars_points_range", ["field": req.text("field_stars_" + key)])); return nil
            }
            return v
        }
        func days(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let v = Int(values[key]!), range.contains(v) else {
                form.fail(key, req.text("stars_days_range", ["field": req.text("field_stars_" + key), "min": String(range.lowerBound), "max": String(range.upperBound)])); return nil
            }
            return v
        }
        let found = points("hazardFound"), late = points("hazardLate"), declaration = points("declarationLate"), dispute = points("dispute")
        let declarationDays = days("declarationDays", 0...90), window = days("windowDays", 30...1095)
        guard form.isValid, let found, let late, let declaration, let dispute, let declarationDays, let window else {
            return try await req.render("community/landlord-rules", title: "stars_rules_title", try await rulesContent(req, form: form), status: .badRequest)
        }
        let row = try await StarRuleSet.query(on: req.db).first() ?? StarRuleSet()
        let before = row.id == nil ? [:] : ["hazardFound": StarRatings.number(row.hazardFound), "hazardLate": StarRatings.number(row.hazardLate), "declarationLate": StarRatings.number(row.declarationLate),
                                           "declarationDays": String(row.declarationDays), "dispute": StarRatings.number(row.dispute), "windowDays": String(row.windowDays)]
        row.hazardFound = found
        row.hazardLate = late
        row.declarationLate = declaration
        row.declarationDays = declarationDays
        row.dispute = dispute
        row.windowDays = window
        row.updatedAt = req.now
        row.updatedBy = req.actor.login
        let actor = req.actor, now = req.now, after = values
        try await req.db.transaction { db in
            try await row.save(on: db)
            try await Audit.record("update", entity: "starRules", id: "rules", before: before, after: after, by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.landlordRules.path + "?done=saved")
    }
}
