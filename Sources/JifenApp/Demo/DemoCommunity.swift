import Fluent
import Foundation
import SQLKit
import JifenCore
import Vapor

/// The demo's landlords: the sublandlord 周建华 (13800000002), who manages two houses of 城北社区's
/// first grid and waits for the second grid's worker on a third; and 港城电子有限公司's dormitory
/// (13800000003) with its workers. Their declarations are in every state: waiting for the grid
/// worker, verified, disputed by the tenant, ended when the worker left.
enum DemoCommunity {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The houses the demo adds to the generated ones: the employer's dormitory.
    static let housesAdded = 1

    enum Then { case waiting, verified, disputed, left }
    /// The people the landlords declare: (house: the sublandlord's first or second, or the
    /// dormitory; name; birth date and sequence of the ID number; days ago he moved in; what
    /// happened since). They are new to the city's records.
    static let tenants: [(house: Int, name: String, digits: String, days: Int, then: Then)] = [
        (0, "褚志远", "19910304512", 15, .verified),
        (0, "卫秀兰", "19930711624", 3, .waiting),
        (1, "蒋海波", "19880122315", 12, .disputed),
        (2, "沈小军", "20000405137", 16, .verified),
        (2, "韩丽丽", "20010918248", 16, .verified),
        (2, "杨春生", "19990227359", 4, .waiting),
        (2, "朱大勇", "19970613471", 17, .left),
    ]

    static func load(_ app: Application, today: CivilDate, now: Date) async throws {
        let db = app.db
        guard let sublandlord = try await User.find(login: "13800000002", on: db),
              let employer = try await User.find(login: "13800000003", on: db),
              let worker = try await User.find(login: "grid.yangshe", on: db),
              let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: db),
              let secondGrid = try await Jurisdiction.find(code: "320582-01-01-02", on: db)
        else { return }
        let here = try await RentalHouse.query(on: db).filter(\.$jurisdiction.$id == grid.requireID()).sort(\.$addressCode).limit(2).all()
        guard here.count == 2, let there = try await RentalHouse.query(on: db).filter(\.$jurisdiction.$id == secondGrid.requireID()).sort(\.$addressCode).first()
        else { return }
        // The employer's collective dormitory, registered by the grid worker.
        let dormitory = RentalHouse()
        dormitory.createdAt = now
        dormitory.addressCode = grid.code + "-88-1-101"
        dormitory.address = "城北社区港城电子有限公司职工宿舍1号楼101室"
        dormitory.landlord = "港城电子有限公司"
        dormitory.landlordPhone = employer.phone
        dormitory.capacity = 40
        dormitory.$jurisdiction.id = try grid.requireID()
        try await dormitory.create(on: db)

        let gridActor = Actor(id: worker.id, login: worker.login, address: nil)
        func service(_ user: User, _ at: Date) -> LandlordService {
            LandlordService(app: app, db: db, now: at, actor: Actor(id: user.id, login: user.login, role: user.role, address: nil), logger: app.logger)
        }
        let asked = now.addingTimeInterval(-20 * 86_400), decided = now.addingTimeInterval(-18 * 86_400)
        func manage(_ user: User, _ house: RentalHouse, _ kind: HouseManager.Kind, _ name: String, organisation: String = "", confirm: Bool) async throws -> HouseManager {
            guard case .done(let manager) = try await service(user, asked).ask(.init(house: house.addressCode, kind: kind.rawValue, name: name, organisation: organisation), user: user.requireID())
            else { throw Failure(description: "demo landlord refused for \(house.addressCode)") }
            if confirm {
                _ = try await LandlordService(app: app, db: db, now: decided, actor: gridActor, logger: app.logger).decide(manager, confirm: true, reason: "")
            }
            return manager
        }
        let first = try await manage(sublandlord, here[0], .sublandlord, "周建华", confirm: true)
        let second = try await manage(sublandlord, here[1], .sublandlord, "周建华", confirm: true)
        _ = try await manage(sublandlord, there, .sublandlord, "周建华", confirm: false)
        let company = try await manage(employer, dormitory, .employer, "孙立新", organisation: "港城电子有限公司", confirm: true)

        let managers = [(first, sublandlord), (second, sublandlord), (company, employer)]
        for (house, name, digits, days, then) in tenants {
            let (manager, user) = managers[house]
            let first17 = "341202" + digits
            guard case .success(let id) = ResidentID.validate(first17 + String(ResidentID.checkDigit(first17)!), today: today, regions: app.regions)
            else { throw Failure(description: "demo tenant number") }
            let declared = now.addingTimeInterval(Double(-days) * 86_400 + 3_600)
            guard case .done(let registration) = try await service(user, declared)
                .declareArrival(by: manager, name: name, id: id, from: today.adding(days: -days), phone: nil)
            else { throw Failure(description: "demo declaration refused for \(name)") }
            if then != .waiting {
                let verifiedAt = declared.addingTimeInterval(2 * 86_400)
                try await registration.save("verify", by: gridActor, at: verifiedAt, on: db) {
                    registration.status = .verified
                    registration.method = ResidenceRegistration.Method.visit.rawValue
                    registration.decidedAt = verifiedAt
                    registration.decidedBy = worker.login
                }
            }
            switch then {
            case .disputed:
                _ = try await LandlordService(app: app, db: db, now: now.addingTimeInterval(-86_400), actor: .system, logger: app.logger)
                    .dispute(registration, reason: "我只在这里住到上个月，后来搬到单位宿舍了")
            case .left:
                try await service(user, now.addingTimeInterval(-2 * 86_400)).declareDeparture(by: manager, of: registration)
            case .waiting, .verified: break
            }
        }
    }
}

extension DemoCommunity {
    /// Hazards in every state across five departments: closed and spot-checked, overdue, being
    /// rectified, waiting for acceptance, closed late, received from the public, dismissed, forwarded.
    static func loadHazards(_ app: Application, now: Date) async throws {
        let db = app.db
        guard let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: db) else { return }
        let houses = try await RentalHouse.query(on: db).filter(\.$jurisdiction.$id == grid.requireID()).sort(\.$addressCode).all()
        guard houses.count >= 3, let dormitory = houses.first(where: { $0.landlord == "港城电子有限公司" }) else { return }
        let others = houses.filter { $0.id != dormitory.id }
        let first = others[0], second = others[1]
        func actor(_ login: String) -> Actor { Actor(id: nil, login: login, address: nil) }
        func service(_ login: String, daysAgo: Double) -> HazardService {
            HazardService(app: app, db: db, now: now.addingTimeInterval(-daysAgo * 86_400), actor: login == "public" ? .system : actor(login), logger: app.logger)
        }
        func report(_ type: String, _ house: RentalHouse?, place: String = "", _ description: String, daysAgo: Double, phone: String = "", by login: String = "grid.yangshe") async throws -> Hazard {
            let input = HazardService.Report(type: type, house: house?.addressCode ?? "", place: place, grid: grid.code, description: description, phone: phone)
            guard case .done(let hazard) = try await service(login, daysAgo: daysAgo).report(input, within: login == "public" ? nil : JurisdictionCode(grid.code))
            else { throw Failure(description: "demo hazard refused: \(type)") }
            return hazard
        }
        func take(_ hazard: Hazard, _ step: HazardService.Step, by login: String, daysAgo: Double, note: String = "", to department: String = "") async throws {
            guard case .done = try await service(login, daysAgo: daysAgo).take(step, on: hazard, note: note, department: department)
            else { throw Failure(description: "demo hazard step refused: \(step)") }
        }
        // Closed in time and spot-checked.
        let crowded = try await report("groupRenting", first, "两居室隔断出租，住 9 人", daysAgo: 12)
        try await take(crowded, .acknowledge, by: "reviewer.police", daysAgo: 11)
        try await take(crowded, .rectify, by: "reviewer.police", daysAgo: 5, note: "责令房东拆除隔断，清退 5 人")
        try await take(crowded, .accept, by: "grid.yangshe", daysAgo: 4, note: "现场核查隔断已拆除")
        try await take(crowded, .spotCheckPass, by: "admin", daysAgo: 2)
        // Overdue at the fire brigade.
        _ = try await report("ebikeIndoors", dormitory, "宿舍楼道内多辆电动车飞线充电", daysAgo: 9)
        // Waiting for the grid worker's acceptance.
        let shop = try await report("threeInOne", second, "一楼商铺后间住人", daysAgo: 6)
        try await take(shop, .acknowledge, by: "reviewer.fire", daysAgo: 5)
        try await take(shop, .rectify, by: "reviewer.fire", daysAgo: 1, note: "商铺与住人部分已分隔，住人部分清退")
        // Being rectified.
        let stairs = try await report("groupRenting", nil, place: "城北社区12幢地下室", "地下室隔成 6 间出租", daysAgo: 4)
        try await take(stairs, .acknowledge, by: "reviewer.police", daysAgo: 3)
        // With urban management and market supervision, not yet acknowledged.
        _ = try await report("illegalBuilding", nil, place: "城北社区8幢顶楼", "顶楼加盖彩钢板房", daysAgo: 2)
        _ = try await report("smallCatering", dormitory, "宿舍一楼无证经营小餐饮", daysAgo: 1)
        // Closed late, at the sublandlord's second house.
        let exit = try await report("blockedExit", second, "楼道堆放杂物堵塞安全出口", daysAgo: 25)
        try await take(exit, .acknowledge, by: "reviewer.fire", daysAgo: 24)
        try await take(exit, .rectify, by: "reviewer.fire", daysAgo: 15, note: "已清理楼道")
        try await take(exit, .accept, by: "grid.yangshe", daysAgo: 14)
        // From the public: one waiting for the grid worker, one he found nothing in.
        _ = try await report("blockedExit", dormitory, "宿舍消防通道堆满纸箱", daysAgo: 1, phone: "13912345678", by: "public")
        let nothing = try await report("groupRenting", first, "好像住了很多人", daysAgo: 8, by: "public")
        try await take(nothing, .dismiss, by: "grid.yangshe", daysAgo: 7, note: "现场核查住 3 人，未超核定人数")
        // Forwarded: not the police's duty.
        let corridor = try await report("groupRenting", dormitory, "宿舍隔断改为仓库，占用疏散通道", daysAgo: 8)
        try await take(corridor, .forward, by: "reviewer.police", daysAgo: 7, note: "占用疏散通道属消防职责", to: "fire")
    }
}

extension DemoCommunity {
    /// A month of performance: the small demo's verified registrations, which the generator
    /// leaves undated, verified through last month — in the first grid by its worker
    /// (grid.yangshe), a few after their 7 days. Skipped for a city, whose figures come from use.
    static func loadPerformance(_ app: Application, size: DemoSize, now: Date) async throws {
        guard size.residents <= 5_000 else { return }
        let db = app.db
        let today = ShanghaiDate.today(now)
        let thisMonth = CivilDate(year: today.year, month: today.month, day: 1)!
        let first = thisMonth.adding(days: -1).adding(days: 1 - thisMonth.adding(days: -1).day)
        let days = thisMonth.dayNumber - first.dayNumber
        guard let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: db) else { return }
        let undated = try await ResidenceRegistration.query(on: db).filter(\.$status == .verified).filter(\.$decidedAt == nil).sort(\.$createdAt).sort(\.$id).all()
        try await db.transaction { db in
            for (i, r) in undated.enumerated() {
                let day = first.adding(days: i % days)
                r.decidedAt = ShanghaiDate.startOfDay(day).addingTimeInterval(Double(9 + i % 8) * 3_600)
                r.dueDate = day.adding(days: i % 10 == 9 ? -2 : 7 - i % 7)
                if r.$jurisdiction.id == grid.id { r.decidedBy = "grid.yangshe" }
                try await r.save(on: db)
            }
        }
    }
}

extension DemoCommunity {
    /// What the permit gives, as a centre would publish it (居住证暂行条例 arts. 12–13 and the
    /// city's own additions; the centre edits the list), and the permit online: one application
    /// on its way by post, one already posted with its tracking number, and a verification page
    /// for every issued permit.
    static func loadPermits(_ app: Application, now: Date) async throws {
        let db = app.db
        let services = [
            ("义务教育", "随迁子女按积分在居住地接受义务教育"), ("基本公共就业服务", "职业介绍、职业指导、就业登记和失业登记"),
            ("基本公共卫生服务", "建立居民健康档案、预防接种、传染病防治"), ("计划生育服务", "免费孕前优生健康检查和生育服务登记"),
            ("公共文化体育服务", "免费使用公共图书馆、文化馆和公共体育场馆"), ("法律援助和其他法律服务", "符合条件可申请法律援助"),
            ("社会保险", "按规定参加职工养老、医疗、失业、工伤和生育保险"), ("住房公积金", "按规定缴存和提取住房公积金"),
            ("积分入医", "子女按积分参加城乡居民基本医疗保险"), ("公共租赁住房", "符合住房条件可申请公共租赁住房"),
            ("临时救助", "遭遇急难可在居住地申请临时救助"),
        ]
        let conveniences = [
            "在居住地申领、换领、补领居民身份证", "在居住地办理出入境证件", "在居住地换领、补领机动车驾驶证", "在居住地办理机动车登记",
            "在居住地参加机动车驾驶人考试", "在居住地申请参加职业资格考试、申请职业资格证书", "在居住地办理生育服务登记", "办理市民卡，享受公共自行车、公交等城市服务",
        ]
        for (position, item) in services.map({ ("service", $0.0, $0.1) }).enumerated() + conveniences.map({ ("convenience", $0, "") }).enumerated().map({ ($0.offset + services.count, $0.element) }) {
            let benefit = PermitBenefit()
            benefit.kind = item.0
            benefit.position = position
            benefit.title = item.1
            benefit.detail = item.2
            benefit.updatedAt = now
            benefit.updatedBy = "admin"
            try await benefit.create(on: db)
        }
        // Every permit can be checked by its QR code: one statement, a city's permits included.
        let sql = db as! any SQLDatabase
        let random = sql.dialect.name == "sqlite" ? "lower(hex(randomblob(16)))" : "md5(random()::text || id::text)"
        try await sql.raw("UPDATE residence_permits SET verification_token = \(unsafeRaw: random), delivery = COALESCE(delivery, 'collect') WHERE verification_token IS NULL").run()
        // Online, by post: one being made, one in the post.
        if let making = try await ResidencePermit.query(on: db).filter(\.$status == .inProduction).sort(\.$number).first() {
            making.delivery = "post"
            making.postalAddress = "张家港市杨舍镇城北社区港城大道 18 号"
            try await making.save(on: db)
        }
        if let posted = try await ResidencePermit.query(on: db).filter(\.$status == .ready).sort(\.$number).first() {
            posted.delivery = "post"
            posted.postalAddress = "张家港市杨舍镇南苑社区暨阳路 66 号"
            posted.trackingNumber = "EMS1130000123456"
            try await posted.save(on: db)
        }
    }
}
