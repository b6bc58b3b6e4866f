import Fluent
import Foundation
import JifenCore
import JifenResources
import Vapor

/// The demo organisation, shaped after Zhangjiagang (`Resources/Demo/organisation.json`).
public enum Demo {
    struct Organisation: Decodable {
        struct Place: Decodable { let code: String; let name: String }
        struct Town: Decodable { let segment: String; let name: String; let communities: [Community] }
        struct Community: Decodable { let name: String; let grids: [String] }
        struct Account: Decodable {
            let login, displayName: String
            let role: Role
            let jurisdiction, department, phone: String?
        }
        let city: Place
        let towns: [Town]
        let departments: [Place]
        let password: String
        let accounts: [Account]
    }

    public struct Account: Sendable {
        public let login, password: String
        public let role: Role
        public let displayName: String
    }

    static func organisation() throws -> Organisation {
        let url = URL(fileURLWithPath: JifenResources.directory("Demo") + "organisation.json")
        return try JSONDecoder().decode(Organisation.self, from: Data(contentsOf: url))
    }

    /// The demo accounts and their password, as printed at start and listed in the README.
    public static func accounts() throws -> [Account] {
        let org = try organisation()
        return org.accounts.map { Account(login: $0.login, password: org.password, role: $0.role, displayName: $0.displayName) }
    }

    /// Marks the demo's own accounts (by their logins) as demo accounts: a demo database made before
    /// accounts carried the mark keeps letting them in without a second factor.
    public static func markDemoAccounts(_ app: Application) async throws {
        let logins = try organisation().accounts.map(\.login)
        try await User.query(on: app.db).filter(\.$login ~~ logins).filter(\.$demoAccount == false).set(\.$demoAccount, to: true).update()
    }

    static let apiTokenName = "演示：人社局社保系统"

    /// A fresh token for the demo's department system (人社局, both scopes), the one before revoked:
    /// printed at start so the API can be tried at once.
    public static func issueApiToken(_ app: Application) async throws -> String? {
        // Only on the demo's own database (its administrator is a demo account).
        guard try await User.find(login: "admin", on: app.db)?.demoAccount == true else { return nil }
        let now = app.effects.now()
        try await ApiToken.query(on: app.db).filter(\.$name == apiTokenName).delete()
        return try await ApiToken.issue(name: apiTokenName, department: "hrss", scopes: [.feeds, .reviews], days: 30, by: .system,
                                        effects: app.effects, at: now, on: app.db)
    }

    /// Loads the demo organisation when the database holds no jurisdiction and no account.
    /// Returns false (and changes nothing) when it is not empty.
    @discardableResult
    public static func loadIfEmpty(_ app: Application, residents: Int = 1000) async throws -> Bool {
        var size = DemoSize.small
        size.residents = residents
        return try await loadIfEmpty(app, size: size)
    }

    /// Loads the demo at `size` (the small demo, or a city) when the database is empty, telling
    /// `progress` how far it is when the city is large.
    @discardableResult
    public static func loadIfEmpty(_ app: Application, size: DemoSize, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Bool {
        let db = app.db
        guard try await Jurisdiction.query(on: db).count() == 0, try await User.query(on: db).count() == 0 else { return false }
        let org = try organisation()
        let now = app.effects.now()
        let hash = try await app.password.async.hash(org.password)
        let places = try await db.transaction { db -> (jurisdictions: Int, departments: Int) in
            var ids: [String: UUID] = [:]
            func add(_ code: JurisdictionCode, _ name: String) async throws {
                let place = Jurisdiction(code: code, name: name, parentID: code.parent.flatMap { ids[$0.rawValue] })
                try await place.create(on: db)
                ids[code.rawValue] = try place.requireID()
            }
            guard let city = JurisdictionCode(org.city.code) else { throw Abort(.internalServerError, reason: "bad city code in demo data") }
            try await add(city, org.city.name)
            for town in org.towns {
                guard let townCode = city.child(town.segment) else { continue }
                try await add(townCode, town.name)
                for (c, community) in town.communities.enumerated() {
                    guard let communityCode = townCode.child(String(format: "%02d", c + 1)) else { continue }
                    try await add(communityCode, community.name)
                    for (g, grid) in community.grids.enumerated() {
                        guard let gridCode = communityCode.child(String(format: "%02d", g + 1)) else { continue }
                        try await add(gridCode, community.name + grid)
                    }
                }
            }
            // A larger city: communities of ten grids added to the towns in turn until it has its grids.
            var missing = size.grids - org.towns.reduce(0) { $0 + $1.communities.reduce(0) { $0 + $1.grids.count } }
            var added = 0
            while missing > 0 {
                for town in org.towns where missing > 0 {
                    guard let townCode = city.child(town.segment) else { continue }
                    let number = town.communities.count + added / org.towns.count + 1
                    let short = town.name.split(separator: "（").first.map(String.init) ?? town.name
                    guard let communityCode = townCode.child(String(format: "%02d", number)) else { continue }
                    try await add(communityCode, short + "第\(number)社区")
                    for g in 0..<min(10, missing) {
                        guard let gridCode = communityCode.child(String(format: "%02d", g + 1)) else { continue }
                        try await add(gridCode, short + "第\(number)社区第\(g + 1)网格")
                    }
                    missing -= min(10, missing)
                    added += 1
                }
            }
            var departments: [String: UUID] = [:]
            for place in org.departments {
                let department = Department(code: place.code, name: place.name)
                try await department.create(on: db)
                departments[place.code] = try department.requireID()
            }
            for account in org.accounts {
                let user = User(login: account.login, passwordHash: hash, displayName: account.displayName, role: account.role,
                                status: .active, phone: account.phone,
                                jurisdictionID: account.jurisdiction.flatMap { ids[$0] },
                                departmentID: account.department.flatMap { departments[$0] }, at: now)
                user.demoAccount = true
                try await user.create(on: db)
            }
            // The city's standard in force, and a draft revision for the editor and the diff.
            // Suzhou's standard, in force beside it, ranks medical insurance (入医) and settlement (seed 000).
            for (file, status) in [("Standards/zhangjiagang-2021.yaml", StandardVersion.Status.published), ("Demo/zhangjiagang-2026-draft.yaml", .draft),
                                   ("Demo/suzhou-2021-demo.yaml", .published)] {
                let parts = file.split(separator: "/")
                let text = try String(contentsOfFile: JifenResources.directory(String(parts[0])) + parts[1], encoding: .utf8)
                let standard = try StandardParser.parse(text).get()
                let version = StandardVersion(standard: standard, yaml: text, status: status, by: Actor.system.login, at: now)
                if status == .published { version.publishedAt = now; version.publishedBy = Actor.system.login }
                try await version.create(on: db)
            }
            // Services given in steps by points (seed 002: 公租房、公共自行车、园林、公交、妇检等市民卡各项服务).
            for (code, title, gives, provider, line) in [
                ("bike", "公共自行车", "市民卡免押金借用公共自行车", "市公共自行车服务中心", 40),
                ("parks", "园林年卡", "市属公园、园林年卡半价办理", "市园林和绿化管理局", 60),
                ("bus", "公交乘车优惠", "市民卡乘坐市内公交享受市民优惠", "市公共交通公司", 80),
                ("health-check", "妇女“两癌”免费检查", "适龄妇女每年一次宫颈癌、乳腺癌免费筛查", "市卫生健康委员会", 100),
                ("rental-housing", "公共租赁住房", "可申请公共租赁住房（另需符合住房条件）", "市住房和城乡建设局", 150),
            ] {
                try await TieredService(code: code, title: title, gives: gives, provider: provider, line: Points(line), by: "admin", at: now).create(on: db)
            }
            // The draft is on its way through the approval steps; the public consultation is still open.
            let today = ShanghaiDate.today(now)
            for (n, (step, body, document)) in [
                (ApprovalStep.expertReview, "市新市民积分管理专家组", "专家论证意见（演示）"),
                (.riskAssessment, "市新市民事务服务中心", "社会稳定风险评估报告（演示）"),
                (.fairCompetitionReview, "市市场监督管理局", "公平竞争审查意见（演示）"),
            ].enumerated() {
                let record = ApprovalRecord()
                record.recordedAt = now
                record.subject = .standard
                record.subjectCode = "zhangjiagang-2026-draft"
                record.step = step
                record.doneOn = today.adding(days: -30 + 7 * n)
                record.body = body
                record.document = document
                record.recordedBy = "admin"
                try await record.create(on: db)
            }
            return (ids.count, departments.count)
        }
        // Residents in chunks, each chunk one transaction.
        let today = ShanghaiDate.today(now)
        let people = size.residents > 0
            ? try await DemoResidents.load(size, on: db, app: app, today: today, now: now, progress: progress)
            : DemoResidents.Counts()
        try await Audit.record("loadDemo", entity: "system", id: "demo", after: [
            "residents": String(people.residents), "registrations": String(people.registrations),
            "rentalHouses": String(people.houses), "permits": String(people.permits),
            "jurisdictions": String(places.jurisdictions), "departments": String(places.departments), "accounts": String(org.accounts.count),
        ], by: .system, at: now, on: db)
        // Points: a feed file imported, applications in every state (after the organisation is
        // committed: the feed import commits per batch).
        if size.residents > 1000 { progress("积分申请 / points applications") }
        try await DemoPoints.load(app, people: people.people, today: today, now: now)
        if size.residents > 1000 { progress("入学项目 / programs") }
        try await DemoPrograms.load(app, size: size, people: people.people, today: today, now: now, progress: size.residents > 1000 ? progress : { _ in })
        try await DemoPoints.fill(app, size: size, people: people.people, today: today, now: now, progress: progress)
        try await DemoInsight.load(app, today: today, now: now)
        try await DemoCommunity.load(app, today: today, now: now)
        try await DemoCommunity.loadHazards(app, now: now)
        try await DemoCommunity.loadPerformance(app, size: size, now: now)
        try await DemoCommunity.loadPermits(app, now: now)
        try await DemoSupervision.load(app, now: now)
        try await DemoSupervision.loadMaterials(app, now: now)
        try await DemoOffers.load(app, today: today, now: now)
        try await DemoOffers.loadAppointments(app, now: now)
        try await DemoOffers.loadPortal(app, today: today, now: now)
        try await DemoOffers.loadForecast(app, today: today, now: now)
        return true
    }
}
