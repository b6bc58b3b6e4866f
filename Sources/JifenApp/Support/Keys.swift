import Crypto
import Foundation

/// Keyed hashes derived from the one secret key, each for one purpose so that a value made for
/// one use can never be replayed in another.
struct Keys: Sendable {
    let master: SymmetricKey
    /// Subkeys of the purposes used on every request or every imported row, derived once.
    private let derived: [String: SymmetricKey]
    /// The same subkeys as HMACs already keyed: each message starts from a copy, so the key
    /// schedule is not run again for every row of a feed.
    private let keyed: [String: HMAC<SHA256>]

    static let commonPurposes = ["csrf", "code", "id-lookup"]

    init(secret: [UInt8]) {
        let master = SymmetricKey(data: secret)
        self.master = master
        derived = Dictionary(uniqueKeysWithValues: Self.commonPurposes.map { ($0, Self.derive($0, from: master)) })
        keyed = derived.mapValues { HMAC<SHA256>(key: $0) }
    }

    private static func derive(_ purpose: String, from master: SymmetricKey) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: master))
    }

    func mac(_ purpose: String, _ message: String) -> String {
        if var hmac = keyed[purpose] {
            var message = message
            message.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
            return hmac.finalize().withUnsafeBytes { hex($0) }
        }
        let key = derived[purpose] ?? Self.derive(purpose, from: master)
        return hex(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key))
    }
}

/// Lower-case hex of bytes, without `String(format:)` (slow when done millions of times).
func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Lower-case hex of raw bytes, written straight into the string.
func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    String(unsafeUninitializedCapacity: bytes.count * 2) { out in
        for (k, byte) in bytes.enumerated() {
            out[2 * k] = hexDigits[Int(byte >> 4)]
            out[2 * k + 1] = hexDigits[Int(byte & 0x0F)]
        }
        return bytes.count * 2
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// Comparison whose time does not depend on where two strings first differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}

func sha256Hex(_ text: String) -> String {
    hex(SHA256.hash(data: Data(text.utf8)))
}
