import Fluent
import Foundation
import JifenCore
import Vapor

/// The demo's complaints (监督投诉): one being investigated, one overdue, one concluded and
/// upheld, one not upheld — as if residents had filed them (they have no accounts in the demo).
enum DemoSupervision {
    static func load(_ app: Application, now: Date) async throws {
        let db = app.db
        let people = try await Resident.query(on: db).filter(\.$user.$id == nil).sort(\.$createdAt).sort(\.$id).limit(4).all()
        guard people.count == 4 else { return }
        let cases: [(String, String, Double, (Bool, String, String)?)] = [
            ("town:320582-01", "窗口说我的社保缴费月数要本人去人社局打印，能否直接比对？", 3, nil),
            ("department:hrss", "职业资格证书的审核超过了 15 个工作日还没有结果", 30, nil),
            ("town:320582-02", "窗口工作人员没有一次性告知所需材料，让我跑了两次", 20, (true, "经查属实：窗口未按清单一次性告知", "塘桥镇窗口按一次性告知清单受理，向当事人致歉，本月内组织窗口人员培训")),
            ("department:education", "报名时学校列表里没有我家附近的学校", 25, (false, "经查：该校不在申请人居住地施教区内，系统显示正确", "")),
        ]
        for (person, item) in zip(people, cases) {
            let at = now.addingTimeInterval(-item.2 * 86_400)
            let service = ComplaintService(app: app, db: db, now: at, actor: .system, logger: app.logger)
            guard case .done(let complaint) = try await service.file(.init(unit: item.0, caseRef: "", content: item.1), by: person) else { continue }
            if let (upheld, finding, correction) = item.3 {
                _ = try await ComplaintService(app: app, db: db, now: at.addingTimeInterval(10 * 86_400), actor: Actor(id: nil, login: "admin", address: nil), logger: app.logger)
                    .conclude(complaint, upheld: upheld, finding: finding, correction: correction)
            }
        }
    }
}

extension DemoSupervision {
    /// The materials each business asks for, told once (issue lists as a centre would write them;
    /// what department data confirms is marked as not to bring).
    static func loadMaterials(_ app: Application, now: Date) async throws {
        let lists: [(String, [(String, Bool, String)])] = [
            ("permit", [("居民身份证", true, "窗口领取时出示原件；网上申领无需上传"),
                        ("劳动合同或营业执照", false, "以合法稳定就业申领时"), ("房屋租赁合同或房产证", false, "以合法稳定住所申领时"),
                        ("学生证或在读证明", false, "以连续就读申领时")]),
            ("points", [("居民身份证", true, ""), ("学历、学位证书", false, "申报学历分时"), ("职业资格或技能等级证书", false, "申报技能分时"),
                        ("社会保险缴费记录", false, "系统与人社局数据比对，无需提供"), ("献血证、志愿服务记录", false, "系统比对，无需提供")]),
            ("program:kindergarten", [("父母居民身份证", true, ""), ("居住证或居住登记", true, "系统核验，无需提供"),
                                      ("出生医学证明", true, ""), ("户口簿", true, "")]),
            ("program:grade1", [("父母居民身份证", true, ""), ("居住证", true, "系统核验，无需提供"), ("出生医学证明", true, ""), ("户口簿", true, ""),
                                ("预防接种证", false, "入学报到时查验")]),
            ("program:grade7", [("父母居民身份证", true, ""), ("居住证", true, "系统核验，无需提供"), ("户口簿", true, ""), ("小学学籍信息", true, "系统核验，无需提供")]),
            ("program:childInsurance", [("父母居民身份证", true, ""), ("孩子的出生医学证明或户口簿", true, "")]),
        ]
        for (business, items) in lists {
            for (position, item) in items.enumerated() {
                let material = Material()
                material.business = business
                material.position = position
                material.title = item.0
                material.required = item.1
                material.note = item.2
                material.updatedAt = now
                material.updatedBy = "admin"
                try await material.create(on: app.db)
            }
        }
    }
}
