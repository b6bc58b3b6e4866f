/// The list of administrative division codes (GB/T 2260) that a resident ID's first six digits
/// must come from. Built from text (`CODE<TAB>NAME[<TAB>FIRST<TAB>LAST]` lines, the years a code
/// was in force, LAST empty while it still is); the caller reads the file.
public struct RegionCodes: Sendable {
    /// The years a code was in force; `last` is nil while it still is.
    public struct Years: Sendable, Equatable {
        public let first: Int
        public let last: Int?
        public init(first: Int, last: Int?) {
            self.first = first
            self.last = last
        }
    }

    private let names: [Int32: String]
    private let years: [Int32: Years]

    public init(tsv: String) {
        var names: [Int32: String] = [:]
        var years: [Int32: Years] = [:]
        for line in tsv.split(separator: "\n") {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].utf8.count == 6, let code = Int32(parts[0]) else { continue }
            names[code] = String(parts[1]).trimmingCharacters(in: .whitespaces)
            if parts.count >= 3, let first = Int(parts[2]) {
                years[code] = Years(first: first, last: parts.count >= 4 ? Int(parts[3]) : nil)
            }
        }
        self.names = names
        self.years = years
    }

    /// The years the code was in force, where the list says.
    public func years(_ code: String) -> Years? {
        guard code.utf8.count == 6, let value = Int32(code) else { return nil }
        return years[value]
    }

    public var count: Int { names.count }

    public func name(_ code: String) -> String? {
        guard code.utf8.count == 6, let value = Int32(code) else { return nil }
        return names[value]
    }

    public func contains(_ code: String) -> Bool { name(code) != nil }

    /// Whether the code (as a number: 320582 for "320582") is in the list.
    public func contains(_ code: Int32) -> Bool { names[code] != nil }

    /// Province, city and county names of a code, as far as the list knows them (`江苏省苏州市张家港市`).
    public func place(_ code: String) -> String? {
        guard let county = name(code) else { return nil }
        let province = name(String(code.prefix(2)) + "0000")
        let city = name(String(code.prefix(4)) + "00")
        var parts: [String] = []
        if let province, province != county { parts.append(province) }
        if let city, city != county, city != province, !city.hasSuffix("市辖区") { parts.append(city) }
        parts.append(county)
        return parts.joined()
    }
}

/// A resident identity number (公民身份号码) per GB 11643-1999: six digits of region, eight of
/// birth date, three of sequence (odd for men), and a check digit by ISO 7064 MOD 11-2.
public struct ResidentID: Hashable, Sendable, CustomStringConvertible {
    public enum Sex: String, Sendable { case male, female }

    /// The number with a capital X.
    public let value: String
    public let regionCode: String
    public let birthDate: CivilDate
    public let sex: Sex

    public var description: String { masked }

    /// First four and last four characters, the rest `*`: 1101**********002X.
    public var masked: String { String(value.prefix(4)) + String(repeating: "*", count: 10) + String(value.suffix(4)) }

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case wrongLength(Int)
        case badCharacters
        case impossibleBirthDate(String)
        case futureBirthDate(CivilDate)
        case unknownRegion(String)
        case badCheckDigit(expected: Character)

        public var description: String {
            switch self {
            case .empty: "未填写 / empty"
            case .wrongLength(let n): "应为 18 位，实际为 \(n) 位 / must have 18 characters, has \(n)"
            case .badCharacters: "前 17 位应为数字，最后一位为数字或 X / 17 digits and a digit or X"
            case .impossibleBirthDate(let text): "出生日期 \(text) 不存在 / birth date \(text) does not exist"
            case .futureBirthDate(let date): "出生日期 \(date) 晚于今天 / birth date \(date) is in the future"
            case .unknownRegion(let code): "地区码 \(code) 不在行政区划代码表中 / region code \(code) is not a GB/T 2260 code"
            case .badCheckDigit(let expected): "校验码错误（应为 \(expected)）/ wrong check digit (expected \(expected))"
            }
        }
    }

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The check digit of the first 17 digits.
    public static func checkDigit(_ first17: String) -> Character? {
        let digits = first17.utf8.map { Int($0) - 48 }
        guard digits.count == 17, digits.allSatisfy({ (0...9).contains($0) }) else { return nil }
        var sum = 0
        for i in 0..<17 { sum += digits[i] * weights[i] }
        return checkCharacters[sum % 11]
    }

    /// Checks everything the number says: form, birth date (real, not after `today`), region
    /// (in `regions`), check digit. Spaces around it are ignored; a lower-case x is accepted.
    public static func validate(_ text: String, today: CivilDate, regions: RegionCodes) -> Result<ResidentID, Problem> {
        // Read as bytes: a feed checks a million of these, and every String built costs.
        var value = text.trimmingSpaces
        if value.utf8.contains(where: { $0 >= 0x80 || ($0 >= 0x61 && $0 <= 0x7A) }) { value = value.uppercased() }
        if value.isEmpty { return .failure(.empty) }
        let bytes = Array(value.utf8)
        // Bytes are characters for ASCII, except a CR LF, which Swift counts as one.
        let length = bytes.allSatisfy { $0 < 0x80 && $0 != 0x0D } ? bytes.count : value.count
        guard length == 18 else { return .failure(.wrongLength(length)) }
        guard bytes.count == 18, bytes[0..<17].allSatisfy({ $0 >= 48 && $0 <= 57 }),
              (bytes[17] >= 48 && bytes[17] <= 57) || bytes[17] == UInt8(ascii: "X")
        else { return .failure(.badCharacters) }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(bytes[$1] - 48) } }
        let year = number(6..<10), month = number(10..<12), day = number(12..<14)
        guard let birth = CivilDate(year: year, month: month, day: day), birth.year >= 1880 else {
            let digits = String(decoding: bytes[6..<14], as: UTF8.self)
            return .failure(.impossibleBirthDate(String(digits.prefix(4)) + "-" + String(digits.dropFirst(4).prefix(2)) + "-" + String(digits.suffix(2))))
        }
        if birth > today { return .failure(.futureBirthDate(birth)) }
        let region = String(decoding: bytes[0..<6], as: UTF8.self)
        guard regions.contains(Int32(number(0..<6))) else { return .failure(.unknownRegion(region)) }
        var sum = 0
        for i in 0..<17 { sum += Int(bytes[i] - 48) * weights[i] }
        let expected = checkCharacters[sum % 11]
        guard Character(UnicodeScalar(bytes[17])) == expected else { return .failure(.badCheckDigit(expected: expected)) }
        return .success(ResidentID(value: value, regionCode: region, birthDate: birth, sex: (bytes[16] - 48) % 2 == 1 ? .male : .female))
    }

    /// Age in whole years on `date`.
    public func age(on date: CivilDate) -> Int { Self.age(born: birthDate, on: date) }

    public static func age(born: CivilDate, on date: CivilDate) -> Int {
        var years = date.year - born.year
        if (date.month, date.day) < (born.month, born.day) { years -= 1 }
        return years
    }
}
