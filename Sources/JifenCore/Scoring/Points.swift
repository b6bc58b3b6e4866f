/// An exact decimal with two places, kept as an integer number of hundredths: points (0.5,
/// 12.25) and quantities (months, hours, yuan) alike. No floating point, so 0.5-point steps never
/// drift and the same input always gives the same output.
public struct Decimal2: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var hundredths: Int64

    public init(hundredths: Int64) { self.hundredths = hundredths }
    public init(_ whole: Int) { hundredths = Int64(whole) * 100 }

    public static let zero = Decimal2(hundredths: 0)

    /// Parses `12`, `0.5`, `-3.25`. More than two decimal places, exponents and anything else
    /// are refused (nil), never rounded silently.
    public init?(parsing text: String) {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") { negative = true; bytes.removeFirst() } else if bytes[0] == UInt8(ascii: "+") { bytes.removeFirst() }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenPoint = false
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
                continue
            }
            guard byte >= 48, byte <= 57 else { return nil }
            let digit = Int64(byte - 48)
            if seenPoint {
                fractionDigits += 1
                if fractionDigits > 2 { return nil }
                fraction = fraction * 10 + digit
            } else {
                digits += 1
                if digits > 15 { return nil }
                whole = whole * 10 + digit
            }
        }
        guard digits > 0 || fractionDigits > 0, !(seenPoint && fractionDigits == 0) else { return nil }
        if fractionDigits == 1 { fraction *= 10 }
        hundredths = (whole * 100 + fraction) * (negative ? -1 : 1)
    }

    /// `12`, `12.5`, `12.25`, `-3`: the shortest exact form.
    public var description: String {
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = hundredths.magnitude
        let whole = magnitude / 100
        let fraction = magnitude % 100
        if fraction == 0 { return sign + String(whole) }
        if fraction % 10 == 0 { return sign + String(whole) + "." + String(fraction / 10) }
        return sign + String(whole) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    public var isWhole: Bool { hundredths % 100 == 0 }

    public static func < (a: Self, b: Self) -> Bool { a.hundredths < b.hundredths }
    public static func + (a: Self, b: Self) -> Self { Self(hundredths: a.hundredths + b.hundredths) }
    public static func - (a: Self, b: Self) -> Self { Self(hundredths: a.hundredths - b.hundredths) }
    public static prefix func - (a: Self) -> Self { Self(hundredths: -a.hundredths) }
    public static func += (a: inout Self, b: Self) { a.hundredths += b.hundredths }
}

public typealias Points = Decimal2
