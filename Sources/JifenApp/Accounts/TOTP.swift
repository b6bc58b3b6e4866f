import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1, 30-second steps),
/// the codes authenticator apps show. Secrets travel as RFC 4648 base32.
enum TOTP {
    static let period: TimeInterval = 30

    /// The time step `date` falls in.
    static func step(at date: Date) -> UInt64 { UInt64(max(0, date.timeIntervalSince1970) / period) }

    /// HOTP of `counter`: `digits` decimal digits.
    static func code(secret: [UInt8], counter: UInt64, digits: Int = 6) -> String {
        var big = counter.bigEndian
        let message = withUnsafeBytes(of: &big) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    static func code(secret: [UInt8], at date: Date, digits: Int = 6) -> String {
        code(secret: secret, counter: step(at: date), digits: digits)
    }

    /// The step `code` belongs to, if it is the current one or one step either side (clocks
    /// drift) and later than `after` (a code is used once).
    static func verify(_ code: String, secret: [UInt8], at date: Date, after: UInt64? = nil) -> UInt64? {
        let now = step(at: date)
        for candidate in [now, now &- 1, now &+ 1] {
            if let after, candidate <= after { continue }
            if constantTimeEqual(TOTP.code(secret: secret, counter: candidate), code) { return candidate }
        }
        return nil
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    static func base32(_ bytes: [UInt8]) -> String {
        var output = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return output
    }

    static func base32Decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.uppercased() where character != "=" && character != " " {
            guard let index = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | UInt32(index)
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((buffer >> UInt32(bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return bytes
    }

    /// What an authenticator app scans: `otpauth://totp/积分:LOGIN?secret=…&issuer=积分`.
    static func uri(secret: [UInt8], account: String, issuer: String = "Jifen") -> String {
        let label = (issuer + ":" + account).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: ":"))) ?? account
        return "otpauth://totp/\(label)?secret=\(base32(secret))&issuer=\(issuer)&algorithm=SHA1&digits=6&period=30"
    }
}
