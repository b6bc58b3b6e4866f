import Fluent
import JifenCore
import Vapor

/// `jifen admin create`: the first center admin of an empty system (and the city it runs).
enum AdminCommand: JifenCommand {
    static let name = "admin"
    static let usage = "jifen admin create --login L --name N [--city 张家港市 --city-code 320582] [--password-stdin]"
    static let needsApplication = true

    typealias Failure = CommandFailure

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        let signature = try Arguments(arguments, options: ["--login", "--name", "--city", "--city-code"], flags: ["--password-stdin", Arguments.demo])
        guard signature.positional == ["create"] else {
            throw CommandUsage(message: "未知操作 “\(signature.positional.joined(separator: " "))”；可用：create / unknown action; use: create")
        }
        let app = try await migrated(app)
        let login = (signature["--login"] ?? "").lowercased()
        if AccountRules.checkStaffLogin(login) != nil {
            throw Failure(description: "--login：应为 3–32 位小写字母、数字或 . _ -，以字母开头 / 3–32 of a–z, 0–9, . _ -, starting with a letter")
        }
        guard let name = signature["--name"], !name.isEmpty else { throw Failure(description: "--name：必填 / required") }
        if try await User.find(login: login, on: app.db) != nil { throw Failure(description: "--login：账号 \(login) 已存在 / already exists") }

        let password: String
        var generated = false
        if signature.has("--password-stdin") {
            password = io.input() ?? ""
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
                guard let cityName = signature["--city"], !cityName.isEmpty,
                      let code = signature["--city-code"].flatMap(JurisdictionCode.init), code.level == .city
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
        io.output("已创建中心管理员 / center admin created: \(user.login)")
        if generated { io.output("初始密码 / initial password: \(password)") }
        return 0
    }
}

extension Actor {
    static let cli = Actor(id: nil, login: "cli", address: nil)
}
