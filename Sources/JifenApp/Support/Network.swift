import Foundation
import Vapor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An address range written `203.0.113.0/24` or `fd00::/8` (a bare address is a range of one).
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefix: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.parse(String(parts[0])) else { return nil }
        let bits = bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...bits).contains(n) else { return nil }
            prefix = n
        }
        self.bytes = bytes
        self.prefix = prefix
        self.description = text
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) address; an IPv4-mapped IPv6 address is IPv4.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12...]) }
            return bytes
        }
        return nil
    }

    public func contains(_ address: String) -> Bool {
        guard let other = Self.parse(address), other.count == bytes.count else { return false }
        var remaining = prefix
        for (a, b) in zip(bytes, other) where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
            if a & mask != b & mask { return false }
            remaining -= take
        }
        return true
    }

    public static func isLoopback(_ address: String) -> Bool {
        ["127.0.0.0/8", "::1"].compactMap(AddressRange.init).contains { $0.contains(address) }
    }
}

extension Request {
    /// The TCP peer's address.
    var peerAddress: String { remoteAddress?.ipAddress ?? "unknown" }

    /// The client's address: the TCP peer, or — when the peer is a trusted proxy
    /// (`JIFEN_TRUSTED_PROXIES`) — the nearest address in `X-Forwarded-For` that is not one.
    /// Throttles, sessions and the logs use it.
    var clientAddress: String {
        let peer = peerAddress
        let proxies = application.jifenConfig.trustedProxies
        guard !proxies.isEmpty, proxies.contains(where: { $0.contains(peer) }) else { return peer }
        let forwarded = headers[.xForwardedFor].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in forwarded.reversed() {
            guard AddressRange.parse(hop) != nil else { return peer }
            if !proxies.contains(where: { $0.contains(hop) }) { return hop }
        }
        return forwarded.first.flatMap { AddressRange.parse($0) != nil ? $0 : nil } ?? peer
    }

    /// The request's cookies, parsed once: the session, the form token, the language and care
    /// mode each read one, and Vapor parses the header again at every `cookies`.
    var sentCookies: HTTPCookies {
        if let known = storage[SentCookiesKey.self] { return known }
        let cookies = self.cookies
        storage[SentCookiesKey.self] = cookies
        return cookies
    }

    private struct SentCookiesKey: StorageKey { typealias Value = HTTPCookies }

    /// True when the request was made from this machine without passing through a proxy.
    var isDirectFromLoopback: Bool {
        AddressRange.isLoopback(peerAddress) && headers[.xForwardedFor].isEmpty && headers["Forwarded"].isEmpty
    }
}

extension Application {
    /// A cookie's name: with `__Host-` in front when cookies are `Secure` (the browser then refuses
    /// one set by another host or path, or over plain HTTP).
    func cookieName(_ base: String) -> String {
        jifenConfig.secureCookies ? "__Host-" + base : base
    }
}
