import Yams

extension WorkingCalendar {
    /// Reads years of holidays and adjusted working days, in the form of
    /// `cn-working-calendar.yaml`: `YEAR: {holidays: [DATE or {from, to}], workdays: [DATE]}`.
    public static func parse(_ yaml: String) -> Result<WorkingCalendar, StandardProblems> {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return .success(WorkingCalendar()) }
            root = node
        } catch {
            return .failure(StandardProblems(problems: [StandardParser.yamlProblem(error)]))
        }
        var problems: [StandardProblem] = []
        func fail(_ node: Node?, _ field: String, _ message: String) {
            problems.append(StandardProblem(line: node?.mark?.line, field: field, message: message))
        }
        func date(_ node: Node, _ field: String, year: Int) -> CivilDate? {
            guard let text = node.scalar?.string, let date = CivilDate(text) else {
                fail(node, field, "应为日期 YYYY-MM-DD / expected a date")
                return nil
            }
            if date.year != year { fail(node, field, "日期 \(date) 不在 \(year) 年 / not in \(year)") }
            return date
        }
        var calendar = WorkingCalendar()
        guard let years = root.mapping else {
            return .failure(StandardProblems(problems: [StandardProblem(line: root.mark?.line, field: "(文件)", message: "应为按年份的键值对 / expected years as keys")]))
        }
        for (key, value) in years {
            guard let yearText = key.scalar?.string, let year = Int(yearText), (1949...2200).contains(year) else {
                fail(key, key.scalar?.string ?? "?", "年份应为四位数字 / a year of four digits")
                continue
            }
            var entry = Year(holidays: [], workdays: [])
            guard let fields = value.mapping else { fail(value, yearText, "应包含 holidays 与 workdays / expected holidays and workdays"); continue }
            for (fieldKey, list) in fields {
                let name = fieldKey.scalar?.string ?? ""
                guard name == "holidays" || name == "workdays" else { fail(fieldKey, "\(yearText).\(name)", "未知字段 / unknown field"); continue }
                for (i, item) in (list.sequence.map(Array.init) ?? []).enumerated() {
                    let field = "\(yearText).\(name)[\(i)]"
                    if let range = item.mapping, name == "holidays" {
                        guard let fromNode = range["from"], let toNode = range["to"],
                              let from = date(fromNode, field + ".from", year: year), let to = date(toNode, field + ".to", year: year)
                        else { if range["from"] == nil || range["to"] == nil { fail(item, field, "区间需要 from 和 to / a range needs from and to") }; continue }
                        guard from <= to else { fail(item, field, "from 晚于 to / from is after to"); continue }
                        var day = from
                        while day <= to { entry.holidays.insert(day); day = day.next }
                    } else if let single = date(item, field, year: year) {
                        if name == "holidays" { entry.holidays.insert(single) } else { entry.workdays.insert(single) }
                    }
                }
            }
            for day in entry.workdays where entry.holidays.contains(day) {
                fail(value, yearText, "\(day) 同时是假日和调休工作日 / both a holiday and a working day")
            }
            calendar.years[year] = entry
        }
        return problems.isEmpty ? .success(calendar) : .failure(StandardProblems(problems: problems))
    }
}
