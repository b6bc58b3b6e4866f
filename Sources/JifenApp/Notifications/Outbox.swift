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

    init() {}

    init(channel: String, recipient: String, kind: String, body: String, at: Date) {
        self.channel = channel
        self.recipient = recipient
        self.kind = kind
        self.body = body
        self.createdAt = at
    }
}
public struct OutgoingMessage: Sendable, Equatable {
    public enum Channel: String, Sendable { case sms }
    public var channel: Channel
    public var recipient: String
    /// What the message is about, e.g. `verificationCode`: lets a sender pick a template.
    public var kind: String
    public var body: String
}

/// The one interface every notification goes through.
public protocol Notifier: Sendable {
    func send(_ message: OutgoingMessage, on db: any Database, at: Date, logger: Logger) async throws
}

/// The shipped sender: writes the message to the outbox (in the caller's transaction) and to the
/// log, with the recipient masked, so a tester or the demo can read it.
public struct OutboxNotifier: Notifier {
    public init() {}

    public func send(_ message: OutgoingMessage, on db: any Database, at: Date, logger: Logger) async throws {
        try await OutboxMessage(channel: message.channel.rawValue, recipient: message.recipient, kind: message.kind, body: message.body, at: at)
            .create(on: db)
        logger.info("outbox \(message.channel.rawValue) to \(Mask.phone(message.recipient)): \(message.body)")
    }
}
