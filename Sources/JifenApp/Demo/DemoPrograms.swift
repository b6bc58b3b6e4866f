import Fluent
import Foundation
import JifenCore
import Vapor

/// The demo city's programs: schools in every town, this year's grade 1 with quotas, a few
/// hundred applicants whose points were reviewed earlier in the year, and its first round in
/// publicity; next year's kindergarten open for applications with its quotas published.
enum DemoPrograms {
    static func load(_ app: Application, size: DemoSize = .small, people: [(resident: Resident, idNumber: String)], today: CivilDate, now: Date,
                     progress: (String) -> Void = { _ in }) async throws {
        let db = app.db
        guard people.count >= 400, let (version, standard) = try await StandardVersion.inForce(on: today, on: db) else { return }
        var rng = SplitMix64(seed: 61_2026)
        let data = app.personalData

        // Schools: two or three primary schools per town; a city's schools of three levels spread over its towns.
        let towns = try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.town.rawValue).sort(\.$code).all()
        let names = ["实验小学", "中心小学", "第二小学"]
        var schools: [School] = [], kindergartens: [School] = [], middleSchools: [School] = []
        func short(_ town: Jurisdiction) -> String { town.name.split(separator: "（").first.map(String.init) ?? town.name }
        if let levels = size.schools {
            for (count, letter, name, into) in [(levels.primary, "P", "小学", 0), (levels.kindergarten, "K", "幼儿园", 1), (levels.middle, "M", "中学", 2)] {
                for k in 0..<count {
                    let town = towns[k % towns.count]
                    let school = School()
                    school.code = town.code.replacingOccurrences(of: "320582-", with: "ZJG") + "-" + letter + String(format: "%02d", k / towns.count + 1)
                    school.name = short(town) + (k < towns.count ? "实验" : "第\(k / towns.count + 1)") + name
                    school.$jurisdiction.id = try town.requireID()
                    if into == 0 { schools.append(school) } else if into == 1 { kindergartens.append(school) } else { middleSchools.append(school) }
                }
            }
        } else {
            for town in towns {
                for k in 0..<(town.code.hasSuffix("-01") ? 3 : 2) {
                    let school = School()
                    school.code = town.code.replacingOccurrences(of: "320582-", with: "ZJG") + "-\(k + 1)"
                    school.name = short(town) + names[k]
                    school.$jurisdiction.id = try town.requireID()
                    schools.append(school)
                }
            }
        }
        let all = schools + kindergartens + middleSchools
        try await all.create(on: db, batch: 200)
        // Each school's catchment (施教区) is its town.
        let since = CivilDate(year: today.year, month: 1, day: 1)!
        try await zip(all, all.map { s in towns.first { $0.id == s.$jurisdiction.id }!.code })
            .map { SchoolCatchment(school: $0.0.id!, area: $0.1, from: since) }.create(on: db, batch: 200)

        // Applicants with this year's reviewed points: a completed application with three
        // verified items each, its archive and history, and a child of grade-1 age.
        let gridOf = try await DemoResidents.currentGrids(of: people, on: db)
        let taken = Set(try await PointsApplication.query(on: db).all().map(\.$resident.id))
        let candidates = people.filter { gridOf[$0.resident.id!] != nil && !taken.contains($0.resident.id!) }.prefix(size.applicants)
        let items = ["education", "socialInsuranceMonths", "residenceYears", "vocationalQualification"].compactMap { standard.item($0) }
        var applications: [PointsApplication] = [], claims: [PointsClaim] = [], archives: [PointsArchive] = [], history: [(Int, Int64)] = []
        var children: [HouseholdMember] = []
        var childNumbers: Set<String> = []
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
            guard childNumbers.insert(childNumber).inserted, case .success(let id) = ResidentID.validate(childNumber, today: today, regions: app.regions) else { continue }
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
        if size.schools != nil {
            // A city: each level's seats shared among its schools, unevenly.
            let grade7 = program(code: "\(y + 1)-grade7", year: y + 1, kind: .grade7, title: "\(y + 1)年积分入学（初中一年级）",
                                 opens: CivilDate(year: y + 1, month: 3, day: 1)!, closes: CivilDate(year: y + 1, month: 5, day: 30)!,
                                 cutoff: CivilDate(year: y + 1, month: 8, day: 31)!, now: now)
            grade7.quotaPublishedAt = now
            try await grade7.create(on: db)
            for (program, levelSchools, seats, weights) in [(grade1, schools, size.seats.primary, [12, 6, 9, 4, 8]),
                                                             (kindergarten, kindergartens, size.seats.kindergarten, [30, 20, 25]),
                                                             (grade7, middleSchools, size.seats.middle, [8, 5, 6])] {
                quotas += zip(levelSchools, shares(of: seats, weights: levelSchools.indices.map { weights[$0 % weights.count] })).map { school, share in
                    let quota = Quota()
                    quota.seats = share
                    quota.$program.id = program.id!
                    quota.$school.id = school.id!
                    return quota
                }
            }
        } else {
            for (k, school) in schools.enumerated() {
                for program in [grade1, kindergarten] {
                    let quota = Quota()
                    quota.seats = program === grade1 ? [12, 6, 9, 4, 8][k % 5] : [30, 20, 25][k % 3]
                    quota.$program.id = program.id!
                    quota.$school.id = school.id!
                    quotas.append(quota)
                }
            }
        }
        try await quotas.create(on: db, batch: 200)
        var services: [ServiceApplication] = [], rankings: [ServicePreference] = []
        for (n, child) in children.enumerated() {
            let s = ServiceApplication()
            let submitted = now.addingTimeInterval(-Double(240 - n % 80) * 86_400 - Double(n) * 97)
            s.createdAt = submitted
            s.updatedAt = submitted
            s.number = "FW\(y)-D" + String(format: "%06d", n)
            // A popular school first (one of the first few, a twentieth of a city's), then any.
            let popular = size.schools == nil ? 6 : max(6, schools.count / 20)
            var prefs: [String] = []
            while prefs.count < 3 {
                let school = schools[Int.random(in: 0..<schools.count, using: &rng) % (prefs.isEmpty ? popular : schools.count)]
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
        // At a city's scale the first applicant (a father with points, three choices, a wife and two
        // children) signs in as 13900000001 with the demo password: the pages a parent in the
        // middle of the year sees, for a visitor and for the benchmarks.
        if size.residents > 1000, let first = services.first, let resident = try await Resident.find(first.$resident.id, on: db),
           let citizen = try await User.find(login: "13800000001", on: db) {
            let parent = User(login: "13900000001", passwordHash: citizen.passwordHash, displayName: resident.name, role: .citizen,
                              status: .active, phone: "13900000001", jurisdictionID: nil, departmentID: nil, at: now)
            parent.demoAccount = true
            try await parent.create(on: db)
            resident.$user.id = try parent.requireID()
            try await resident.save(on: db)
        }
        try await lastYear(app, size: size, schools: schools, people: people, skipping: Set(services.map(\.$resident.id)), today: today, now: now, rng: &rng)
        // Run three days ago (or today, early in January), so the publicity is open now.
        let closes = grade1.closes
        guard closes < today, closes.year == y else { return }
        let ran = closes < today.adding(days: -3) ? now.addingTimeInterval(-3 * 86_400) : now
        let organiser = ProgramService(app: app, db: db, now: ran, actor: Actor(id: nil, login: "edu", address: nil), logger: app.logger)
        let started = ContinuousClock.now
        _ = try await organiser.run(grade1, round: 1)
        let took = ContinuousClock.now - started
        let seconds = String(format: "%.2f", Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        progress("\(grade1.code) 第一轮：\(services.count) 名申请人，用时 \(seconds) 秒 / round 1 of \(services.count) applicants run from the database in \(seconds) s")
    }

    /// Last year's grade 1, finished: its points were frozen then (the archives of that year are
    /// gone), both rounds ran and are final.
    static func lastYear(_ app: Application, size: DemoSize, schools: [School], people: [(resident: Resident, idNumber: String)], skipping: Set<UUID>,
                         today: CivilDate, now: Date, rng: inout SplitMix64) async throws {
        let db = app.db
        let y = today.year - 1
        let program = program(code: "\(y)-grade1", year: y, kind: .grade1, title: "\(y)年积分入学（小学一年级）",
                              opens: CivilDate(year: y, month: 3, day: 1)!, closes: CivilDate(year: y, month: 5, day: 30)!, cutoff: CivilDate(year: y, month: 8, day: 31)!, now: now)
        program.quotaPublishedAt = now.addingTimeInterval(-600 * 86_400)
        // Offers: a week to answer, silence declines, the waitlist open for a month.
        program.offerDays = 7
        program.offerSilence = .decline
        program.waitlistCloses = CivilDate(year: y, month: 6, day: 29)!
        try await program.create(on: db)
        var quotas: [Quota] = []
        let lastSeats = shares(of: size.seats.primary * 9 / 10, weights: schools.indices.map { [10, 5, 8, 4, 7][$0 % 5] })
        for (k, school) in schools.enumerated() {
            let quota = Quota()
            quota.seats = size.schools == nil ? [10, 5, 8, 4, 7][k % 5] : lastSeats[k]
            quota.$program.id = program.id!
            quota.$school.id = school.id!
            quotas.append(quota)
        }
        try await quotas.create(on: db, batch: 200)
        let closes = CivilDate(year: y, month: 5, day: 30)!
        var applications: [ServiceApplication] = [], rankings: [ServicePreference] = []
        for (n, person) in people.filter({ !skipping.contains($0.resident.id!) }).suffix(size.lastYearApplicants).enumerated() {
            let a = ServiceApplication()
            let submitted = Date(timeIntervalSince1970: Double(Instant(iso8601: "\(y)-03-01T09:00:00+08:00")!.seconds) + Double(n) * 20_000 * 220 / Double(max(220, size.lastYearApplicants)))
            a.createdAt = submitted
            a.updatedAt = submitted
            a.number = "FW\(y)-D" + String(format: "%06d", n)
            var prefs: [String] = []
            // Everyone wanted the first towns' schools; the others kept seats for the second round.
            let wanted = min(size.schools == nil ? 9 : max(9, schools.count / 4), schools.count)
            while prefs.count < 3 {
                let school = schools[Int.random(in: 0..<wanted, using: &rng)]
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
        try await OfferService(app: app, db: db, now: at(12), actor: actor, logger: app.logger).open(program, round: first)
        // Three families decline (one went to a private school, two moved away), each moving the
        // waitlist; one never answers; the others accept.
        let placed = try await AllocationResult.query(on: db).filter(\.$round.$id == first.requireID()).filter(\.$schoolCode != nil).sort(\.$rank).all()
        let decliners = [1, 4, 8].filter { $0 < placed.count }.map { placed[$0] }
        for (k, row) in decliners.enumerated() {
            let family = Actor(id: nil, login: "citizen", address: nil)
            _ = try await OfferService(app: app, db: db, now: at(13 + k), actor: family, logger: app.logger).answer(row, .decline)
        }
        let silent = placed.count > 12 ? placed[12].id : nil
        try await AllocationResult.query(on: db).filter(\.$round.$id == first.requireID()).filter(\.$offer == .pending)
            .filter(\.$id != silent ?? UUID()).set(\.$offer, to: .accepted).set(\.$offerAnsweredAt, to: at(16)).update()
        try await OfferService(app: app, db: db, now: at(20), actor: .system, logger: app.logger).lapse()
        try await AllocationResult.query(on: db).filter(\.$round.$id == first.requireID()).filter(\.$offer == .pending)
            .set(\.$offer, to: .accepted).set(\.$offerAnsweredAt, to: at(22)).update()
        let second = try await ProgramService(app: app, db: db, now: at(31), actor: actor, logger: app.logger).run(program, round: 2)
        second.finalizedAt = at(40)
        try await second.save(on: db)
    }

    /// `total` shared in proportion to `weights`, the remainder to the first.
    static func shares(of total: Int, weights: [Int]) -> [Int] {
        let sum = max(1, weights.reduce(0, +))
        var parts = weights.map { total * $0 / sum }
        for k in 0..<(total - parts.reduce(0, +)) where !parts.isEmpty { parts[k % parts.count] += 1 }
        return parts
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
