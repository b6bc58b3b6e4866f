import Fluent
import Foundation
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
