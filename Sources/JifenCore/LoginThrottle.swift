import Foundation

/// How long repeated failed sign-ins make the next try wait. Nothing locks an account: the wait
/// grows with the failures (doubling) up to a cap, so a guesser gets few tries an hour while the
/// owner, from his own address, waits at most a minute however hard someone else tries.
///
/// - From one address for one account: from the 3rd failure, 15 s, 30 s, 60 s … at most 15 minutes.
/// - For one account from all addresses: from the 5th failure, 5 s, 10 s … at most 60 seconds.
/// - From one address for any accounts: 20 failures within 15 minutes refuse that address.
/// Failures count within 24 hours and only after the account's last success.
public struct LoginThrottle: Sendable, Equatable {
    public var window: TimeInterval = 24 * 3600
    public var addressWindow: TimeInterval = 15 * 60
    public var pairFree = 3, pairBase: TimeInterval = 15, pairCap: TimeInterval = 15 * 60
    public var accountFree = 5, accountBase: TimeInterval = 5, accountCap: TimeInterval = 60
    public var maxFailuresPerAddress = 20

    public init() {}

    public enum Verdict: Sendable, Equatable {
        case allowed
        /// Refused until `until`; `byAddress` tells which limit was hit.
        case refused(until: Date, byAddress: Bool)
    }

    /// The wait after `failures` failures: nothing up to `free`, then `base` doubling, at most `cap`.
    public static func wait(failures: Int, free: Int, base: TimeInterval, cap: TimeInterval) -> TimeInterval {
        guard failures >= free else { return 0 }
        let doublings = min(failures - free, 30)
        return min(base * pow(2, Double(doublings)), cap)
    }

    /// `pairFailures`: this account from this address; `accountFailures`: this account from
    /// anywhere; `addressFailures`: any account from this address. Times of failures.
    public func verdict(pairFailures: [Date], accountFailures: [Date], addressFailures: [Date], now: Date) -> Verdict {
        let since = now.addingTimeInterval(-window)
        let pair = pairFailures.filter { $0 > since }.sorted()
        let account = accountFailures.filter { $0 > since }.sorted()
        let address = addressFailures.filter { $0 > now.addingTimeInterval(-addressWindow) }.sorted()
        var until: Date?
        if let last = pair.last {
            let wait = Self.wait(failures: pair.count, free: pairFree, base: pairBase, cap: pairCap)
            if wait > 0, last.addingTimeInterval(wait) > now { until = last.addingTimeInterval(wait) }
        }
        if let last = account.last {
            let wait = Self.wait(failures: account.count, free: accountFree, base: accountBase, cap: accountCap)
            if wait > 0, last.addingTimeInterval(wait) > now { until = max(until ?? .distantPast, last.addingTimeInterval(wait)) }
        }
        if let until { return .refused(until: until, byAddress: false) }
        if address.count >= maxFailuresPerAddress {
            let leaves = address[address.count - maxFailuresPerAddress]
            return .refused(until: leaves.addingTimeInterval(addressWindow), byAddress: true)
        }
        return .allowed
    }
}
