import JifenCore
import JifenResources
import XCTest

final class SurveyAndSimulationTests: XCTestCase {
    /// Seed 000's Table 3, as printed: per question, (count, percentage) of each option, of 334.
    static let table3: [[(Int, String)]] = [
        [(1, "0.30%"), (65, "19.46%"), (181, "54.19%"), (72, "21.56%"), (15, "4.49%")],
        [(23, "6.89%"), (91, "27.25%"), (220, "65.87%")],
        [(2, "0.60%"), (2, "0.60%"), (11, "3.29%"), (27, "8.08%"), (90, "26.95%"), (202, "60.48%")],
        [(144, "43.11%"), (116, "34.73%"), (49, "14.67%"), (24, "7.19%"), (1, "0.30%")],
        [(4, "1.20%"), (26, "7.78%"), (136, "40.72%"), (16, "4.79%"), (76, "22.75%"), (47, "14.07%"), (19, "5.69%"), (10, "2.99%")],
        [(210, "62.87%"), (124, "37.13%")],
        [(323, "96.71%"), (11, "3.29%")],
        [(142, "42.51%"), (120, "35.93%"), (72, "21.56%")],
        [(57, "17.07%"), (29, "8.68%"), (152, "45.51%"), (31, "9.28%"), (63, "18.86%"), (2, "0.60%")],
        [(85, "25.45%"), (218, "65.27%"), (114, "34.13%"), (132, "39.52%"), (46, "13.77%"), (15, "4.49%")],
    ]

    func testStatisticsReproduceSeedTable3IncludingAMultipleChoiceOver100Percent() {
        // 334 respondents built by hand from the table: option o of question q is chosen by the
        // next count respondents in turn (a multiple choice wraps round, so people pick several).
        let questions = Self.table3.enumerated().map { q, options in
            Questionnaire.Question(title: "Q\(q + 1)", kind: q == 9 ? .multiple : .single, options: options.indices.map { "option \($0)" })
        }
        let questionnaire = Questionnaire(questions: questions)
        var answers = (0..<334).map { _ in Questionnaire.Answer(choices: Array(repeating: [], count: questions.count), texts: Array(repeating: "", count: questions.count)) }
        for (q, options) in Self.table3.enumerated() {
            var next = 0
            for (o, option) in options.enumerated() {
                for k in 0..<option.0 { answers[(next + k) % 334].choices[q].append(o) }
                next = (next + option.0) % 334
            }
        }
        XCTAssertTrue(answers.allSatisfy { questionnaire.check($0).isEmpty }, "every answer is valid")
        let rows = questionnaire.statistics(answers)
        XCTAssertEqual(rows.count, Self.table3.reduce(0) { $0 + $1.count })
        for row in rows {
            let expected = Self.table3[row.question][row.option]
            XCTAssertEqual(row.count, expected.0, "Q\(row.question + 1) option \(row.option)")
            XCTAssertEqual(row.total, 334)
            XCTAssertEqual(row.percentText, expected.1, "Q\(row.question + 1) option \(row.option)")
        }
        // The multiple choice adds up to 182.63%, as the seed's percentages do.
        let q10 = rows.filter { $0.question == 9 }.reduce(0) { $0 + $1.percent }
        XCTAssertEqual(q10, 18_263)
        let q1 = rows.filter { $0.question == 0 }.reduce(0) { $0 + $1.percent }
        XCTAssertEqual(q1, 10_000)
    }

    func testTheQuestionnaireTextFormAndAnswerChecks() {
        let good = "单选 您的年龄?\n- 20 岁以下\n- 20-29 岁\n\n多选 哪些需要改进?(可多选)\n- 宣传\n- 材料\n- 条件\n\n填空 您的意见?"
        guard case .success(let q) = Questionnaire.parse(good) else { return XCTFail("refused") }
        XCTAssertEqual(q.questions.map(\.kind), [.single, .multiple, .text])
        XCTAssertEqual(try Questionnaire.parse(q.text).get(), q, "the text form reads back the same")
        guard case .failure(let problems) = Questionnaire.parse("- 选项\n单选 只有一个选项\n- 唯一\n问答 什么?\n填空 意见\n- 不该有") else { return XCTFail("accepted") }
        XCTAssertEqual(problems.problems.map(\.line), [1, 2, 4, 6])
        XCTAssertEqual(q.check(.init(choices: [[0], [0, 2], []], texts: ["", "", ""])), [])
        XCTAssertEqual(q.check(.init(choices: [[0, 1], [], []], texts: ["", "", ""])), [.oneOnly(question: 0), .missing(question: 1)])
        XCTAssertEqual(q.check(.init(choices: [[5], [0], []], texts: ["", "", String(repeating: "字", count: 501)])), [.unknownOption(question: 0), .tooLong(question: 2)])
    }

    /// A lifted volunteer cap: the simulation's count of changed outcomes equals a recount done
    /// here by hand (each applicant scored under both standards, a plain serial dictatorship).
    func testTheSimulationCountsChangedOutcomesLikeAnIndependentRecount() throws {
        let current = try StandardParser.parse(String(contentsOfFile: JifenResources.directory("Standards") + "zhangjiagang-2021.yaml", encoding: .utf8)).get()
        // The demo's draft lifts the 1500-hour cap (2000 and 3000 hours give more).
        let draft = try StandardParser.parse(String(contentsOfFile: JifenResources.directory("Demo") + "zhangjiagang-2026-draft.yaml", encoding: .utf8)).get()
        let asOf = CivilDate("2026-05-30")!
        var rng = SplitMix64(seed: 99)
        let schools = ["A", "B", "C", "D"]
        let seats = ["A": 6, "B": 8, "C": 10, "D": 5]
        var applicants: [PolicySimulation.Applicant] = []
        for n in 0..<80 {
            var facts: [String: [Fact]] = ["education": [Fact(.option(["seniorHigh", "juniorCollege", "bachelor"][n % 3]))],
                                           "socialInsuranceMonths": [Fact(.quantity(Decimal2(Int.random(in: 12...100, using: &rng))))]]
            if n % 3 == 0 { facts["volunteerHours"] = [Fact(.quantity(Decimal2([300, 1600, 2200, 3100][Int.random(in: 0..<4, using: &rng)])), date: CivilDate("2025-06-01"))] }
            var prefs = schools
            prefs.shuffle(using: &rng)
            applicants.append(.init(id: String(format: "P%03d", n), name: "甲*", town: n % 2 == 0 ? "杨舍镇" : "塘桥镇", facts: facts,
                                    submittedAt: Instant(seconds: Int64(n) * 60), preferences: Array(prefs.prefix(2))))
        }
        let result = PolicySimulation.run(applicants, seats: seats, current: current, draft: draft, tiebreak: [], asOf: asOf)

        // The recount: totals from the evaluator, then sort and hand out seats here.
        func placement(_ standard: ScoringStandard) -> [String: String] {
            let scored = applicants.map { a in (a, Evaluator(standard).evaluate(Profile(id: a.id, facts: a.facts), asOf: asOf).total) }
            let order = scored.sorted { x, y in x.1 != y.1 ? x.1 > y.1 : x.0.submittedAt < y.0.submittedAt }
            var left = seats
            var placed: [String: String] = [:]
            for (a, _) in order {
                if let s = a.preferences.first(where: { (left[$0] ?? 0) > 0 }) { left[s]! -= 1; placed[a.id] = s }
            }
            return placed
        }
        let before = placement(current), after = placement(draft)
        let recount = applicants.filter { before[$0.id] != after[$0.id] }.count
        XCTAssertGreaterThan(recount, 0, "lifting the cap changes something in this instance")
        XCTAssertEqual(result.changed, recount)
        XCTAssertEqual(result.gainers.count + result.losers.count, recount)
        XCTAssertEqual(result.changedByTown.reduce(0) { $0 + $1.count }, recount)
        XCTAssertEqual(result.categories.first { $0.id == "socialContribution" }?.down, 0, "nobody loses volunteer points")
        XCTAssertGreaterThan(result.categories.first { $0.id == "socialContribution" }?.up ?? 0, 0)
        XCTAssertEqual(result.distributionBefore.reduce(0, +), 80)
        XCTAssertEqual(result.distributionAfter.reduce(0, +), 80)
    }
}
