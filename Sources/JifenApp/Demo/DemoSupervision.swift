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
