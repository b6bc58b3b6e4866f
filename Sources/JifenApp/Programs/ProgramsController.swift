import Fluent
import JifenCore
import Vapor

/// Programs on the web: the public list and page of each program with its quotas, setting up a
/// program, quotas by form or CSV, the parent's ranked application, running a round, the
/// publicity list and the applicant's result.
enum ProgramsController {
    static let organisers: Access = .roles([.centerAdmin, .educationOfficer])

    static func register(_ routes: any RoutesBuilder) {
        routes.get("programs", access: .anyone, use: list)
        routes.get("programs", "new", access: organisers, use: newPage)
        routes.post("programs", access: organisers, use: create)
        routes.get("programs", ":code", access: .anyone, use: page)
        routes.post("programs", ":code", "quotas", access: organisers, use: addQuota)
        routes.on(.POST, ["programs", ":code", "quotas", "csv"], access: organisers, body: .collect(maxSize: "2mb"), use: quotaCSV)
        routes.post("programs", ":code", "quotas", "publish", access: organisers, use: publishQuotas)
        routes.get("programs", ":code", "apply", access: .roles([.citizen]), use: applyPage)
        routes.post("programs", ":code", "apply", access: .roles([.citizen]), use: apply)
        routes.post("programs", ":code", "rounds", access: organisers, use: runRound)
        routes.post("programs", ":code", "rounds", ":round", "finalize", access: organisers, use: finalize)
        routes.get("programs", ":code", "objections", access: organisers, use: objections)
        routes.get("programs", ":code", "applications", access: organisers, use: applications)
        routes.post("programs", ":code", "objections", ":id", "answer", access: organisers, use: answer)
        routes.get("programs", ":code", "second", access: .roles([.citizen]), use: secondPage)
        routes.post("programs", ":code", "second", access: .roles([.citizen]), use: second)
        routes.get("publicity", ":code", ":round", access: .anyone, use: publicity)
        routes.post("publicity", ":code", ":round", "objections", access: .anyone, use: object)
        routes.get("me", "programs", access: .roles([.citizen]), use: mine)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    static func find(_ req: Request) async throws -> Program {
        guard let code = req.parameters.get("code"), let program = try await Program.query(on: req.db).filter(\.$code == code).first() else { throw Abort(.notFound) }
        return program
    }

    // MARK: list

    struct Row: Encodable { let href: String; let title: String; let kind: String; let window: String; let state: String }
    struct ListContent: Encodable { let rows: [Row]; let canCreate: Bool; let newLink: String }

    static func state(_ p: Program, today: CivilDate, on req: Request) -> String {
        guard let rules = p.rules else { return "" }
        if today < rules.opens { return req.text("program_state_upcoming") }
        if today <= rules.closes { return req.text("program_state_open") }
        return req.text("program_state_closed")
    }

    static func list(_ req: Request) async throws -> Response {
        let programs = try await Program.query(on: req.db).sort(\.$year, .descending).sort(\.$code).all()
        let user = req.currentUser
        let content = ListContent(
            rows: programs.map { p in
                Row(href: "/programs/" + p.code, title: p.title, kind: req.text("program_kind_" + p.kind.rawValue),
                    window: p.opens + " – " + p.closes, state: state(p, today: today(req), on: req))
            },
            canCreate: user.map { [.centerAdmin, .educationOfficer].contains($0.role) } ?? false, newLink: "/programs/new")
        return try await req.render("programs", title: "programs_title", content)
    }

    // MARK: set up

    struct NewContent: Encodable { let form: FormState; let kinds: [SelectOption]; let action: String; let categories: String }

    static let fields = ["code", "title", "kind", "year", "opens", "closes", "maxChoices", "minResidenceYears", "requirePermit", "ageMin", "ageMax", "ageCutoff", "tiebreak", "threshold"]

    static func newPage(_ req: Request) async throws -> Response {
        let year = today(req).year + (today(req).month >= 9 ? 1 : 0)
        let form = FormState(fields: fields, values: ["year": String(year), "opens": "\(year)-03-01", "closes": "\(year)-05-30", "maxChoices": "5",
                                                      "minResidenceYears": "1", "requirePermit": "on", "ageCutoff": "\(year)-08-31", "kind": "grade1",
                                                      "tiebreak": "socialSecurity,residence"])
        return try await renderNew(req, form: form, status: .ok)
    }

    static func renderNew(_ req: Request, form: FormState, status: HTTPStatus) async throws -> Response {
        let standard = try await StandardVersion.inForce(on: today(req), on: req.db)?.1
        let content = NewContent(form: form, kinds: ProgramRules.Kind.allCases.map { SelectOption(value: $0.rawValue, label: req.text("program_kind_" + $0.rawValue), selected: form.values["kind"] == $0.rawValue) },
                                 action: "/programs", categories: standard.map { $0.categories.map { "\($0.id)（\($0.title)）" }.joined(separator: "、") } ?? "")
        return try await req.render("program-new", title: "program_new_title", content, status: status)
    }

    static func create(_ req: Request) async throws -> Response {
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        var values: [String: String] = [:]
        for f in fields { values[f] = (input[f] ?? "").trimmingCharacters(in: .whitespaces) }
        var form = FormState(fields: fields, values: values)
        func required(_ f: String) { if values[f, default: ""].isEmpty { form.fail(f, req.text("problem_required", ["field": req.text("field_program_" + f)])) } }
        ["code", "title", "kind", "year", "opens", "closes", "ageCutoff"].forEach(required)
        let code = values["code"]!
        if !code.isEmpty, !isValidRecordCode(code) {
            form.fail("code", req.text("program_code_rule"))
        } else if !code.isEmpty, try await Program.query(on: req.db).filter(\.$code == code).first() != nil {
            form.fail("code", req.text("program_code_taken"))
        }
        let kind = ProgramRules.Kind(rawValue: values["kind"]!)
        if kind == nil && !values["kind"]!.isEmpty { form.fail("kind", req.text("problem_choose", ["field": req.text("field_program_kind")])) }
        let year = Int(values["year"]!)
        if year == nil || !(2000...2100).contains(year!) { form.fail("year", req.text("program_number", ["field": req.text("field_program_year")])) }
        var dates: [String: CivilDate] = [:]
        for f in ["opens", "closes", "ageCutoff"] where !values[f]!.isEmpty {
            if let d = CivilDate(values[f]!) { dates[f] = d } else { form.fail(f, req.text("problem_date", ["field": req.text("field_program_" + f)])) }
        }
        if let o = dates["opens"], let c = dates["closes"], c < o { form.fail("closes", req.text("program_closes_before")) }
        func int(_ f: String, _ range: ClosedRange<Int>, default d: Int?) -> Int? {
            if values[f]!.isEmpty { return d }
            guard let n = Int(values[f]!), range.contains(n) else {
                form.fail(f, req.text("program_range", ["field": req.text("field_program_" + f), "min": String(range.lowerBound), "max": String(range.upperBound)]))
                return nil
            }
            return n
        }
        let maxChoices = int("maxChoices", 1...20, default: 1)
        let minYears = int("minResidenceYears", 0...20, default: 0)
        let ageMin = int("ageMin", 0...18, default: kind?.defaultAges?.lowerBound)
        let ageMax = int("ageMax", 0...18, default: kind?.defaultAges?.upperBound)
        var threshold: Points?
        if !values["threshold"]!.isEmpty {
            if let t = Decimal2(parsing: values["threshold"]!), t >= .zero { threshold = t } else { form.fail("threshold", req.text("program_number", ["field": req.text("field_program_threshold")])) }
        }
        if let kind, !kind.isSchool, threshold == nil, form.errors["threshold"] == nil { form.fail("threshold", req.text("program_threshold_needed")) }
        let standard = try await StandardVersion.inForce(on: today(req), on: req.db)?.1
        let tiebreak = values["tiebreak"]!.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == " " }).map(String.init)
        if let standard, let unknown = tiebreak.first(where: { standard.category($0) == nil }) {
            form.fail("tiebreak", req.text("program_unknown_category", ["id": unknown]))
        }
        guard form.isValid, let kind, let year, let opens = dates["opens"], let closes = dates["closes"], let cutoff = dates["ageCutoff"] else {
            return try await renderNew(req, form: form, status: .badRequest)
        }
        let program = Program()
        program.createdAt = req.now
        program.code = code
        program.year = year
        program.kind = kind
        program.title = values["title"]!
        program.opens = opens.description
        program.closes = closes.description
        program.maxChoices = kind.isSchool ? (maxChoices ?? 1) : 0
        program.minResidenceYears = minYears ?? 0
        program.requirePermit = values["requirePermit"] == "on" || values["requirePermit"] == "true"
        program.childAgeMin = kind.forChild ? ageMin : nil
        program.childAgeMax = kind.forChild ? ageMax : nil
        program.ageCutoff = cutoff.description
        program.tiebreak = tiebreak.joined(separator: ",")
        program.threshold = threshold?.hundredths
        program.createdBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await program.create(on: db)
            try await Audit.record("create", entity: "program", id: program.code, after: program.auditSnapshot, by: actor, at: now, on: db)
        }
        return req.redirect(to: "/programs/" + program.code)
    }

    // MARK: one program

    struct QuotaRow: Encodable { let code: String; let name: String; let town: String; let seats: Int }
    struct RoundLink: Encodable { let href: String; let label: String; let period: String; let final: Bool }

    struct PageContent: Encodable {
        let code: String
        let title: String
        let kind: String
        let state: String
        let window: String
        let rules: [String]
        let timeline: [String]
        let quotaPublished: Bool
        let quotas: [QuotaRow]
        let totalSeats: Int
        let isOrganiser: Bool
        let quotaForm: FormState
        let quotaAction: String
        let csvAction: String
        let publishAction: String
        let towns: [SelectOption]
        let canApply: Bool
        let applyLink: String
        let rounds: [RoundLink]
        let canRun: Bool
        let runAction: String
        let runLabel: String
        let csvErrors: [String]
        let notice: String?
        let isSchool: Bool
        /// The quotas were due 30 days before the deadline and are still not published.
        let quotaLate: String?
        let applicationsLink: String
    }

    static func page(_ req: Request) async throws -> Response {
        try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [], status: .ok)
    }

    static func page(_ req: Request, quotaForm: FormState, csvErrors: [String], status: HTTPStatus) async throws -> Response {
        let program = try await find(req)
        guard let rules = program.rules else { throw Abort(.internalServerError) }
        let user = req.currentUser
        let organiser = user.map { [.centerAdmin, .educationOfficer].contains($0.role) } ?? false
        let quotas = try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school) { $0.with(\.$jurisdiction) }.all()
            .sorted { $0.school.code < $1.school.code }
        let published = program.quotaPublishedAt != nil
        let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).sort(\.$round).all()
        let towns = try await Jurisdiction.query(on: req.db).filter(\.$level == JurisdictionLevel.town.rawValue).sort(\.$code).all()
        var ruleLines: [String] = []
        if rules.requirePermit { ruleLines.append(req.text("program_rule_permit")) }
        if rules.minResidenceYears > 0 { ruleLines.append(req.text("program_rule_residence", ["years": String(rules.minResidenceYears)])) }
        if let ages = rules.childAges { ruleLines.append(req.text("program_rule_age", ["min": String(ages.lowerBound), "max": String(ages.upperBound), "date": ShanghaiDate.long(rules.ageCutoff)])) }
        if rules.kind.forChild { ruleLines.append(req.text("program_rule_one_child")) }
        if let t = rules.threshold { ruleLines.append(req.text("program_rule_threshold", ["points": t.description])) }
        if rules.kind.isSchool {
            ruleLines.append(req.text("program_rule_choices", ["n": String(rules.maxChoices)]))
            let standard = try await StandardVersion.inForce(on: today(req), on: req.db)?.1
            let titles = program.tiebreakCategories.map { id in standard?.category(id)?.title ?? id }
            ruleLines.append(req.text("program_rule_order", ["tiebreak": titles.isEmpty ? "—" : titles.joined(separator: "、")]))
        }
        let quotaDue = rules.closes.adding(days: -30)
        let content = PageContent(
            code: program.code, title: program.title, kind: req.text("program_kind_" + program.kind.rawValue), state: state(program, today: today(req), on: req),
            window: ShanghaiDate.long(rules.opens) + " – " + ShanghaiDate.long(rules.closes), rules: ruleLines,
            timeline: [req.text("program_timeline_quota", ["date": ShanghaiDate.long(quotaDue)]),
                       req.text("program_timeline_apply", ["from": ShanghaiDate.long(rules.opens), "to": ShanghaiDate.long(rules.closes)]),
                       req.text("program_timeline_publicity")],
            quotaPublished: published,
            quotas: (published || organiser) ? quotas.map { QuotaRow(code: $0.school.code, name: $0.school.name, town: $0.school.jurisdiction.name, seats: $0.seats) } : [],
            totalSeats: quotas.reduce(0) { $0 + $1.seats }, isOrganiser: organiser, quotaForm: quotaForm,
            quotaAction: "/programs/\(program.code)/quotas", csvAction: "/programs/\(program.code)/quotas/csv", publishAction: "/programs/\(program.code)/quotas/publish",
            towns: towns.map { SelectOption(value: $0.code, label: $0.name, selected: quotaForm.values["town"] == $0.code) },
            canApply: user?.role == .citizen && today(req) >= rules.opens && today(req) <= rules.closes && (published || !rules.kind.isSchool),
            applyLink: "/programs/\(program.code)/apply",
            rounds: rounds.map { RoundLink(href: "/publicity/\(program.code)/\($0.round)", label: req.text("program_round", ["n": String($0.round)]),
                                            period: $0.publicityFrom + " – " + $0.publicityTo, final: $0.finalizedAt != nil) },
            canRun: organiser && today(req) > rules.closes && (rounds.isEmpty || (rules.kind.isSchool && rounds.count == 1 && rounds[0].finalizedAt != nil)),
            runAction: "/programs/\(program.code)/rounds", runLabel: req.text(rounds.isEmpty ? "program_run" : "program_run_second"),
            csvErrors: csvErrors, notice: req.query[String.self, at: "done"].map { req.text("program_done_" + $0) }, isSchool: rules.kind.isSchool,
            quotaLate: rules.kind.isSchool && !published && today(req) > quotaDue ? req.text("program_quota_late", ["date": ShanghaiDate.long(quotaDue)]) : nil,
            applicationsLink: "/programs/\(program.code)/applications")
        return try await req.render("program", title: "programs_title", content, status: status)
    }

    // MARK: quotas

    /// Adds or changes one school's seats; the school is created the first time its code is used.
    static func setQuota(_ program: Program, code: String, name: String, town: String, seats: Int, on db: any Database) async throws -> String? {
        var school = try await School.query(on: db).filter(\.$code == code).first()
        if school == nil {
            guard !name.isEmpty else { return "name" }
            guard let place = try await Jurisdiction.find(code: town, on: db), place.level == JurisdictionLevel.town.rawValue else { return "town" }
            let s = School()
            s.code = code
            s.name = name
            s.$jurisdiction.id = try place.requireID()
            try await s.create(on: db)
            school = s
        }
        guard let school else { return "school" }
        let quota = try await Quota.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$school.$id == school.requireID()).first() ?? Quota()
        quota.seats = seats
        quota.$program.id = try program.requireID()
        quota.$school.id = try school.requireID()
        try await quota.save(on: db)
        return nil
    }

    struct QuotaForm: Decodable { var school: String?; var name: String?; var town: String?; var seats: String? }

    static func addQuota(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let input = try req.content.decode(QuotaForm.self)
        let values = ["school": (input.school ?? "").trimmingCharacters(in: .whitespaces), "name": (input.name ?? "").trimmingCharacters(in: .whitespaces),
                      "town": input.town ?? "", "seats": (input.seats ?? "").trimmingCharacters(in: .whitespaces)]
        var form = FormState(fields: ["school", "name", "town", "seats"], values: values)
        if values["school"]!.isEmpty { form.fail("school", req.text("problem_required", ["field": req.text("field_school_code")])) }
        let seats = Int(values["seats"]!)
        if seats == nil || seats! < 0 || seats! > 10_000 { form.fail("seats", req.text("program_range", ["field": req.text("field_seats"), "min": "0", "max": "10000"])) }
        if program.quotaPublishedAt != nil, let rules = program.rules, today(req) > rules.closes { form.fail("seats", req.text("program_quota_locked")) }
        guard form.isValid, let seats else { return try await page(req, quotaForm: form, csvErrors: [], status: .badRequest) }
        let actor = req.actor, now = req.now
        let missing = try await req.db.transaction { db -> String? in
            let missing = try await setQuota(program, code: values["school"]!, name: values["name"]!, town: values["town"]!, seats: seats, on: db)
            if missing == nil {
                try await Audit.record("quota", entity: "program", id: program.code, after: ["school": values["school"]!, "seats": String(seats)], by: actor, at: now, on: db)
            }
            return missing
        }
        if let missing {
            form.fail(missing == "town" ? "town" : "name", req.text(missing == "town" ? "program_school_town" : "program_school_name"))
            return try await page(req, quotaForm: form, csvErrors: [], status: .badRequest)
        }
        return req.redirect(to: "/programs/\(program.code)?done=quota")
    }

    struct CSVForm: Vapor.Content { var file: File? }

    /// Quotas from a CSV file: `学校代码,学校名称,所在镇（街道）代码,学位数`, UTF-8 or GB18030. All rows
    /// or none: a file with a bad row changes nothing and lists every bad row.
    static func quotaCSV(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let bytes = (try? req.content.decode(CSVForm.self))?.file.map { Array($0.data.readableBytesView) } ?? []
        guard !bytes.isEmpty, let decoded = FeedReader.decode(bytes) else {
            return try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [req.text("feeds_file_required")], status: .badRequest)
        }
        var rows: [(Int, [String])] = []
        for (n, line) in decoded.text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.allSatisfy(\.isEmpty) { continue }
            rows.append((n + 1, fields))
        }
        var problems: [String] = []
        if let header = rows.first, header.1.first?.contains("学校代码") == true { rows.removeFirst() }
        var parsed: [(code: String, name: String, town: String, seats: Int)] = []
        for (line, f) in rows {
            guard f.count == 4 else { problems.append(req.text("quota_csv_columns", ["line": String(line)])); continue }
            guard let seats = Int(f[3]), seats >= 0, seats <= 10_000 else { problems.append(req.text("quota_csv_seats", ["line": String(line)])); continue }
            guard !f[0].isEmpty else { problems.append(req.text("quota_csv_code", ["line": String(line)])); continue }
            parsed.append((f[0], f[1], f[2], seats))
        }
        if parsed.isEmpty && problems.isEmpty { problems.append(req.text("feeds_file_required")) }
        let actor = req.actor, now = req.now
        let rowsToSave = parsed
        if problems.isEmpty {
            do {
                try await req.db.transaction { db in
                    for (k, row) in rowsToSave.enumerated() {
                        if let missing = try await setQuota(program, code: row.code, name: row.name, town: row.town, seats: row.seats, on: db) {
                            throw QuotaProblem(line: k, field: missing)
                        }
                    }
                    try await Audit.record("quotaCSV", entity: "program", id: program.code, after: ["schools": String(rowsToSave.count), "seats": String(rowsToSave.reduce(0) { $0 + $1.seats })],
                                           by: actor, at: now, on: db)
                }
            } catch let problem as QuotaProblem {
                problems.append(req.text(problem.field == "town" ? "quota_csv_town" : "quota_csv_name", ["line": String(rows[problem.line].0)]))
            }
        }
        guard problems.isEmpty else { return try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: problems, status: .badRequest) }
        return req.redirect(to: "/programs/\(program.code)?done=quota")
    }

    struct QuotaProblem: Error { let line: Int; let field: String }

    static func publishQuotas(_ req: Request) async throws -> Response {
        let program = try await find(req)
        guard program.quotaPublishedAt == nil else { return req.redirect(to: "/programs/\(program.code)") }
        let count = try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).count()
        guard count > 0 else {
            return try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [req.text("program_no_quotas")], status: .badRequest)
        }
        program.quotaPublishedAt = req.now
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await program.save(on: db)
            try await Audit.record("publishQuotas", entity: "program", id: program.code, after: ["schools": String(count)], by: actor, at: now, on: db)
        }
        return req.redirect(to: "/programs/\(program.code)?done=published")
    }

    // MARK: applying

    struct Choice: Encodable { let name: String; let label: String; let options: [SelectOption] }

    struct ApplyContent: Encodable {
        let title: String
        let code: String
        let points: String?
        let children: [SelectOption]
        let forChild: Bool
        let choices: [Choice]
        let refusals: [String]
        let action: String
        let existing: String?
        let closes: String
        let hasIdentity: Bool
    }

    static func applyPage(_ req: Request) async throws -> Response { try await renderApply(req, refusals: [], status: .ok) }

    static func renderApply(_ req: Request, refusals: [String], status: HTTPStatus, picked: [String]? = nil, child: String? = nil) async throws -> Response {
        let program = try await find(req)
        guard let rules = program.rules else { throw Abort(.internalServerError) }
        let user = try req.requireUser()
        let resident = try await Resident.find(user: user.id, on: req.db)
        let service = ProgramService(req)
        var children: [HouseholdMember] = []
        var existing: ServiceApplication?
        var points: String?
        if let resident {
            children = try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$relation == .child).all()
            existing = try await ServiceApplication.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$resident.$id == resident.requireID()).first()
            points = try await service.points(of: resident, for: program)?.total.description
        }
        let quotas = try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all().sorted { $0.school.code < $1.school.code }
        let chosen = picked ?? existing?.schoolCodes ?? []
        let selectedChild = child ?? existing?.$child.id?.uuidString
        let content = ApplyContent(
            title: program.title, code: program.code, points: points,
            children: children.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.nameMasked + "（" + $0.birthDate + "）", selected: $0.id?.uuidString == selectedChild) },
            forChild: rules.kind.forChild,
            choices: rules.kind.isSchool ? (0..<rules.maxChoices).map { k in
                Choice(name: "school\(k + 1)", label: req.text("program_choice", ["n": String(k + 1)]),
                       options: quotas.map { SelectOption(value: $0.school.code, label: "\($0.school.name)（\(req.text("program_seats", ["n": String($0.seats)]))）", selected: k < chosen.count && chosen[k] == $0.school.code) })
            } : [],
            refusals: refusals, action: "/programs/\(program.code)/apply", existing: existing?.number, closes: ShanghaiDate.long(rules.closes),
            hasIdentity: resident != nil)
        return try await req.render("program-apply", title: "program_apply_title", content, status: status)
    }

    static func apply(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { return req.redirect(to: Paths.myResidence) }
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        let schools = (1...20).compactMap { input["school\($0)"]?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var child: HouseholdMember?
        if let raw = input["child"], let id = UUID(uuidString: raw) {
            child = try await HouseholdMember.query(on: req.db).filter(\.$id == id).filter(\.$resident.$id == resident.requireID()).first()
        }
        switch try await ProgramService(req).apply(resident: resident, child: child, program: program, schools: schools) {
        case .saved: return req.redirect(to: "/me/programs?done=applied")
        case .refused(let reasons):
            let words = reasons.map { ProgramService.words($0, req.application.catalog, req.language) }
            return try await renderApply(req, refusals: words, status: .badRequest, picked: schools, child: input["child"])
        }
    }

    // MARK: rounds and publicity

    static func runRound(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let next = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).count() + 1
        let fail: (String) async throws -> Response = { message in
            try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [message], status: .badRequest)
        }
        if next > 1 && !(program.rules?.kind.isSchool ?? false) { return try await fail(req.text("program_one_round")) }
        if next > 2 { return try await fail(req.text("program_two_rounds")) }
        do {
            _ = try await ProgramService(req).run(program, round: next)
        } catch ProgramService.RoundProblem.notAfterDeadline {
            return try await fail(req.text("program_run_too_early", ["date": program.rules.map { ShanghaiDate.long($0.closes) } ?? program.closes]))
        } catch ProgramService.RoundProblem.firstNotFinal {
            return try await fail(req.text("program_first_not_final"))
        } catch ProgramService.RoundProblem.alreadyRun {
            return req.redirect(to: "/publicity/\(program.code)/\(next)")
        }
        return req.redirect(to: "/publicity/\(program.code)/\(next)")
    }

    static func findRound(_ req: Request, _ program: Program) async throws -> AllocationRound {
        guard let n = req.parameters.get("round", as: Int.self),
              let round = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$round == n).first()
        else { throw Abort(.notFound) }
        return round
    }

    /// Finalization locks a round: after its publicity, with every objection answered.
    static func finalize(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let round = try await findRound(req, program)
        guard round.finalizedAt == nil else { return req.redirect(to: "/publicity/\(program.code)/\(round.round)") }
        var problems: [String] = []
        if let to = CivilDate(round.publicityTo), today(req) <= to { problems.append(req.text("round_publicity_running", ["date": round.publicityTo])) }
        let open = try await Objection.query(on: req.db).filter(\.$round.$id == round.requireID()).filter(\.$answer == nil).count()
        if open > 0 { problems.append(req.text("round_objections_open", ["n": String(open)])) }
        guard problems.isEmpty else { return try await renderPublicity(req, program: program, round: round, objection: nil, problems: problems, status: .badRequest) }
        round.finalizedAt = req.now
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await round.save(on: db)
            try await Audit.record("finalize", entity: "program", id: program.code, after: ["round": String(round.round)], by: actor, at: now, on: db)
        }
        return req.redirect(to: "/publicity/\(program.code)/\(round.round)")
    }

    // MARK: the bureau's list of applications

    struct ApplicationRow: Encodable { let number: String; let name: String; let child: String?; let points: String; let submitted: String; let schools: String }

    /// Every application of a program, masked, paged, sorted by submission or by frozen points.
    static func applications(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let sort = req.query[String.self, at: "sort"] == "points" ? "points" : "submitted"
        func base() -> QueryBuilder<ServiceApplication> { ServiceApplication.query(on: req.db).filter(\.$program.$id == program.id!) }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 50, total: try await base().count())
        let query = base().with(\.$resident).with(\.$child)
        if sort == "points" { query.sort(\.$points, .descending) }
        let rows = try await query.sort(\.$submittedAt).sort(\.$number).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let schools = Dictionary(uniqueKeysWithValues: try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all().map { ($0.school.code, $0.school.name) })
        struct Content: Encodable { let title: String; let code: String; let rows: [ApplicationRow]; let pager: Pager; let sorts: [NavItem]; let total: Int }
        let content = Content(
            title: program.title, code: program.code,
            rows: rows.map { a in
                ApplicationRow(number: a.number, name: Mask.name(a.resident.name), child: a.child?.nameMasked,
                               points: a.points.map { Points(hundredths: $0).description } ?? "—", submitted: ShanghaiTime.dateTime(a.submittedAt),
                               schools: a.schoolCodes.map { schools[$0] ?? $0 }.joined(separator: " › "))
            },
            pager: Pager(paging) { "/programs/\(program.code)/applications?sort=\(sort)&page=\($0)" },
            sorts: ["submitted", "points"].map { NavItem(label: req.text("applications_sort_" + $0), href: "/programs/\(program.code)/applications?sort=" + $0, current: $0 == sort) },
            total: paging.total)
        return try await req.render("program-applications", title: "program_applications_title", content)
    }

    // MARK: objections

    struct ObjectionForm: Decodable { var name: String?; var phone: String?; var number: String?; var text: String? }

    /// Anyone may object during the publicity, with contact details; due in 15 working days.
    static func object(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let round = try await findRound(req, program)
        let input = try req.content.decode(ObjectionForm.self)
        let values = ["name": (input.name ?? "").trimmingCharacters(in: .whitespaces), "phone": (input.phone ?? "").trimmingCharacters(in: .whitespaces),
                      "number": (input.number ?? "").trimmingCharacters(in: .whitespaces), "text": (input.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)]
        var form = FormState(fields: ["name", "phone", "number", "text"], values: values)
        if values["name"]!.isEmpty { form.fail("name", req.text("problem_required", ["field": req.text("field_contact_name")])) }
        if AccountRules.checkPhone(values["phone"]!) != nil { form.fail("phone", req.text("problem_badPhone")) }
        if values["text"]!.isEmpty { form.fail("text", req.text("problem_required", ["field": req.text("field_objection")])) }
        else if values["text"]!.count > 1000 { form.fail("text", req.text("problem_tooLong", ["field": req.text("field_objection"), "max": "1000"])) }
        if !values["number"]!.isEmpty, try await AllocationResult.query(on: req.db).filter(\.$round.$id == round.requireID()).filter(\.$number == values["number"]!).count() == 0 {
            form.fail("number", req.text("objection_unknown_number"))
        }
        if round.finalizedAt != nil || (CivilDate(round.publicityTo).map { today(req) > $0 } ?? true) { form.fail("text", req.text("objection_closed")) }
        guard form.isValid else { return try await renderPublicity(req, program: program, round: round, objection: form, problems: [], status: .badRequest) }
        let due = try await req.workingCalendar().adding(workingDays: 15, to: today(req))
        let objection = Objection()
        objection.createdAt = req.now
        objection.contactName = values["name"]!
        objection.contactPhone = values["phone"]!
        objection.applicationNumber = values["number"]!.isEmpty ? nil : values["number"]
        objection.text = values["text"]!
        objection.dueDate = due.date.description
        objection.corrected = false
        objection.$round.id = try round.requireID()
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await objection.create(on: db)
            try await Audit.record("object", entity: "program", id: program.code, after: ["round": String(round.round), "number": objection.applicationNumber ?? "", "due": objection.dueDate],
                                   by: actor, at: now, on: db)
        }
        return req.redirect(to: "/publicity/\(program.code)/\(round.round)?done=objection")
    }

    struct ObjectionRow: Encodable {
        let id: String
        let round: Int
        let at: String
        let contact: String
        let number: String?
        let text: String
        let due: String
        let overdue: Bool
        let answer: String?
        let corrected: Bool
        let action: String
        let error: String?
    }

    static func objections(_ req: Request) async throws -> Response { try await renderObjections(req, failed: nil, message: nil, status: .ok) }

    static func renderObjections(_ req: Request, failed: String?, message: String?, status: HTTPStatus) async throws -> Response {
        let program = try await find(req)
        let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).all()
        let byID = Dictionary(uniqueKeysWithValues: rounds.map { ($0.id!, $0.round) })
        let list = try await Objection.query(on: req.db).filter(\.$round.$id ~~ rounds.compactMap(\.id)).sort(\.$dueDate).sort(\.$createdAt).all()
        struct Content: Encodable { let title: String; let code: String; let rows: [ObjectionRow] }
        let rows = list.map { o in
            ObjectionRow(id: o.id?.uuidString ?? "", round: byID[o.$round.id] ?? 0, at: ShanghaiTime.dateTime(o.createdAt),
                         contact: o.contactName + " " + Mask.phone(o.contactPhone), number: o.applicationNumber, text: o.text, due: o.dueDate,
                         overdue: o.isOverdue(today: today(req)), answer: o.answer, corrected: o.corrected,
                         action: "/programs/\(program.code)/objections/\(o.id?.uuidString ?? "")/answer", error: o.id?.uuidString == failed ? message : nil)
        }
        return try await req.render("objections", title: "objections_title", Content(title: program.title, code: program.code, rows: rows), status: status)
    }

    struct AnswerForm: Decodable { var answer: String?; var correctNumber: String?; var correctPoints: String? }

    /// Staff answer an objection; a correction of an applicant's points re-runs the round and
    /// records which results changed and why.
    static func answer(_ req: Request) async throws -> Response {
        let program = try await find(req)
        guard let id = req.parameters.get("id", as: UUID.self), let objection = try await Objection.find(id, on: req.db),
              let round = try await AllocationRound.find(objection.$round.id, on: req.db), round.$program.id == program.id
        else { throw Abort(.notFound) }
        let input = try req.content.decode(AnswerForm.self)
        let text = (input.answer ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let number = (input.correctNumber ?? "").trimmingCharacters(in: .whitespaces)
        let rawPoints = (input.correctPoints ?? "").trimmingCharacters(in: .whitespaces)
        let fail: (String) async throws -> Response = { try await renderObjections(req, failed: id.uuidString, message: $0, status: .badRequest) }
        guard objection.answer == nil else { return try await fail(req.text("objection_answered")) }
        guard !text.isEmpty else { return try await fail(req.text("problem_required", ["field": req.text("field_answer")])) }
        guard round.finalizedAt == nil || number.isEmpty else { return try await fail(req.text("round_final_locked")) }
        var corrected = false
        if !number.isEmpty || !rawPoints.isEmpty {
            guard let points = Decimal2(parsing: rawPoints), points >= .zero else { return try await fail(req.text("program_number", ["field": req.text("field_corrected_points")])) }
            guard try await ServiceApplication.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$number == number).count() > 0 else {
                return try await fail(req.text("objection_unknown_number"))
            }
            _ = try await ProgramService(req).correct(round, number: number, points: points, reason: text)
            corrected = true
        }
        objection.answer = text
        objection.answeredBy = req.actor.login
        objection.answeredAt = req.now
        objection.corrected = corrected
        let actor = req.actor, now = req.now, wasCorrected = corrected
        try await req.db.transaction { db in
            try await objection.save(on: db)
            try await Audit.record("answer", entity: "program", id: program.code, after: ["objection": id.uuidString, "corrected": String(wasCorrected)], by: actor, at: now, on: db)
        }
        return req.redirect(to: "/programs/\(program.code)/objections")
    }

    // MARK: second round (调剂)

    static func secondContext(_ req: Request) async throws -> (Program, ServiceApplication, [(String, String, Int)]) {
        let program = try await find(req)
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db),
              let application = try await ServiceApplication.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$resident.$id == resident.requireID()).first(),
              let first = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 1).first(), first.finalizedAt != nil,
              try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 2).count() == 0,
              let row = try await AllocationResult.query(on: req.db).filter(\.$round.$id == first.requireID()).filter(\.$application.$id == application.requireID()).first(),
              row.schoolCode == nil
        else { throw Abort(.notFound) }
        var seats: [String: (String, Int)] = [:]
        for q in try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all() { seats[q.school.code] = (q.school.name, q.seats) }
        for r in try await AllocationResult.query(on: req.db).filter(\.$round.$id == first.requireID()).all() { if let c = r.schoolCode { seats[c]?.1 -= 1 } }
        let left = seats.filter { $0.value.1 > 0 }.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.0 < $1.0 }
        return (program, application, left)
    }

    struct SecondContent: Encodable { let title: String; let choices: [Choice]; let action: String; let saved: Bool }

    static func secondPage(_ req: Request) async throws -> Response {
        let (program, application, left) = try await secondContext(req)
        let chosen = (application.preferences2 ?? "").split(separator: ",").map(String.init)
        let n = max(1, program.maxChoices)
        let content = SecondContent(title: program.title, choices: (0..<n).map { k in
            Choice(name: "school\(k + 1)", label: req.text("program_choice", ["n": String(k + 1)]),
                   options: left.map { SelectOption(value: $0.0, label: "\($0.1)（\(req.text("program_seats", ["n": String($0.2)]))）", selected: k < chosen.count && chosen[k] == $0.0) })
        }, action: "/programs/\(program.code)/second", saved: !chosen.isEmpty)
        return try await req.render("program-second", title: "program_second_title", content)
    }

    static func second(_ req: Request) async throws -> Response {
        let (program, application, left) = try await secondContext(req)
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        let offered = Set(left.map(\.0))
        var schools: [String] = []
        for k in 1...max(1, program.maxChoices) {
            if let s = input["school\(k)"]?.trimmingCharacters(in: .whitespaces), !s.isEmpty, offered.contains(s), !schools.contains(s) { schools.append(s) }
        }
        application.preferences2 = schools.joined(separator: ",")
        application.updatedAt = req.now
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await application.save(on: db)
            try await Audit.record("rerank", entity: "serviceApplication", id: application.number, after: ["round": "2", "preferences": application.preferences2 ?? ""], by: actor, at: now, on: db)
        }
        return req.redirect(to: "/me/programs?done=second")
    }

    struct PublicRow: Encodable { let rank: Int; let number: String; let name: String; let points: String; let school: String; let admitted: Bool }
    struct Cutoff: Encodable { let school: String; let seats: Int; let admitted: Int; let points: String }

    struct PublicityContent: Encodable {
        let title: String
        let round: Int
        let period: String
        let final: Bool
        let cutoffs: [Cutoff]
        let threshold: String?
        let rows: [PublicRow]
        let pager: Pager
        let programLink: String
        let corrections: [CorrectionView]
        let objectionOpen: Bool
        let objectionAction: String
        let objection: FormState
        let notice: String?
        let isOrganiser: Bool
        let finalizeAction: String
        let objectionsLink: String
        let problems: [String]
    }

    struct CorrectionView: Encodable { let at: String; let number: String; let points: String; let reason: String; let changes: [String] }

    static func publicity(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let round = try await findRound(req, program)
        return try await renderPublicity(req, program: program, round: round, objection: nil, problems: [], status: .ok)
    }

    static func renderPublicity(_ req: Request, program: Program, round: AllocationRound, objection: FormState?, problems: [String], status: HTTPStatus) async throws -> Response {
        let n = round.round
        let schools = Dictionary(uniqueKeysWithValues: try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all()
            .map { ($0.school.code, $0.school.name) })
        let cutoffs = try round.cutoffs().map { Cutoff(school: schools[$0.school] ?? $0.school, seats: $0.seats, admitted: $0.admitted, points: $0.points ?? "—") }
        let threshold = program.rules?.threshold
        func base() -> QueryBuilder<AllocationResult> { AllocationResult.query(on: req.db).filter(\.$round.$id == round.id!) }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 50, total: try await base().count())
        let rows = try await base().sort(\.$rank).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let corrections = round.corrections.split(separator: "\n").compactMap { line -> CorrectionView? in
            guard let v = try? JSONText.parse(String(line)) else { return nil }
            func str(_ k: String) -> String { if case .string(let s)? = v[k] { s } else { "" } }
            var changes: [String] = []
            if case .array(let list)? = v["changes"] {
                for c in list {
                    if case .string(let number)? = c["number"], case .string(let before)? = c["before"], case .string(let after)? = c["after"] {
                        changes.append(req.text("correction_change", ["number": number, "before": before == "-" ? req.text("publicity_not_admitted") : schools[before] ?? before,
                                                                      "after": after == "-" ? req.text("publicity_not_admitted") : schools[after] ?? after]))
                    }
                }
            }
            return CorrectionView(at: str("at"), number: str("number"), points: str("pointsBefore") + " → " + str("pointsAfter"), reason: str("reason"), changes: changes)
        }
        let user = req.currentUser
        let organiser = user.map { [.centerAdmin, .educationOfficer].contains($0.role) } ?? false
        let open = round.finalizedAt == nil && (CivilDate(round.publicityTo).map { today(req) <= $0 } ?? false)
        let content = PublicityContent(
            title: program.title, round: n, period: round.publicityFrom + " – " + round.publicityTo, final: round.finalizedAt != nil,
            cutoffs: threshold == nil ? cutoffs : [], threshold: threshold?.description,
            rows: rows.map { r in
                PublicRow(rank: r.rank, number: r.number, name: r.nameMasked, points: Points(hundredths: r.points).description,
                          school: threshold != nil ? req.text(r.qualified ? "publicity_qualified" : "publicity_not_qualified")
                                                   : (r.schoolCode.map { schools[$0] ?? $0 } ?? req.text("publicity_not_admitted")),
                          admitted: r.qualified)
            },
            pager: Pager(paging) { "/publicity/\(program.code)/\(n)?page=\($0)" }, programLink: "/programs/" + program.code,
            corrections: corrections, objectionOpen: open, objectionAction: "/publicity/\(program.code)/\(n)/objections",
            objection: objection ?? FormState(fields: ["name", "phone", "number", "text"]),
            notice: req.query[String.self, at: "done"].map { req.text("publicity_done_" + $0) },
            isOrganiser: organiser, finalizeAction: "/programs/\(program.code)/rounds/\(n)/finalize", objectionsLink: "/programs/\(program.code)/objections",
            problems: problems)
        return try await req.render("publicity", title: "publicity_title", content, status: status)
    }

    // MARK: the applicant's own page

    struct ResultLine: Encodable { let choice: String; let school: String; let cutoff: String; let outcome: String; let mine: Bool }
    struct MyApplication: Encodable {
        let program: String
        let programLink: String
        let number: String
        let child: String?
        let points: String?
        let summary: String
        let admitted: Bool
        let lines: [ResultLine]
        let editLink: String?
        let publicityLink: String?
        let secondLink: String?
    }

    static func mine(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        var items: [MyApplication] = []
        if let resident = try await Resident.find(user: user.id, on: req.db) {
            let applications = try await ServiceApplication.query(on: req.db).filter(\.$resident.$id == resident.requireID()).with(\.$program).with(\.$child).sort(\.$createdAt, .descending).all()
            for a in applications {
                let program = a.program
                let schools = Dictionary(uniqueKeysWithValues: try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all().map { ($0.school.code, $0.school.name) })
                // The latest round he took part in (the second round concerns only those not placed).
                let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).sort(\.$round, .descending).all()
                var round: AllocationRound?
                for r in rounds where try await AllocationResult.query(on: req.db).filter(\.$round.$id == r.requireID()).filter(\.$application.$id == a.requireID()).count() > 0 {
                    round = r
                    break
                }
                var summary = req.text("my_program_waiting", ["date": program.rules.map { ShanghaiDate.long($0.closes) } ?? program.closes])
                var lines: [ResultLine] = []
                var admitted = false
                if let round, let row = try await AllocationResult.query(on: req.db).filter(\.$round.$id == round.requireID()).filter(\.$application.$id == a.requireID()).first() {
                    let cutoffs = Dictionary(uniqueKeysWithValues: try round.cutoffs().map { ($0.school, $0.points ?? "—") })
                    admitted = row.schoolCode != nil
                    summary = admitted
                        ? req.text("my_program_admitted", ["school": schools[row.schoolCode!] ?? row.schoolCode!, "points": Points(hundredths: row.points).description, "rank": String(row.rank)])
                        : req.text("my_program_not_admitted", ["points": Points(hundredths: row.points).description, "rank": String(row.rank)])
                    // The schools of that round's list (round 2: his new ranking, or the schools of
                    // his town he was placed by), each with what the round's trace says it did.
                    let steps = try round.steps(of: a.number)
                    let second = (a.preferences2 ?? "").split(separator: ",").map(String.init)
                    let ranked = round.round == 1 ? a.schoolCodes : (second.isEmpty ? steps.map(\.school) : second)
                    for code in ranked {
                        let outcome = switch steps.first(where: { $0.school == code })?.result {
                        case "admitted": req.text("my_program_line_admitted")
                        case "full": req.text("my_program_line_full")
                        case "noSeats": req.text("my_program_line_no_seats")
                        default: req.text("my_program_line_not_needed")
                        }
                        lines.append(ResultLine(choice: req.text("program_choice", ["n": String(lines.count + 1)]), school: schools[code] ?? code,
                                                cutoff: cutoffs[code] ?? "—", outcome: outcome, mine: code == row.schoolCode))
                    }
                } else {
                    lines = a.schoolCodes.enumerated().map { k, code in
                        ResultLine(choice: req.text("program_choice", ["n": String(k + 1)]), school: schools[code] ?? code, cutoff: "", outcome: "", mine: false)
                    }
                }
                let open = program.rules.map { today(req) <= $0.closes } ?? false
                // Not placed in a final first round, and the second not run yet: he may rank again.
                var secondLink: String?
                if let round, round.round == 1, round.finalizedAt != nil, program.rules?.kind.isSchool == true,
                   let row = try await AllocationResult.query(on: req.db).filter(\.$round.$id == round.requireID()).filter(\.$application.$id == a.requireID()).first(),
                   row.schoolCode == nil {
                    secondLink = "/programs/\(program.code)/second"
                }
                items.append(MyApplication(program: program.title, programLink: "/programs/" + program.code, number: a.number, child: a.child?.nameMasked,
                                           points: a.points.map { Points(hundredths: $0).description }, summary: summary, admitted: admitted, lines: lines,
                                           editLink: open ? "/programs/\(program.code)/apply" : nil, publicityLink: round.map { "/publicity/\(program.code)/\($0.round)" },
                                           secondLink: secondLink))
            }
        }
        struct Content: Encodable { let items: [MyApplication]; let programsLink: String; let notice: String? }
        return try await req.render("me-programs", title: "my_programs_title",
                                    Content(items: items, programsLink: "/programs", notice: req.query[String.self, at: "done"].map { req.text("program_done_" + $0) }))
    }
}
