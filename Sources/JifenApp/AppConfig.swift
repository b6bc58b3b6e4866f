import Foundation
import Logging
import JifenCore

/// Every setting Jifen reads, read in one place. A bad value stops the start with a message that
/// names the setting (see the README's settings table, which lists exactly these).
public struct AppConfig: Sendable {
    public enum DatabaseKind: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    public var database: DatabaseKind
    public var dataDirectory: String
    /// 32 bytes: the key for encrypting personal data at rest and for keyed hashes (CSRF tokens,
    /// verification codes, look-up hashes).
    public var secretKey: [UInt8]
    /// True when the demo made its own key (stored in the data directory) instead of reading one.
    public var secretKeyGenerated: Bool
    public var hostname: String
    public var port: Int
    public var logLevel: Logger.Level
    public var bcryptCost: Int
    /// True outside the demo: cookies are `Secure` with `__Host-` names and HSTS is sent.
    public var secureCookies: Bool
    /// Proxies whose `X-Forwarded-For` is believed (`JIFEN_TRUSTED_PROXIES`, CIDRs).
    public var trustedProxies: [AddressRange] = []
    /// The bearer token that opens `/metrics` from elsewhere than this machine.
    public var metricsToken: String?
    public var sessionIdleMinutes: Int
    /// Codes sent to phones from one address in an hour (`JIFEN_CODES_PER_ADDRESS_HOUR`, default 30).
    public var codesPerAddressHour: Int = 30
    /// Started with `--demo`: demo accounts are exempt from the second factor, texts are shown.
    public var demo: Bool = false
    /// Staff sessions end sooner when idle (`JIFEN_STAFF_IDLE_MINUTES`, default 30).
    public var staffIdleMinutes: Int = 30
    /// The HTTP SMS gateway texts are delivered through (`JIFEN_SMS_GATEWAY_URL`, `JIFEN_SMS_ACCOUNT`,
    /// `JIFEN_SMS_KEY`); nil: the log sender.
    public struct SMSGateway: Sendable, Equatable {
        public let url, account: String
        public let key: [UInt8]
    }
    public var smsGateway: SMSGateway?
    /// The city's mini-program on WeChat (`JIFEN_WECHAT_APPID`, `JIFEN_WECHAT_SECRET`,
    /// `JIFEN_WECHAT_TEMPLATE`, and `JIFEN_WECHAT_API` for another address than WeChat's);
    /// nil: no subscription messages.
    public struct WeChat: Sendable, Equatable {
        public let appID, secret, template, api: String
    }
    public var weChat: WeChat?
    /// API requests one token may make in a minute (`JIFEN_API_TOKEN_PER_MINUTE`, default 600).
    public var apiPerTokenMinute: Int = 600
    /// API requests from one address in a minute (`JIFEN_API_ADDRESS_PER_MINUTE`, default 1200).
    public var apiPerAddressMinute: Int = 1200
    /// Seconds a public page is kept for visitors who are not signed in
    /// (`JIFEN_PAGE_CACHE_SECONDS`, 0–60, default 5; 0: never kept).
    public var pageCacheSeconds: Int = 5
    /// Working days to produce a residence permit (today 15, the target 7).
    public var permitProductionDays: Int
    /// Working days a department has to review a claimed points item (default 15).
    public var reviewWorkingDays: Int
    /// Working days the window takes for the first review of a submitted points application, and
    /// the date a returned applicant is asked to complete it by, as receipts state them
    /// (`JIFEN_WINDOW_DAYS`, 1–30, default 5).
    public var windowWorkingDays: Int = 5
    /// The collection subsidy (采集补贴) per complete record, in fen (`JIFEN_RECORD_SUBSIDY_FEN`,
    /// default 1500: seed 002's 15 元), the city's share of it in per cent (`JIFEN_SUBSIDY_CITY_PERCENT`,
    /// default 50: shared 1:1 with the town), and what makes a record complete
    /// (`JIFEN_COMPLETE_FIELDS`: any of `phone`, `house`, `identity`; default `phone,house`).
    public var recordSubsidyFen: Int = 1500
    public var subsidyCityPercent: Int = 50
    public var completeFields: [String] = ["phone", "house"]
    public static let recordFields = ["phone", "house", "identity"]
    /// The address people reach the site at, used in QR codes printed on doors.
    public var publicURL: String
    /// The steps a draft standard and a year's quotas must pass before they are published
    /// (`JIFEN_STANDARD_APPROVALS`, `JIFEN_QUOTA_APPROVALS`).
    public var standardApprovals: [ApprovalStep] = ApprovalStep.Subject.standard.defaultSteps
    public var quotaApprovals: [ApprovalStep] = ApprovalStep.Subject.quota.defaultSteps

    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let setting, message: String
        public var description: String { "配置错误 / configuration error: \(setting): \(message)" }
    }

    /// Reads the settings from `environment`. With `demo`, a missing secret key is generated once
    /// and kept in the data directory so restarts can still read what was encrypted.
    public static func load(environment env: [String: String], demo: Bool) throws -> AppConfig {
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        /// A whole number within `range`, or `fallback` when the setting is not there.
        func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
            guard let raw = value(name) else { return fallback }
            guard let n = Int(raw), range.contains(n) else {
                throw Problem(setting: name, message: "应为 \(range.lowerBound)–\(range.upperBound) 之间的整数，实际为 “\(raw)” / expected an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }

        let dataDirectory = value("JIFEN_DATA_DIR") ?? "./jifen-data"

        let database: DatabaseKind
        if let url = value("DATABASE_URL") {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
                  let parsed = URL(string: url), parsed.host != nil
            else {
                throw Problem(setting: "DATABASE_URL", message: "应为 postgres://用户:密码@主机:端口/数据库；不设置则使用数据目录中的 SQLite / expected postgres://user:password@host:port/database, or unset for SQLite")
            }
            database = .postgres(url: url)
        } else {
            database = .sqlite(path: (dataDirectory as NSString).appendingPathComponent("jifen.sqlite"))
        }

        var secretKeyGenerated = false
        let secretKey: [UInt8]
        if let raw = value("JIFEN_SECRET_KEY") {
            guard let key = decodeKey(raw) else {
                throw Problem(setting: "JIFEN_SECRET_KEY", message: "应为 32 字节的密钥：64 个十六进制字符或 base64 / expected 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)")
            }
            secretKey = key
        } else if demo {
            secretKey = try demoKey(dataDirectory: dataDirectory)
            secretKeyGenerated = true
        } else {
            throw Problem(setting: "JIFEN_SECRET_KEY", message: "未设置；生成方法：openssl rand -hex 32 / not set; make one with: openssl rand -hex 32")
        }

        let hostname = value("JIFEN_HOST") ?? "127.0.0.1"
        let port = try integer("JIFEN_PORT", in: 1...65535, default: 8080)

        let logLevel: Logger.Level
        if let raw = value("JIFEN_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: raw.lowercased()) else {
                throw Problem(setting: "JIFEN_LOG_LEVEL", message: "应为 trace、debug、info、notice、warning、error、critical 之一 / expected one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        } else {
            logLevel = .info
        }

        let bcryptCost = try integer("JIFEN_BCRYPT_COST", in: 4...16, default: 12)

        let secureCookies: Bool
        switch value("JIFEN_SECURE_COOKIES")?.lowercased() {
        case nil: secureCookies = !demo
        case "false", "0", "no": secureCookies = false
        case "true", "1", "yes": secureCookies = true
        case let other?:
            throw Problem(setting: "JIFEN_SECURE_COOKIES", message: "应为 true 或 false，实际为 “\(other)” / expected true or false")
        }

        let idle = try integer("JIFEN_SESSION_IDLE_MINUTES", in: 5...1440, default: 120)

        let codesPerAddress = try integer("JIFEN_CODES_PER_ADDRESS_HOUR", in: 1...10_000, default: 30)

        let staffIdle = try integer("JIFEN_STAFF_IDLE_MINUTES", in: 5...1440, default: 30)

        /// Settings that go together: all of them, none of them (nil), or a problem naming the missing one.
        func together(_ names: [String], _ what: String) throws -> [String]? {
            let values = names.map { value($0) }
            guard values.contains(where: { $0 != nil }) else { return nil }
            if let missing = zip(names, values).first(where: { $0.1 == nil })?.0 {
                throw Problem(setting: missing, message: "\(what)的设置需同时提供 / all of these go together: " + names.joined(separator: ", "))
            }
            return values.compactMap { $0 }
        }
        func address(_ name: String, _ raw: String) throws -> String {
            guard raw.hasPrefix("https://") || raw.hasPrefix("http://"), URL(string: raw)?.host != nil else {
                throw Problem(setting: name, message: "应为 http:// 或 https:// 开头的网址 / expected an http:// or https:// address")
            }
            return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        }

        var smsGateway: SMSGateway?
        if let gateway = try together(["JIFEN_SMS_GATEWAY_URL", "JIFEN_SMS_ACCOUNT", "JIFEN_SMS_KEY"], "短信网关") {
            let url = try address("JIFEN_SMS_GATEWAY_URL", gateway[0])
            guard gateway[2].count >= 16 else { throw Problem(setting: "JIFEN_SMS_KEY", message: "至少 16 个字符 / at least 16 characters") }
            smsGateway = SMSGateway(url: url, account: gateway[1], key: Array(gateway[2].utf8))
        }

        var weChat: WeChat?
        if let settings = try together(["JIFEN_WECHAT_APPID", "JIFEN_WECHAT_SECRET", "JIFEN_WECHAT_TEMPLATE"], "微信小程序") {
            let api = try address("JIFEN_WECHAT_API", value("JIFEN_WECHAT_API") ?? "https://api.weixin.qq.com")
            weChat = WeChat(appID: settings[0], secret: settings[1], template: settings[2], api: api)
        }

        let apiPerToken = try integer("JIFEN_API_TOKEN_PER_MINUTE", in: 1...1_000_000, default: 600)
        let apiPerAddress = try integer("JIFEN_API_ADDRESS_PER_MINUTE", in: 1...1_000_000, default: 1200)

        let productionDays = try integer("JIFEN_PERMIT_PRODUCTION_DAYS", in: 1...60, default: 15)

        let reviewDays = try integer("JIFEN_REVIEW_DAYS", in: 1...60, default: 15)
        let windowDays = try integer("JIFEN_WINDOW_DAYS", in: 1...30, default: 5)
        let subsidyFen = try integer("JIFEN_RECORD_SUBSIDY_FEN", in: 0...100_000, default: 1500)
        let cityPercent = try integer("JIFEN_SUBSIDY_CITY_PERCENT", in: 0...100, default: 50)
        var completeFields = ["phone", "house"]
        if let raw = value("JIFEN_COMPLETE_FIELDS") {
            let fields = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let wrong = fields.isEmpty ? raw : fields.first(where: { !Self.recordFields.contains($0) }) {
                throw Problem(setting: "JIFEN_COMPLETE_FIELDS", message: "可选 \(Self.recordFields.joined(separator: "、"))，实际为 “\(wrong)” / expected some of \(Self.recordFields.joined(separator: ", "))")
            }
            completeFields = fields
        }

        let publicURL: String
        if let raw = value("JIFEN_PUBLIC_URL") {
            guard raw.hasPrefix("http://") || raw.hasPrefix("https://"), let url = URL(string: raw), url.host != nil else {
                throw Problem(setting: "JIFEN_PUBLIC_URL", message: "应为 http:// 或 https:// 开头的网址 / expected an http:// or https:// address")
            }
            publicURL = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        } else {
            publicURL = "http://\(hostname):\(port)"
        }

        var trustedProxies: [AddressRange] = []
        for part in (value("JIFEN_TRUSTED_PROXIES") ?? "").split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let range = AddressRange(text) else {
                throw Problem(setting: "JIFEN_TRUSTED_PROXIES", message: "“\(text)”不是地址或地址段（如 10.0.0.0/8、::1）/ not an address or CIDR range (10.0.0.0/8, ::1)")
            }
            trustedProxies.append(range)
        }

        let metricsToken = value("JIFEN_METRICS_TOKEN")
        if let metricsToken, metricsToken.count < 16 {
            throw Problem(setting: "JIFEN_METRICS_TOKEN", message: "至少 16 个字符 / at least 16 characters")
        }

        // Browsers send `Secure` cookies over HTTPS only (and to this machine): a site reached by
        // plain HTTP elsewhere would sign no one in. Say so at start rather than fail at the door.
        if secureCookies, let url = URL(string: publicURL), url.scheme == "http",
           let host = url.host, !["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) {
            throw Problem(setting: "JIFEN_SECURE_COOKIES", message: "JIFEN_PUBLIC_URL 为 \(publicURL)：浏览器不会通过 HTTP 发送 Secure Cookie。请用 HTTPS 提供服务，或设置 JIFEN_SECURE_COOKIES=false / browsers send Secure cookies over HTTPS only: serve over HTTPS or set JIFEN_SECURE_COOKIES=false")
        }

        func approvals(_ name: String, _ subject: ApprovalStep.Subject) throws -> [ApprovalStep] {
            guard let raw = value(name) else { return subject.defaultSteps }
            switch ApprovalStep.parseList(raw) {
            case .success(let steps): return steps
            case .failure(let unknown):
                throw Problem(setting: name, message: "“\(unknown.word)”不是审批环节；可用 / not a step; one of: "
                              + ApprovalStep.allCases.map(\.rawValue).joined(separator: ", ") + "，或 / or none")
            }
        }

        let pageCacheSeconds = try integer("JIFEN_PAGE_CACHE_SECONDS", in: 0...60, default: 5)

        var config = AppConfig(
            database: database, dataDirectory: dataDirectory, secretKey: secretKey,
            secretKeyGenerated: secretKeyGenerated, hostname: hostname, port: port, logLevel: logLevel,
            bcryptCost: bcryptCost, secureCookies: secureCookies, trustedProxies: trustedProxies, metricsToken: metricsToken, sessionIdleMinutes: idle, codesPerAddressHour: codesPerAddress, demo: demo, staffIdleMinutes: staffIdle,
            smsGateway: smsGateway, weChat: weChat, apiPerTokenMinute: apiPerToken, apiPerAddressMinute: apiPerAddress,
            permitProductionDays: productionDays, reviewWorkingDays: reviewDays, publicURL: publicURL,
            standardApprovals: try approvals("JIFEN_STANDARD_APPROVALS", .standard), quotaApprovals: try approvals("JIFEN_QUOTA_APPROVALS", .quota)
        )
        config.pageCacheSeconds = pageCacheSeconds
        config.windowWorkingDays = windowDays
        config.recordSubsidyFen = subsidyFen
        config.subsidyCityPercent = cityPercent
        config.completeFields = completeFields
        return config
    }

    static func decodeKey(_ raw: String) -> [UInt8]? {
        if raw.count == 64, raw.allSatisfy(\.isHexDigit) {
            var bytes: [UInt8] = []
            var index = raw.startIndex
            while index < raw.endIndex {
                let next = raw.index(index, offsetBy: 2)
                guard let byte = UInt8(raw[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
            return bytes
        }
        if let data = Data(base64Encoded: raw), data.count == 32 { return Array(data) }
        return nil
    }

    /// The demo's own key: made once, kept (mode 0600) in the data directory.
    static func demoKey(dataDirectory: String) throws -> [UInt8] {
        let fm = FileManager.default
        let path = (dataDirectory as NSString).appendingPathComponent("demo-secret.key")
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
           let key = decodeKey(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return key
        }
        do {
            try fm.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw Problem(setting: "JIFEN_DATA_DIR", message: "无法创建目录 \(dataDirectory) / cannot create the directory: \(error.localizedDescription)")
        }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hex = key.map { String(format: "%02x", $0) }.joined()
        guard fm.createFile(atPath: path, contents: Data((hex + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Problem(setting: "JIFEN_DATA_DIR", message: "无法写入 \(path) / cannot write the demo key")
        }
        return key
    }
}
