import Yams

/// One thing wrong with a standard file: where (line, field path) and what.
public struct StandardProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int?
    public let field, message: String

    public var description: String {
        (line.map { "第 \($0) 行 / line \($0): " } ?? "") + field + ": " + message
    }
}

/// Everything wrong with one file, in line order.
public struct StandardProblems: Error, Sendable, Equatable, CustomStringConvertible {
    public let problems: [StandardProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads a scoring standard from YAML and checks it. Every problem found is reported, each with
/// the line and the field, so a whole file can be mended in one pass.
public enum StandardParser {
    public static func parse(_ yaml: String) -> Result<ScoringStandard, StandardProblems> {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                return .failure(StandardProblems(problems: [StandardProblem(line: 1, field: "(文件)", message: "文件为空 / the file is empty")]))
            }
            root = node
        } catch {
            return .failure(StandardProblems(problems: [yamlProblem(error)]))
        }
        // Anchors and aliases are refused: a few lines of aliases can stand for billions of nodes.
        // An alias is a copy of the anchored node, its position in the text included, so the first
        // position met twice is an alias; the walk stops there and is never longer than the text.
        if let repeated = firstAlias(root) {
            return .failure(StandardProblems(problems: [StandardProblem(
                line: repeated.line, field: "(YAML)",
                message: "不允许使用 YAML 锚点与别名（第 \(repeated.line) 行的内容被引用）；请把内容写全 / YAML anchors and aliases are not allowed; write the content out")]))
        }
        var reader = Reader()
        let standard = reader.standard(root)
        if let standard { reader.check(standard) }
        if let standard, reader.problems.isEmpty { return .success(standard) }
        return .failure(StandardProblems(problems: reader.problems.sorted { ($0.line ?? 0) < ($1.line ?? 0) }))
    }

    /// The position (line, column) of the first node that appears twice in the tree.
    static func firstAlias(_ root: Node) -> (line: Int, column: Int)? {
        var seen = Set<Int>()
        var stack = [root]
        while let node = stack.popLast() {
            // A block mapping starts where its first key does: the kind is part of the position.
            let kind = switch node { case .scalar: 0; case .mapping: 1; case .sequence: 2; case .alias: 3 }
            if let mark = node.mark, !seen.insert((mark.line &* 100_003 &+ mark.column) &* 4 &+ kind).inserted {
                return (mark.line, mark.column)
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping { stack.append(value); stack.append(key) }
            case .sequence(let sequence):
                stack.append(contentsOf: sequence.reversed())
            case .scalar, .alias:
                break
            }
        }
        return nil
    }

    static func yamlProblem(_ error: any Error) -> StandardProblem {
        guard let yamlError = error as? YamlError else {
            return StandardProblem(line: nil, field: "(YAML)", message: "无法读取 / cannot be read: \(error)")
        }
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return StandardProblem(line: mark.line, field: "(YAML)", message: "YAML 语法错误 / syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return StandardProblem(line: context.mark.line, field: duplicates.joined(separator: ", "), message: "字段重复 / duplicate key")
        default:
            return StandardProblem(line: nil, field: "(YAML)", message: "YAML 错误 / error: \(yamlError)")
        }
    }
}

/// Walks the YAML node tree, collecting problems with their lines.
struct Reader {
    var problems: [StandardProblem] = []

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    mutating func fail(_ node: Node?, _ field: String, _ message: String) {
        problems.append(StandardProblem(line: node?.mark?.line, field: field, message: message))
    }

    /// The keys of a mapping, refusing keys outside `allowed` (a typo would otherwise be ignored).
    mutating func mapping(_ node: Node, _ field: String, allowed: Set<String>) -> [String: Node]? {
        guard let mapping = node.mapping else {
            fail(node, field, "应为键值对 / expected a mapping")
            return nil
        }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                fail(key, field, "键应为文字 / keys must be text")
                continue
            }
            if !allowed.contains(name) {
                fail(key, field.isEmpty ? name : field + "." + name, "未知字段；可用：\(allowed.sorted().joined(separator: "、")) / unknown field")
                continue
            }
            result[name] = value
        }
        return result
    }

    static func isNull(_ node: Node?) -> Bool {
        guard let node else { return true }
        if let scalar = node.scalar, scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return true }
        return false
    }

    mutating func text(_ map: [String: Node], _ key: String, _ path: String, parent: Node, required: Bool = true) -> String? {
        let field = join(path, key)
        guard let node = map[key], !Self.isNull(node) else {
            if required { fail(parent, field, "必填 / required") }
            return nil
        }
        guard let scalar = node.scalar else {
            fail(node, field, "应为文字 / expected text")
            return nil
        }
        let value = scalar.string.trimmingCharacters(in: .whitespaces)
        if required && value.isEmpty { fail(node, field, "不能为空 / must not be empty") }
        return value
    }

    mutating func identifier(_ map: [String: Node], _ key: String, _ path: String, parent: Node) -> String? {
        guard let value = text(map, key, path, parent: parent) else { return nil }
        let bytes = Array(value.utf8)
        let ok = !bytes.isEmpty && bytes.count <= 64 && bytes[0] >= 97 && bytes[0] <= 122
            && bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
        if !ok { fail(map[key], join(path, key), "标识“\(value)”应以小写字母开头，只含字母、数字、- 或 _ / an id starts with a lower-case letter and holds letters, digits, - or _") }
        return ok ? value : nil
    }

    mutating func decimal(_ map: [String: Node], _ key: String, _ path: String, parent: Node, required: Bool, positive: Bool) -> Decimal2? {
        let field = join(path, key)
        guard let node = map[key], !Self.isNull(node) else {
            if required { fail(parent, field, "必填 / required") }
            return nil
        }
        guard let scalar = node.scalar, scalar.style == .plain, let value = Decimal2(parsing: scalar.string) else {
            fail(node, field, "应为数字，最多两位小数 / expected a number with at most two decimal places")
            return nil
        }
        if positive && value <= .zero { fail(node, field, "应大于 0 / must be greater than 0"); return nil }
        if !positive && value < .zero { fail(node, field, "不能小于 0 / must not be below 0"); return nil }
        return value
    }

    mutating func integer(_ map: [String: Node], _ key: String, _ path: String, parent: Node, range: ClosedRange<Int>) -> Int? {
        guard let node = map[key], !Self.isNull(node) else { return nil }
        guard let scalar = node.scalar, scalar.style == .plain, let value = Int(scalar.string), range.contains(value) else {
            fail(node, join(path, key), "应为 \(range.lowerBound)–\(range.upperBound) 的整数 / expected an integer from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func bool(_ map: [String: Node], _ key: String, _ path: String) -> Bool {
        guard let node = map[key], !Self.isNull(node) else { return false }
        switch node.scalar?.string {
        case "true", "True", "TRUE", "yes": return true
        case "false", "False", "FALSE", "no": return false
        default:
            fail(node, join(path, key), "应为 true 或 false / expected true or false")
            return false
        }
    }

    mutating func date(_ map: [String: Node], _ key: String, _ path: String, parent: Node, required: Bool) -> CivilDate? {
        guard let value = text(map, key, path, parent: parent, required: required) else { return nil }
        guard let date = CivilDate(value) else {
            fail(map[key], join(path, key), "应为日期 YYYY-MM-DD，且是真实存在的日期，实际为“\(value)” / expected a real date YYYY-MM-DD")
            return nil
        }
        return date
    }

    mutating func list(_ map: [String: Node], _ key: String, _ path: String, parent: Node, required: Bool) -> [Node] {
        guard let node = map[key], !Self.isNull(node) else {
            if required { fail(parent, join(path, key), "必填，至少一项 / required, at least one entry") }
            return []
        }
        guard let sequence = node.sequence else {
            fail(node, join(path, key), "应为列表 / expected a list")
            return []
        }
        if required && sequence.isEmpty { fail(node, join(path, key), "至少一项 / at least one entry") }
        return Array(sequence)
    }

    // MARK: the document

    mutating func standard(_ root: Node) -> ScoringStandard? {
        guard let map = mapping(root, "", allowed: ["format", "id", "series", "title", "jurisdiction", "effectiveFrom", "effectiveTo", "source", "note", "categories", "groups", "items"]) else { return nil }
        let format = text(map, "format", "", parent: root)
        if let format, format != "jifen-standard/1" {
            fail(map["format"], "format", "应为 jifen-standard/1，实际为“\(format)” / expected jifen-standard/1")
        }
        let id = identifier(map, "id", "", parent: root)
        let series = map["series"] == nil ? ScoringStandard.generalSeries : identifier(map, "series", "", parent: root)
        let title = text(map, "title", "", parent: root)
        let jurisdiction = text(map, "jurisdiction", "", parent: root)
        let from = date(map, "effectiveFrom", "", parent: root, required: true)
        let to = date(map, "effectiveTo", "", parent: root, required: false)
        if let from, let to, to < from { fail(map["effectiveTo"], "effectiveTo", "不能早于 effectiveFrom / must not be before effectiveFrom") }
        let source = text(map, "source", "", parent: root)
        let note = text(map, "note", "", parent: root, required: false)

        var categories: [ScoringStandard.Category] = []
        for (i, node) in list(map, "categories", "", parent: root, required: true).enumerated() {
            if let category = category(node, "categories[\(i)]") { categories.append(category) }
        }
        var groups: [ScoringStandard.Group] = []
        for (i, node) in list(map, "groups", "", parent: root, required: false).enumerated() {
            let path = "groups[\(i)]"
            guard let g = mapping(node, path, allowed: ["id", "title"]) else { continue }
            if let gid = identifier(g, "id", path, parent: node), let gtitle = text(g, "title", path, parent: node) {
                groups.append(.init(id: gid, title: gtitle))
            }
        }
        var items: [ScoringStandard.Item] = []
        var itemLines: [Int?] = []
        for (i, node) in list(map, "items", "", parent: root, required: true).enumerated() {
            if let item = item(node, "items[\(i)]") {
                items.append(item)
                itemLines.append(node.mark?.line)
            }
        }
        self.itemLines = itemLines
        self.categoryLines = (map["categories"]?.sequence.map { Array($0) } ?? []).map { $0.mark?.line }
        guard let id, let series, let title, let jurisdiction, let from, let source else { return nil }
        var standard = ScoringStandard(id: id, title: title, jurisdiction: jurisdiction, effectiveFrom: from, effectiveTo: to,
                                       source: source, note: note, categories: categories, groups: groups, items: items)
        standard.series = series
        return standard
    }

    var itemLines: [Int?] = []
    var categoryLines: [Int?] = []

    mutating func category(_ node: Node, _ path: String) -> ScoringStandard.Category? {
        guard let map = mapping(node, path, allowed: ["id", "title", "kind", "cap"]) else { return nil }
        let id = identifier(map, "id", path, parent: node)
        let title = text(map, "title", path, parent: node)
        let kindText = text(map, "kind", path, parent: node)
        let kind = kindText.flatMap(ScoringStandard.CategoryKind.init(rawValue:))
        if let kindText, kind == nil {
            fail(map["kind"], path + ".kind", "未知的类别“\(kindText)”；可用：basic、additional、deduction / unknown kind")
        }
        let cap = decimal(map, "cap", path, parent: node, required: false, positive: false)
        guard let id, let title, let kind else { return nil }
        return .init(id: id, title: title, kind: kind, cap: cap)
    }

    mutating func item(_ node: Node, _ path: String) -> ScoringStandard.Item? {
        guard let map = mapping(node, path, allowed: ["id", "title", "category", "department", "evidence", "feed", "group", "validYears", "illustrative", "confirmedBy", "rule"]) else { return nil }
        let id = identifier(map, "id", path, parent: node)
        let title = text(map, "title", path, parent: node)
        let category = text(map, "category", path, parent: node)
        let department = text(map, "department", path, parent: node)
        let evidence = text(map, "evidence", path, parent: node)
        let feed = text(map, "feed", path, parent: node, required: false)
        let group = text(map, "group", path, parent: node, required: false)
        let validYears = integer(map, "validYears", path, parent: node, range: 1...50)
        let illustrative = bool(map, "illustrative", path)
        var confirmedBy = ScoringStandard.Confirmer.department
        if let raw = text(map, "confirmedBy", path, parent: node, required: false) {
            if let c = ScoringStandard.Confirmer(rawValue: raw) { confirmedBy = c }
            else { fail(map["confirmedBy"], path + ".confirmedBy", "应为 department 或 town，实际为“\(raw)” / expected department or town") }
        }
        var rule: ScoringStandard.Rule?
        if let ruleNode = map["rule"], !Self.isNull(ruleNode) {
            rule = self.rule(ruleNode, path + ".rule")
        } else {
            fail(node, path + ".rule", "必填 / required")
        }
        guard let id, let title, let category, let department, let evidence, let rule else { return nil }
        return .init(id: id, title: title, category: category, department: department, evidence: evidence, feed: feed,
                     group: group, validYears: validYears, illustrative: illustrative, rule: rule, confirmedBy: confirmedBy)
    }

    mutating func rule(_ node: Node, _ path: String) -> ScoringStandard.Rule? {
        guard let map = mapping(node, path, allowed: ["kind", "options", "unit", "per", "points", "rounding", "maxQuantity", "cap", "tiers", "reason"]) else { return nil }
        guard let kind = text(map, "kind", path, parent: node) else { return nil }
        func only(_ keys: Set<String>) {
            for key in map.keys where key != "kind" && !keys.contains(key) {
                fail(map[key], join(path, key), "规则类型 \(kind) 没有此字段 / not a field of a \(kind) rule")
            }
        }
        switch kind {
        case "choice":
            only(["options"])
            var options: [ScoringStandard.Option] = []
            var seen: Set<String> = []
            for (i, optionNode) in list(map, "options", path, parent: node, required: true).enumerated() {
                let p = path + ".options[\(i)]"
                guard let o = mapping(optionNode, p, allowed: ["id", "title", "points"]) else { continue }
                let oid = identifier(o, "id", p, parent: optionNode)
                let otitle = text(o, "title", p, parent: optionNode)
                let points = decimal(o, "points", p, parent: optionNode, required: true, positive: false)
                if let oid, !seen.insert(oid).inserted { fail(o["id"], p + ".id", "选项“\(oid)”重复 / duplicate option id") }
                if let oid, let otitle, let points { options.append(.init(id: oid, title: otitle, points: points)) }
            }
            return options.isEmpty ? nil : .choice(options: options)
        case "perUnit":
            only(["unit", "per", "points", "rounding", "maxQuantity", "cap"])
            let unit = text(map, "unit", path, parent: node)
            let per = map["per"] == nil ? Decimal2(1) : decimal(map, "per", path, parent: node, required: true, positive: true)
            let points = decimal(map, "points", path, parent: node, required: true, positive: true)
            let roundingText = text(map, "rounding", path, parent: node)
            let rounding = roundingText.flatMap(ScoringStandard.Rounding.init(rawValue:))
            if let roundingText, rounding == nil { fail(map["rounding"], path + ".rounding", "应为 floor 或 exact，实际为“\(roundingText)” / expected floor or exact") }
            let maxQuantity = decimal(map, "maxQuantity", path, parent: node, required: false, positive: true)
            let cap = decimal(map, "cap", path, parent: node, required: false, positive: false)
            guard let unit, let per, let points, let rounding else { return nil }
            return .perUnit(unit: unit, per: per, points: points, rounding: rounding, maxQuantity: maxQuantity, cap: cap)
        case "tiers":
            only(["unit", "tiers", "maxQuantity"])
            let unit = text(map, "unit", path, parent: node)
            var tiers: [ScoringStandard.Tier] = []
            for (i, tierNode) in list(map, "tiers", path, parent: node, required: true).enumerated() {
                let p = path + ".tiers[\(i)]"
                guard let t = mapping(tierNode, p, allowed: ["from", "points"]) else { continue }
                let from = decimal(t, "from", p, parent: tierNode, required: true, positive: false)
                let points = decimal(t, "points", p, parent: tierNode, required: true, positive: true)
                guard let from, let points else { continue }
                if let last = tiers.last {
                    if from <= last.from { fail(t["from"], p + ".from", "档位起点应逐档上升：\(from) 不大于上一档的 \(last.from) / tiers must rise: overlaps the tier before") }
                    if points <= last.points { fail(t["points"], p + ".points", "档位分值应逐档上升：\(points) 不大于上一档的 \(last.points) / tier points must rise") }
                }
                tiers.append(.init(from: from, points: points))
            }
            let maxQuantity = decimal(map, "maxQuantity", path, parent: node, required: false, positive: true)
            guard let unit, !tiers.isEmpty else { return nil }
            return .tiers(unit: unit, tiers: tiers, maxQuantity: maxQuantity)
        case "flag":
            only(["points"])
            guard let points = decimal(map, "points", path, parent: node, required: true, positive: true) else { return nil }
            return .flag(points: points)
        case "deduction":
            only(["points", "cap"])
            let points = decimal(map, "points", path, parent: node, required: true, positive: true)
            let cap = decimal(map, "cap", path, parent: node, required: false, positive: false)
            guard let points else { return nil }
            return .deduction(points: points, cap: cap)
        case "veto":
            only(["reason"])
            guard let reason = text(map, "reason", path, parent: node) else { return nil }
            return .veto(reason: reason)
        default:
            fail(map["kind"], path + ".kind", "未知的规则类型“\(kind)”；可用：\(ScoringStandard.Rule.kinds.joined(separator: "、")) / unknown rule kind")
            return nil
        }
    }

    // MARK: cross-checks

    mutating func check(_ standard: ScoringStandard) {
        func line(ofItem index: Int) -> Int? { index < itemLines.count ? itemLines[index] : nil }
        var categoryIDs: Set<String> = []
        for (i, category) in standard.categories.enumerated() where !categoryIDs.insert(category.id).inserted {
            problems.append(.init(line: i < categoryLines.count ? categoryLines[i] : nil, field: "categories[\(i)].id", message: "类别“\(category.id)”重复 / duplicate category id"))
        }
        let groupIDs = Set(standard.groups.map(\.id))
        if groupIDs.count != standard.groups.count {
            problems.append(.init(line: nil, field: "groups", message: "组标识重复 / duplicate group id"))
        }
        var itemIDs: Set<String> = []
        var groupSizes: [String: Int] = [:]
        for (i, item) in standard.items.enumerated() {
            let path = "items[\(i)]"
            if !itemIDs.insert(item.id).inserted {
                problems.append(.init(line: line(ofItem: i), field: path + ".id", message: "项目“\(item.id)”重复 / duplicate item id"))
            }
            guard let category = standard.category(item.category) else {
                problems.append(.init(line: line(ofItem: i), field: path + ".category", message: "没有类别“\(item.category)” / no such category"))
                continue
            }
            let negative: Bool = switch item.rule { case .deduction, .veto: true; default: false }
            if negative && category.kind != .deduction {
                problems.append(.init(line: line(ofItem: i), field: path + ".rule.kind", message: "扣分与一票否决只能放在 deduction 类别中，“\(category.id)”是 \(category.kind.rawValue) / deductions and vetoes belong in a deduction category"))
            }
            if !negative && category.kind == .deduction {
                problems.append(.init(line: line(ofItem: i), field: path + ".rule.kind", message: "deduction 类别“\(category.id)”只能包含 deduction 或 veto 规则 / a deduction category holds deduction and veto rules only"))
            }
            if let group = item.group {
                if !groupIDs.contains(group) {
                    problems.append(.init(line: line(ofItem: i), field: path + ".group", message: "没有组“\(group)” / no such group"))
                }
                groupSizes[group, default: 0] += 1
            }
            if case .veto = item.rule, item.group != nil {
                problems.append(.init(line: line(ofItem: i), field: path + ".group", message: "一票否决项不能属于“取最高一项”组 / a veto cannot be in a group"))
            }
        }
        for group in standard.groups where (groupSizes[group.id] ?? 0) < 2 {
            problems.append(.init(line: nil, field: "groups.\(group.id)", message: "“取最高一项”组至少要有两个项目 / a highest-only group needs two items or more"))
        }
    }
}
