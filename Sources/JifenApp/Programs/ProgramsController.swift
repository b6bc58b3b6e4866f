import Fluent
import JifenCore
import Vapor

/// Programs on the web: the public list and page of each program with its quotas, setting up a
/// program, quotas by form or CSV, the parent's ranked application, running a round, the
/// publicity list and the applicant's result.
enum ProgramsController {
    static let organisers: Access = .roles([.centerAdmin, .educationOfficer])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.programs, access: .anyone, use: list).cachedForVisitors()
        routes.get(.programNew, access: organisers, use: newPage)
        routes.post(.programs, access: organisers, use: create)
        routes.get(.program(":code"), access: .anyone, use: page).cachedForVisitors()
        routes.post(.programQuotas(":code"), access: organisers, use: addQuota)
        routes.on(.POST, .programQuotasCSV(":code"), access: organisers, body: .collect(maxSize: "2mb"), use: quotaCSV)
        routes.post(.programQuotasPublish(":code"), access: organisers, use: publishQuotas)
        routes.get(.programApply(":code"), access: .roles([.citizen]), use: applyPage)
        routes.post(.programApply(":code"), access: .roles([.citizen]), use: apply)
        routes.post(.programRounds(":code"), access: organisers, use: runRound)
        routes.get(.programRecheck(":code"), access: organisers, use: recheckPage)
        routes.get(.programDemand(":code"), access: .anyone, use: demand).cachedForVisitors()
        routes.post(.programRecheck(":code"), access: organisers, use: runRecheck)
        routes.post(.recheckDecision(":code", ":id"), access: organisers, use: decideRecheck)
        routes.post(.roundFinalize(":code", ":round"), access: organisers, use: finalize)
        routes.get(.programObjections(":code"), access: organisers, use: objections)
        routes.get(.programApplications(":code"), access: organisers, use: applications)
        routes.post(.objectionAnswer(":code", ":id"), access: organisers, use: answer)
        routes.post(.objectionsClose(":code"), access: organisers, use: closeObjections)
        routes.get(.programSecond(":code"), access: .roles([.citizen]), use: secondPage)
        routes.post(.programSecond(":code"), access: .roles([.citizen]), use: second)
        routes.get(.publicity(":code", ":round"), access: .anyone, use: publicity).cachedForVisitors()
        routes.get(.publicityPrint(":code", ":round"), access: .anyone, use: publicityPrint).cachedForEveryone()
        routes.post(.publicityObjections(":code", ":round"), access: .anyone, use: object)
        routes.get(.myPrograms, access: .roles([.citizen]), use: mine)
        routes.post(.myProgramOffer(":number"), access: .roles([.citizen]), use: answerOffer)
        routes.post(.programPriorityGroups(":code"), access: organisers, use: addPriorityGroup)
        routes.get(.priorityClaims, access: .roles([.centerAdmin, .departmentReviewer]), use: priorityClaims)
        routes.post(.priorityClaim(":id"), access: .roles([.centerAdmin, .departmentReviewer]), use: decidePriority)
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
        let rules = p.rules
        if today < rules.opens { return req.text("program_state_upcoming") }
        if today <= rules.closes { return req.text("program_state_open") }
        return req.text("program_state_closed")
    }

    static func list(_ req: Request) async throws -> Response {
        let programs = try await Program.query(on: req.db).sort(\.$year, .descending).sort(\.$code).all()
        let user = req.currentUser
        let content = ListContent(
            rows: programs.map { p in
                Row(href: SiteRoute.program(p.code).path, title: p.title, kind: req.text("program_kind_" + p.kind.rawValue),
                    window: p.opens.description + " – " + p.closes.description, state: state(p, today: today(req), on: req))
            },
            canCreate: user.map { [.centerAdmin, .educationOfficer].contains($0.role) } ?? false, newLink: SiteRoute.programNew.path)
        return try await req.render("programs/programs", title: "programs_title", content)
    }

    // MARK: set up

    struct NewContent: Encodable { let form: FormState; let fields: [FormField]; let action: String }

    static let fields = ["code", "title", "kind", "year", "opens", "closes", "maxChoices", "minResidence", "requirePermit", "minPermit", "ageMin", "ageMax",
                         "ageCutoff", "tiebreak", "threshold", "quotaRule", "quotaDays", "allocates", "quotaBy", "spouses", "choiceScope", "standardSeries",
                         "offerDays", "offerSilence", "waitlistCloses"]

    static func newPage(_ req: Request) async throws -> Response {
        let year = today(req).year + (today(req).month >= 9 ? 1 : 0)
        let form = FormState(fields: fields, values: ["year": String(year), "opens": "\(year)-03-01", "closes": "\(year)-05-30", "maxChoices": "5",
                                                      "minResidence": "1年", "requirePermit": "on", "ageCutoff": "\(year)-08-31", "kind": "grade1",
                                                      "tiebreak": "socialSecurity,residence", "quotaRule": "beforeDeadline", "quotaDays": "30",
                                                      "spouses": "either", "choiceScope": "city", "standardSeries": ScoringStandard.generalSeries])
        return try await renderNew(req, form: form, status: .ok)
    }

    static func renderNew(_ req: Request, form: FormState, status: HTTPStatus) async throws -> Response {
        let inForce = try await StandardVersion.allInForce(on: today(req), on: req.db).map(\.1)
        let standard = inForce.first { $0.series == form.values["standardSeries"] } ?? inForce.first
        let categories = standard.map { $0.categories.map { "\($0.id)（\($0.title)）" }.joined(separator: "、") } ?? ""
        func label(_ name: String) -> String { req.text("field_program_" + name) }
        let fields = [
            form.field("code", label("code"), hint: req.text("program_code_rule"), maxLength: 40, placeholder: "2027-grade1"),
            form.field("title", label("title"), maxLength: 80),
            form.field("kind", label("kind"), .select, options: ProgramRules.Kind.allCases.map { ($0.rawValue, req.text("program_kind_" + $0.rawValue)) }),
            form.field("year", label("year"), .number),
            form.field("opens", label("opens"), .date),
            form.field("closes", label("closes"), .date),
            form.field("maxChoices", label("maxChoices"), .number),
            form.field("minResidence", label("minResidence"), hint: req.text("program_months_hint"), maxLength: 20),
            form.field("requirePermit", label("requirePermit"), .checkbox),
            form.field("minPermit", label("minPermit"), hint: req.text("program_months_hint"), maxLength: 20),
            form.field("ageMin", label("ageMin"), .number, hint: req.text("program_age_hint")),
            form.field("ageMax", label("ageMax"), .number),
            form.field("ageCutoff", label("ageCutoff"), .date),
            form.field("tiebreak", label("tiebreak"), hint: req.text("program_tiebreak_hint") + " " + categories),
            form.field("threshold", label("threshold"), .decimal, hint: req.text("program_threshold_hint")),
            form.field("quotaRule", label("quotaRule"), .select, options: Program.QuotaRule.allCases.map { ($0.rawValue, req.text("program_quota_rule_" + $0.rawValue)) }),
            form.field("quotaDays", label("quotaDays"), .number),
            form.field("allocates", label("allocates"), .date),
            form.field("quotaBy", label("quotaBy"), .date),
            form.field("spouses", label("spouses"), .select, options: ProgramRules.Spouses.allCases.map { ($0.rawValue, req.text("program_spouses_" + $0.rawValue)) }),
            form.field("standardSeries", label("standardSeries"), .select, options: inForce.map { ($0.series, $0.title) }),
            form.field("choiceScope", label("choiceScope"), .select, options: ProgramRules.ChoiceScope.allCases.map { ($0.rawValue, req.text("program_scope_" + $0.rawValue)) }),
            form.field("offerDays", label("offerDays"), .number, hint: req.text("program_offer_hint")),
            form.field("offerSilence", label("offerSilence"), .select, options: Program.OfferSilence.allCases.map { ($0.rawValue, req.text("program_silence_" + $0.rawValue)) }),
            form.field("waitlistCloses", label("waitlistCloses"), .date),
        ]
        let content = NewContent(form: form, fields: fields, action: SiteRoute.programs.path)
        return try await req.render("programs/program-new", title: "program_new_title", content, status: status)
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
        for f in ["opens", "closes", "ageCutoff", "allocates", "quotaBy", "waitlistCloses"] where !values[f]!.isEmpty {
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
        func months(_ f: String) -> Int {
            if values[f]!.isEmpty { return 0 }
            guard let n = MonthsText.parse(values[f]!), n <= 240 else {
                form.fail(f, req.text("program_months_invalid", ["field": req.text("field_program_" + f)]))
                return 0
            }
            return n
        }
        let minResidence = months("minResidence"), minPermit = months("minPermit")
        let quotaDays = int("quotaDays", 0...365, default: 30)
        let quotaRule = Program.QuotaRule(rawValue: values["quotaRule"]!.isEmpty ? "beforeDeadline" : values["quotaRule"]!)
        if quotaRule == nil { form.fail("quotaRule", req.text("problem_choose", ["field": req.text("field_program_quotaRule")])) }
        if quotaRule == .beforeAllocation, dates["allocates"] == nil, form.errors["allocates"] == nil {
            form.fail("allocates", req.text("problem_required", ["field": req.text("field_program_allocates")]))
        }
        if quotaRule == .fixedDay, dates["quotaBy"] == nil, form.errors["quotaBy"] == nil {
            form.fail("quotaBy", req.text("problem_required", ["field": req.text("field_program_quotaBy")]))
        }
        if let a = dates["allocates"], let c = dates["closes"], a <= c { form.fail("allocates", req.text("program_allocates_before")) }
        // Offers: the days to answer; then what silence means and when the waitlist closes.
        let offerDays = int("offerDays", 1...60, default: nil)
        let silence = Program.OfferSilence(rawValue: values["offerSilence"]!.isEmpty ? "accept" : values["offerSilence"]!)
        if silence == nil { form.fail("offerSilence", req.text("problem_choose", ["field": req.text("field_program_offerSilence")])) }
        if offerDays != nil, dates["waitlistCloses"] == nil, form.errors["waitlistCloses"] == nil {
            form.fail("waitlistCloses", req.text("problem_required", ["field": req.text("field_program_waitlistCloses")]))
        }
        if let w = dates["waitlistCloses"], let c = dates["closes"], w <= c { form.fail("waitlistCloses", req.text("program_waitlist_before")) }
        let spouses = ProgramRules.Spouses(rawValue: values["spouses"]!.isEmpty ? "either" : values["spouses"]!)
        if spouses == nil { form.fail("spouses", req.text("problem_choose", ["field": req.text("field_program_spouses")])) }
        let choiceScope = ProgramRules.ChoiceScope(rawValue: values["choiceScope"]!.isEmpty ? "city" : values["choiceScope"]!)
        if choiceScope == nil { form.fail("choiceScope", req.text("problem_choose", ["field": req.text("field_program_choiceScope")])) }
        let ageMin = int("ageMin", 0...18, default: kind?.defaultAges?.lowerBound)
        let ageMax = int("ageMax", 0...18, default: kind?.defaultAges?.upperBound)
        var threshold: Points?
        if !values["threshold"]!.isEmpty {
            if let t = Decimal2(parsing: values["threshold"]!), t >= .zero { threshold = t } else { form.fail("threshold", req.text("program_number", ["field": req.text("field_program_threshold")])) }
        }
        if let kind, !kind.isSchool, threshold == nil, form.errors["threshold"] == nil { form.fail("threshold", req.text("program_threshold_needed")) }
        let series = values["standardSeries"]!.isEmpty ? ScoringStandard.generalSeries : values["standardSeries"]!
        let standard = try await StandardVersion.inForce(on: today(req), series: series, on: req.db)?.1
        if standard == nil, series != ScoringStandard.generalSeries { form.fail("standardSeries", req.text("program_standard_missing")) }
        var tiebreak: [TieBreakKey] = []
        switch TieBreakKey.parse(values["tiebreak"]!, categories: standard.map { Set($0.categories.map(\.id)) }) {
        case .success(let keys): tiebreak = keys
        case .failure(let problem): form.fail("tiebreak", tiebreakWords(problem, req))
        }
        guard form.isValid, let kind, let year, let opens = dates["opens"], let closes = dates["closes"], let cutoff = dates["ageCutoff"],
              let quotaRule, let spouses, let choiceScope else {
            return try await renderNew(req, form: form, status: .badRequest)
        }
        let program = Program(code: code, year: year, kind: kind, title: values["title"]!, opens: opens, closes: closes, ageCutoff: cutoff,
                              by: req.actor.login, at: req.now)
        program.maxChoices = kind.isSchool ? (maxChoices ?? 1) : 0
        program.minResidenceMonths = minResidence
        program.requirePermit = values["requirePermit"] == "on" || values["requirePermit"] == "true"
        program.minPermitMonths = program.requirePermit ? minPermit : 0
        program.childAgeMin = kind.forChild ? ageMin : nil
        program.childAgeMax = kind.forChild ? ageMax : nil
        program.tiebreak = tiebreak.map(\.description)
        program.threshold = threshold?.hundredths
        program.quotaRule = quotaRule
        program.quotaDays = quotaDays ?? 30
        program.allocates = dates["allocates"]
        program.quotaBy = dates["quotaBy"]
        program.spouses = spouses
        program.choiceScope = kind.isSchool ? choiceScope : .city
        program.standardSeries = series
        if kind.isSchool, let offerDays {
            program.offerDays = offerDays
            program.offerSilence = silence
            program.waitlistCloses = dates["waitlistCloses"]
        }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await program.create(on: db)
            try await Audit.record("create", entity: "program", id: program.code, after: program.auditSnapshot, by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.program(program.code).path)
    }

    static func tiebreakWords(_ problem: TieBreakKey.Problem, _ req: Request) -> String {
        switch problem {
        case .unknownCategory(let id): req.text("program_unknown_category", ["id": id])
        case .emptyTerm(let key): req.text("program_tiebreak_empty", ["key": key])
        case .timeNotLast: req.text("program_tiebreak_time_last")
        case .repeatedCategory(let id): req.text("program_tiebreak_repeated", ["id": id])
        }
    }
}
