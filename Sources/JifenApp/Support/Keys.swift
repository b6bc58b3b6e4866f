import Crypto
import Foundation

/// Keyed hashes derived from the one secret key, each for one purpose so that a value made for
/// one use can never be replayed in another.
struct Keys: Sendable {
    let master: SymmetricKey

    init(secret: [UInt8]) { master = SymmetricKey(data: secret) }

    private func subkey(_ purpose: String) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: master))
    }

    func mac(_ purpose: String, _ message: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: subkey(purpose))
        return Data(code).map { String(format: "%02x", $0) }.joined()
    }
}

/// Comparison whose time does not depend on where two strings first differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}

func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
}
