import Crypto
import Fluent
import Foundation
import JifenCore
import Vapor

/// The demo city's points: a social-insurance feed file (kept in the data directory to try the
/// upload page with, and imported), and applications in every state across departments.
enum DemoPoints {
    /// A one-page PDF standing in for scanned papers.
    static let evidencePDF = Array("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% Jifen demo evidence\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)

    static func feedPath(_ app: Application) -> String {
        (app.jifenConfig.dataDirectory as NSString).appendingPathComponent("demo/social-insurance-demo.csv")
    }

    static func load(_ app: Application, people: [(resident: Resident, idNumber: String)], today: CivilDate, now: Date) async throws {
        guard !people.isEmpty, let (_, standard) = try await StandardVersion.inForce(on: today, on: app.db) else { return }
        var rng = SplitMix64(seed: 88_888)
        let db = app.db

        // Who may apply: people living at a verified address now; the 杨舍 window's first.
        let codes = Dictionary(uniqueKeysWithValues: try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.grid.rawValue).all().map { ($0.id!, $0.code) })
        let gridOf = try await DemoResidents.currentGrids(of: people, on: db).compactMapValues { codes[$0] }
        let eligible = people.filter { gridOf[$0.resident.id!] != nil }
        guard eligible.count >= 60 else { return }

        // 1. The feed file: months of social insurance for 400 people, and three bad rows.
        let monthEnd = CivilDate(year: today.year, month: today.month, day: 1)!.adding(days: -1)
        var lines = [FeedKind.socialInsurance.columns.joined(separator: ",")]
        for (n, person) in eligible.prefix(400).enumerated() {
            lines.append("\(person.idNumber),\(person.resident.name),\(Int.random(in: 6...140, using: &rng)),\(monthEnd)")
            if n == 120 { lines.append("\(person.idNumber.dropLast())\(person.idNumber.last == "1" ? "2" : "1"),校验位错误,36,\(monthEnd)") }
            if n == 240 { lines.append("\(person.idNumber),\(person.resident.name),三十六,\(monthEnd)") }
            if n == 360 { lines.append("\(person.idNumber),\(person.resident.name),36,\(today.year)-13-01") }
        }
        let csv = lines.joined(separator: "\r\n") + "\r\n"
        let path = feedPath(app)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(csv.utf8))
        _ = try await FeedImporter.run(kind: .socialInsurance, bytes: Array(csv.utf8), filename: "social-insurance-demo.csv", by: .system,
                                       app: app, db: db, today: today, now: now)

        // 2. Applications. Items people claim (those needing papers), and the evidence file.
        let papers = standard.items.filter { item in
            guard item.feed == nil, item.validYears == nil else { return false }
            switch item.rule { case .veto, .deduction: return false; default: return true }
        }
        let hrss = papers.filter { $0.department == "hrss" }
        let others = papers.filter { $0.department != "hrss" }
        let sha = hex(SHA256.hash(data: Data(evidencePDF)))
        try SealedFiles(app, folder: "evidence").store(evidencePDF, sha256: sha)

        let yangshe = eligible.filter { gridOf[$0.resident.id!]?.hasPrefix("320582-01-") == true }.prefix(12)
        let elsewhere = eligible.filter { gridOf[$0.resident.id!]?.hasPrefix("320582-01-") != true }
        // Twelve in 杨舍 (the demo clerk's town) and fifty elsewhere, in every state.
        let plan: [State] = [.draft, .submitted, .submitted, .submitted, .submitted, .returned, .review(days: 3), .review(days: 30),
                             .completed, .completed, .submitted, .draft]
            + (0..<50).map { n in
                switch n % 10 {
                case 0: .draft
                case 1, 2: .submitted
                case 3: .returned
                case 4, 5, 6: .review(days: [2, 9, 26, 40][n % 4])
                default: n == 47 ? .fraud : n == 48 ? .ended : .completed
                }
            }
        let applicants = Array(yangshe) + elsewhere.prefix(plan.count - yangshe.count)
        for (person, state) in zip(applicants, plan) {
            let days = state.daysAgo
            let then = now.addingTimeInterval(-Double(days + 2) * 86_400)
            let applicant = PointsService(app: app, db: db, now: then, actor: Actor(id: nil, login: "demo", address: nil), logger: app.logger)
            guard case .opened(let application) = try await applicant.open(for: person.resident, jurisdictionID: nil) else { continue }
            var items = [hrss[Int.random(in: 0..<hrss.count, using: &rng)]]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let item = others[Int.random(in: 0..<others.count, using: &rng)]
                if !items.contains(where: { $0.id == item.id }) { items.append(item) }
            }
            for item in items {
                let claim = PointsClaim()
                claim.createdAt = then
                claim.item = item.id
                claim.department = item.department
                claim.value = ClaimInput.text(value(for: item, using: &rng))
                claim.state = .claimed
                claim.$application.id = try application.requireID()
                try await claim.create(on: db)
                let file = EvidenceFile()
                file.createdAt = then
                file.sha256 = sha
                file.kind = .pdf
                file.size = evidencePDF.count
                file.filename = item.title + ".pdf"
                file.uploadedBy = "demo"
                file.$claim.id = try claim.requireID()
                try await file.create(on: db)
            }
            if case .draft = state { continue }
            try await applicant.submit(application)
            let window = PointsService(app: app, db: db, now: then.addingTimeInterval(86_400), actor: Actor(id: nil, login: "clerk.demo", address: nil), logger: app.logger)
            if case .returned = state {
                try await window.returnApplication(application, missing: "职业资格证书复印件不清晰，请上传原件扫描件")
                continue
            }
            if case .submitted = state { continue }
            try await window.accept(application)
            let finish: Bool = if case .review = state { false } else { true }
            let reviewer = PointsService(app: app, db: db, now: then.addingTimeInterval(2 * 86_400), actor: Actor(id: nil, login: "reviewer.demo", address: nil), logger: app.logger)
            for (n, claim) in try await application.claims(on: db).enumerated() where claim.state == .claimed {
                guard finish || Int.random(in: 0..<3, using: &rng) == 0, let item = standard.item(claim.item) else { continue }
                let roll = Int.random(in: 0..<10, using: &rng)
                if roll == 0 && n > 0 {
                    try await reviewer.decide(claim, .reject(reason: "证明材料与原件不符"), item: item)
                } else if roll == 1, case .choice(let options) = item.rule, let lowest = options.first {
                    try await reviewer.decide(claim, .correct(value: Fact(.option(lowest.id)), reason: "核定为" + lowest.title), item: item)
                } else {
                    try await reviewer.decide(claim, .approve, item: item)
                }
            }
            let centre = PointsService(app: app, db: db, now: now, actor: Actor(id: nil, login: "admin", address: nil), logger: app.logger)
            if case .fraud = state { _ = try await centre.markFraud(person.resident, reason: "伪造劳动合同（演示）") }
            if case .ended = state { try await centre.end(person.resident, reason: "已在本市落户（演示）") }
        }
    }

    enum State {
        case draft, submitted, returned, completed, fraud, ended
        case review(days: Int)

        var daysAgo: Int {
            switch self {
            case .draft: 1
            case .submitted: 2
            case .returned: 5
            case .review(let days): days
            case .completed, .fraud, .ended: 45
            }
        }
    }

    static func value(for item: ScoringStandard.Item, using rng: inout SplitMix64) -> Fact.Value {
        switch item.rule {
        case .choice(let options): .option(options[Int.random(in: 0..<options.count, using: &rng)].id)
        case .perUnit(_, let per, _, _, _, _): .quantity(Decimal2(hundredths: per.hundredths * Int64(Int.random(in: 1...5, using: &rng))))
        case .tiers(_, let tiers, _): .quantity(tiers.last?.from ?? Decimal2(hundredths: 100))
        default: .flag(true)
        }
    }
}


extension DemoPoints {
    /// A city's points applications of this year beyond those the programs' applicants hold and
    /// those made through the services, up to `size.pointsApplications`: drafts, submitted,
    /// returned, in the departments' review (some items decided) and completed with their archive.
    static func fill(_ app: Application, size: DemoSize, people: [(resident: Resident, idNumber: String)], today: CivilDate, now: Date,
                     progress: (String) -> Void) async throws {
        let db = app.db
        let have = try await PointsApplication.query(on: db).filter(\.$year == today.year).count()
        guard size.pointsApplications > have, let (version, standard) = try await StandardVersion.inForce(on: today, on: db) else { return }
        progress("积分申请 / points applications \(have)/\(size.pointsApplications)")
        let taken = Set(try await PointsApplication.query(on: db).all().map(\.$resident.id))
        let gridOf = try await DemoResidents.currentGrids(of: people, on: db)
        let free = people.filter { gridOf[$0.resident.id!] != nil && !taken.contains($0.resident.id!) }.prefix(size.pointsApplications - have)
        var rng = SplitMix64(seed: 20_000)
        let items = ["education", "socialInsuranceMonths", "residenceYears", "vocationalQualification"].compactMap { standard.item($0) }
        let calendar = try await app.workingCalendar(on: db)
        let plan: [PointsApplication.Status] = [.draft, .submitted, .submitted, .returned, .inReview, .inReview, .inReview, .completed, .completed, .completed]
        var applications: [PointsApplication] = [], claims: [PointsClaim] = [], archives: [PointsArchive] = [], entries: [PointsHistoryEntry] = []
        for (n, person) in free.enumerated() {
            let state = plan[n % plan.count]
            let opened = now.addingTimeInterval(-Double(n % 150 + 3) * 86_400 - Double(n % 600) * 60)
            let reviewed = opened.addingTimeInterval(2 * 86_400)
            let application = PointsApplication()
            application.id = UUID()
            application.createdAt = opened
            application.updatedAt = state == .draft ? opened : reviewed
            application.number = "JF\(today.year)-C" + String(format: "%07d", n)
            application.year = today.year
            application.standardCode = version.code
            application.status = state
            application.openedBy = "demo"
            application.$resident.id = person.resident.id!
            application.$jurisdiction.id = gridOf[person.resident.id!]!
            if state != .draft { application.submittedAt = opened.addingTimeInterval(3_600) }
            if [.returned, .inReview, .completed].contains(state) {
                application.reviewedAt = reviewed
                application.reviewedBy = "clerk.demo"
            }
            if state == .returned { application.returnReason = "社会保险缴纳证明不清晰，请重新上传" }
            let due = calendar.adding(workingDays: app.jifenConfig.reviewWorkingDays, to: ShanghaiDate.today(reviewed)).date
            var domain: [Claim] = []
            for item in items {
                let value = DemoPoints.value(for: item, using: &rng)
                let claim = PointsClaim()
                claim.createdAt = opened
                claim.item = item.id
                claim.department = item.department
                claim.value = ClaimInput.text(value)
                claim.$application.id = application.id!
                // In review, about half of the items are decided; completed, all of them.
                if state == .completed || (state == .inReview && Bool.random(using: &rng)) {
                    claim.state = .verified
                    claim.verifier = "department:" + item.department
                    claim.decidedBy = "reviewer.demo"
                    claim.decidedAt = reviewed.addingTimeInterval(86_400)
                    domain.append(Claim(item: item.id, fact: Fact(value), state: .verified(by: .department(item.department))))
                } else {
                    claim.state = .claimed
                    if state == .inReview { claim.dueDate = due }
                }
                claims.append(claim)
            }
            if state == .completed {
                let total = PointsArchiveRules.evaluate(domain, standard: standard, asOf: today).total
                application.total = total.hundredths
                application.completedAt = reviewed.addingTimeInterval(86_400)
                let archive = PointsArchive()
                archive.id = UUID()
                archive.updatedAt = reviewed
                archive.status = .active
                archive.year = today.year
                archive.total = total.hundredths
                archive.$resident.id = person.resident.id!
                archive.$application.id = application.id!
                archives.append(archive)
                let entry = PointsHistoryEntry()
                entry.at = reviewed
                entry.kind = .completed
                entry.before = 0
                entry.after = total.hundredths
                entry.reason = ""
                entry.details = .init(number: application.number, year: today.year)
                entry.by = "reviewer.demo"
                entry.$archive.id = archive.id!
                entries.append(entry)
            }
            applications.append(application)
        }
        try await db.transaction { [applications, claims, archives, entries] db in
            try await applications.create(on: db, batch: 200)
            try await claims.create(on: db, batch: 200)
            try await archives.create(on: db, batch: 200)
            try await entries.create(on: db, batch: 200)
        }
        progress("积分申请 / points applications \(have + applications.count)/\(size.pointsApplications)")
    }
}
