import Crypto
import Fluent
import Foundation
import JifenCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// One message as a sender gets it: its id (the gateway's idempotency key), where it goes, what
/// it is about and its text (opened, if it was sealed).
public struct DeliveryAttempt: Sendable {
    public let id: UUID
    public let channel: String
    public let recipient: String
    public let kind: String
    public let body: String
}

/// What a sender says of one try.
public enum DeliveryResult: Sendable, Equatable {
    /// Accepted by the gateway (with its reference, if it gave one).
    case sent(reference: String?)
    /// Not accepted this time (the gateway busy or down, the network): try again later.
    case retry(String)
    /// Refused for good (a bad number, a bad account): no use trying again.
    case refused(String)
}

/// Delivers outbox messages to people. The outbox worker calls it; every notification is written
/// to the outbox first (`Notifier`), in the transaction of the change that caused it.
public protocol MessageSender: Sendable {
    /// `log`, `sms-gateway`, …: kept on nothing, shown on the administrator's page.
    var name: String { get }
    /// Whether a message really leaves the machine: after a real delivery a text with a code is
    /// blanked in the outbox; the log sender keeps it (the demo shows it).
    var leavesTheMachine: Bool { get }
    func deliver(_ message: DeliveryAttempt, app: Application) async -> DeliveryResult
}

/// The demo's sender, and the default without a gateway: notes the delivery in the log (the kind
/// and the masked number, never the text) and counts the message as sent.
public struct LogSender: MessageSender {
    public init() {}
    public var name: String { "log" }
    public var leavesTheMachine: Bool { false }
    public func deliver(_ message: DeliveryAttempt, app: Application) async -> DeliveryResult {
        app.logger.debug("text \(message.kind) to \(Mask.phone(message.recipient)) (log only: no gateway configured)")
        return .sent(reference: nil)
    }
}

/// An HTTP SMS gateway: `POST <url>` with the message as JSON, signed with the account's key
/// (`X-Jifen-Signature: hex(HMAC-SHA256(key, timestamp + "\n" + body))`, the timestamp in
/// `X-Jifen-Timestamp`), the message's id as `Idempotency-Key` so the gateway sends a message once
/// however often it is offered. 2xx (or 409, already taken) is sent; 429, 5xx and network errors
/// are tried again later; any other 4xx is a refusal.
public struct SMSGatewaySender: MessageSender {
    public let url: String
    public let account: String
    public let key: [UInt8]

    public init(url: String, account: String, key: [UInt8]) {
        self.url = url
        self.account = account
        self.key = key
    }

    public var name: String { "sms-gateway" }
    public var leavesTheMachine: Bool { true }

    struct Payload: Encodable { let account, messageId, to, kind, text: String; let timestamp: Int }
    struct Answer: Decodable { let reference: String? }

    public static func signature(key: [UInt8], timestamp: String, body: Data) -> String {
        var signed = Data(timestamp.utf8)
        signed.append(0x0A)
        signed.append(body)
        return hex(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key)))
    }

    public func deliver(_ message: DeliveryAttempt, app: Application) async -> DeliveryResult {
        let timestamp = Int(app.effects.now().timeIntervalSince1970)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? encoder.encode(Payload(account: account, messageId: message.id.uuidString, to: message.recipient,
                                                     kind: message.kind, text: message.body, timestamp: timestamp)) else {
            return .refused("encoding")
        }
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.add(name: "Idempotency-Key", value: message.id.uuidString)
        headers.add(name: "X-Jifen-Timestamp", value: String(timestamp))
        headers.add(name: "X-Jifen-Signature", value: Self.signature(key: key, timestamp: String(timestamp), body: body))
        do {
            let response = try await app.client.post(URI(string: url), headers: headers) { request in
                request.body = ByteBuffer(data: body)
                request.timeout = .seconds(15)
            }
            let code = response.status.code
            let text = response.body.map { String(buffer: $0) } ?? ""
            switch code {
            case 200..<300, 409:
                let reference = try? JSONDecoder().decode(Answer.self, from: Data(text.utf8)).reference
                return .sent(reference: reference ?? nil)
            case 429, 500...:
                return .retry("HTTP \(code)")
            default:
                // What the gateway said, without its digits: it may echo the message (a code).
                let said = String(text.prefix(120)).replacingOccurrences(of: "[0-9]", with: "#", options: .regularExpression)
                return .refused("HTTP \(code) " + said)
            }
        } catch {
            return .retry(String(describing: error).prefix(200).description)
        }
    }
}

/// WeChat subscription messages (订阅消息) to a citizen who bound the city's mini-program: the
/// mini-program's access token (kept until it expires, fetched again when WeChat says it is no
/// longer valid), then `subscribe/send` with the configured template — `thing1` what it is about,
/// `thing2` the text, each cut to WeChat's 20 characters — opening the mini-program's home page.
public final class WeChatSender: MessageSender, @unchecked Sendable {
    public let settings: AppConfig.WeChat
    private let token = NIOLockedValueBox<(value: String, until: Date)?>(nil)

    public init(_ settings: AppConfig.WeChat) { self.settings = settings }

    public var name: String { "wechat" }
    public var leavesTheMachine: Bool { true }

    struct TokenAnswer: Decodable { let access_token: String?; let expires_in: Int?; let errcode: Int?; let errmsg: String? }
    struct SendAnswer: Decodable { let errcode: Int?; let errmsg: String?; let msgid: Int64? }

    func accessToken(_ app: Application) async throws -> String {
        let now = app.effects.now()
        if let current = token.withLockedValue({ $0 }), current.until > now { return current.value }
        let uri = URI(string: settings.api + "/cgi-bin/token?grant_type=client_credential&appid=" + settings.appID + "&secret=" + settings.secret)
        let answer = try Self.decode(TokenAnswer.self, try await app.client.get(uri))
        guard let value = answer.access_token else { throw Abort(.badGateway, reason: "WeChat token: \(answer.errcode ?? -1) \(answer.errmsg ?? "")") }
        // Renewed five minutes early.
        token.withLockedValue { $0 = (value, now.addingTimeInterval(TimeInterval(max(60, (answer.expires_in ?? 7200) - 300)))) }
        return value
    }

    /// WeChat answers JSON, sometimes labelled `text/plain`: the body is read as JSON whatever its label.
    static func decode<T: Decodable>(_ type: T.Type, _ response: ClientResponse) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(response.body.map { Array($0.readableBytesView) } ?? []))
    }

    static func cut(_ text: String) -> String { text.count <= 20 ? text : String(text.prefix(19)) + "…" }

    public func deliver(_ message: DeliveryAttempt, app: Application) async -> DeliveryResult {
        do {
            let access = try await accessToken(app)
            let body: [String: Any] = [
                "touser": message.recipient, "template_id": settings.template, "page": "pages/index/index",
                "data": ["thing1": ["value": Self.cut(app.catalog.text("wechat_kind_" + message.kind, .zh))], "thing2": ["value": Self.cut(message.body)]],
            ]
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            let response = try await app.client.post(URI(string: settings.api + "/cgi-bin/message/subscribe/send?access_token=" + access)) { request in
                request.headers.contentType = .json
                request.body = ByteBuffer(data: data)
                request.timeout = .seconds(15)
            }
            guard response.status == .ok else { return .retry("HTTP \(response.status.code)") }
            let answer = try Self.decode(SendAnswer.self, response)
            switch answer.errcode ?? 0 {
            case 0: return .sent(reference: answer.msgid.map(String.init))
            case 40001, 42001, 40014:  // the token is no longer valid: fetch a new one next time
                token.withLockedValue { $0 = nil }
                return .retry("WeChat \(answer.errcode ?? 0)")
            case -1, 45009: return .retry("WeChat \(answer.errcode ?? 0) \(answer.errmsg ?? "")")
            default: return .refused("WeChat \(answer.errcode ?? 0) \(answer.errmsg ?? "")")  // 43101: he did not subscribe
            }
        } catch {
            return .retry(String(describing: error).prefix(200).description)
        }
    }

    struct Session: Decodable { let openid: String?; let errcode: Int?; let errmsg: String? }

    /// The openid of the mini-program's user whose `wx.login` gave `code` (jscode2session).
    func openID(forCode code: String, app: Application) async throws -> String? {
        let encoded = code.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let uri = URI(string: settings.api + "/sns/jscode2session?appid=" + settings.appID + "&secret=" + settings.secret + "&js_code=" + encoded + "&grant_type=authorization_code")
        let answer = try Self.decode(Session.self, try await app.client.get(uri))
        return answer.openid
    }
}

extension Application {
    private struct SenderKey: StorageKey { typealias Value = any MessageSender }
    private struct WeChatKey: StorageKey { typealias Value = WeChatSender }
    /// The sender the outbox worker delivers texts with: the configured gateway, the log in the
    /// demo; none otherwise (texts then wait in the outbox, and the centre's page says why).
    public var messageSender: (any MessageSender)? {
        get { storage[SenderKey.self] }
        set { storage[SenderKey.self] = newValue }
    }

    /// The mini-program's sender, when WeChat is configured.
    public var weChatSender: WeChatSender? {
        get { storage[WeChatKey.self] }
        set { storage[WeChatKey.self] = newValue }
    }

    /// The sender for a message's channel.
    func sender(for channel: String) -> (any MessageSender)? {
        channel == OutgoingMessage.Channel.wechat.rawValue ? weChatSender : messageSender
    }

    /// The channels something delivers now.
    var deliveredChannels: [String] {
        (messageSender == nil ? [] : [OutgoingMessage.Channel.sms.rawValue]) + (weChatSender == nil ? [] : [OutgoingMessage.Channel.wechat.rawValue])
    }
}

/// Delivers the outbox: claims each due message in one statement (so two workers never take the
/// same one), hands it to the sender, records the outcome. A failed try is tried again after 30
/// seconds, then 1, 2, 4… minutes (at most an hour), six tries in all; a message a crashed worker
/// left `sending` is offered again after five minutes with the same idempotency key, which the
/// gateway recognises: it is sent once.
enum OutboxDelivery {
    static let maxAttempts = 6
    static let staleAfter: TimeInterval = 300

    static func backoff(afterAttempt n: Int) -> TimeInterval { min(3600, 30 * pow(2, Double(max(0, n - 1)))) }

    /// Claims the oldest due message of `channels`, if any.
    static func claim(on db: any Database, now: Date, channels: [String] = ["sms", "wechat"]) async throws -> OutboxMessage? {
        guard !channels.isEmpty else { return nil }
        let sql = db as! any SQLDatabase
        let lock = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
        struct Claimed: Decodable { let id: UUID }
        let stale = now.addingTimeInterval(-staleAfter)
        let claimed = try await sql.raw("""
            UPDATE outbox_messages SET status = 'sending', claimed_at = \(bind: now), attempts = attempts + 1
            WHERE id = (SELECT id FROM outbox_messages
                        WHERE ((status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= \(bind: now)))
                           OR (status = 'sending' AND claimed_at < \(bind: stale)))
                          AND channel IN (\(binds: channels))
                        ORDER BY created_at LIMIT 1\(unsafeRaw: lock))
            RETURNING id
            """).first(decoding: Claimed.self)
        guard let id = claimed?.id else { return nil }
        return try await OutboxMessage.find(id, on: db)
    }

    /// Delivers what is due now, at most `limit` messages; says how many were sent and how many
    /// failed for good. A try to be repeated ends the pass: a gateway in trouble is not asked again
    /// and again while jobs wait behind it.
    @discardableResult
    static func runOnce(_ app: Application, limit: Int = 100) async throws -> (sent: Int, failed: Int) {
        var sent = 0, failed = 0
        let channels = app.deliveredChannels
        for _ in 0..<limit {
            let now = app.effects.now()
            guard let message = try await claim(on: app.db, now: now, channels: channels) else { break }
            let result = await attempt(message, app: app)
            switch try await record(message, result, app: app) {
            case "sent": sent += 1
            case "failed": failed += 1
            default: break
            }
            if case .retry = result { break }
        }
        return (sent, failed)
    }

    static func attempt(_ message: OutboxMessage, app: Application) async -> DeliveryResult {
        guard let id = message.id else { return .refused("no id") }
        let body: String
        if message.sealed {
            guard let opened = try? app.personalData.open(message.body) else { return .refused("sealed text cannot be opened") }
            body = opened
        } else {
            body = message.body
        }
        guard let sender = app.sender(for: message.channel) else { return .refused("no sender for \(message.channel)") }
        return await sender.deliver(DeliveryAttempt(id: id, channel: message.channel, recipient: message.recipient, kind: message.kind, body: body), app: app)
    }

    /// Writes the outcome of a try, if the message is still this worker's claim.
    static func record(_ message: OutboxMessage, _ result: DeliveryResult, app: Application) async throws -> String {
        let now = app.effects.now()
        let sender = app.sender(for: message.channel) ?? LogSender()
        var status = "pending"
        switch result {
        case .sent(let reference):
            status = "sent"
            message.deliveredAt = now
            message.providerReference = reference.map { String($0.prefix(100)) }
            message.lastError = nil
            message.nextAttemptAt = nil
            // A code has done its work once it left: the outbox keeps that it was sent, not the code.
            if message.sealed && sender.leavesTheMachine {
                message.body = app.catalog.text("outbox_code_sent", .zh)
                message.sealed = false
            }
        case .retry(let error):
            message.lastError = String(error.prefix(300))
            if message.attempts >= maxAttempts {
                status = "failed"
            } else {
                message.nextAttemptAt = now.addingTimeInterval(backoff(afterAttempt: message.attempts))
            }
        case .refused(let error):
            status = "failed"
            message.lastError = String(error.prefix(300))
        }
        message.status = status
        // Written only while the claim is this worker's (no other took the message over since).
        let sql = app.db as! any SQLDatabase
        let written = try await sql.raw("""
            UPDATE outbox_messages SET status = \(bind: status), delivered_at = \(bind: message.deliveredAt), provider_reference = \(bind: message.providerReference),
                last_error = \(bind: message.lastError), next_attempt_at = \(bind: message.nextAttemptAt), body = \(bind: message.body), sealed = \(bind: message.sealed)
            WHERE id = \(bind: message.id) AND status = 'sending' AND attempts = \(bind: message.attempts)
            RETURNING id
            """).all()
        guard !written.isEmpty else { return "taken over" }
        if status == "failed" {
            app.logger.warning("text \(message.kind) to \(Mask.phone(message.recipient)) failed via \(sender.name) after \(message.attempts) tries")
        } else if status == "sent" {
            app.logger.debug("text \(message.kind) to \(Mask.phone(message.recipient)) sent via \(sender.name)")
        }
        return status
    }
}
