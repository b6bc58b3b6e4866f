import Fluent
import JifenCore
import Vapor

/// `/estimate`: anyone can estimate his points under the standard in force, see every line of
/// the explanation, and see which items he could still add. Nothing is stored.
enum EstimateController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.estimate, access: .anyone, use: page).cachedForVisitors()
        routes.post(.estimate, access: .anyone, use: estimate)
    }


    /// One input of the form, made from one item of the standard.
    struct Field: Encodable {
        let name, dateName, label: String
        let input: String          // select | number | flag
        let unit: String?
        let options: [SelectOption]
        let value: String
        let checked, dated: Bool
        let dateValue, hint: String
        let error: String?
    }

    struct Section: Encodable {
        let title: String
        let fields: [Field]
    }

    struct ResultLine: Encodable {
        let title: String
        let fact: String?
        let points, status, statusCode: String
        let reason: String?
    }

    struct Addable: Encodable {
        let title, upTo, rule: String
    }

    struct Result: Encodable {
        let total: String
        let eligible: Bool
        let vetoes: [String]
        let categories, lines: [ResultLine]
        let addable: [Addable]
    }

    struct Content: Encodable {
        let standardTitle, standardLink, asOf: String
        let sections: [Section]
        let result: Result?
        let action: String
        /// The other standards in force, to estimate under them instead.
        let others: [Other]
    }

    struct Other: Encodable { let title, href: String }

    /// The standard chosen by `?standard=SERIES` (the jurisdiction's own when none), and the others in force.
    static func chosen(_ req: Request) async throws -> (StandardVersion, ScoringStandard, [Other]) {
        let all = try await StandardVersion.allInForce(on: ShanghaiDate.today(req.now), on: req.db)
        let series = req.query[String.self, at: "standard"] ?? ScoringStandard.generalSeries
        guard let (version, standard) = all.first(where: { $0.1.series == series }) else { throw Abort(.notFound) }
        let others = all.filter { $0.1.series != series }.map { Other(title: $0.1.title, href: link($0.1.series)) }
        return (version, standard, others)
    }

    static func link(_ series: String) -> String {
        SiteRoute.estimate.path + (series == ScoringStandard.generalSeries ? "" : "?standard=" + series)
    }

    static func page(_ req: Request) async throws -> Response {
        let (version, standard, others) = try await chosen(req)
        return try await req.render("standards/estimate", title: "estimate_title", content(standard, version: version, input: [:], errors: [:], result: nil, others: others, on: req))
    }

    static func estimate(_ req: Request) async throws -> Response {
        let today = ShanghaiDate.today(req.now)
        let (version, standard, others) = try await chosen(req)
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        var entered: [String: (value: String, date: String?)] = [:]
        for item in standard.items { entered[item.id] = (input["f_" + item.id] ?? "", input["d_" + item.id]) }
        let (facts, problems) = Self.facts(entered, standard: standard)
        let errors = problems.mapValues { $0.text(req.application.catalog, req.language) }
        let evaluation = Evaluator(standard).evaluate(Profile(id: "estimate", facts: facts), asOf: today)
        let result: Result? = errors.isEmpty ? self.result(evaluation, standard: standard, on: req) : nil
        return try await req.render("standards/estimate", title: "estimate_title",
                                    content(standard, version: version, input: input, errors: errors, result: result, others: others, on: req),
                                    status: errors.isEmpty ? .ok : .badRequest)
    }

    /// The facts a person entered, by item id (a value, and a date for items valid for some
    /// years), as the evaluator takes them; each item's problem, if any. An empty value is no fact.
    static func facts(_ entered: [String: (value: String, date: String?)], standard: ScoringStandard) -> (facts: [String: [Fact]], problems: [String: Wording]) {
        var facts: [String: [Fact]] = [:]
        var problems: [String: Wording] = [:]
        for item in standard.items {
            let raw = (entered[item.id]?.value ?? "").trimmingCharacters(in: .whitespaces)
            if raw.isEmpty { continue }
            var date: CivilDate?
            if item.validYears != nil {
                let rawDate = (entered[item.id]?.date ?? "").trimmingCharacters(in: .whitespaces)
                if rawDate.isEmpty {
                    problems[item.id] = Wording("estimate_date_required", ["field": item.title])
                    continue
                }
                guard let parsed = CivilDate(rawDate) else {
                    problems[item.id] = Wording("problem_date", ["field": item.title])
                    continue
                }
                date = parsed
            }
            switch item.rule {
            case .choice(let options):
                guard options.contains(where: { $0.id == raw }) else {
                    problems[item.id] = Wording("problem_choose", ["field": item.title])
                    continue
                }
                facts[item.id] = [Fact(.option(raw), date: date)]
            case .flag, .veto: if raw == "on" || raw == "true" { facts[item.id] = [Fact(.flag(true), date: date)] }
            case .perUnit, .tiers, .deduction:
                guard let quantity = Decimal2(parsing: raw), quantity >= .zero else {
                    problems[item.id] = Wording("estimate_number", ["field": item.title])
                    continue
                }
                facts[item.id] = [Fact(.quantity(quantity), date: date)]
            }
        }
        return (facts, problems)
    }

    static func content(_ standard: ScoringStandard, version: StandardVersion, input: [String: String], errors: [String: String], result: Result?,
                        others: [Other], on req: Request) -> Content {
        let sections = standard.categories.map { category in
            Section(title: category.title, fields: standard.items.filter { $0.category == category.id }.map { item in
                let value = input["f_" + item.id] ?? ""
                let ask = ItemInput(item, selected: value, on: req)
                let options = ask.input == "select" ? [SelectOption(value: "", label: req.text("estimate_none"), selected: value.isEmpty)] + ask.options : []
                return Field(name: "f_" + item.id, dateName: "d_" + item.id, label: item.title, input: ask.input, unit: ask.unit, options: options,
                             value: value, checked: value == "on" || value == "true", dated: item.validYears != nil,
                             dateValue: req.query[String.self, at: "d_" + item.id] ?? (req.method == .POST ? ((try? req.content.get(String.self, at: "d_" + item.id)) ?? "") : ""),
                             hint: ask.hint,
                             error: errors[item.id])
            })
        }
        return Content(standardTitle: standard.title, standardLink: SiteRoute.standard(version.code).path, asOf: ShanghaiDate.today(req.now).description,
                       sections: sections, result: result, action: link(standard.series), others: others)
    }

    /// The evaluation in words; of the items that could add points, the `addable` that could add
    /// the most (all when nil).
    static func result(_ e: Evaluator.Evaluation, standard: ScoringStandard, addable most: Int? = nil, on req: Request) -> Result {
        let lines = e.lines.filter { $0.status != .absent }.map { line in
            ResultLine(title: line.title, fact: line.fact, points: line.points.description,
                       status: req.text("line_status_" + line.status.rawValue), statusCode: line.status.rawValue, reason: line.reason)
        }
        let categories = e.categories.map {
            ResultLine(title: $0.title, fact: nil, points: $0.points.description, status: "", statusCode: "", reason: nil)
        }
        let all = e.addable(under: standard)
        let addable = all.prefix(most ?? all.count).map { Addable(title: $0.item.title, upTo: $0.upTo.description, rule: $0.item.rule.text) }
        return Result(total: e.total.description, eligible: e.eligible, vetoes: e.vetoes, categories: categories, lines: lines, addable: addable)
    }
}
