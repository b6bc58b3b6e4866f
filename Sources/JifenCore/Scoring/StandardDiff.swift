/// What changed from one version of a standard to another, field by field, in the order of the
/// newer version (removed things last).
public enum StandardDiff {
    public struct Change: Sendable, Equatable {
        public enum Kind: String, Sendable { case added, removed, changed }
        public var kind: Kind
        /// `standard`, `category`, `group` or `item`.
        public var entity: String
        public var id, title: String
        public var field, before, after: String?
    }

    public static func compare(_ old: ScoringStandard, _ new: ScoringStandard) -> [Change] {
        var changes: [Change] = []
        func field(_ entity: String, _ id: String, _ title: String, _ name: String, _ a: String?, _ b: String?) {
            if a != b { changes.append(Change(kind: .changed, entity: entity, id: id, title: title, field: name, before: a, after: b)) }
        }
        field("standard", new.id, new.title, "title", old.title, new.title)
        field("standard", new.id, new.title, "effectiveFrom", old.effectiveFrom.description, new.effectiveFrom.description)
        field("standard", new.id, new.title, "effectiveTo", old.effectiveTo?.description, new.effectiveTo?.description)

        for category in new.categories {
            guard let before = old.category(category.id) else {
                changes.append(Change(kind: .added, entity: "category", id: category.id, title: category.title, after: category.kind.rawValue + (category.cap.map { "，上限 \($0) 分" } ?? "")))
                continue
            }
            field("category", category.id, category.title, "title", before.title, category.title)
            field("category", category.id, category.title, "kind", before.kind.rawValue, category.kind.rawValue)
            field("category", category.id, category.title, "cap", before.cap?.description, category.cap?.description)
        }
        for group in new.groups {
            guard let before = old.groups.first(where: { $0.id == group.id }) else {
                changes.append(Change(kind: .added, entity: "group", id: group.id, title: group.title))
                continue
            }
            field("group", group.id, group.title, "title", before.title, group.title)
        }
        for item in new.items {
            guard let before = old.item(item.id) else {
                changes.append(Change(kind: .added, entity: "item", id: item.id, title: item.title, after: Explain.rule(item.rule)))
                continue
            }
            field("item", item.id, item.title, "title", before.title, item.title)
            field("item", item.id, item.title, "category", before.category, item.category)
            field("item", item.id, item.title, "department", before.department, item.department)
            field("item", item.id, item.title, "evidence", before.evidence, item.evidence)
            field("item", item.id, item.title, "feed", before.feed, item.feed)
            field("item", item.id, item.title, "group", before.group, item.group)
            field("item", item.id, item.title, "validYears", before.validYears.map(String.init), item.validYears.map(String.init))
            field("item", item.id, item.title, "rule", Explain.rule(before.rule), Explain.rule(item.rule))
        }
        for category in old.categories where new.category(category.id) == nil {
            changes.append(Change(kind: .removed, entity: "category", id: category.id, title: category.title))
        }
        for group in old.groups where !new.groups.contains(where: { $0.id == group.id }) {
            changes.append(Change(kind: .removed, entity: "group", id: group.id, title: group.title))
        }
        for item in old.items where new.item(item.id) == nil {
            changes.append(Change(kind: .removed, entity: "item", id: item.id, title: item.title, before: Explain.rule(item.rule)))
        }
        return changes
    }
}

extension ScoringStandard.Rule {
    /// The rule in words, as the readable table and the explanation show it.
    public var text: String { Explain.rule(self) }
}
