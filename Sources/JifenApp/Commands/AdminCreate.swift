import Fluent
import JifenCore
import Vapor

/// `jifen admin create`: the first center admin of an empty system (and the city it runs).
struct AdminCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "create")
        var action: String
        @Option(name: "login", help: "login name (a–z, 0–9, . _ -)")
        var login: String?
        @Option(name: "name", help: "display name")
        var name: String?
        @Option(name: "city", help: "city name, when the system has no city yet, e.g. 张家港市")
        var city: String?
        @Option(name: "city-code", help: "city code, when the system has no city yet, e.g. 320582")
        var cityCode: String?
        @Flag(name: "password-stdin", help: "read the password from standard input instead of generating one")
        var passwordStdin: Bool
    }

    var help: String { "jifen admin create --login L --name N [--city 张家港市 --city-code 320582] [--password-stdin]" }

    struct Failure: Error, CustomStringConvertible { let description: String }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "create" else { throw Failure(description: "未知操作 “\(signature.action)”；可用：create / unknown action; use: create") }
        let app = context.application
        try await prepareDatabase(app)
        let login = (signature.login ?? "").lowercased()
        if AccountRules.checkStaffLogin(login) != nil {
            throw Failure(description: "--login：应为 3–32 位小写字母、数字或 . _ -，以字母开头 / 3–32 of a–z, 0–9, . _ -, starting with a letter")
        }
        guard let name = signature.name, !name.isEmpty else { throw Failure(description: "--name：必填 / required") }
        if try await User.find(login: login, on: app.db) != nil { throw Failure(description: "--login：账号 \(login) 已存在 / already exists") }

        let password: String
        var generated = false
        if signature.passwordStdin {
            password = readLine(strippingNewline: true) ?? ""
            if let problem = AccountRules.checkPassword(password) {
                throw Failure(description: "密码不符合要求 / password refused: \(problem.rawValue) (至少 8 位，含字母和数字 / at least 8 characters with a letter and a digit)")
            }
        } else {
            password = "Jf" + app.effects.token(bytes: 9)
            generated = true
        }

        let now = app.effects.now()
        let hash = try await app.password.async.hash(password)
        let user: User = try await app.db.transaction { db in
            let city: Jurisdiction
            if let existing = try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.city.rawValue).sort(\.$code).first() {
                city = existing
            } else {
                guard let cityName = signature.city, !cityName.isEmpty,
                      let code = signature.cityCode.flatMap(JurisdictionCode.init), code.level == .city
                else { throw Failure(description: "系统中还没有城市：请用 --city 与 --city-code 指定 / the system has no city yet: give --city and --city-code") }
                city = Jurisdiction(code: code, name: cityName, parentID: nil)
                try await city.create(on: db)
                try await Audit.record("create", entity: "jurisdiction", id: code.rawValue, after: ["name": cityName, "code": code.rawValue], by: .cli, at: now, on: db)
            }
            let user = User(login: login, passwordHash: hash, displayName: name, role: .centerAdmin, status: .active,
                            jurisdictionID: try city.requireID(), at: now)
            try await user.create(on: db)
            try await Audit.record("create", entity: "user", id: try user.requireID().uuidString, after: user.auditSnapshot, by: .cli, at: now, on: db)
            return user
        }
        context.console.output("已创建中心管理员 / center admin created: \(user.login)".consoleText())
        if generated {
            context.console.output("初始密码 / initial password: \(password)".consoleText())
        }
    }
}

extension Actor {
    static let cli = Actor(id: nil, login: "cli", address: nil)
}
