import Fluent
import Foundation
@testable import JifenApp
import JifenCore
import NIOConcurrencyHelpers
import XCTVapor

/// Starts `app`'s server on a free port of loopback; its base URL.
func startOnLoopback(_ app: Application) async throws -> String {
    try await app.server.start(address: .hostname("127.0.0.1", port: 0))
    guard let port = app.http.server.shared.localAddress?.port else { throw Abort(.internalServerError) }
    return "http://127.0.0.1:\(port)"
}

func stopServer(_ app: Application) async throws {
    await app.server.shutdown()
    try await app.asyncShutdown()
}

/// An SMS gateway on loopback, as a real one behaves: checks the signature, takes each message
/// id once (a message offered again is answered 409 and not sent again), and can be told to be
/// down for the next few requests or to refuse a number.
final class StubGateway: @unchecked Sendable {
    struct Received: Equatable { let id, to, text: String }
    let app: Application
    let key: [UInt8]
    private let state = NIOLockedValueBox<(sent: [Received], requests: Int, badSignatures: Int, downFor: Int)>(([], 0, 0, 0))
    var sent: [Received] { state.withLockedValue { $0.sent } }
    var requests: Int { state.withLockedValue { $0.requests } }
    var badSignatures: Int { state.withLockedValue { $0.badSignatures } }
    func down(for n: Int) { state.withLockedValue { $0.downFor = n } }
    private(set) var url = ""

    init(key: String) async throws {
        self.key = Array(key.utf8)
        app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        let keyBytes = self.key
        let state = self.state
        app.post("send") { req async throws -> Response in
            let body = Data(req.body.data.map { Array($0.readableBytesView) } ?? [])
            let timestamp = req.headers.first(name: "X-Jifen-Timestamp") ?? ""
            let signature = req.headers.first(name: "X-Jifen-Signature") ?? ""
            let key = req.headers.first(name: "Idempotency-Key") ?? ""
            struct Payload: Decodable { let account, messageId, to, text: String }
            let payload = try JSONDecoder().decode(Payload.self, from: body)
            return state.withLockedValue { s -> Response in
                s.requests += 1
                guard signature == SMSGatewaySender.signature(key: keyBytes, timestamp: timestamp, body: body), payload.account == "jifen-test" else {
                    s.badSignatures += 1
                    return Response(status: .unauthorized)
                }
                if s.downFor > 0 { s.downFor -= 1; return Response(status: .serviceUnavailable) }
                if payload.to == "10000000000" { return Response(status: .badRequest, body: "invalid number") }
                if s.sent.contains(where: { $0.id == key }) { return Response(status: .conflict, body: "{\"reference\":\"dup\"}") }
                s.sent.append(Received(id: key, to: payload.to, text: payload.text))
                return Response(status: .ok, body: .init(string: "{\"reference\":\"GW-\(s.sent.count)\"}"))
            }
        }
        url = try await startOnLoopback(app) + "/send"
    }

    func stop() async throws { try await stopServer(app) }
}

final class DeliveryTests: XCTestCase {
    func status(_ ctx: TestContext, _ id: UUID) async throws -> OutboxMessage {
        try await OutboxMessage.find(id, on: ctx.app.db)!
    }

    func text(_ ctx: TestContext, to phone: String, _ body: String, sealed: Bool = false) async throws -> UUID {
        let message = OutgoingMessage(channel: .sms, recipient: phone, kind: sealed ? "verificationCode" : "pointsItemDecided", body: body,
                                      sealedBody: sealed ? try ctx.app.personalData.seal(body) : nil)
        try await OutboxNotifier().send(message, on: ctx.app.db, at: ctx.clock.now, logger: ctx.app.logger)
        return try await OutboxMessage.query(on: ctx.app.db).filter(\.$recipient == phone).sort(\.$createdAt, .descending).first()!.requireID()
    }

    func testTextsGoThroughASignedGatewayWithRetriesAndBackOffAndNeverTwice() async throws {
        try await withApp { ctx in
            let gateway = try await StubGateway(key: "gateway-signing-key-0001")
            do {
                ctx.app.messageSender = SMSGatewaySender(url: gateway.url, account: "jifen-test", key: gateway.key)
                let first = try await text(ctx, to: "13900000001", "【张家港积分】您的积分申请已受理。")
                // The gateway is down for two requests: the text waits 30 s, then a minute.
                gateway.down(for: 2)
                try await OutboxDelivery.runOnce(ctx.app)
                var message = try await status(ctx, first)
                XCTAssertEqual(message.status, "pending")
                XCTAssertEqual(message.attempts, 1)
                XCTAssertEqual(message.lastError, "HTTP 503")
                XCTAssertEqual(message.nextAttemptAt, ctx.clock.now.addingTimeInterval(30))
                let early = try await OutboxDelivery.runOnce(ctx.app)
                XCTAssertEqual(early.sent + early.failed, 0, "not due yet")
                XCTAssertEqual(gateway.requests, 1)
                ctx.clock.advance(31)
                try await OutboxDelivery.runOnce(ctx.app)
                message = try await status(ctx, first)
                XCTAssertEqual(message.attempts, 2)
                XCTAssertEqual(message.nextAttemptAt, ctx.clock.now.addingTimeInterval(60))
                ctx.clock.advance(61)
                let third = try await OutboxDelivery.runOnce(ctx.app)
                XCTAssertEqual(third.sent, 1)
                message = try await status(ctx, first)
                XCTAssertEqual(message.status, "sent")
                XCTAssertEqual(message.providerReference, "GW-1")
                XCTAssertEqual(message.deliveredAt, ctx.clock.now)
                XCTAssertEqual(gateway.sent, [.init(id: first.uuidString, to: "13900000001", text: "【张家港积分】您的积分申请已受理。")])
                XCTAssertEqual(gateway.badSignatures, 0, "every request signed with the key")
                // Nothing more to send: a sent text is never offered again.
                ctx.clock.advance(3600)
                try await OutboxDelivery.runOnce(ctx.app)
                XCTAssertEqual(gateway.requests, 3)

                // A code goes out opened, and the outbox then keeps only that it was sent.
                let code = try await text(ctx, to: "13900000002", "您的验证码是 123456，10 分钟内有效。", sealed: true)
                try await OutboxDelivery.runOnce(ctx.app)
                XCTAssertEqual(gateway.sent.last?.text, "您的验证码是 123456，10 分钟内有效。")
                let kept = try await status(ctx, code)
                XCTAssertFalse(kept.body.contains("123456"))
                XCTAssertFalse(kept.sealed)

                // A number the gateway refuses fails at once and shows on the centre's page.
                let refused = try await text(ctx, to: "10000000000", "测试")
                try await OutboxDelivery.runOnce(ctx.app)
                let failed = try await status(ctx, refused)
                XCTAssertEqual(failed.status, "failed")
                XCTAssertEqual(failed.attempts, 1)
                XCTAssertTrue(failed.lastError?.hasPrefix("HTTP 400") ?? false)
                // The demo's organisation for its administrator (its own texts set aside).
                try await Demo.loadIfEmpty(ctx.app, residents: 0)
                try await OutboxMessage.query(on: ctx.app.db).filter(\.$id !~ [first, code, refused]).set(\.$status, to: "skipped").update()
                let admin = Browser(ctx.app)
                let signedIn = try await admin.signInSettingUpTheCode("admin", "demo12345", now: ctx.clock.now)
                XCTAssertEqual(signedIn.status, .seeOther)
                let page = try await admin.get("/admin/outbox")
                XCTAssertTrue(page.body.contains("100****0000"), "the failed text, its number masked")
                XCTAssertTrue(page.body.contains("HTTP 400 invalid number"))
                XCTAssertTrue(page.body.contains("sms-gateway"))
                // Sent again from the page, it goes back to the queue.
                let retried = try await admin.post("/admin/outbox/\(refused.uuidString)/retry", [:])
                XCTAssertEqual(retried.status, .seeOther)
                let queued = try await status(ctx, refused)
                XCTAssertEqual(queued.status, "pending")
                XCTAssertEqual(queued.attempts, 0)

                // A gateway down for good: six tries (30 s, 1, 2, 4, 8 minutes apart), then failed.
                queued.status = "skipped"
                try await queued.save(on: ctx.app.db)
                let lost = try await text(ctx, to: "13900000003", "测试")
                gateway.down(for: 100)
                for _ in 0..<6 {
                    try await OutboxDelivery.runOnce(ctx.app)
                    ctx.clock.advance(3600)
                }
                let gaveUp = try await status(ctx, lost)
                XCTAssertEqual(gaveUp.status, "failed")
                XCTAssertEqual(gaveUp.attempts, 6)
            } catch {
                try? await gateway.stop()
                throw error
            }
            try await gateway.stop()
        }
    }

    func testATextIsSentOnceAcrossAWorkerCrash() async throws {
        try await withApp { ctx in
            let gateway = try await StubGateway(key: "gateway-signing-key-0002")
            do {
                ctx.app.messageSender = SMSGatewaySender(url: gateway.url, account: "jifen-test", key: gateway.key)
                let id = try await text(ctx, to: "13900000004", "【张家港积分】您的居住证已办结。")
                // A worker claims the text, the gateway takes it, and the worker dies before it
                // can write down that it was sent.
                let claimed = try await OutboxDelivery.claim(on: ctx.app.db, now: ctx.clock.now)
                XCTAssertEqual(claimed?.id, id)
                let result = await OutboxDelivery.attempt(claimed!, app: ctx.app)
                XCTAssertEqual(result, .sent(reference: "GW-1"))
                XCTAssertEqual(gateway.sent.count, 1)
                // Another worker does not take it while the claim is fresh…
                try await OutboxDelivery.runOnce(ctx.app)
                XCTAssertEqual(gateway.requests, 1)
                let stillClaimed = try await status(ctx, id)
                XCTAssertEqual(stillClaimed.status, "sending")
                // …and after five minutes offers it again under the same key: the gateway knows it.
                ctx.clock.advance(301)
                let recovered = try await OutboxDelivery.runOnce(ctx.app)
                XCTAssertEqual(recovered.sent, 1)
                XCTAssertEqual(gateway.requests, 2)
                XCTAssertEqual(gateway.sent.count, 1, "the phone got the text once")
                let message = try await status(ctx, id)
                XCTAssertEqual(message.status, "sent")
                XCTAssertEqual(message.attempts, 2)
                // Two workers at once never take the same text.
                let other = try await text(ctx, to: "13900000005", "测试")
                async let a = OutboxDelivery.claim(on: ctx.app.db, now: ctx.clock.now)
                async let b = OutboxDelivery.claim(on: ctx.app.db, now: ctx.clock.now)
                let both = try await [a, b].compactMap { $0?.id }
                XCTAssertEqual(both, [other])
            } catch {
                try? await gateway.stop()
                throw error
            }
            try await gateway.stop()
        }
    }

    func testTheGatewayNeedsAllItsSettings() async throws {
        try skipInThePostgresRun()
        var environment = ["JIFEN_DATA_DIR": "/tmp/x", "JIFEN_SECRET_KEY": testSecretHex, "JIFEN_SMS_GATEWAY_URL": "https://sms.example.cn/send"]
        XCTAssertThrowsError(try AppConfig.load(environment: environment, demo: false)) { error in
            XCTAssertEqual((error as? AppConfig.Problem)?.setting, "JIFEN_SMS_ACCOUNT")
        }
        environment["JIFEN_SMS_ACCOUNT"] = "zjg"
        environment["JIFEN_SMS_KEY"] = "short"
        XCTAssertThrowsError(try AppConfig.load(environment: environment, demo: false)) { error in
            XCTAssertEqual((error as? AppConfig.Problem)?.setting, "JIFEN_SMS_KEY")
        }
        environment["JIFEN_SMS_KEY"] = "a-signing-key-of-some-length"
        let config = try AppConfig.load(environment: environment, demo: false)
        XCTAssertEqual(config.smsGateway?.account, "zjg")
    }
}

/// WeChat's API on loopback: an access token, the mini-program's code-to-openid exchange, and
/// subscription messages (a user who did not subscribe answers 43101).
final class StubWeChat: @unchecked Sendable {
    struct Sent: Equatable { let touser, template, thing1, thing2: String }
    let app: Application
    private let state = NIOLockedValueBox<(tokens: Int, sent: [Sent])>((0, []))
    var tokens: Int { state.withLockedValue { $0.tokens } }
    var sent: [Sent] { state.withLockedValue { $0.sent } }
    private(set) var url = ""

    init() async throws {
        app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        let state = self.state
        app.get("cgi-bin", "token") { req -> Response in
            guard req.query[String.self, at: "appid"] == "wx-app", req.query[String.self, at: "secret"] == "wx-secret" else {
                return Response(status: .ok, body: "{\"errcode\":40013,\"errmsg\":\"invalid appid\"}")
            }
            state.withLockedValue { $0.tokens += 1 }
            return Response(status: .ok, body: "{\"access_token\":\"AT-1\",\"expires_in\":7200}")
        }
        app.get("sns", "jscode2session") { req -> Response in
            let code = req.query[String.self, at: "js_code"] ?? ""
            return code.hasPrefix("wx-code-")
                ? Response(status: .ok, body: .init(string: "{\"openid\":\"o-\(code.dropFirst(8))\",\"session_key\":\"k\"}"))
                : Response(status: .ok, body: "{\"errcode\":40029,\"errmsg\":\"invalid code\"}")
        }
        app.post("cgi-bin", "message", "subscribe", "send") { req -> Response in
            guard req.query[String.self, at: "access_token"] == "AT-1" else { return Response(status: .ok, body: "{\"errcode\":40001}") }
            struct Value: Decodable { let value: String }
            struct Body: Decodable { let touser, template_id: String; let data: [String: Value] }
            let body = try req.content.decode(Body.self)
            if body.touser == "o-unsubscribed" { return Response(status: .ok, body: "{\"errcode\":43101,\"errmsg\":\"user refuse to accept the msg\"}") }
            state.withLockedValue { $0.sent.append(Sent(touser: body.touser, template: body.template_id, thing1: body.data["thing1"]?.value ?? "", thing2: body.data["thing2"]?.value ?? "")) }
            return Response(status: .ok, body: "{\"errcode\":0,\"errmsg\":\"ok\",\"msgid\":7}")
        }
        url = try await startOnLoopback(app)
    }

    func stop() async throws { try await stopServer(app) }
}

final class WeChatDeliveryTests: XCTestCase {
    func testACitizenWhoBoundTheMiniProgramGetsSubscriptionMessagesToo() async throws {
        try await withApp(demo: true) { ctx in
            let wechat = try await StubWeChat()
            do {
                ctx.app.messageSender = LogSender()
                let api = JSONClient(ctx.app)
                _ = api
                _ = try await makeCitizen(ctx, phone: "13900000081", name: "孙丽", idNumber: ProgramsTests.id("320582", "19850312", "101"), points: 60,
                                          child: (name: "孙小丽", id: ProgramsTests.id("320582", "20200322", "102")))
                let me = try await JSONClient.citizen(ctx.app, phone: "13900000081", password: "citizen12345")
                // Not set up: the city has no mini-program.
                let off = try await me.put("/api/v1/me/wechat", ["code": "wx-code-sunli"])
                XCTAssertEqual(off.status, .conflict)
                XCTAssertEqual(off.problem, "weChatNotConfigured")
                ctx.app.weChatSender = WeChatSender(AppConfig.WeChat(appID: "wx-app", secret: "wx-secret", template: "TPL-1", api: wechat.url))
                let badCode = try await me.put("/api/v1/me/wechat", ["code": "expired"])
                XCTAssertEqual(badCode.problemFields, ["code"])
                let bound = try await me.put("/api/v1/me/wechat", ["code": "wx-code-sunli"])
                XCTAssertEqual(bound.status, .ok, bound.body)
                let user = try await User.find(login: "13900000081", on: ctx.app.db)
                XCTAssertEqual(user?.wechatOpenID, "o-sunli")

                // A text about him goes to his phone and to the mini-program; a code only to the phone.
                try await OutboxMessage.query(on: ctx.app.db).set(\.$status, to: "skipped").update()
                try await ctx.app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: "13900000081", kind: "pointsItemDecided",
                                                                        body: "【张家港积分】您申请的“职业资格”已审核通过，当前积分 120 分。"),
                                                        on: ctx.app.db, at: ctx.clock.now, logger: ctx.app.logger)
                try await ctx.app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: "13900000081", kind: "verificationCode", body: "验证码 654321",
                                                                        sealedBody: try ctx.app.personalData.seal("验证码 654321")),
                                                        on: ctx.app.db, at: ctx.clock.now, logger: ctx.app.logger)
                let written = try await OutboxMessage.query(on: ctx.app.db).filter(\.$status == "pending").all()
                XCTAssertEqual(written.map(\.channel).sorted(), ["sms", "sms", "wechat"])
                let delivered = try await OutboxDelivery.runOnce(ctx.app)
                XCTAssertEqual(delivered.sent, 3)
                XCTAssertEqual(wechat.sent, [.init(touser: "o-sunli", template: "TPL-1", thing1: "积分项目审核结果", thing2: "【张家港积分】您申请的“职业资格”已审…")])
                XCTAssertEqual(wechat.tokens, 1)
                // The token is kept: a second message asks for none.
                try await ctx.app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: "13900000081", kind: "serviceApplied", body: "报名成功"),
                                                        on: ctx.app.db, at: ctx.clock.now, logger: ctx.app.logger)
                try await OutboxDelivery.runOnce(ctx.app)
                XCTAssertEqual(wechat.sent.count, 2)
                XCTAssertEqual(wechat.tokens, 1)
                // Someone who did not subscribe: refused for good, no retry.
                user?.wechatOpenID = "o-unsubscribed"
                try await user?.save(on: ctx.app.db)
                try await ctx.app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: "13900000081", kind: "serviceResult", body: "录取结果已公布"),
                                                        on: ctx.app.db, at: ctx.clock.now, logger: ctx.app.logger)
                try await OutboxDelivery.runOnce(ctx.app)
                let refused = try await OutboxMessage.query(on: ctx.app.db).filter(\.$channel == "wechat").filter(\.$status == "failed").first()
                XCTAssertEqual(refused?.lastError?.hasPrefix("WeChat 43101"), true)
                // Unbinding stops it.
                let unbound = try await me.delete("/api/v1/me/wechat")
                XCTAssertEqual(unbound.json?["bound"] as? Bool, false)
                let after = try await User.find(login: "13900000081", on: ctx.app.db)
                XCTAssertNil(after?.wechatOpenID)
            } catch {
                try? await wechat.stop()
                throw error
            }
            try await wechat.stop()
        }
    }
}
