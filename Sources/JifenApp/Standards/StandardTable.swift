import Fluent
import JifenCore
import Vapor

/// A standard as the readable table a citizen sees: categories, and in each its items with the
/// rule in words, the evidence, the department and the validity.
struct StandardTable: Encodable {
    struct Row: Encodable {
        let id, title, rule, evidence, department: String
        let validity, group: String?
        let illustrative: Bool
        let feed: String?
    }

    struct Section: Encodable {
        let id, title, kind: String
        let cap: String?
        let rows: [Row]
    }

    let id, title, jurisdiction, effectiveFrom: String
    let effectiveTo: String?
    let source: String
    let note: String?
    let sections: [Section]
    let itemCount, illustrativeCount: Int

    static func make(_ standard: ScoringStandard, on req: Request) async throws -> StandardTable {
        let departments = Dictionary(uniqueKeysWithValues: try await Department.query(on: req.db).all().map { ($0.code, $0.name) })
        let groups = Dictionary(uniqueKeysWithValues: standard.groups.map { ($0.id, $0.title) })
        let sections = standard.categories.map { category in
            Section(
                id: category.id, title: category.title, kind: req.text("standard_kind_" + category.kind.rawValue),
                cap: category.cap.map { req.text("standard_cap", ["points": $0.description]) },
                rows: standard.items.filter { $0.category == category.id }.map { item in
                    Row(id: item.id, title: item.title, rule: item.rule.text, evidence: item.evidence,
                        department: departments[item.department] ?? item.department,
                        validity: item.validYears.map { req.text("standard_valid_years", ["years": String($0)]) },
                        group: item.group.flatMap { groups[$0] }, illustrative: item.illustrative,
                        feed: item.feed.map { req.text("standard_feed", ["feed": $0]) })
                }
            )
        }
        return StandardTable(
            id: standard.id, title: standard.title, jurisdiction: standard.jurisdiction,
            effectiveFrom: standard.effectiveFrom.description, effectiveTo: standard.effectiveTo?.description,
            source: standard.source, note: standard.note, sections: sections,
            itemCount: standard.items.count, illustrativeCount: standard.items.filter(\.illustrative).count
        )
    }
}
