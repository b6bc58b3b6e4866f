import Foundation
import Vapor

/// The side effects business code may use, as values a test can replace: the clock, the
/// random source for codes and tokens, and the notification sender.
public struct Effects: Sendable {
    public var now: @Sendable () -> Date
    public var randomBytes: @Sendable (Int) -> [UInt8]
    public var notifier: any Notifier
    /// The city's real-name service (实名核验), asked when a citizen records his identity.
    public var identityVerifier: any IdentityVerifier

    public init(now: @escaping @Sendable () -> Date, randomBytes: @escaping @Sendable (Int) -> [UInt8], notifier: any Notifier,
                identityVerifier: any IdentityVerifier = NoIdentityVerifier()) {
        self.now = now
        self.randomBytes = randomBytes
        self.notifier = notifier
        self.identityVerifier = identityVerifier
    }

    public static let live = Effects(
        now: { Date() },
        randomBytes: { count in
            var generator = SystemRandomNumberGenerator()
            return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        },
        notifier: OutboxNotifier()
    )

    /// A six-digit verification code, uniform over 000000–999999.
    func verificationCode() -> String {
        let bytes = randomBytes(8)
        let value = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return String(format: "%06d", Int(value % 1_000_000))
    }

    /// A URL-safe token with `bytes` bytes of randomness.
    func token(bytes: Int = 32) -> String {
        Data(randomBytes(bytes)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Application {
    private struct EffectsKey: StorageKey { typealias Value = Effects }
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }

    public var effects: Effects {
        get { storage[EffectsKey.self] ?? .live }
        set { storage[EffectsKey.self] = newValue }
    }

    public var jifenConfig: AppConfig {
        get {
            guard let config = storage[ConfigKey.self] else { fatalError("configure(_:config:effects:) was not called") }
            return config
        }
        set { storage[ConfigKey.self] = newValue }
    }
}

extension Request {
    var effects: Effects { application.effects }
    var now: Date { application.effects.now() }
}
