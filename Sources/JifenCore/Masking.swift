/// How personal data is shown to people who do not need it in full.
public enum Mask {
    /// 13812345678 → 138****5678. Anything that is not an 11-digit number is hidden whole.
    public static func phone(_ phone: String) -> String {
        guard phone.count == 11, phone.allSatisfy(\.isASCII), phone.allSatisfy(\.isNumber) else {
            return String(repeating: "*", count: max(phone.count, 4))
        }
        return String(phone.prefix(3)) + "****" + String(phone.suffix(4))
    }

    /// 张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明: the first and (for three or more
    /// characters) the last character stay, the rest become `*` (the 公示 convention).
    public static func name(_ name: String) -> String {
        let chars = Array(name)
        switch chars.count {
        case 0: return ""
        case 1: return "*"
        case 2: return String(chars[0]) + "*"
        default: return String(chars[0]) + String(repeating: "*", count: chars.count - 2) + String(chars[chars.count - 1])
        }
    }
}
