import Fluent
import Foundation
import JifenCore
import Vapor

/// The demo's autumn transfer intake (插班) with offers: its round final two days ago, one family
/// declined yesterday and the waitlist moved; 王芳 (13800000004) holds a seat at the first school
/// and has five days to accept or decline it — her decline moves three families.
enum DemoOffers {
    static let parentLogin = "13800000004"
    /// Residents this part of the demo adds (王芳).
    static let residents = 1

    static func load(_ app: Application, today: CivilDate, now: Date) async throws {
        let db = app.db
        let y = today.year
        guard let user = try await User.query(on: db).filter(\.$login == parentLogin).first() else { return }
        // Only with the demo's generated people (not the bare organisation the tests load).
        let people = try await Resident.query(on: db).filter(\.$user.$id == nil).sort(\.$createdAt).sort(\.$id).offset(20).limit(6).all()
        guard people.count == 6 else { return }
        let day = { (days: Int) in now.addingTimeInterval(Double(days) * 86_400) }

        // 王芳, with her son, on her own account.
        func id(_ first17: String) -> ResidentID? {
            guard let digit = ResidentID.checkDigit(first17), case .success(let id) = ResidentID.validate(first17 + String(digit), today: today, regions: app.regions) else { return nil }
            return id
        }
        guard let herID = id("320582199004080" + "62"), let sonID = id("320582\(y - 7)0305" + "071") else { return }
        let parent = try Resident(name: "王芳", id: herID, phone: parentLogin, userID: user.requireID(), data: app.personalData, at: day(-400))
        try await parent.create(on: db)
        let son = try HouseholdMember(.child, name: "王小乐", id: sonID, of: parent.requireID(), data: app.personalData, at: day(-400), verifiedBy: "demo")
        try await son.create(on: db)
        if let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: db) {
            let since = today.adding(days: -900)
            try await ResidenceRegistration(of: parent.requireID(), grid: grid.requireID(), house: nil, address: "城北社区港城花园3幢201室", from: since,
                                            source: .gridWorker, status: .verified, due: since.adding(days: 7), at: day(-900)).create(on: db)
        }

        // The intake needs this year's grade-1 schools and a few families besides hers.
        guard let grade1 = try await Program.query(on: db).filter(\.$code == "\(y)-grade1").first() else { return }
        let schools = try await Quota.query(on: db).filter(\.$program.$id == grade1.requireID()).with(\.$school).all().map(\.school)
            .sorted { $0.code.utf8.lexicographicallyPrecedes($1.code.utf8) }
        guard schools.count >= 3 else { return }
        let program = DemoPrograms.program(code: "\(y)-transfer", year: y, kind: .grade1, title: "\(y)年秋季积分插班（小学）",
                                           opens: today.adding(days: -60), closes: today.adding(days: -40), cutoff: CivilDate(year: y, month: 8, day: 31)!, now: day(-90))
        program.maxChoices = 2
        program.quotaPublishedAt = day(-70)
        program.offerDays = 7
        program.offerSilence = .accept
        program.waitlistCloses = today.adding(days: 20)
        try await program.create(on: db)
        for (school, seats) in zip(schools.prefix(3), [2, 1, 1]) {
            let quota = Quota()
            quota.seats = seats
            quota.$program.id = try program.requireID()
            quota.$school.id = try school.requireID()
            try await quota.create(on: db)
        }
        // Points frozen as they were: 95 A,B; 王芳 90 A; 85 A,B; 80 B,C; 75 B,C; 70 C; 60 B.
        let (a, b, c) = (schools[0].code, schools[1].code, schools[2].code)
        let families: [(Resident, HouseholdMember?, Int64, [String])] = [
            (people[0], nil, 95, [a, b]), (parent, son, 90, [a]), (people[1], nil, 85, [a, b]), (people[2], nil, 80, [b, c]),
            (people[3], nil, 75, [b, c]), (people[4], nil, 70, [c]), (people[5], nil, 60, [b]),
        ]
        for (n, (resident, child, points, ranked)) in families.enumerated() {
            let application = ServiceApplication()
            application.id = UUID()
            application.createdAt = day(-55 + n)
            application.updatedAt = application.createdAt
            application.submittedAt = application.createdAt
            application.number = "FW\(y)-T" + String(format: "%06d", n + 1)
            application.childHash = child?.idHash ?? "resident:" + resident.id!.uuidString
            application.points = points * 100
            application.tiebreakPoints = []
            application.priority = 0
            application.$program.id = try program.requireID()
            application.$resident.id = try resident.requireID()
            application.$child.id = child?.id
            try await application.create(on: db)
            for (k, code) in ranked.enumerated() { try await ServicePreference(application: application.id!, round: 1, rank: k + 1, school: code).create(on: db) }
        }
        let edu = Actor(id: nil, login: "edu", address: nil)
        let round = try await ProgramService(app: app, db: db, now: day(-30), actor: edu, logger: app.logger).run(program, round: 1)
        round.finalizedAt = day(-2)
        try await round.save(on: db)
        try await OfferService(app: app, db: db, now: day(-2), actor: edu, logger: app.logger).open(program, round: round)
        // The first family accepts; the one at the third school declines (it moved away), and
        // the waitlist gives that seat to the family after it.
        let results = try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).sort(\.$rank).all()
        results[0].offer = .accepted
        results[0].offerAnsweredAt = day(-1)
        try await results[0].save(on: db)
        let family = Actor(id: nil, login: "citizen", address: nil)
        if let moved = results.first(where: { $0.schoolCode == c }) {
            _ = try await OfferService(app: app, db: db, now: day(-1), actor: family, logger: app.logger).answer(moved, .decline)
        }
    }

    /// Booked appointments at 杨舍镇's window: 周建华 for his tenants' permits, 王芳 for points.
    static func loadAppointments(_ app: Application, now: Date) async throws {
        let db = app.db
        guard let town = try await Jurisdiction.find(code: "320582-01", on: db) else { return }
        let service = AppointmentService(app: app, db: db, now: now, actor: Actor(id: nil, login: "citizen", address: nil), logger: app.logger)
        guard let first = try await service.slots(of: town).first else { return }
        for (login, business, time) in [("13800000002", "permit", "09:00"), (parentLogin, "points", "10:00")] {
            guard let user = try await User.query(on: db).filter(\.$login == login).first() else { continue }
            _ = try await service.book(user: user, business: business, townCode: town.code, slot: first.day.description + "T" + time)
        }
    }

    /// The policy portal: two announcements, the points regulation with its interpretation, and
    /// the questions parents ask most.
    static func loadPortal(_ app: Application, today: CivilDate, now: Date) async throws {
        let y = today.year
        let articles: [(PortalArticle.Kind, String, String, String, Int)] = [
            (.announcement, "关于\(y + 1)年幼儿园小班积分入学报名的通知", """
            ## 报名时间
            即日起至 **\(y + 1)年5月30日**，在“服务项目”中网上报名，无需到窗口。

            ## 报名条件
            - 持有效居住证，连续居住满 1 年；
            - 孩子在\(y + 1)年8月31日满 3 周岁；
            - 只能选择居住地所属施教区内的幼儿园。

            所需材料见[一次性告知](/materials)。
            """, "", 20),
            (.announcement, "\(y)年秋季积分插班录取确认的通知", """
            被录取的家庭请在收到短信后 **7 天内** 在“我的报名”中确认接受或放弃学位，逾期未答复视为接受。
            放弃的学位按公示名单顺序递补，递补结果在公示页面的“补充公示”中公布。
            """, "", 2),
            (.policy, "张家港市新市民积分管理办法", """
            **第一条** 为推进基本公共服务均等化，根据有关规定，结合本市实际，制定本办法。

            **第二条** 积分由基础分、加分和扣分组成，按[积分标准](/standards)计算。
            """, """
            积分看的是你在张家港**做了什么**：工作和社保的年数、学历和技能、居住时间、志愿服务和献血。
            每年积分只在当年有效，第二年需要重新申请；积分越高，享受的公共服务越多。
            """, 300),
            (.faq, "积分够了就一定有学位吗？", "不一定。学位按积分从高到低分配，只有排在学位数以内才能录取。可以在“服务项目”查看去年各校的录取分数线。", "", 30),
            (.faq, "志愿怎么填最有利？", "按你**真实的意愿**排序就是最有利的：分配时每个人按积分顺序拿到自己排得最靠前、还有学位的学校，把想去的学校排后面不会让你多得到什么。", "", 30),
            (.faq, "放弃学位以后会怎样？", "放弃后学位立即按公示名单的顺序递补给把这所学校排得更靠前的申请人，不能撤回。", "", 30),
        ]
        for (kind, title, body, interpretation, daysAgo) in articles {
            let article = PortalArticle()
            article.kind = kind
            article.title = title
            article.body = body
            article.interpretation = interpretation
            article.publishedAt = now.addingTimeInterval(-Double(daysAgo) * 86_400)
            article.updatedBy = "admin"
            try await article.create(on: app.db)
        }
    }

    /// Children who reach a level next year, for the forecast (排摸): 36 who will be three by 31
    /// August (kindergarten) and 24 who will be six (grade 1), in households across the towns.
    static func loadForecast(_ app: Application, today: CivilDate, now: Date) async throws {
        let db = app.db
        let parents = try await Resident.query(on: db).filter(\.$user.$id == nil).sort(\.$createdAt).sort(\.$id).offset(100).limit(60).all()
        let next = today.year + 1
        var members: [HouseholdMember] = []
        for (n, parent) in parents.enumerated() {
            let age = n < 36 ? 3 : 6
            // Born between 1 September and 31 August of the years that make him `age` then.
            let born = CivilDate(year: next - age - 1, month: 9, day: 1)!.adding(days: (n * 37) % 360)
            let first17 = "320582" + String(format: "%04d%02d%02d", born.year, born.month, born.day) + String(format: "%03d", 500 + n)
            guard let digit = ResidentID.checkDigit(first17), case .success(let id) = ResidentID.validate(first17 + String(digit), today: today, regions: app.regions) else { continue }
            members.append(try HouseholdMember(.child, name: parent.name.prefix(1) + (n % 2 == 0 ? "小宝" : "小贝"), id: id, of: parent.requireID(),
                                               data: app.personalData, at: now.addingTimeInterval(-Double(200 + n) * 86_400), verifiedBy: "demo"))
        }
        try await members.create(on: db, batch: 100)
        // Two thirds of next year's kindergarten children have applied already, each ranking two
        // kindergartens, so the program's live standing has something to stand on.
        guard let kindergarten = try await Program.query(on: db).filter(\.$code == "\(next)-kindergarten").first() else { return }
        let schools = try await Quota.query(on: db).filter(\.$program.$id == kindergarten.requireID()).with(\.$school).all().map(\.school.code).sorted()
        guard schools.count >= 2 else { return }
        for (n, child) in members.prefix(24).enumerated() {
            let application = ServiceApplication()
            application.id = UUID()
            application.createdAt = now.addingTimeInterval(-Double(19 - n % 19) * 86_400 - Double(n) * 613)
            application.updatedAt = application.createdAt
            application.submittedAt = application.createdAt
            application.number = "FW\(next)-K" + String(format: "%06d", n + 1)
            application.childHash = child.idHash
            application.$program.id = try kindergarten.requireID()
            application.$resident.id = child.$resident.id
            application.$child.id = child.id
            try await application.create(on: db)
            // A popular first choice, then a second.
            for (rank, code) in [schools[n % min(3, schools.count)], schools[(n + 1 + n / 3) % schools.count]].enumerated() where rank == 0 || code != schools[n % min(3, schools.count)] {
                try await ServicePreference(application: application.id!, round: 1, rank: rank + 1, school: code).create(on: db)
            }
        }
    }
}
