import Foundation
import JifenCore
import JifenResources
import XCTest

/// A small standard with every kind of rule, a group, caps and a validity window.
let sampleStandard = """
format: jifen-standard/1
id: sample-2026
title: 示例计分标准
jurisdiction: 示例市
effectiveFrom: 2026-01-01
source: 测试
categories:
  - id: personal
    title: 个人基本情况
    kind: basic
    cap: 60
  - id: contribution
    title: 社会贡献
    kind: additional
  - id: deductions
    title: 扣分
    kind: deduction
    cap: 20
groups:
  - id: qualification
    title: 职业资格与职称取最高一项
items:
  - id: education
    title: 文化程度
    category: personal
    department: education
    evidence: 毕业证书
    rule:
      kind: choice
      options:
        - {id: senior, title: 高中, points: 10}
        - {id: bachelor, title: 本科, points: 30}
  - id: skill
    title: 职业资格
    category: personal
    department: hrss
    evidence: 职业资格证书
    group: qualification
    rule:
      kind: choice
      options:
        - {id: senior, title: 高级工, points: 20}
        - {id: technician, title: 技师, points: 35}
  - id: title
    title: 专业技术职称
    category: personal
    department: hrss
    evidence: 职称证书
    group: qualification
    rule:
      kind: choice
      options:
        - {id: middle, title: 中级, points: 25}
  - id: socialInsurance
    title: 社会保险
    category: personal
    department: hrss
    evidence: 社保缴费记录
    feed: socialInsurance
    rule: {kind: perUnit, unit: 月, per: 1, points: 0.5, rounding: floor, cap: 30}
  - id: tax
    title: 纳税
    category: contribution
    department: tax
    evidence: 完税证明
    rule: {kind: perUnit, unit: 元, per: 10000, points: 1.5, rounding: exact}
  - id: volunteer
    title: 志愿服务
    category: contribution
    department: civil
    evidence: 志愿服务记录
    validYears: 5
    rule:
      kind: tiers
      unit: 小时
      maxQuantity: 1500
      tiers:
        - {from: 24, points: 2}
        - {from: 100, points: 5}
        - {from: 1500, points: 100}
  - id: garbage
    title: 垃圾分类示范户
    category: contribution
    department: urban
    evidence: 证书
    rule: {kind: flag, points: 2.5}
  - id: violation
    title: 违法行为
    category: deductions
    department: police
    evidence: 处罚决定书
    rule: {kind: deduction, points: 15}
  - id: fraud
    title: 提供虚假材料
    category: deductions
    department: police
    evidence: 认定书
    validYears: 3
    rule: {kind: veto, reason: 提供虚假材料，三年内不得申请}
"""

func parsed(_ yaml: String) throws -> ScoringStandard {
    switch StandardParser.parse(yaml) {
    case .success(let standard): return standard
    case .failure(let problems): throw problems
    }
}

func problems(_ yaml: String) -> [StandardProblem] {
    if case .failure(let failure) = StandardParser.parse(yaml) { return failure.problems }
    return []
}

final class StandardParserTests: XCTestCase {
    func testTheShippedStandardsAreValid() throws {
        let directory = JifenResources.directory("Standards")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(files, ["jiaxing-nanhu-2017.yaml", "zhangjiagang-2021.yaml"])
        for file in files {
            let text = try String(contentsOfFile: directory + file, encoding: .utf8)
            switch StandardParser.parse(text) {
            case .success(let standard):
                XCTAssertEqual(standard.id + ".yaml", file)
                XCTAssertFalse(standard.items.isEmpty)
            case .failure(let problems):
                XCTFail("\(file):\n\(problems)")
            }
        }
    }

    func testZhangjiagangHasTheCategoriesOfSeed000() throws {
        let text = try String(contentsOfFile: JifenResources.directory("Standards") + "zhangjiagang-2021.yaml", encoding: .utf8)
        let standard = try parsed(text)
        let basic = standard.categories.filter { $0.kind == .basic }.map(\.title)
        XCTAssertEqual(basic, ["个人基本情况", "参加社会保障情况", "居住年限"])
        let additional = standard.categories.filter { $0.kind == .additional }.map(\.title)
        XCTAssertEqual(additional, ["发明创造", "表彰奖励", "社会贡献", "投资纳税", "卫生健康", "企业评分", "其他评分"])
        // 志愿服务满 1500 小时为上限 (seed 000)
        let volunteer = try XCTUnwrap(standard.items.first { $0.title.contains("志愿服务") })
        guard case .tiers(_, let tiers, let maxQuantity) = volunteer.rule else { return XCTFail("volunteer hours are tiers") }
        XCTAssertEqual(maxQuantity, Decimal2(1500))
        XCTAssertEqual(tiers.first?.from, Decimal2(24))
    }

    func testSampleParsesWithEveryRuleKind() throws {
        let standard = try parsed(sampleStandard)
        XCTAssertEqual(standard.items.map(\.rule.kind), ["choice", "choice", "choice", "perUnit", "perUnit", "tiers", "flag", "deduction", "veto"])
        XCTAssertEqual(standard.effectiveFrom, CivilDate("2026-01-01"))
        XCTAssertEqual(standard.categories[0].cap, Decimal2(60))
    }

    /// Each broken file is refused, and the message names the line and the field.
    func testBrokenFilesAreRefusedNamingLineAndField() {
        func line(of needle: String, in text: String) -> Int {
            (text.components(separatedBy: "\n").firstIndex { $0.contains(needle) } ?? -1) + 1
        }
        struct Case { let name: String; let from: String; let to: String; let field: String; let lineOf: String? }
        let cases: [Case] = [
            Case(name: "bad YAML", from: "    title: 社会保险", to: "    title: [社会保险", field: "(YAML)", lineOf: nil),
            Case(name: "unknown rule kind", from: "rule: {kind: flag, points: 2.5}", to: "rule: {kind: bonus, points: 2.5}", field: "items[6].rule.kind", lineOf: "kind: bonus"),
            Case(name: "duplicate item id", from: "  - id: garbage", to: "  - id: tax", field: "items[6].id", lineOf: nil),
            Case(name: "overlapping tiers", from: "        - {from: 100, points: 5}", to: "        - {from: 20, points: 5}", field: "items[5].rule.tiers[1].from", lineOf: "{from: 20, points: 5}"),
            Case(name: "missing department", from: "    department: urban\n", to: "", field: "items[6].department", lineOf: "  - id: garbage"),
            Case(name: "cap below zero", from: "    cap: 60", to: "    cap: -5", field: "categories[0].cap", lineOf: "cap: -5"),
            Case(name: "unknown field", from: "    evidence: 证书", to: "    evidense: 证书", field: "items[6].evidense", lineOf: "evidense"),
            Case(name: "impossible date", from: "effectiveFrom: 2026-01-01", to: "effectiveFrom: 2026-02-30", field: "effectiveFrom", lineOf: "effectiveFrom"),
            Case(name: "three decimals", from: "points: 2.5}", to: "points: 2.555}", field: "items[6].rule.points", lineOf: "2.555"),
            Case(name: "deduction outside a deduction category", from: "    category: deductions\n    department: police\n    evidence: 处罚决定书", to: "    category: contribution\n    department: police\n    evidence: 处罚决定书", field: "items[7].rule.kind", lineOf: "  - id: violation"),
            Case(name: "unknown category", from: "    category: contribution\n    department: urban", to: "    category: contributions\n    department: urban", field: "items[6].category", lineOf: "  - id: garbage"),
            Case(name: "unknown group", from: "    group: qualification\n    rule:\n      kind: choice\n      options:\n        - {id: middle", to: "    group: qualifications\n    rule:\n      kind: choice\n      options:\n        - {id: middle", field: "items[2].group", lineOf: "  - id: title"),
            Case(name: "wrong format", from: "format: jifen-standard/1", to: "format: jifen-standard/9", field: "format", lineOf: "format:"),
            Case(name: "unknown rounding", from: "rounding: exact", to: "rounding: up", field: "items[4].rule.rounding", lineOf: "rounding: up"),
            Case(name: "duplicate key", from: "    evidence: 证书", to: "    evidence: 证书\n    evidence: 证明", field: "evidence", lineOf: nil),
            Case(name: "field of another rule kind", from: "rule: {kind: flag, points: 2.5}", to: "rule: {kind: flag, points: 2.5, cap: 3}", field: "items[6].rule.cap", lineOf: "kind: flag, points: 2.5, cap"),
        ]
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        for c in cases {
            XCTAssertTrue(sampleStandard.contains(c.from), "\(c.name): fixture text not found")
            let broken = sampleStandard.replacingOccurrences(of: c.from, with: c.to)
            let found = problems(broken)
            XCTAssertFalse(found.isEmpty, "\(c.name): accepted")
            let match = found.first { $0.field.hasSuffix(c.field) || $0.field == c.field }
            XCTAssertNotNil(match, "\(c.name): no problem names \(c.field); got \(found)")
            XCTAssertNotNil(match?.line, "\(c.name): no line")
            if let needle = c.lineOf, let match {
                XCTAssertEqual(match.line, line(of: needle, in: broken), "\(c.name): \(match)")
            }
            XCTAssertTrue(match?.description.contains("第 \(match?.line ?? 0) 行") == true)
        }
    }

    func testAnEmptyFileAndAHighestOnlyGroupOfOneAreRefused() {
        XCTAssertEqual(problems("").first?.field, "(文件)")
        let lonely = sampleStandard.replacingOccurrences(of: "    group: qualification\n    rule:\n      kind: choice\n      options:\n        - {id: middle", with: "    rule:\n      kind: choice\n      options:\n        - {id: middle")
        XCTAssertTrue(problems(lonely).contains { $0.field == "groups.qualification" })
    }

    /// A "billion laughs" file: nine lines of aliases that would stand for 10^9 nodes. It is refused
    /// at once, naming the anchor's line, and so is a harmless-looking alias in a real standard.
    func testYAMLAnchorsAndAliasesAreRefused() {
        var bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (n, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].enumerated() {
            let previous = n == 0 ? "a" : ["b", "c", "d", "e", "f", "g", "h"][n - 1]
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ",") + "]\n"
        }
        let refused = problems(bomb)
        XCTAssertEqual(refused.count, 1)
        XCTAssertEqual(refused.first?.field, "(YAML)")
        XCTAssertEqual(refused.first?.line, 1)
        XCTAssertTrue(refused.first?.message.contains("锚点") == true)
        let aliased = sampleStandard.replacingOccurrences(of: "title: 示例计分标准", with: "title: &t 示例计分标准\nsource: *t")
            .replacingOccurrences(of: "source: 测试\n", with: "")
        XCTAssertTrue(problems(aliased).contains { $0.message.contains("锚点") })
        XCTAssertTrue(problems(sampleStandard).isEmpty, "the same standard written out is accepted")
    }

    func testEachAsOfDatePicksTheVersionInForce() throws {
        let v2021 = try parsed(sampleStandard.replacingOccurrences(of: "id: sample-2026", with: "id: sample-2021").replacingOccurrences(of: "effectiveFrom: 2026-01-01", with: "effectiveFrom: 2021-07-01"))
        let v2026 = try parsed(sampleStandard)
        let versions = [v2026, v2021]
        XCTAssertNil(ScoringStandard.inForce(on: CivilDate("2021-06-30")!, among: versions))
        XCTAssertEqual(ScoringStandard.inForce(on: CivilDate("2021-07-01")!, among: versions)?.id, "sample-2021")
        XCTAssertEqual(ScoringStandard.inForce(on: CivilDate("2025-12-31")!, among: versions)?.id, "sample-2021")
        XCTAssertEqual(ScoringStandard.inForce(on: CivilDate("2026-01-01")!, among: versions)?.id, "sample-2026")
        let ended = try parsed(sampleStandard.replacingOccurrences(of: "effectiveFrom: 2026-01-01", with: "effectiveFrom: 2026-01-01\neffectiveTo: 2026-12-31"))
        XCTAssertFalse(ended.isEffective(on: CivilDate("2027-01-01")!))
    }
}


final class StandardDiffTests: XCTestCase {
    func testTheDiffNamesEachChangedFieldAndTheAddedAndRemovedItems() throws {
        let old = try parsed(sampleStandard)
        let new = try parsed(sampleStandard
            .replacingOccurrences(of: "id: sample-2026", with: "id: sample-2027")
            .replacingOccurrences(of: "maxQuantity: 1500", with: "maxQuantity: 3000")
            .replacingOccurrences(of: "    cap: 60", with: "    cap: 80")
            .replacingOccurrences(of: "  - id: garbage\n    title: 垃圾分类示范户", with: "  - id: recycling\n    title: 垃圾分类示范户"))
        let changes = StandardDiff.compare(old, new)
        XCTAssertTrue(changes.contains { $0.kind == .changed && $0.id == "volunteer" && $0.field == "rule" && $0.before?.contains("最多计 1500 小时") == true && $0.after?.contains("最多计 3000 小时") == true })
        XCTAssertTrue(changes.contains { $0.kind == .changed && $0.id == "personal" && $0.field == "cap" && $0.before == "60" && $0.after == "80" })
        XCTAssertTrue(changes.contains { $0.kind == .added && $0.id == "recycling" })
        XCTAssertTrue(changes.contains { $0.kind == .removed && $0.id == "garbage" })
        XCTAssertEqual(changes.count, 4, "\(changes)")
        XCTAssertEqual(StandardDiff.compare(old, old), [])
    }
}
