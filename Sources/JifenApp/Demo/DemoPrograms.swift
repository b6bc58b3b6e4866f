import Fluent
import Foundation
import JifenCore
import Vapor

/// The demo city's programs: schools in every town, this year's grade 1 with quotas, a few
/// hundred applicants whose points were reviewed earlier in the year, and its first round in
/// publicity; next year's kindergarten open for applications with its quotas published.
enum DemoPrograms {
    static func load(_ app: Application, people: [(resident: Resident, idNumber: String)], today: CivilDate, now: Date) async throws {
        let db = app.db
        guard people.count >= 400, let (version, standard) = try await StandardVersion.inForce(on: today, on: db) else { return }
        var rng = SplitMix64(seed: 61_2026)
        let data = app.personalData

        // Schools: two or three per town.
        let towns = try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.town.rawValue).sort(\.$code).all()
        let names = ["实验小学", "中心小学", "第二小学"]
        var schools: [School] = []
        for town in towns {
            let short = town.name.split(separator: "（").first.map(String.init) ?? town.name
            for k in 0..<(town.code.hasSuffix("-01") ? 3 : 2) {
                let school = School()
                school.code = town.code.replacingOccurrences(of: "320582-", with: "ZJG") + "-\(k + 1)"
                school.name = short + names[k]
                school.$jurisdiction.id = try town.requireID()
                schools.append(school)
            }
        }
        try await schools.create(on: db)
        // Each school's catchment (施教区) is its town.
        let since = CivilDate(year: today.year, month: 1, day: 1)!
        try await zip(schools, schools.map { s in towns.first { $0.id == s.$jurisdiction.id }!.code })
            .map { SchoolCatchment(school: $0.0.id!, area: $0.1, from: since) }.create(on: db)

        // Applicants with this year's reviewed points: a completed application with three
        // verified items each, its archive and history, and a child of grade-1 age.
        let current = try await ResidenceRegistration.query(on: db).filter(\.$toDate == nil).filter(\.$status == .verified).all()
        let living = Set(current.map(\.$resident.id))
        let taken = Set(try await PointsApplication.query(on: db).all().map(\.$resident.id))
        let candidates = people.filter { living.contains($0.resident.id!) && !taken.contains($0.resident.id!) }.prefix(240)
        let gridOf = Dictionary(current.map { ($0.$resident.id, $0.$jurisdiction.id) }, uniquingKeysWith: { a, _ in a })
        let items = ["education", "socialInsuranceMonths", "residenceYears", "vocationalQualification"].compactMap { standard.item($0) }
        var applications: [PointsApplication] = [], claims: [PointsClaim] = [], archives: [PointsArchive] = [], history: [(Int, Int64)] = []
        var children: [HouseholdMember] = []
        let reviewed = now.addingTimeInterval(-200 * 86_400)
        for (n, person) in candidates.enumerated() {
            let application = PointsApplication()
            application.id = UUID()
            application.createdAt = reviewed
            application.updatedAt = reviewed
            application.number = "JF\(today.year)-D" + String(format: "%07d", n)
            application.year = today.year
            application.standardCode = version.code
            application.status = .completed
            application.openedBy = "demo"
            application.submittedAt = reviewed
            application.reviewedAt = reviewed
            application.reviewedBy = "clerk.demo"
            application.completedAt = reviewed
            application.$resident.id = person.resident.id!
            application.$jurisdiction.id = gridOf[person.resident.id!]!
            var domain: [Claim] = []
            /// A claim its department verified when the application was reviewed.
            func verified(_ item: ScoringStandard.Item, _ fact: Fact, value: String) {
                let claim = PointsClaim()
                claim.createdAt = reviewed
                claim.item = item.id
                claim.department = item.department
                claim.value = value
                claim.factDate = fact.date
                claim.state = .verified
                claim.verifier = "department:" + item.department
                claim.decidedBy = "reviewer.demo"
                claim.decidedAt = reviewed
                claim.$application.id = application.id!
                claims.append(claim)
                domain.append(Claim(item: item.id, fact: fact, state: .verified(by: .department(item.department))))
            }
            for item in items {
                let value = DemoPoints.value(for: item, using: &rng)
                verified(item, Fact(value), value: ClaimInput.text(value))
            }
            // Some volunteer (a few beyond the 1500-hour cap the draft lifts) and give blood.
            for (itemID, values) in [("volunteerHours", [40.0, 150, 400, 800, 1300, 1600, 2100, 2600, 3200]), ("bloodDonation", [1.0, 2, 3, 4, 6, 8])] {
                guard let item = standard.item(itemID), Int.random(in: 0..<10, using: &rng) < (itemID == "volunteerHours" ? 4 : 2) else { continue }
                let quantity = Decimal2(hundredths: Int64(values[Int.random(in: 0..<values.count, using: &rng)] * 100))
                let date = today.adding(days: -Int.random(in: 30...900, using: &rng))
                verified(item, Fact(.quantity(quantity), date: date), value: quantity.description)
            }
            let total = PointsArchiveRules.evaluate(domain, standard: standard, asOf: today).total
            application.total = total.hundredths
            applications.append(application)
            let archive = PointsArchive()
            archive.id = UUID()
            archive.updatedAt = reviewed
            archive.status = .active
            archive.year = today.year
            archive.total = total.hundredths
            archive.$resident.id = person.resident.id!
            archive.$application.id = application.id!
            archives.append(archive)
            history.append((archives.count - 1, total.hundredths))
            // A child who is six on 31 August.
            let birth = CivilDate(year: today.year - 6, month: Int.random(in: 1...8, using: &rng), day: Int.random(in: 1...28, using: &rng))!
            let first17 = String(person.idNumber.prefix(6)) + String(format: "%04d%02d%02d", birth.year, birth.month, birth.day) + String(format: "%03d", Int.random(in: 1...999, using: &rng))
            let childNumber = first17 + String(ResidentID.checkDigit(first17)!)
            let childName = String(person.resident.name.prefix(1)) + String(DemoResidents.given[Int.random(in: 0..<DemoResidents.given.count, using: &rng)]) + String(DemoResidents.given[Int.random(in: 0..<DemoResidents.given.count, using: &rng)])
            guard case .success(let id) = ResidentID.validate(childNumber, today: today, regions: app.regions) else { continue }
            children.append(try HouseholdMember(.child, name: childName, id: id, of: person.resident.id!, data: data, at: reviewed, verifiedBy: "demo"))
        }
        try await applications.create(on: db, batch: 100)
        try await claims.create(on: db, batch: 200)
        try await archives.create(on: db, batch: 200)
        try await children.create(on: db, batch: 200)
        var entries: [PointsHistoryEntry] = []
        for (k, total) in history {
            let entry = PointsHistoryEntry()
            entry.at = reviewed
            entry.kind = .completed
            entry.before = 0
            entry.after = total
            entry.reason = ""
            entry.details = .init(number: applications[k].number, year: today.year)
            entry.by = "reviewer.demo"
            entry.$archive.id = archives[k].id!
            entries.append(entry)
        }
        try await entries.create(on: db, batch: 200)

        // This year's grade 1: applications March–May, quotas for about 70% of the applicants,
        // the first round run three days ago and in publicity.
        let y = today.year
        // Before June the window is still this year's first months, closed yesterday.
        let afterMay = today > CivilDate(year: y, month: 5, day: 30)!
        let grade1 = program(code: "\(y)-grade1", year: y, kind: .grade1, title: "\(y)年积分入学（小学一年级）",
                             opens: CivilDate(year: y, month: afterMay ? 3 : 1, day: 1)!, closes: afterMay ? CivilDate(year: y, month: 5, day: 30)! : today.adding(days: -1),
                             cutoff: CivilDate(year: y, month: 8, day: 31)!, now: now)
        grade1.quotaPublishedAt = now.addingTimeInterval(-250 * 86_400)
        // Seed 000 art. 16: the seats are published in mid-May, before the 30 May deadline.
        grade1.quotaRule = .fixedDay
        grade1.quotaBy = CivilDate(year: y, month: 5, day: 15)
        grade1.spouses = .oneSpouse
        let kindergarten = program(code: "\(y + 1)-kindergarten", year: y + 1, kind: .kindergarten, title: "\(y + 1)年积分入学（幼儿园小班）",
                                   opens: today.adding(days: -20), closes: CivilDate(year: y + 1, month: 5, day: 30)!, cutoff: CivilDate(year: y + 1, month: 8, day: 31)!, now: now)
        kindergarten.quotaPublishedAt = now
        // Places near home: only schools whose catchment covers the family's residence.
        kindergarten.choiceScope = .catchment
        // Children's medical insurance (积分入医) by Suzhou's standard, for everyone at 100 points.
        let insurance = program(code: "\(y + 1)-insurance", year: y + 1, kind: .childInsurance, title: "\(y + 1)年积分入医（少儿医保）",
                                opens: today.adding(days: -20), closes: CivilDate(year: y + 1, month: 5, day: 30)!, cutoff: CivilDate(year: y + 1, month: 8, day: 31)!, now: now)
        insurance.maxChoices = 0
        insurance.tiebreak = []
        insurance.threshold = 10_000
        insurance.standardSeries = "suzhou"
        try await grade1.create(on: db)
        try await kindergarten.create(on: db)
        try await insurance.create(on: db)
        var quotas: [Quota] = []
        for (k, school) in schools.enumerated() {
            for program in [grade1, kindergarten] {
                let quota = Quota()
                quota.seats = program === grade1 ? [12, 6, 9, 4, 8][k % 5] : [30, 20, 25][k % 3]
                quota.$program.id = program.id!
                quota.$school.id = school.id!
                quotas.append(quota)
            }
        }
        try await quotas.create(on: db)
        var services: [ServiceApplication] = [], rankings: [ServicePreference] = []
        for (n, child) in children.enumerated() {
            let s = ServiceApplication()
            let submitted = now.addingTimeInterval(-Double(240 - n % 80) * 86_400 - Double(n) * 97)
            s.createdAt = submitted
            s.updatedAt = submitted
            s.number = "FW\(y)-D" + String(format: "%06d", n)
            // Mostly schools of his own town first, then popular ones.
            var prefs: [String] = []
            while prefs.count < 3 {
                let school = schools[Int.random(in: 0..<schools.count, using: &rng) % (prefs.isEmpty ? 6 : schools.count)]
                if !prefs.contains(school.code) { prefs.append(school.code) }
            }
            s.id = UUID()
            rankings += prefs.enumerated().map { ServicePreference(application: s.id!, round: 1, rank: $0.offset + 1, school: $0.element) }
            s.childHash = child.idHash
            s.submittedAt = submitted
            s.$program.id = grade1.id!
            s.$resident.id = child.$resident.id
            s.$child.id = child.id
            services.append(s)
        }
        try await services.create(on: db, batch: 100)
        try await rankings.create(on: db, batch: 500)
        // Priority groups (优先/优待) of grade 1 and next year's kindergarten; one grade-1 child of a
        // serviceman, verified by the veterans' bureau, is placed ahead of the points order.
        var groups: [PriorityGroup] = []
        for program in [grade1, kindergarten] {
            for (code, title, department) in [("servicemen", "现役军人子女", "veterans"), ("firefighters", "消防救援人员子女", "fire")] {
                let group = PriorityGroup()
                group.id = UUID()
                group.code = code
                group.title = title
                group.department = department
                group.placement = .ahead
                group.bonus = 0
                group.$program.id = program.id!
                groups.append(group)
            }
        }
        try await groups.create(on: db)
        if let priority = services.last {
            let claim = PriorityClaim()
            claim.createdAt = priority.createdAt
            claim.evidence = "军官证（演示）"
            claim.state = .verified
            claim.decidedBy = "veterans.demo"
            claim.decidedAt = priority.createdAt.addingTimeInterval(86_400)
            claim.$application.id = priority.id!
            claim.$group.id = groups[0].id!
            try await claim.create(on: db)
        }
        // A married couple with two children (seed 000 塘桥: only one of them may apply, and grade 1
        // lets one spouse apply): the first applicant's wife, who has not applied, and a younger
        // child on his household.
        let applicants = Set(services.map(\.$resident.id))
        if let first = services.first, let husband = try await Resident.find(first.$resident.id, on: db),
           let wife = people.first(where: { !applicants.contains($0.resident.id!) && $0.resident.id != husband.id }),
           case .success(let wifeID) = ResidentID.validate(wife.idNumber, today: today, regions: app.regions) {
            try await HouseholdMember(.spouse, name: wife.resident.name, id: wifeID, of: husband.requireID(), data: app.personalData, at: now, verifiedBy: "demo").create(on: db)
            let first17 = "320582" + String(format: "%04d", y - 3) + "0612" + "042"
            if let digit = ResidentID.checkDigit(first17), case .success(let second) = ResidentID.validate(first17 + String(digit), today: today, regions: app.regions) {
                try await HouseholdMember(.child, name: husband.name.prefix(1) + "小妹", id: second, of: husband.requireID(), data: app.personalData, at: now, verifiedBy: "demo").create(on: db)
            }
        }
        try await lastYear(app, schools: schools, people: people, skipping: Set(services.map(\.$resident.id)), today: today, now: now, rng: &rng)
        // Run three days ago (or today, early in January), so the publicity is open now.
        let closes = grade1.closes
        guard closes < today, closes.year == y else { return }
        let ran = closes < today.adding(days: -3) ? now.addingTimeInterval(-3 * 86_400) : now
        let organiser = ProgramService(app: app, db: db, now: ran, actor: Actor(id: nil, login: "edu", address: nil), logger: app.logger)
        _ = try await organiser.run(grade1, round: 1)
    }

    /// Last year's grade 1, finished: its points were frozen then (the archives of that year are
    /// gone), both rounds ran and are final.
    static func lastYear(_ app: Application, schools: [School], people: [(resident: Resident, idNumber: String)], skipping: Set<UUID>,
                         today: CivilDate, now: Date, rng: inout SplitMix64) async throws {
        let db = app.db
        let y = today.year - 1
        let program = program(code: "\(y)-grade1", year: y, kind: .grade1, title: "\(y)年积分入学（小学一年级）",
                              opens: CivilDate(year: y, month: 3, day: 1)!, closes: CivilDate(year: y, month: 5, day: 30)!, cutoff: CivilDate(year: y, month: 8, day: 31)!, now: now)
        program.quotaPublishedAt = now.addingTimeInterval(-600 * 86_400)
        try await program.create(on: db)
        var quotas: [Quota] = []
        for (k, school) in schools.enumerated() {
            let quota = Quota()
            quota.seats = [10, 5, 8, 4, 7][k % 5]
            quota.$program.id = program.id!
            quota.$school.id = school.id!
            quotas.append(quota)
        }
        try await quotas.create(on: db)
        let closes = CivilDate(year: y, month: 5, day: 30)!
        var applications: [ServiceApplication] = [], rankings: [ServicePreference] = []
        for (n, person) in people.filter({ !skipping.contains($0.resident.id!) }).suffix(220).enumerated() {
            let a = ServiceApplication()
            let submitted = Date(timeIntervalSince1970: Double(Instant(iso8601: "\(y)-03-01T09:00:00+08:00")!.seconds) + Double(n) * 20_000)
            a.createdAt = submitted
            a.updatedAt = submitted
            a.number = "FW\(y)-D" + String(format: "%06d", n)
            var prefs: [String] = []
            // Everyone wanted the first towns' schools; the others kept seats for the second round.
            while prefs.count < 3 {
                let school = schools[Int.random(in: 0..<min(9, schools.count), using: &rng)]
                if !prefs.contains(school.code) { prefs.append(school.code) }
            }
            a.id = UUID()
            rankings += prefs.enumerated().map { ServicePreference(application: a.id!, round: 1, rank: $0.offset + 1, school: $0.element) }
            a.childHash = "resident:" + person.resident.id!.uuidString
            a.submittedAt = submitted
            a.points = Int64(Int.random(in: 120...440, using: &rng)) * 50
            a.tiebreakPoints = [Int64.random(in: 20...120, using: &rng) * 100, Int64.random(in: 5...60, using: &rng) * 100]
            a.$program.id = program.id!
            a.$resident.id = person.resident.id!
            applications.append(a)
        }
        try await applications.create(on: db, batch: 100)
        try await rankings.create(on: db, batch: 500)
        let at = { (days: Int) in Date(timeIntervalSince1970: Double(Instant(iso8601: closes.adding(days: days).description + "T10:00:00+08:00")!.seconds)) }
        let actor = Actor(id: nil, login: "edu", address: nil)
        let first = try await ProgramService(app: app, db: db, now: at(3), actor: actor, logger: app.logger).run(program, round: 1)
        first.finalizedAt = at(12)
        try await first.save(on: db)
        let second = try await ProgramService(app: app, db: db, now: at(15), actor: actor, logger: app.logger).run(program, round: 2)
        second.finalizedAt = at(24)
        try await second.save(on: db)
    }

    static func program(code: String, year: Int, kind: ProgramRules.Kind, title: String, opens: CivilDate, closes: CivilDate, cutoff: CivilDate, now: Date) -> Program {
        let p = Program(code: code, year: year, kind: kind, title: title, opens: opens, closes: closes, ageCutoff: cutoff, by: "edu", at: now)
        p.id = UUID()
        p.maxChoices = 3
        p.minResidenceMonths = 12
        p.requirePermit = true
        p.tiebreak = ["socialSecurity", "residence"]
        return p
    }
}
