import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class OfferTests: XCTestCase {
    /// A year of grade 1 with offers: the round, its publicity and finalization, then each placed
    /// family accepts or declines; a decline moves the waitlist at once (texted, published as an
    /// addendum), silence counts as the program says, and the second round waits for the
    /// waitlist to close and leaves the decliners out.
    func testADeclineMovesTheWaitlistUpEachListAndTheAddendumAndTextsTellIt() async throws {
        try await withApp(demo: true) { ctx in
            // setup: three schools with one seat each; five days to answer, silence declines,
            // the waitlist closes on 31 October.
            let program = try await makeGrade1(ctx, code: "2026-grade1-o", maxChoices: 2,
                                               quotas: "OA,实验小学,320582-01,1\nOB,城北小学,320582-01,1\nOC,城南小学,320582-01,1\n") { p in
                p.offerDays = 5
                p.offerSilence = .decline
                p.waitlistCloses = CivilDate("2026-10-31")!
            }
            try await approveAllSteps(ctx, .quota, "2026-grade1-o")
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-grade1-o")
            try await edu.post("/programs/2026-grade1-o/quotas/publish", [:])
            // 王 95 wants OA; 张 80 OA then OB; 赵 70 OB then OC; 钱 60 OB then OC.
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            var browsers: [String: Browser] = [:], numbers: [String: String] = [:]
            let parents: [(String, Int64, [String])] = [("王大伟", 95, ["OA"]), ("张三丰", 80, ["OA", "OB"]), ("赵敏", 70, ["OB", "OC"]), ("钱多多", 60, ["OB", "OC"])]
            for (n, (name, points, schools)) in parents.enumerated() {
                let (resident, child) = try await makeParent(ctx, name: name, idNumber: ProgramsTests.id("410102", "198\(n)0303", "31\(n)"), points: points,
                                                             child: (name: name.prefix(1) + "小孩", id: ProgramsTests.id("410102", "2020060\(n + 1)", "32\(n)")))
                guard case .saved(let application) = try await service.apply(resident: resident, child: child, program: program, schools: schools) else { return XCTFail("refused") }
                numbers[name] = application.number
                let user = User(login: "1390000200\(n)", passwordHash: try ctx.app.password.hash("parent12345"), displayName: name, role: .citizen, status: .active,
                                jurisdictionID: nil, departmentID: nil, at: ctx.clock.now)
                user.phone = "1390000200\(n)"
                try await user.create(on: ctx.app.db)
                resident.$user.id = try user.requireID()
                try await resident.save(on: ctx.app.db)
                browsers[name] = Browser(ctx.app)
            }
            func parent(_ name: String) async throws -> Browser {
                let n = parents.firstIndex { $0.0 == name }!
                let browser = browsers[name]!
                try await browser.signIn("1390000200\(n)", "parent12345")
                try await browser.get("/me/programs")   // the form's token, as the page gives it
                return browser
            }
            func texts(to name: String, since: Int) -> [String] {
                let n = parents.firstIndex { $0.0 == name }!
                return ctx.notifier.messages.dropFirst(since).filter { $0.recipient == "1390000200\(n)" }.map(\.body)
            }
            ctx.clock.advance(10 * 86_400)   // 1 October
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/programs/2026-grade1-o")
            try await admin.post("/programs/2026-grade1-o/rounds", [:])
            ctx.clock.advance(7 * 86_400)    // 8 October
            try await admin.signIn("admin", "demo12345")
            try await admin.get("/publicity/2026-grade1-o/1")
            let beforeFinal = ctx.notifier.messages.count
            let final = try await admin.post("/programs/2026-grade1-o/rounds/1/finalize", [:])
            XCTAssertEqual(final.status, .seeOther)
            // The round: 王 OA, 张 OB, 赵 OC, 钱 none. The three placed are asked to answer by 13 October.
            for name in ["王大伟", "张三丰", "赵敏"] {
                XCTAssertEqual(texts(to: name, since: beforeFinal).filter { $0.contains("2026年10月13日前") && $0.contains("确认接受或放弃") }.count, 1, name)
            }
            XCTAssertTrue(texts(to: "钱多多", since: beforeFinal).isEmpty, "nobody offers him anything yet")
            let zhao = try await parent("赵敏")
            var page = try await zhao.get("/me/programs")
            XCTAssertTrue(page.body.contains("请于2026年10月13日前确认是否接受这个学位"))
            XCTAssertTrue(page.body.contains("<th>录取线</th>"), "after the round each choice shows its cutoff and outcome")
            XCTAssertFalse(page.body.contains(#"<ol class="choices">"#))
            // Someone else's application, and an answer that is neither: refused.
            let notHis = try await zhao.post("/me/programs/\(numbers["王大伟"]!)/offer", ["answer": "accept"])
            XCTAssertEqual(notHis.status, .notFound)
            let neither = try await zhao.post("/me/programs/\(numbers["赵敏"]!)/offer", ["answer": "maybe"])
            XCTAssertEqual(neither.status, .badRequest)
            XCTAssertTrue(neither.body.contains("接受或放弃"), "the refusal names what to choose")
            let accepted = try await zhao.post("/me/programs/\(numbers["赵敏"]!)/offer", ["answer": "accept"])
            XCTAssertEqual(accepted.location, "/me/programs?done=offerAccepted")
            page = try await zhao.get("/me/programs")
            XCTAssertTrue(page.body.contains("你已确认接受这个学位"))
            let again = try await zhao.post("/me/programs/\(numbers["赵敏"]!)/offer", ["answer": "decline"])
            XCTAssertEqual(again.status, .badRequest, "an answered offer is not answered twice")

            // MUT: 王 declines OA. The chain: 张 OB → OA, 赵 OC → OB (his accepted answer stands),
            // 钱 none → OC (asked to answer by 13 October).
            ctx.clock.advance(86_400)        // 9 October
            let beforeDecline = ctx.notifier.messages.count
            let wang = try await parent("王大伟")
            let declined = try await wang.post("/me/programs/\(numbers["王大伟"]!)/offer", ["answer": "decline"])
            XCTAssertEqual(declined.location, "/me/programs?done=offerDeclined", "\(declined.status) \(declined.body.prefix(3000))")

            let round1 = try await AllocationRound.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 1).first()!
            let rows = try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == round1.requireID()).all()
            let held = Dictionary(uniqueKeysWithValues: rows.map { row in (parents.first { numbers[$0.0] == row.number }!.0, row.schoolCode ?? "-") })
            XCTAssertEqual(held, ["王大伟": "-", "张三丰": "OA", "赵敏": "OB", "钱多多": "OC"])
            let offers = Dictionary(uniqueKeysWithValues: rows.map { row in (row.number, row.offer) })
            XCTAssertEqual(offers[numbers["王大伟"]!], .declined)
            XCTAssertEqual(offers[numbers["赵敏"]!], .accepted)
            XCTAssertEqual(offers[numbers["钱多多"]!], .pending)
            XCTAssertEqual(rows.first { $0.number == numbers["钱多多"]! }?.offerDue, CivilDate("2026-10-14")!, "five days from the move")
            XCTAssertEqual(texts(to: "王大伟", since: beforeDecline).count, 1)
            XCTAssertTrue(texts(to: "王大伟", since: beforeDecline)[0].contains("你已放弃实验小学的学位"))
            XCTAssertTrue(texts(to: "张三丰", since: beforeDecline).first?.contains("递补至实验小学") ?? false)
            XCTAssertTrue(texts(to: "赵敏", since: beforeDecline).first?.contains("递补至城北小学") ?? false)
            XCTAssertTrue(texts(to: "钱多多", since: beforeDecline).first.map { $0.contains("递补至城南小学") && $0.contains("2026年10月14日前") } ?? false)
            // The publicity's addendum lists the decline and the three moves in order, masked.
            let publicity = try await Browser(ctx.app).get("/publicity/2026-grade1-o/1")
            let addendum = try XCTUnwrap(publicity.body.range(of: #"id="addendum""#).map { String(publicity.body[$0.lowerBound...].prefix(1200)) })
            XCTAssertTrue(addendum.contains("\(numbers["王大伟"]!) 王*伟 放弃 实验小学 学位"), addendum)
            let order = ["张*丰：城北小学 → 实验小学", "赵*：城南小学 → 城北小学", "钱*多：未录取 → 城南小学"].map { addendum.range(of: $0)?.lowerBound }
            XCTAssertFalse(order.contains(nil), addendum)
            XCTAssertEqual(order.compactMap { $0 }, order.compactMap { $0 }.sorted())
            XCTAssertFalse(publicity.body.contains("王大伟"), "no full name on the public page")
            // 张's own page: OA placed from the waitlist, OB no longer his.
            let zhang = try await parent("张三丰")
            page = try await zhang.get("/me/programs")
            XCTAssertEqual(ProgramsTests.resultLines(page.body), [["实验小学", "候补递补录取"], ["城北小学", "已不再占用"]])
            let zhangAccepts = try await zhang.post("/me/programs/\(numbers["张三丰"]!)/offer", ["answer": "accept"])
            XCTAssertEqual(zhangAccepts.status, .seeOther)

            // The day before 钱's due day he is reminded once; after it his silence declines OC,
            // and nobody is left who wants it.
            ctx.clock.advance(4 * 86_400)    // 13 October
            var before = ctx.notifier.messages.count
            var counts = try await Reminders.run(ctx.app, now: ctx.clock.now)
            XCTAssertEqual(counts.offers, 1)
            XCTAssertEqual(texts(to: "钱多多", since: before).filter { $0.contains("2026年10月14日前") }.count, 1)
            counts = try await Reminders.run(ctx.app, now: ctx.clock.now)
            XCTAssertEqual(counts.offers, 0, "once however often the job runs")
            XCTAssertEqual(counts.elsewhere, 0, "the reminders' own record says it was sent")
            ctx.clock.advance(2 * 86_400)    // 15 October
            before = ctx.notifier.messages.count
            counts = try await Reminders.run(ctx.app, now: ctx.clock.now)
            XCTAssertEqual(counts.lapsed, 1)
            XCTAssertTrue(texts(to: "钱多多", since: before).first?.contains("视为放弃城南小学的学位") ?? false)
            let qian = try await AllocationResult.query(on: ctx.app.db).filter(\.$number == numbers["钱多多"]!).first()!
            XCTAssertEqual(qian.offer, .declinedBySilence)
            XCTAssertNil(qian.schoolCode)
            let late = try await parent("钱多多").post("/me/programs/\(numbers["钱多多"]!)/offer", ["answer": "accept"])
            XCTAssertEqual(late.status, .badRequest, "no answer after the days ran out")
            let cutoffs = try await round1.cutoffs(on: ctx.app.db)
            XCTAssertEqual(cutoffs.map(\.admitted), [1, 1, 0], "OC's seat is free again")

            // The second round waits for the waitlist to close, then leaves the decliners out.
            try await admin.signIn("admin", "demo12345")
            try await admin.get("/programs/2026-grade1-o")
            let early = try await admin.post("/programs/2026-grade1-o/rounds", [:])
            XCTAssertEqual(early.status, .badRequest)
            XCTAssertTrue(early.body.contains("2026年10月31日"), "the page says when the waitlist closes")
            ctx.clock.advance(17 * 86_400)   // 1 November
            try await admin.signIn("admin", "demo12345")
            try await admin.get("/programs/2026-grade1-o")
            let second = try await admin.post("/programs/2026-grade1-o/rounds", [:])
            XCTAssertEqual(second.location, "/publicity/2026-grade1-o/2")
            let round2 = try await AllocationRound.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 2).first()!
            let inRound2 = try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == round2.requireID()).all().map(\.number)
            XCTAssertEqual(inRound2, [], "those who declined, themselves or by silence, are out; the others are placed")
            let stats = Dictionary(uniqueKeysWithValues: try await Stats.counts(on: ctx.app.db))
            XCTAssertEqual(stats["offers_declined"], 2)
        }
    }
}
