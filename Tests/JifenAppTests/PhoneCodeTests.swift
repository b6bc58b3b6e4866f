import Fluent
import Foundation
@testable import JifenApp
import Logging
import NIOConcurrencyHelpers
import XCTVapor

/// Codes sent to phones, tried as an attacker would: looping registration to flood a number or to
/// get fresh guesses, overwriting someone's pending registration, guessing in parallel.
final class PhoneCodeTests: XCTestCase {
    func register(_ browser: Browser, _ phone: String, password: String = "owner2026ab") async throws -> Browser.Page {
        try await browser.get("/register")
        return try await browser.post("/register", ["phone": phone, "displayName": "王小红", "password": password, "passwordConfirm": password, "acceptPrivacy": "on"])
    }

    func code(in message: OutgoingMessage?) throws -> String {
        try XCTUnwrap(Browser.firstMatch("验证码是 ([0-9]{6})", in: message?.body ?? ""))
    }

    func testTheRegisterLoopAnswers429PerPhoneAndPerAddress() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app, peer: "198.51.100.20")
            let got1 = try await register(browser, "13912345678").status
            XCTAssertEqual(got1, .seeOther)
            let again = try await register(browser, "13912345678")
            XCTAssertEqual(again.status, .tooManyRequests)
            XCTAssertTrue(again.body.contains("后再获取"), again.body)
            XCTAssertEqual(ctx.notifier.messages.count, 1, "no second text within a minute")
            for _ in 2...10 {
                ctx.clock.advance(61)
                let status = try await register(browser, "13912345678").status
                XCTAssertEqual(status, .seeOther)
            }
            ctx.clock.advance(61)
            let eleventh = try await register(browser, "13912345678")
            XCTAssertEqual(eleventh.status, .tooManyRequests)
            XCTAssertTrue(eleventh.body.contains("上限"), eleventh.body)
            XCTAssertEqual(ctx.notifier.messages.count, 10, "ten texts a day at most")
            ctx.clock.advance(86_400)
            let status = try await register(browser, "13912345678").status
            XCTAssertEqual(status, .seeOther, "the next day the number may have codes again")

            // Many numbers from one address: the configured hourly limit.
            ctx.app.jifenConfig.codesPerAddressHour = 3
            let flooder = Browser(ctx.app, peer: "203.0.113.50")
            for phone in ["13900000011", "13900000012", "13900000013"] {
                let status = try await register(flooder, phone).status
                XCTAssertEqual(status, .seeOther)
            }
            let fourth = try await register(flooder, "13900000014")
            XCTAssertEqual(fourth.status, .tooManyRequests)
            XCTAssertTrue(fourth.body.contains("网络"), fourth.body)
            let elsewhere = try await register(Browser(ctx.app, peer: "203.0.113.51"), "13900000014")
            XCTAssertEqual(elsewhere.status, .seeOther, "another address is not held back")
        }
    }

    /// Someone registering the owner's number a minute later neither changes the owner's password
    /// nor gets a code that works in the owner's browser; the owner's own code makes his account.
    func testAStrangersRegistrationCannotTakeOverAPendingOne() async throws {
        try await withApp { ctx in
            let owner = Browser(ctx.app)
            let got2 = try await register(owner, "13912345678", password: "owner2026ab").status
            XCTAssertEqual(got2, .seeOther)
            let ownersCode = try code(in: ctx.notifier.messages.last)
            ctx.clock.advance(61)
            let stranger = Browser(ctx.app)
            let got3 = try await register(stranger, "13912345678", password: "thief2026ab").status
            XCTAssertEqual(got3, .seeOther)
            let strangersCode = try code(in: ctx.notifier.messages.last)
            XCTAssertNotEqual(ownersCode, strangersCode)
            // The owner types the newest text he got — the stranger's — in his browser: refused.
            try await owner.get("/register/verify?phone=13912345678")
            let crossed = try await owner.post("/register/verify", ["phone": "13912345678", "code": strangersCode])
            XCTAssertEqual(crossed.status, .badRequest)
            let confirmed = try await owner.post("/register/verify", ["phone": "13912345678", "code": ownersCode])
            XCTAssertEqual(confirmed.location, "/home")
            let thief = try await Browser(ctx.app).signIn("13912345678", "thief2026ab")
            XCTAssertEqual(thief.status, .unauthorized, "the stranger's password never took effect")
            let mine = try await Browser(ctx.app).signIn("13912345678", "owner2026ab")
            XCTAssertEqual(mine.status, .seeOther)
            try await stranger.get("/register/verify?phone=13912345678")
            let late = try await stranger.post("/register/verify", ["phone": "13912345678", "code": strangersCode])
            XCTAssertEqual(late.status, .badRequest, "the account is no longer pending")
        }
    }

    func testFiveTriesEndACodeAndANewCodeBringsNoNewTries() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app)
            _ = try await register(browser, "13912345678")
            let right = try code(in: ctx.notifier.messages.last)
            let wrong = right == "000000" ? "111111" : "000000"
            try await browser.get("/register/verify?phone=13912345678")
            for remaining in [4, 3, 2, 1] {
                let answer = try await browser.post("/register/verify", ["phone": "13912345678", "code": wrong])
                XCTAssertTrue(answer.body.contains("还可尝试 \(remaining) 次"), answer.body)
            }
            let fifth = try await browser.post("/register/verify", ["phone": "13912345678", "code": wrong])
            XCTAssertEqual(fifth.status, .tooManyRequests)
            let late = try await browser.post("/register/verify", ["phone": "13912345678", "code": right])
            XCTAssertEqual(late.status, .tooManyRequests, "the right code after five tries is refused")
            ctx.clock.advance(61)
            _ = try await register(browser, "13912345678")
            let fresh = try code(in: ctx.notifier.messages.last)
            try await browser.get("/register/verify?phone=13912345678")
            let refused = try await browser.post("/register/verify", ["phone": "13912345678", "code": fresh])
            XCTAssertEqual(refused.status, .tooManyRequests, "a new code within the hour brings no new tries")
            ctx.clock.advance(3600)
            _ = try await register(browser, "13912345678")
            let nextHour = try code(in: ctx.notifier.messages.last)
            try await browser.get("/register/verify?phone=13912345678")
            let confirmed = try await browser.post("/register/verify", ["phone": "13912345678", "code": nextHour])
            XCTAssertEqual(confirmed.location, "/home")
        }
    }

    /// Twenty wrong tries at once (on PostgreSQL truly in parallel): exactly five are counted and
    /// answered, the rest refused, and the right code no longer works.
    func testParallelWrongTriesCountExactly() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app)
            _ = try await register(browser, "13912345678")
            let right = try code(in: ctx.notifier.messages.last)
            let token = try XCTUnwrap(browser.cookies[ctx.app.cookieName("jifen_code")])
            let wrong = right == "000000" ? "111111" : "000000"
            let app = ctx.app
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let req = Request(application: app, on: app.eventLoopGroup.next())
                        let checked = try await PhoneCodes.check(wrong, phone: "13912345678", purpose: .register, browserToken: token, on: req, db: app.db)
                        switch checked {
                        case .wrong: return "wrong"
                        case .exhausted: return "exhausted"
                        default: return "other"
                        }
                    }
                }
                var all: [String] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            XCTAssertEqual(outcomes.filter { $0 == "wrong" }.count, 4)
            XCTAssertEqual(outcomes.filter { $0 == "exhausted" }.count, 16)
            let rows = try await PhoneCode.query(on: ctx.app.db).all()
            XCTAssertEqual(rows.map(\.attempts), [5])
            try await browser.get("/register/verify?phone=13912345678")
            let late = try await browser.post("/register/verify", ["phone": "13912345678", "code": right])
            XCTAssertEqual(late.status, .tooManyRequests)
        }
    }

    /// The code is never written to the log, the outbox keeps it sealed, and only the demo shows
    /// it on the page (no text leaves a demo machine).
    func testNoCodeInTheLogAndTheOutboxKeepsItSealed() async throws {
        try await withApp { ctx in
            let lines = NIOLockedValueBox<[String]>([])
            let logger = Logger(label: "capture") { _ in CapturingLogHandler(lines: lines) }
            let body = "【积分】您的验证码是 481516，10 分钟内有效。"
            let message = OutgoingMessage(channel: .sms, recipient: "13912345678", kind: "verificationCode", body: body,
                                          sealedBody: try ctx.app.personalData.seal(body))
            try await OutboxNotifier().send(message, on: ctx.app.db, at: ctx.clock.now, logger: logger)
            let logged = lines.withLockedValue { $0 }.joined(separator: "\n")
            XCTAssertTrue(logged.contains("verificationCode"), logged)
            XCTAssertTrue(logged.contains("139****5678"), logged)
            XCTAssertFalse(logged.contains("481516"), logged)
            let stored = try await OutboxMessage.query(on: ctx.app.db).first()
            XCTAssertEqual(stored?.sealed, true)
            XCTAssertFalse(stored?.body.contains("481516") ?? true)

            let browser = Browser(ctx.app)
            _ = try await register(browser, "13912345679")
            let code = try code(in: ctx.notifier.messages.last)
            let page = try await browser.get("/register/verify?phone=13912345679")
            XCTAssertFalse(page.body.contains(code), "outside the demo the page never shows the code")
            ctx.app.jifenConfig.demo = true
            let demoPage = try await browser.get("/register/verify?phone=13912345679")
            XCTAssertTrue(demoPage.body.contains(code), "the demo shows the text it did not send")
        }
    }
}

struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLockedValue { $0.append("\(event.message) \(event.metadata ?? [:])") }
    }
}

/// Public forms count only with a phone confirmed by a code, a few per phone, and codes from one
/// address are limited: a flood of objections cannot stall a round's finalisation.
final class PublicFormTests: XCTestCase {
    func testAnObjectionCountsOnlyWithAConfirmedPhoneAndAFloodIsLimited() async throws {
        try await withApp(demo: true, residents: 400) { ctx in
            let round = try await AllocationRound.query(on: ctx.app.db).filter(\.$finalizedAt == nil).with(\.$program).all()
                .first { $0.publicityTo >= ShanghaiDate.today(ctx.clock.now) }
            let open = try XCTUnwrap(round, "the demo has a publicity open for objections")
            let path = "/publicity/\(open.program.code)/\(open.round)/objections"
            let before = try await Objection.query(on: ctx.app.db).count()
            let person = Browser(ctx.app, peer: "198.51.100.30")
            try await person.get("/publicity/\(open.program.code)/\(open.round)")
            let form = ["name": "钱先生", "phone": "13900000002", "text": "社保月数漏算"]
            let asked = try await person.post(path, form)
            XCTAssertEqual(asked.status, .ok)
            XCTAssertTrue(asked.body.contains("验证码已发送至 139****0002"), asked.body)
            XCTAssertTrue(asked.body.contains("社保月数漏算"), "what was typed is kept")
            let afterFirst = try await Objection.query(on: ctx.app.db).count()
            XCTAssertEqual(afterFirst, before, "nothing counts before the code")
            let code = try XCTUnwrap(Browser.firstMatch("验证码是 ([0-9]{6})", in: ctx.notifier.messages.last?.body ?? ""))
            let wrong = try await person.post(path, form.merging(["code": code == "000000" ? "111111" : "000000"]) { $1 })
            XCTAssertEqual(wrong.status, .badRequest)
            let filed = try await person.post(path, form.merging(["code": code]) { $1 })
            XCTAssertEqual(filed.status, .seeOther)
            let afterCode = try await Objection.query(on: ctx.app.db).count()
            XCTAssertEqual(afterCode, before + 1)

            // One phone: three objections to a list at most.
            for n in 2...3 {
                ctx.clock.advance(61)
                let again = try await objectWithCode(ctx, person, path, form.merging(["text": "第 \(n) 条"]) { $1 })
                XCTAssertEqual(again.status, .seeOther)
            }
            ctx.clock.advance(61)
            let fourth = try await person.post(path, form.merging(["text": "第 4 条"]) { $1 })
            XCTAssertEqual(fourth.status, .badRequest)
            XCTAssertTrue(fourth.body.contains("最多提出 3 条"))

            // Many phones from one address: the codes stop at the hourly limit, so do the objections.
            ctx.app.jifenConfig.codesPerAddressHour = 5
            let flooder = Browser(ctx.app, peer: "203.0.113.99")
            try await flooder.get("/publicity/\(open.program.code)/\(open.round)")
            var counted = 0, refused = 0
            for k in 0..<10 {
                let answer = try await objectWithCode(ctx, flooder, path, ["name": "某", "phone": "1390000\(String(format: "%04d", 100 + k))", "text": "刷"])
                if answer.status == .seeOther { counted += 1 }
                if answer.status == .tooManyRequests { refused += 1 }
            }
            XCTAssertEqual(counted, 5)
            XCTAssertEqual(refused, 5)

            // The organiser closes the flood in bulk, with one reason; the list pages.
            let edu = try await ctx.signedIn("edu")
            let list = try await edu.get("/programs/\(open.program.code)/objections")
            XCTAssertEqual(list.status, .ok)
            let flood = try await Objection.query(on: ctx.app.db).filter(\.$text == "刷").all().compactMap { $0.id?.uuidString }
            XCTAssertEqual(flood.count, 5)
            let noReason = try await edu.postRaw("/programs/\(open.program.code)/objections/close", flood.map { "ids%5B%5D=" + $0 }.joined(separator: "&"))
            XCTAssertEqual(noReason.status, .badRequest)
            let closed = try await edu.postRaw("/programs/\(open.program.code)/objections/close",
                                               (flood.map { "ids%5B%5D=" + $0 } + ["reason=%E5%88%B7%E5%B1%8F"]).joined(separator: "&"))
            XCTAssertEqual(closed.status, .seeOther)
            let open2 = try await Objection.query(on: ctx.app.db).filter(\.$text == "刷").filter(\.$answeredAt == nil).count()
            XCTAssertEqual(open2, 0, "all five answered")
            let answer = try await Objection.query(on: ctx.app.db).filter(\.$text == "刷").first()?.answer
            XCTAssertEqual(answer, "（作为无效信息关闭）刷屏")
            let audited = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "closeObjection").count()
            XCTAssertEqual(audited, 5)
            let genuine = try await Objection.query(on: ctx.app.db).filter(\.$text == "社保月数漏算").filter(\.$answeredAt == nil).count()
            XCTAssertEqual(genuine, 1, "the genuine objection stays open")
        }
    }
}
