import JifenCore
import Vapor

/// How a form asks for an item of a standard: one of its choices (labelled with their points), a
/// number in the item's unit, or yes/no; with the rule and validity as the hint.
struct ItemInput {
    /// "select", "number" or "flag".
    let input: String
    let unit: String?
    let options: [SelectOption]
    let hint: String

    init(_ item: ScoringStandard.Item, selected: String?, on req: Request) {
        var options: [SelectOption] = []
        var unit: String?
        switch item.rule {
        case .choice(let choices):
            input = "select"
            options = choices.map { SelectOption(value: $0.id, label: "\($0.title)（\($0.points) 分）", selected: $0.id == selected) }
        case .perUnit(let u, _, _, _, _, _), .tiers(let u, _, _):
            input = "number"
            unit = u
        case .deduction:
            input = "number"
            unit = req.text("estimate_times")
        case .flag, .veto:
            input = "flag"
        }
        self.options = options
        self.unit = unit
        hint = item.rule.text + (item.validYears.map { "；" + req.text("standard_valid_years", ["years": String($0)]) } ?? "")
    }
}
