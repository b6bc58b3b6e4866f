import Fluent
import Foundation
import JifenCore
import Vapor

/// The demo's autumn transfer intake (插班) with offers: its round final two days ago, one family
/// declined yesterday and the waitlist moved; 王芳 (13800000004) holds a seat at the first school
/// and has five days to accept or decline it — her decline moves three families.
enum DemoOffers {
    static let parentLogin = "13800000004"

    static func load(_ app: Application, today: CivilDate, now: Date) async throws {
        let db = app.db
        let y = today.year
        guard let user = try await User.query(on: db).filter(\.$login == parentLogin).first(),
              let grade1 = try await Program.query(on: db).filter(\.$code == "\(y)-grade1").first() else { return }
        let schools = try await Quota.query(on: db).filter(\.$program.$id == grade1.requireID()).with(\.$school).all().map(\.school)
            .sorted { $0.code.utf8.lexicographicallyPrecedes($1.code.utf8) }
        let people = try await Resident.query(on: db).filter(\.$user.$id == nil).sort(\.$createdAt).sort(\.$id).offset(20).limit(6).all()
        guard schools.count >= 3, people.count == 6 else { return }
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
}
