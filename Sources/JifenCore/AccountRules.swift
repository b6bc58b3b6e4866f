/// What a valid account looks like. The app turns each `Problem` into a message of the string
/// catalog that names the field, in the user's language.
public enum AccountRules {
    public enum Problem: String, Sendable, Equatable {
        case required
        case badPhone
        case passwordTooShort
        case passwordTooLong
        case passwordTooSimple
        case passwordMismatch
        case badLogin
        case badCode
    }

    public static let minimumPasswordLength = 8
    /// Bcrypt reads at most 72 bytes; a longer password would be silently truncated.
    public static let maximumPasswordBytes = 72

    /// A mainland mobile number: 11 digits, starting 1 and then 3–9.
    public static func checkPhone(_ phone: String) -> Problem? {
        if phone.isEmpty { return .required }
        let digits = Array(phone.utf8)
        guard digits.count == 11, digits.allSatisfy({ (48...57).contains($0) }),
              digits[0] == 49, (51...57).contains(digits[1]) else { return .badPhone }
        return nil
    }

    /// At least 8 characters with at least one letter and one digit, at most 72 bytes.
    public static func checkPassword(_ password: String) -> Problem? {
        if password.isEmpty { return .required }
        if password.count < minimumPasswordLength { return .passwordTooShort }
        if password.utf8.count > maximumPasswordBytes { return .passwordTooLong }
        let hasLetter = password.unicodeScalars.contains { $0.properties.isAlphabetic }
        let hasDigit = password.unicodeScalars.contains { ("0"..."9").contains($0) }
        return hasLetter && hasDigit ? nil : .passwordTooSimple
    }

    /// Staff login names: 3–32 characters of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
    public static func checkStaffLogin(_ login: String) -> Problem? {
        if login.isEmpty { return .required }
        let bytes = Array(login.utf8)
        guard (3...32).contains(bytes.count), (97...122).contains(bytes[0]),
              bytes.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 46 || $0 == 95 || $0 == 45 })
        else { return .badLogin }
        return nil
    }

    /// Verification codes are six digits.
    public static func checkCode(_ code: String) -> Problem? {
        if code.isEmpty { return .required }
        return code.utf8.count == 6 && code.utf8.allSatisfy({ (48...57).contains($0) }) ? nil : .badCode
    }
}
