import Foundation

/// When repeated failed logins stop further tries. Failures are counted per account and per
/// network address inside a sliding window, and only those after the account's last success.
public struct LoginThrottle: Sendable, Equatable {
    public var window: TimeInterval
    public var maxFailuresPerAccount, maxFailuresPerAddress: Int

    public init(window: TimeInterval = 15 * 60, maxFailuresPerAccount: Int = 5, maxFailuresPerAddress: Int = 20) {
        self.window = window
        self.maxFailuresPerAccount = maxFailuresPerAccount
        self.maxFailuresPerAddress = maxFailuresPerAddress
    }

    public enum Verdict: Sendable, Equatable {
        case allowed
        /// Refused until `until`; `byAddress` tells which limit was hit.
        case refused(until: Date, byAddress: Bool)
    }

    /// `accountFailures` and `addressFailures` are the times of failures within the window.
    public func verdict(accountFailures: [Date], addressFailures: [Date], now: Date) -> Verdict {
        let since = now.addingTimeInterval(-window)
        let account = accountFailures.filter { $0 > since }.sorted()
        let address = addressFailures.filter { $0 > since }.sorted()
        if account.count >= maxFailuresPerAccount {
            // The oldest counted failure leaves the window first; one fewer is then below the limit.
            let leaves = account[account.count - maxFailuresPerAccount]
            return .refused(until: leaves.addingTimeInterval(window), byAddress: false)
        }
        if address.count >= maxFailuresPerAddress {
            let leaves = address[address.count - maxFailuresPerAddress]
            return .refused(until: leaves.addingTimeInterval(window), byAddress: true)
        }
        return .allowed
    }
}
