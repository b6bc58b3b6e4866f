import Fluent
import Foundation
import JifenCore
import Vapor

/// The demo's post-evaluation: seed 000's questionnaire with its 334 answers (tabulating to the
/// seed's Table 3) and a consultation with opinions from the public and the member departments.
enum DemoInsight {
    /// Seed 000, Table 3: each question, its options and how many of the 334 chose each.
    static let seedTable: [(kind: Questionnaire.Kind, title: String, options: [(String, Int)])] = [
        (.single, "您的年龄?", [("20 岁以下", 1), ("20-29 岁", 65), ("30-39 岁", 181), ("40-49 岁", 72), ("50 岁以上", 15)]),
        (.single, "您的户口所在地?", [("苏州其他县市", 23), ("省内苏州外", 91), ("省外", 220)]),
        (.single, "您在张家港居住了多长时间?", [("半年以下", 2), ("半年至 1 年", 2), ("1-3 年", 11), ("3-5 年", 27), ("5-10 年", 90), ("10 年以上", 202)]),
        (.single, "您的文化程度?", [("初中及以下", 144), ("高中及中专、职校、技校", 116), ("大专", 49), ("大学本科", 24), ("研究生及以上", 1)]),
        (.single, "您目前所在的工作单位?", [("行政机关及事业单位", 4), ("国有或集体企业", 26), ("私营企业", 136), ("外资或港澳台企业", 16), ("个体户", 76), ("打零工", 47), ("无业", 19), ("其他", 10)]),
        (.single, "您是否参加张家港社保?", [("是", 210), ("否", 124)]),
        (.single, "您是否办理过居住证?", [("已办理", 323), ("未办理", 11)]),
        (.single, "您对2021年修订的《张家港市新市民积分管理办法》是否了解?", [("基本了解", 142), ("了解一点", 120), ("不了解", 72)]),
        (.single, "您是通过哪种途径了解新市民积分管理政策的?", [("家人、朋友", 57), ("学校", 29), ("微信公众号", 152), ("社区、网格员", 31), ("积分窗口", 63), ("其他", 2)]),
        (.multiple, "您认为目前积分管理政策在具体执行过程中有哪些需要改进的部分?(可多选)",
         [("加大政策的宣传力度,让更多人了解政策", 85), ("放宽申请条件", 218), ("简化申请材料", 114), ("增加通过积分管理可享受的服务和便利", 132), ("提高办理人员的专业化程度和服务意识", 46), ("其他", 15)]),
        (.text, "您对《张家港市新市民积分管理办法 (2021年修订) 》的意见和建议?", []),
    ]
    static let respondents = 334

    static var questionnaire: Questionnaire {
        Questionnaire(questions: seedTable.map { Questionnaire.Question(title: $0.title, kind: $0.kind, options: $0.options.map(\.0)) })
    }

    /// 334 answers whose counts are exactly the seed's: option o of a question is chosen by the
    /// next `count` respondents in turn (for a multiple choice, starting where the last option ended).
    static func answers() -> [Questionnaire.Answer] {
        var answers = (0..<respondents).map { _ in Questionnaire.Answer(choices: [], texts: []) }
        for question in seedTable {
            for r in 0..<respondents { answers[r].choices.append([]); answers[r].texts.append("") }
            var next = 0
            for (o, option) in question.options.enumerated() {
                for k in 0..<option.1 { answers[(next + k) % respondents].choices[answers[0].choices.count - 1].append(o) }
                next = (next + option.1) % respondents
            }
        }
        let texts = ["志愿服务满1500小时后不要封顶", "希望简化申请材料，少跑腿", "社保和公积金分值差距太大", "学校名额能否提早公布"]
        for (k, t) in texts.enumerated() { answers[k * 7].texts[seedTable.count - 1] = t }
        return answers
    }

    static func load(_ app: Application, today: CivilDate, now: Date) async throws {
        let db = app.db
        let survey = Survey()
        survey.createdAt = now
        survey.code = "2023-evaluation"
        survey.title = "张家港市新市民积分管理办法（2021年修订）后评估问卷"
        survey.intro = "演示数据：题目与统计取自种子文件 000（2023 年后评估报告表 3），共 334 份有效问卷。"
        survey.questions = questionnaire.text
        survey.onePer = .phone
        survey.status = .closed
        survey.createdBy = "admin"
        try await survey.create(on: db)
        var rows: [SurveyAnswer] = []
        for (n, a) in answers().enumerated() {
            let row = SurveyAnswer()
            row.createdAt = now.addingTimeInterval(-Double(400 - n) * 3600)
            row.respondent = app.keys.mac("survey-phone", survey.code + ":demo-\(n)")
            row.answers = SurveyAnswer.Stored(choices: a.choices, texts: a.texts)
            row.$survey.id = try survey.requireID()
            rows.append(row)
        }
        try await rows.create(on: db, batch: 100)

        let consultation = Consultation()
        consultation.createdAt = now
        consultation.code = "\(today.year)-standard-draft"
        consultation.title = "关于《张家港市新市民积分管理计分标准（2026年修订草案）》公开征求意见的公告"
        consultation.notice = "草案拟取消志愿服务时长 1500 小时封顶（增设 2000、3000 小时两档），提高无偿献血分值。欢迎社会各界在征求意见期内提出意见和建议。（演示数据）"
        consultation.opens = today.adding(days: -10)
        consultation.closes = today.adding(days: 20)
        consultation.topics = ["志愿服务加分", "无偿献血加分", "社保与公积金分值", "申请材料与流程", "其他"]
        consultation.createdBy = "admin"
        try await consultation.create(on: db)
        // Opinions in the spirit of seed 000's letters and departments' written comments.
        let opinions: [(String, String, String, String)] = [
            ("志愿服务加分", "email", "市民邮件", "志愿服务活动时长满 1500 小时不要封顶。"),
            ("志愿服务加分", "online", "匿名", "做满 1500 小时后不给加分，希望取消上限。"),
            ("志愿服务加分", "letter", "大新镇", "志愿服务分值 24 小时后直接到 100 小时，跨度太大，建议细化。"),
            ("无偿献血加分", "online", "匿名", "献血加分可以再提高。"),
            ("社保与公积金分值", "letter", "杨舍镇", "社保和公积金积分标准分值相差太大。"),
            ("社保与公积金分值", "online", "匿名", "社保查分像苏州系统一样只显示交在苏州大市的社保。"),
            ("申请材料与流程", "letter", "市人社局", "建议通过数据比对核实社保，减少材料。"),
            ("申请材料与流程", "phone", "来电市民", "希望全年都能申请，不要集中在几周。"),
            ("其他", "online", "匿名", "学校名额能否提早公布。"),
        ]
        var list: [Opinion] = []
        for (k, o) in opinions.enumerated() {
            let row = Opinion()
            row.createdAt = now.addingTimeInterval(-Double(9 - k) * 86_400)
            row.topic = o.0
            row.channel = o.1
            row.author = o.2
            row.text = o.3
            row.recordedBy = o.1 == "online" ? "public" : "admin"
            row.$consultation.id = try consultation.requireID()
            list.append(row)
        }
        try await list.create(on: db)
    }
}
