import Fluent
import JifenCore
import Vapor

/// The citizens' side of the API (the 新市民之家 mini-program): sign in for a bearer token bound
/// to a server-side session, then his own data only — identity and household masked, his points,
/// the programs open to him with the reasons he may or may not apply, applying and re-ranking
/// until the deadline, his results with each ranked school's cutoff.
enum CitizenAPI {
    static func register(_ routes: any RoutesBuilder) {
        routes.api(.POST, .citizenSession, access: .anyone, use: signIn)
        routes.api(.DELETE, .citizenSession, access: .bearer(.citizen), use: signOut)
        routes.api(.GET, .me, access: .bearer(.citizen), use: me)
        routes.api(.GET, .myPoints, access: .bearer(.citizen), use: points)
        routes.api(.GET, .myPrograms, access: .bearer(.citizen), use: programs)
        routes.api(.GET, .myApplications, access: .bearer(.citizen), use: applications)
        routes.api(.PUT, .myApplication(":program"), access: .bearer(.citizen), use: apply)
        routes.api(.GET, .myResidence, access: .bearer(.citizen), use: residence)
        routes.api(.POST, .myDeclarations, access: .bearer(.citizen), use: declare)
        routes.api(.POST, .objections(":code", ":round"), access: .bearer(.citizen), use: object)
        routes.api(.PUT, .myWeChat, access: .bearer(.citizen), use: bindWeChat)
        routes.api(.DELETE, .myWeChat, access: .bearer(.citizen), use: unbindWeChat)
    }

    // MARK: the session

    struct SignIn: Decodable { let phone: String?; let password: String?; let code: String? }
    struct Session: Codable { let token: String; let expiresAt: Date; let idleMinutes: Int }

    static func signIn(_ req: Request) async throws -> Response {
        let catalog = req.application.catalog
        let body = try ApiJSON.body(SignIn.self, req)
        let phone = (body.phone ?? "").trimmingCharacters(in: .whitespaces)
        let password = body.password ?? ""
        var missing: [ApiProblem.FieldError] = []
        if phone.isEmpty { missing.append(ApiProblem.field("phone", wording: Wording("problem_required", label: "field_phone"), catalog)) }
        if password.isEmpty { missing.append(ApiProblem.field("password", wording: Wording("problem_required", label: "field_password"), catalog)) }
        if !missing.isEmpty { throw ApiProblem.invalid(missing, catalog) }

        if case .refused(let until, _) = try await Throttle.check(login: phone, on: req) {
            throw tooMany(until, req)
        }
        let attempt = try await Throttle.begin(login: phone, on: req)
        let user = try await User.find(login: phone, on: req.db)
        let verified = try await req.password.async.verify(password, created: user?.passwordHash ?? req.application.decoyHash)
        guard let user, verified, user.status != .disabled else {
            throw problem(.unauthorized, "signInFailed", "login_failed", field: "password", req)
        }
        guard user.status == .active else { throw problem(.forbidden, "accountPending", "login_pending", field: "phone", req) }
        guard user.role == .citizen else { throw problem(.forbidden, "citizensOnly", "api_citizens_only", field: "phone", req) }
        try await Throttle.succeeded(attempt, on: req)
        if user.mustChangePassword { throw problem(.forbidden, "passwordChangeRequired", "api_password_change", field: "password", req) }
        // The second factor, where he set one up on the web: the code in the same request.
        if user.totpConfirmedAt != nil {
            let code = (body.code ?? "").trimmingCharacters(in: .whitespaces)
            guard !code.isEmpty else { throw problem(.unauthorized, "secondFactorRequired", "api_code_required", field: "code", req) }
            let codeAttempt = try await Throttle.begin(login: SecondFactor.codeKey(user), on: req)
            if let until = try await SecondFactor.codeRefusal(user, on: req) { throw tooMany(until, req) }
            guard code.count == 6, code.allSatisfy({ $0.isASCII && $0.isNumber }), try await SecondFactor.accept(code, user: user, on: req) else {
                throw problem(.unauthorized, "secondFactorWrong", "totp_wrong", field: "code", req)
            }
            try await Throttle.succeeded(codeAttempt, on: req)
        }
        let token = ApiAuthentication.sessionPrefix + req.effects.token()
        let now = req.now
        let session = UserSession(tokenHash: sha256Hex(token), userID: try user.requireID(), address: req.clientAddress,
                                  now: now, expiresAt: now.addingTimeInterval(SessionMiddleware.absoluteLifetime))
        session.channel = "api"
        try await session.create(on: req.db)
        try await Audit.record("signIn", entity: "user", id: try user.requireID().uuidString,
                               after: ["channel": "api"] .merging(user.totpConfirmedAt != nil ? ["secondFactor": "totp"] : [:]) { a, _ in a },
                               by: Actor(id: user.id, login: user.login, role: user.role, address: req.clientAddress), at: now, on: req.db)
        return try ApiJSON.response(Session(token: token, expiresAt: session.expiresAt, idleMinutes: req.application.jifenConfig.sessionIdleMinutes),
                                    status: .created, on: req)
    }

    static func signOut(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        try await UserSession.query(on: req.db).filter(\.$id == user.sessionID).delete()
        try await Audit.record("signOut", entity: "user", id: user.id.uuidString, after: ["channel": "api"], by: req.actor, at: req.now, on: req.db)
        return Response(status: .noContent)
    }

    static func problem(_ status: HTTPStatus, _ code: String, _ key: String, field: String, _ req: Request) -> ApiProblem {
        var problem = ApiProblem.status(status, req.application.catalog, code: code, detail: key)
        problem.errors = [ApiProblem.field(field, key, req.application.catalog)]
        return problem
    }

    static func tooMany(_ until: Date, _ req: Request) -> ApiProblem {
        var problem = ApiProblem.status(.tooManyRequests, req.application.catalog)
        problem.retryAfter = max(1, Int(until.timeIntervalSince(req.now).rounded(.up)))
        return problem
    }

    // MARK: his data

    struct Person: Codable {
        struct Identity: Codable { let nameMasked, idMasked: String; let birthYear: Int; let verified: Bool }
        struct Member: Codable { let id: UUID; let relation: String; let nameMasked: String; let birthYear: Int; let verified: Bool }
        let displayName: String
        let phoneMasked: String
        let identity: Identity?
        let household: [Member]
    }

    static func resident(_ req: Request) async throws -> Resident? {
        try await Resident.find(user: try req.requireUser().id, on: req.db)
    }

    static func me(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let resident = try await resident(req)
        var members: [Person.Member] = []
        if let resident {
            members = try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == resident.requireID()).sort(\.$createdAt).all().compactMap { m in
                m.id.map { Person.Member(id: $0, relation: m.relation.rawValue, nameMasked: m.nameMasked, birthYear: m.birthDate.year, verified: m.verifiedAt != nil) }
            }
        }
        return try ApiJSON.response(Person(
            displayName: user.displayName, phoneMasked: Mask.phone(user.login),
            identity: resident.map { Person.Identity(nameMasked: Mask.name($0.name), idMasked: $0.idMasked, birthYear: $0.birthDate.year, verified: $0.identityVerified) },
            household: members), on: req)
    }

    struct PointsView: Codable {
        struct Line: Codable {
            let item, title, category: String
            let fact: String?
            let rule: String
            let points: String
            let status: String
            let reason: String?
        }
        struct Category: Codable { let id, title, points: String }
        struct History: Codable { let at: Date; let kind: String; let before, after: String; let reason: String }
        struct Addable: Codable { let item, title, upTo, rule: String }
        let status: String
        let year: Int
        let total: String
        /// The archive counts for this year's programs (active and not expired).
        let counts: Bool
        let standard: String?
        let eligible: Bool?
        let vetoes: [String]
        let categories: [Category]
        let lines: [Line]
        let addable: [Addable]
        let history: [History]
    }

    static func points(_ req: Request) async throws -> Response {
        let catalog = req.application.catalog
        guard let resident = try await resident(req),
              let archive = try await PointsArchive.query(on: req.db).filter(\.$resident.$id == resident.requireID()).first()
        else {
            throw ApiProblem.status(.notFound, catalog, code: "noArchive", detail: "api_no_archive")
        }
        let service = PointsService(req)
        var evaluated = try await service.refreshForExpiry(archive)
        if evaluated == nil, archive.status == .active { evaluated = try await service.evaluation(of: archive) }
        let today = ShanghaiDate.today(req.now)
        let standing = PointsValidity.standing(of: .init(year: archive.year, opens: CivilDate(year: archive.year, month: 1, day: 1)!,
                                                         closes: CivilDate(year: archive.year, month: 12, day: 31)!), on: today)
        let expired: Bool = if case .expired = standing { true } else { false }
        let history = try await PointsHistoryEntry.query(on: req.db).filter(\.$archive.$id == archive.requireID()).sort(\.$at, .descending).limit(50).all()
        let language = req.apiLanguage
        let explained = evaluated.map { explanation($0.0, $0.1) }
        return try ApiJSON.response(PointsView(
            status: expired && archive.status == .active ? "expired" : archive.status.rawValue, year: archive.year,
            total: Points(hundredths: archive.total).description, counts: archive.status == .active && !expired,
            standard: evaluated?.1.title, eligible: evaluated?.0.eligible, vetoes: evaluated?.0.vetoes ?? [],
            categories: explained?.categories ?? [], lines: explained?.lines ?? [], addable: explained?.addable ?? [],
            history: history.map {
                PointsView.History(at: $0.at, kind: $0.kind.rawValue, before: Points(hundredths: $0.before).description,
                                   after: Points(hundredths: $0.after).description, reason: $0.words(catalog, language))
            }), on: req)
    }

    /// An evaluation as the API gives it: the categories' subtotals, every line that applies, and
    /// the items that could still add points with the most each could add.
    static func explanation(_ e: Evaluator.Evaluation, _ standard: ScoringStandard) -> (categories: [PointsView.Category], lines: [PointsView.Line], addable: [PointsView.Addable]) {
        (
            e.categories.map { PointsView.Category(id: $0.id, title: $0.title, points: $0.points.description) },
            e.lines.filter { $0.status != .absent }.map {
                PointsView.Line(item: $0.item, title: $0.title, category: $0.category, fact: $0.fact, rule: $0.rule, points: $0.points.description,
                                status: $0.status.rawValue, reason: $0.reason)
            },
            e.addable(under: standard).map { PointsView.Addable(item: $0.item.id, title: $0.item.title, upTo: $0.upTo.description, rule: $0.item.rule.text) }
        )
    }

    // MARK: programs

    struct OpenProgram: Codable {
        struct Applicant: Codable {
            /// The child the answer is about (programs for a child), else nil.
            let child: UUID?
            let eligible: Bool
            let reasons: [String]
        }
        let code, title, kind: String
        let opens, closes: String
        let maxChoices: Int
        let applied: Bool
        let applicants: [Applicant]
    }

    /// Programs whose window is open today, each with whether he (or each of his children) may
    /// apply and, if not, why.
    static func programs(_ req: Request) async throws -> Response {
        let paging = try ApiPaging(req)
        let today = ShanghaiDate.today(req.now)
        let open = try await Program.query(on: req.db).filter(\.$opens <= today).filter(\.$closes >= today).sort(\.$closes).sort(\.$code).all()
        let resident = try await resident(req)
        let service = ProgramService(req)
        let catalog = req.application.catalog, language = req.apiLanguage
        var items: [OpenProgram] = []
        for program in open.dropFirst(paging.offset).prefix(paging.fetch) {
            var applicants: [OpenProgram.Applicant] = []
            var applied = false
            if let resident {
                let mine = try await ServiceApplication.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$resident.$id == resident.requireID()).all()
                applied = !mine.isEmpty
                let children: [HouseholdMember?] = program.kind.forChild
                    ? try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$relation == .child).sort(\.$birthDate).all()
                    : [nil]
                for child in children {
                    let existing = mine.first { $0.$child.id == child?.id }
                    let facts = try await service.facts(for: resident, child: child, program: program, excluding: existing)
                    var refusals = program.rules.check(facts, choices: 1, on: today).map(ProgramService.Refusal.rule)
                    if resident.heldUnconfirmed { refusals.insert(.identityUnverified, at: 0) }
                    if let child, child.verifiedAt == nil { refusals.insert(.childUnverified, at: 0) }
                    applicants.append(.init(child: child?.id, eligible: refusals.isEmpty,
                                            reasons: refusals.map { ProgramService.words($0, catalog, language) }))
                }
            } else {
                applicants = [.init(child: nil, eligible: false, reasons: [catalog.text("identity_needed", language)])]
            }
            items.append(OpenProgram(code: program.code, title: program.title, kind: program.kind.rawValue, opens: program.opens.description,
                                     closes: program.closes.description, maxChoices: program.maxChoices, applied: applied, applicants: applicants))
        }
        return try ApiJSON.response(paging.page(items), on: req)
    }

    struct Application: Codable {
        struct Choice: Codable {
            let school: String
            let schoolName: String
            /// The lowest points admitted there in the round, when the round has one.
            let cutoff: String?
            /// `admitted`, `full`, `noSeats`, `notNeeded`; nil before a round.
            let outcome: String?
        }
        struct Result: Codable { let round: Int; let final: Bool; let school: String?; let schoolName: String?; let points: String; let rank: Int }
        let program, programTitle, number: String
        let child: UUID?
        let submittedAt: Date?
        let points: String?
        let choices: [Choice]
        let result: Result?
        let canRerank: Bool
        let canRankSecond: Bool
    }

    static func application(_ standing: ProgramService.Standing) -> Application {
        let a = standing.application
        return Application(
            program: a.program.code, programTitle: a.program.title, number: a.number, child: a.$child.id, submittedAt: a.submittedAt,
            points: a.points.map { Points(hundredths: $0).description },
            choices: standing.lines.map { Application.Choice(school: $0.school, schoolName: standing.schoolNames[$0.school] ?? $0.school,
                                                             cutoff: $0.cutoff?.description, outcome: $0.outcome?.rawValue) },
            result: standing.result.map { r in
                Application.Result(round: standing.round?.round ?? 1, final: standing.round?.finalizedAt != nil, school: r.school,
                                   schoolName: r.school.map { standing.schoolNames[$0] ?? $0 }, points: r.points.description, rank: r.rank)
            },
            canRerank: standing.canRerank, canRankSecond: standing.canRankSecond)
    }

    static func applications(_ req: Request) async throws -> Response {
        let paging = try ApiPaging(req)
        guard let resident = try await resident(req) else { return try ApiJSON.response(paging.page([Application]()), on: req) }
        let standings = try await ProgramService(req).standings(of: resident)
        return try ApiJSON.response(paging.page(of: standings.map(application)), on: req)
    }

    struct Apply: Decodable { let child: UUID?; let schools: [String]?; let priorityGroup: String?; let priorityEvidence: String? }

    /// Applies, or ranks the schools again until the deadline (the same rules as the page).
    static func apply(_ req: Request) async throws -> Response {
        let catalog = req.application.catalog
        guard let code = req.parameters.get("program"), let program = try await Program.query(on: req.db).filter(\.$code == code).first() else {
            throw ApiProblem.status(.notFound, catalog)
        }
        let body = try ApiJSON.body(Apply.self, req)
        guard let resident = try await resident(req) else {
            throw ApiProblem.refused([(catalog.text("identity_needed", .zh), catalog.text("identity_needed", .en))], field: "identity", catalog)
        }
        var child: HouseholdMember?
        if let id = body.child {
            child = try await HouseholdMember.query(on: req.db).filter(\.$id == id).filter(\.$resident.$id == resident.requireID()).first()
            guard child != nil else { throw ApiProblem.invalid([ApiProblem.field("child", "api_child_unknown", catalog)], catalog) }
        }
        let schools = (body.schools ?? []).map { $0.trimmingCharacters(in: .whitespaces) }
        if schools.count > 20 || schools.contains(where: { $0.isEmpty || $0.count > 40 }) {
            throw ApiProblem.invalid([ApiProblem.field("schools", "api_schools", catalog)], catalog)
        }
        let group = (body.priorityGroup ?? "").trimmingCharacters(in: .whitespaces)
        let priority = group.isEmpty ? nil : (group: group, evidence: String((body.priorityEvidence ?? "").trimmingCharacters(in: .whitespaces).prefix(120)))
        let existed = try await ServiceApplication.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$resident.$id == resident.requireID())
            .all().contains { $0.$child.id == child?.id }
        switch try await ProgramService(req).apply(resident: resident, child: child, program: program, schools: schools, priority: priority) {
        case .saved(let saved):
            let standing = try await ProgramService(req).standings(of: resident).first { $0.application.id == saved.id }
            guard let standing else { throw ApiProblem.status(.internalServerError, catalog) }
            return try ApiJSON.response(application(standing), status: existed ? .ok : .created, on: req)
        case .refused(let reasons):
            throw ApiProblem.refused(reasons.map { (ProgramService.words($0, catalog, .zh), ProgramService.words($0, catalog, .en)) }, field: "application", catalog)
        }
    }
}

extension CitizenAPI {
    // MARK: residence

    struct Registration: Codable {
        let id: UUID
        let address, grid: String
        let from: String
        let to: String?
        let source, status: String
        let dueDate: String
        let reason: String?
    }

    struct Permit: Codable {
        struct Step: Codable { let step, on: String }
        let number, status, basis: String
        let productionDue, validUntil, reason: String?
        let steps: [Step]
    }

    struct Residence: Codable { let registrations: [Registration]; let permits: [Permit] }

    static func registration(_ r: ResidenceRegistration) -> Registration {
        Registration(id: r.id ?? UUID(), address: r.address, grid: r.jurisdiction.name, from: r.fromDate.description, to: r.toDate?.description,
                     source: r.source.rawValue, status: r.status.rawValue, dueDate: r.dueDate.description, reason: r.reason)
    }

    /// His residence registrations (newest first) and permits, each permit with every step and its day.
    static func residence(_ req: Request) async throws -> Response {
        guard let resident = try await resident(req) else { return try ApiJSON.response(Residence(registrations: [], permits: []), on: req) }
        let registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == resident.requireID()).with(\.$jurisdiction)
            .sort(\.$fromDate, .descending).all()
        let permits = try await ResidencePermit.query(on: req.db).filter(\.$resident.$id == resident.requireID()).with(\.$steps).sort(\.$createdAt, .descending).all()
        return try ApiJSON.response(Residence(
            registrations: registrations.map(registration),
            permits: permits.map { p in
                Permit(number: p.number, status: p.status.rawValue, basis: p.basis, productionDue: p.productionDue?.description, validUntil: p.validUntil?.description,
                       reason: p.reason, steps: p.steps.sorted { $0.position < $1.position }.map { Permit.Step(step: $0.step.rawValue, on: $0.day.description) })
            }), on: req)
    }

    struct Declare: Decodable { let address: String?; let grid: String?; let from: String?; let house: String? }

    /// Declares where he lives (居住申报): the grid worker verifies it within a week.
    static func declare(_ req: Request) async throws -> Response {
        let catalog = req.application.catalog
        let body = try ApiJSON.body(Declare.self, req)
        guard let resident = try await resident(req) else {
            throw ApiProblem.refused([(catalog.text("identity_needed", .zh), catalog.text("identity_needed", .en))], field: "identity", catalog)
        }
        let declaration = ResidenceController.Declaration(address: body.address ?? "", grid: body.grid ?? "", from: body.from ?? "", house: body.house ?? "")
        switch try await declaration.file(for: resident, by: req.actor, today: ShanghaiDate.today(req.now), now: req.now, on: req.db) {
        case .saved(let saved):
            try await saved.$jurisdiction.load(on: req.db)
            return try ApiJSON.response(registration(saved), status: .created, on: req)
        case .refused(_, let problems):
            throw ApiProblem.invalid(problems.map { ApiProblem.field($0.field, wording: $0.wording, catalog) }, catalog)
        }
    }

    struct Object: Decodable { let number: String?; let text: String? }
    struct Filed: Codable { let id: UUID; let dueDate: String }

    /// An objection to a round's publicity, under his name and his account's phone (confirmed when
    /// he registered): the same limits as the page's form.
    static func object(_ req: Request) async throws -> Response {
        let catalog = req.application.catalog
        let user = try req.requireUser()
        let program = try await ProgramsController.find(req)
        let round = try await ProgramsController.findRound(req, program)
        let body = try ApiJSON.body(Object.self, req)
        let filing = ProgramsController.ObjectionFiling(name: user.displayName, phone: user.login,
                                                         number: (body.number ?? "").trimmingCharacters(in: .whitespaces),
                                                         text: (body.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        let problems = try await filing.problems(round: round, today: ShanghaiDate.today(req.now), on: req.db)
        guard problems.isEmpty else { throw ApiProblem.invalid(problems.map { ApiProblem.field($0.field, wording: $0.wording, catalog) }, catalog) }
        let objection = try await filing.file(program: program, round: round, by: req.actor, today: ShanghaiDate.today(req.now), now: req.now, app: req.application, on: req.db)
        return try ApiJSON.response(Filed(id: try objection.requireID(), dueDate: objection.dueDate.description), status: .created, on: req)
    }
}

extension CitizenAPI {
    // MARK: the mini-program's messages

    struct Bind: Decodable { let code: String? }
    struct Bound: Codable { let bound: Bool }

    /// Binds his account to the mini-program he uses (the code of its `wx.login`): texts about him
    /// then come as WeChat subscription messages too.
    static func bindWeChat(_ req: Request) async throws -> Response {
        let catalog = req.application.catalog
        let body = try ApiJSON.body(Bind.self, req)
        guard let sender = req.application.weChatSender else {
            throw ApiProblem.status(.conflict, catalog, code: "weChatNotConfigured", detail: "api_wechat_off")
        }
        let code = (body.code ?? "").trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(code.count) else { throw ApiProblem.invalid([ApiProblem.field("code", wording: Wording("problem_required", label: "field_code"), catalog)], catalog) }
        let found: String?
        do {
            found = try await sender.openID(forCode: code, app: req.application)
        } catch {
            req.logger.warning("WeChat code exchange failed: \(String(describing: error).prefix(200))")
            var problem = ApiProblem.status(.serviceUnavailable, catalog, code: "weChatUnavailable")
            problem.retryAfter = 30
            throw problem
        }
        guard let openID = found, (1...128).contains(openID.count) else {
            throw ApiProblem.invalid([ApiProblem.field("code", "api_wechat_code", catalog)], catalog)
        }
        let user = try req.requireUser()
        guard let account = try await User.find(user.id, on: req.db) else { throw ApiProblem.status(.unauthorized, catalog) }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            // One openid, one account: binding it here ends a binding elsewhere.
            try await User.query(on: db).filter(\.$wechatOpenID == openID).filter(\.$id != user.id).set(\.$wechatOpenID, to: nil).update()
            account.wechatOpenID = openID
            try await account.save(on: db)
            try await Audit.record("bindWeChat", entity: "user", id: user.id.uuidString, by: actor, at: now, on: db)
        }
        return try ApiJSON.response(Bound(bound: true), on: req)
    }

    static func unbindWeChat(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let account = try await User.find(user.id, on: req.db) else { throw ApiProblem.status(.unauthorized, req.application.catalog) }
        if account.wechatOpenID != nil {
            let actor = req.actor, now = req.now
            try await req.db.transaction { db in
                account.wechatOpenID = nil
                try await account.save(on: db)
                try await Audit.record("unbindWeChat", entity: "user", id: user.id.uuidString, by: actor, at: now, on: db)
            }
        }
        return try ApiJSON.response(Bound(bound: false), on: req)
    }
}

extension Request {
    /// The language of an API answer's words: English when `Accept-Language` asks for it first.
    var apiLanguage: Catalog.Language {
        let first = headers.first(name: .acceptLanguage)?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return first.hasPrefix("en") ? .en : .zh
    }
}
