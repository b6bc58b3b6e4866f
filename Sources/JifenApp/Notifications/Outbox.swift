import Fluent
import JifenCore
import Vapor

/// A message to a person (SMS, WeChat). Written in the same transaction as the change that
/// caused it (the transactional outbox); a delivery worker of a real deployment sends it.
final class OutboxMessage: Model, @unchecked Sendable {
    static let schema = "outbox_messages"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "channel") var channel: String
    @Field(key: "recipient") var recipient: String
    @Field(key: "kind") var kind: String
    @Field(key: "body") var body: String
    @OptionalField(key: "delivered_at") var deliveredAt: Date?
    /// The body is sealed (it carries a code): only the sender opens it, and after delivery it is
    /// replaced by a note that a code was sent.
    @Field(key: "sealed") var sealed: Bool
    /// `pending`, `sending` (claimed by a worker), `sent`, `failed`, or `skipped` (written before
    /// delivery existed).
    @Field(key: "status") var status: String
    @Field(key: "attempts") var attempts: Int
    @OptionalField(key: "next_attempt_at") var nextAttemptAt: Date?
    @OptionalField(key: "claimed_at") var claimedAt: Date?
    @OptionalField(key: "last_error") var lastError: String?
    /// The gateway's id for the message, when it gave one.
    @OptionalField(key: "provider_reference") var providerReference: String?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $channel, $recipient, $kind, $body, $deliveredAt, $sealed, $status, $attempts, $nextAttemptAt, $claimedAt, $lastError, $providerReference] }

    init() {}

    init(channel: String, recipient: String, kind: String, body: String, at: Date) {
        self.channel = channel
        self.recipient = recipient
        self.kind = kind
        self.body = body
        self.createdAt = at
        self.sealed = false
        self.status = "pending"
        self.attempts = 0
    }
}
public struct OutgoingMessage: Sendable, Equatable {
    public enum Channel: String, Sendable { case sms, wechat }
    public var channel: Channel
    public var recipient: String
    /// What the message is about, e.g. `verificationCode`: lets a sender pick a template.
    public var kind: String
    public var body: String
    /// For a message that carries a secret (a verification code): the body sealed under the
    /// server's key, which is what the outbox keeps.
    public var sealedBody: String?

    public init(channel: Channel, recipient: String, kind: String, body: String, sealedBody: String? = nil) {
        self.channel = channel
        self.recipient = recipient
        self.kind = kind
        self.body = body
        self.sealedBody = sealedBody
    }
}

/// The one interface every notification goes through.
public protocol Notifier: Sendable {
    func send(_ message: OutgoingMessage, on db: any Database, at: Date, logger: Logger) async throws
    /// Many messages at once (a round's texts to every applicant).
    func send(all messages: [OutgoingMessage], on db: any Database, at: Date, logger: Logger) async throws
}

extension Notifier {
    public func send(all messages: [OutgoingMessage], on db: any Database, at: Date, logger: Logger) async throws {
        for message in messages { try await send(message, on: db, at: at, logger: logger) }
    }
}

/// The shipped sender: writes the message to the outbox (in the caller's transaction; a body with
/// a code sealed) and notes in the log that it did — the kind and the masked recipient, never the body.
public struct OutboxNotifier: Notifier {
    public init() {}

    public func send(_ message: OutgoingMessage, on db: any Database, at: Date, logger: Logger) async throws {
        let stored = OutboxMessage(channel: message.channel.rawValue, recipient: message.recipient, kind: message.kind,
                                   body: message.sealedBody ?? message.body, at: at)
        stored.sealed = message.sealedBody != nil
        try await stored.create(on: db)
        logger.info("outbox \(message.channel.rawValue) \(message.kind) to \(Mask.phone(message.recipient))")
        // A citizen who bound the mini-program gets the text there too (never a code: codes go to the phone).
        if message.channel == .sms, message.sealedBody == nil,
           let openID = try await User.query(on: db).filter(\.$login == message.recipient).filter(\.$wechatOpenID != nil).first()?.wechatOpenID {
            let wechat = OutboxMessage(channel: OutgoingMessage.Channel.wechat.rawValue, recipient: openID, kind: message.kind, body: message.body, at: at)
            try await wechat.create(on: db)
        }
    }

    /// The same rows as `send` for each message, written a few hundred a statement; the
    /// mini-program's openIDs read a slice of recipients at a time.
    public func send(all messages: [OutgoingMessage], on db: any Database, at: Date, logger: Logger) async throws {
        var openIDs: [String: String] = [:]
        let plain = Set(messages.filter { $0.channel == .sms && $0.sealedBody == nil }.map(\.recipient))
        for slice in Batches.slices(Array(plain)) {
            for user in try await User.query(on: db).filter(\.$login ~~ Array(slice)).filter(\.$wechatOpenID != nil).all() {
                if let openID = user.wechatOpenID { openIDs[user.login] = openID }
            }
        }
        var rows: [[Batches.Value]] = []
        func row(_ channel: OutgoingMessage.Channel, _ recipient: String, _ kind: String, _ body: String, sealed: Bool) -> [Batches.Value] {
            [.id(UUID()), .time(at), .text(channel.rawValue), .text(recipient), .text(kind), .text(body), .flag(sealed), .text("pending"), .integer(0)]
        }
        for message in messages {
            rows.append(row(message.channel, message.recipient, message.kind, message.sealedBody ?? message.body, sealed: message.sealedBody != nil))
            if message.channel == .sms, message.sealedBody == nil, let openID = openIDs[message.recipient] {
                rows.append(row(.wechat, openID, message.kind, message.body, sealed: false))
            }
        }
        try await Batches.insert(into: OutboxMessage.schema, columns: ["id", "created_at", "channel", "recipient", "kind", "body", "sealed", "status", "attempts"], rows, on: db)
        for (kind, count) in Dictionary(grouping: messages, by: \.kind).mapValues(\.count).sorted(by: { $0.key < $1.key }) {
            logger.info("outbox \(count) × \(kind)")
        }
    }
}
