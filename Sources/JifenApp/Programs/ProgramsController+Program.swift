import Fluent
import JifenCore
import Vapor

/// One program's page and its quotas (by form or CSV, then published).
extension ProgramsController {
    // MARK: one program

    struct QuotaRow: Encodable { let code: String; let name: String; let town: String; let seats: Int; let catchment: String }
    struct RoundLink: Encodable { let href: String; let label: String; let period: String; let final: Bool }

    struct PageContent: Encodable {
        let code, title, kind, state, window: String
        let rules, timeline: [String]
        let quotaPublished: Bool
        let quotas: [QuotaRow]
        let totalSeats: Int
        let isOrganiser: Bool
        let quotaForm: FormState
        let quotaFields: [FormField]
        let quotaAction, csvAction, publishAction: String
        let canApply: Bool
        let applyLink: String
        let rounds: [RoundLink]
        let canRun: Bool
        let runAction, runLabel: String
        let csvErrors: [String]
        let notice: String?
        let isSchool: Bool
        /// The quotas were due 30 days before the deadline and are still not published.
        let quotaLate: String?
        let applicationsLink: String
        let recheckLink: String
        /// While the window is open (quotas published): where the applications stand.
        let demandLink: String?
        /// The approval steps of the quotas, until they are published.
        let approvals: ApprovalsController.Checklist?
        /// The program's priority groups, and the organisers' form to add one.
        let priorityGroups: [String]
        let groupFields: [FormField]
        let groupAction: String
        let groupFormOpen: Bool
    }

    static func page(_ req: Request) async throws -> Response {
        try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [], status: .ok)
    }

    static func page(_ req: Request, quotaForm: FormState, csvErrors: [String], approvalForm: FormState? = nil, groupForm: FormState? = nil,
                     status: HTTPStatus) async throws -> Response {
        let program = try await find(req)
        let rules = program.rules
        let user = req.currentUser
        let organiser = user.map { [.centerAdmin, .educationOfficer].contains($0.role) } ?? false
        let quotas = try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school) { $0.with(\.$jurisdiction) }.all()
            .sorted { $0.school.code < $1.school.code }
        let published = program.quotaPublishedAt != nil
        let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).sort(\.$round).all()
        let towns = organiser ? try await Jurisdiction.query(on: req.db).filter(\.$level == JurisdictionLevel.town.rawValue).sort(\.$code).all() : []
        var ruleLines: [String] = []
        let english = req.language == .en
        if let (_, ranking) = try await StandardVersion.inForce(on: today(req), series: program.standardSeries, on: req.db) {
            ruleLines.append(req.text("program_rule_standard", ["title": ranking.title]))
        }
        if rules.requirePermit { ruleLines.append(req.text("program_rule_permit")) }
        if rules.requirePermit && rules.minPermitMonths > 0 {
            ruleLines.append(req.text("program_rule_permit_months", ["months": MonthsText.words(rules.minPermitMonths, english: english)]))
        }
        if rules.minResidenceMonths > 0 { ruleLines.append(req.text("program_rule_residence", ["months": MonthsText.words(rules.minResidenceMonths, english: english)])) }
        if rules.spouses != .either { ruleLines.append(req.text("program_rule_spouses_" + rules.spouses.rawValue)) }
        if rules.kind.isSchool && program.choiceScope != .city { ruleLines.append(req.text("program_rule_scope_" + program.choiceScope.rawValue)) }
        if let ages = rules.childAges { ruleLines.append(req.text("program_rule_age", ["min": String(ages.lowerBound), "max": String(ages.upperBound), "date": ShanghaiDate.long(rules.ageCutoff)])) }
        if rules.kind.forChild { ruleLines.append(req.text("program_rule_one_child")) }
        if let t = rules.threshold { ruleLines.append(req.text("program_rule_threshold", ["points": t.description])) }
        if rules.kind.isSchool {
            ruleLines.append(req.text("program_rule_choices", ["n": String(rules.maxChoices)]))
            let standard = try await StandardVersion.inForce(on: today(req), series: program.standardSeries, on: req.db)?.1
            ruleLines.append(req.text("program_rule_order", ["tiebreak": tiebreakWords(program.tiebreakKeys, standard: standard, req)]))
            if let days = program.offerDays {
                ruleLines.append(req.text("program_rule_offers", ["days": String(days), "silence": req.text("program_silence_" + (program.offerSilence ?? .accept).rawValue),
                                                                  "date": program.waitlistCloses.map { ShanghaiDate.long($0, req.language) } ?? ""]))
            }
        }
        let groups = try await PriorityGroup.query(on: req.db).filter(\.$program.$id == program.requireID()).sort(\.$code).all()
        // Each school's catchment today, by the names of its areas.
        let catchments = try await SchoolCatchment.catchments(of: quotas.map { $0.$school.id }, on: req.db)
        var areaNames: [String: String] = [:]
        for slice in Batches.slices(Array(Set(catchments.values.flatMap { $0.areas.map(\.code) }))) {
            for place in try await Jurisdiction.query(on: req.db).filter(\.$code ~~ Array(slice)).all() { areaNames[place.code] = place.name }
        }
        let catchmentWords = catchments.mapValues { c in
            c.areas.filter { $0.from <= today(req) && ($0.to.map { today(req) <= $0 } ?? true) }.map { areaNames[$0.code] ?? $0.code }.joined(separator: "、")
        }
        let departments = try await Department.query(on: req.db).sort(\.$code).all()
        let groupForm = groupForm ?? FormState(fields: groupFields, values: ["placement": PriorityGroup.Placement.ahead.rawValue])
        let quotaDue = rules.quotaDue
        let quotaRule = req.text("program_quota_due_" + program.quotaRule.rawValue, ["days": String(program.quotaDays),
                                                                                     "date": program.allocates.map { ShanghaiDate.long($0, req.language) } ?? ""])
        let content = PageContent(
            code: program.code, title: program.title, kind: req.text("program_kind_" + program.kind.rawValue), state: state(program, today: today(req), on: req),
            window: ShanghaiDate.long(rules.opens) + " – " + ShanghaiDate.long(rules.closes), rules: ruleLines,
            timeline: [req.text("program_timeline_quota", ["date": ShanghaiDate.long(quotaDue, req.language), "rule": quotaRule]),
                       req.text("program_timeline_apply", ["from": ShanghaiDate.long(rules.opens), "to": ShanghaiDate.long(rules.closes)]),
                       req.text("program_timeline_publicity")],
            quotaPublished: published,
            quotas: (published || organiser) ? quotas.map { QuotaRow(code: $0.school.code, name: $0.school.name, town: $0.school.jurisdiction.name, seats: $0.seats,
                                                                       catchment: catchmentWords[$0.$school.id] ?? "—") } : [],
            totalSeats: quotas.reduce(0) { $0 + $1.seats }, isOrganiser: organiser, quotaForm: quotaForm,
            quotaFields: [
                quotaForm.field("school", req.text("field_school_code"), maxLength: 30, idPrefix: "q-"),
                quotaForm.field("name", req.text("field_school_name"), hint: req.text("program_school_new_hint"), maxLength: 60, idPrefix: "q-"),
                quotaForm.field("town", req.text("field_town"), .select, options: [("", "—")] + towns.map { ($0.code, $0.name) }, idPrefix: "q-"),
                quotaForm.field("seats", req.text("field_seats"), .number, idPrefix: "q-"),
            ],
            quotaAction: SiteRoute.programQuotas(program.code).path, csvAction: SiteRoute.programQuotasCSV(program.code).path, publishAction: SiteRoute.programQuotasPublish(program.code).path,
            canApply: user?.role == .citizen && today(req) >= rules.opens && today(req) <= rules.closes && (published || !rules.kind.isSchool),
            applyLink: SiteRoute.programApply(program.code).path,
            rounds: rounds.map { RoundLink(href: SiteRoute.publicity(program.code, String($0.round)).path, label: req.text("program_round", ["n": String($0.round)]),
                                            period: $0.publicityFrom.description + " – " + $0.publicityTo.description, final: $0.finalizedAt != nil) },
            canRun: organiser && today(req) > rules.closes && (rounds.isEmpty || (rules.kind.isSchool && rounds.count == 1 && rounds[0].finalizedAt != nil)),
            runAction: SiteRoute.programRounds(program.code).path, runLabel: req.text(rounds.isEmpty ? "program_run" : "program_run_second"),
            csvErrors: csvErrors, notice: req.query[String.self, at: "done"].map { req.text("program_done_" + $0) }, isSchool: rules.kind.isSchool,
            quotaLate: rules.kind.isSchool && !published && today(req) > quotaDue ? req.text("program_quota_late", ["date": ShanghaiDate.long(quotaDue, req.language), "rule": quotaRule]) : nil,
            applicationsLink: SiteRoute.programApplications(program.code).path, recheckLink: SiteRoute.programRecheck(program.code).path,
            demandLink: rules.kind.isSchool && published && today(req) >= rules.opens && today(req) <= rules.closes ? SiteRoute.programDemand(program.code).path : nil,
            approvals: organiser && rules.kind.isSchool && !published
                ? try await ApprovalsController.checklist(.quota, program.code, canRecord: true, form: approvalForm, on: req) : nil,
            priorityGroups: priorityLines(groups, departments: Dictionary(departments.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a }), req),
            groupFields: organiser ? priorityGroupForm(groupForm, departments: departments, req) : [],
            groupAction: SiteRoute.programPriorityGroups(program.code).path, groupFormOpen: !groupForm.errors.isEmpty)
        return try await req.render("programs/program", title: "programs_title", content, status: status)
    }

    /// `基本状况＋创新创业＋社会服务的合计分，再比社会保险` in the reader's words; the application time always ends it.
    static func tiebreakWords(_ keys: [TieBreakKey], standard: ScoringStandard?, _ req: Request) -> String {
        let words = keys.compactMap { key -> String? in
            guard case .sum(let ids) = key else { return nil }
            let titles = ids.map { standard?.category($0)?.title ?? $0 }
            return titles.count == 1 ? titles[0] : req.text("program_tiebreak_sum", ["categories": titles.joined(separator: req.language == .en ? " + " : "＋")])
        }
        return words.isEmpty ? "—" : words.joined(separator: req.language == .en ? ", then " : "，再比")
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
        if program.quotaPublishedAt != nil, today(req) > program.closes { form.fail("seats", req.text("program_quota_locked")) }
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
        return req.redirect(to: SiteRoute.program(program.code).path + "?done=quota")
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
        var parsed: [(code: String, name: String, town: String, seats: Int, areas: [String]?)] = []
        // An optional fifth column, 施教区: town or community codes separated by ";".
        let places = Dictionary(try await Jurisdiction.query(on: req.db).all().map { ($0.code, $0.level) }, uniquingKeysWith: { a, _ in a })
        for (line, f) in rows {
            guard f.count == 4 || f.count == 5 else { problems.append(req.text("quota_csv_columns", ["line": String(line)])); continue }
            var areas: [String]?
            if f.count == 5, !f[4].isEmpty {
                let codes = f[4].split(whereSeparator: { $0 == ";" || $0 == "；" || $0 == "、" || $0 == " " }).map(String.init)
                if let bad = codes.first(where: { ![JurisdictionLevel.town.rawValue, JurisdictionLevel.community.rawValue].contains(places[$0] ?? "") }) {
                    problems.append(req.text("quota_csv_catchment", ["line": String(line), "code": bad]))
                    continue
                }
                areas = codes
            }
            guard let seats = Int(f[3]), seats >= 0, seats <= 10_000 else { problems.append(req.text("quota_csv_seats", ["line": String(line)])); continue }
            guard !f[0].isEmpty else { problems.append(req.text("quota_csv_code", ["line": String(line)])); continue }
            parsed.append((f[0], f[1], f[2], seats, areas))
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
                        if let areas = row.areas { try await setCatchment(school: row.code, areas: areas, from: ShanghaiDate.today(now), on: db) }
                    }
                    try await Audit.record("quotaCSV", entity: "program", id: program.code, after: ["schools": String(rowsToSave.count), "seats": String(rowsToSave.reduce(0) { $0 + $1.seats })],
                                           by: actor, at: now, on: db)
                }
            } catch let problem as QuotaProblem {
                problems.append(req.text(problem.field == "town" ? "quota_csv_town" : "quota_csv_name", ["line": String(rows[problem.line].0)]))
            }
        }
        guard problems.isEmpty else { return try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: problems, status: .badRequest) }
        return req.redirect(to: SiteRoute.program(program.code).path + "?done=quota")
    }

    struct QuotaProblem: Error { let line: Int; let field: String }

    /// The school's catchment from `day` on: areas no longer listed end the day before, new ones
    /// start that day, the others go on (the catchment keeps its history).
    static func setCatchment(school code: String, areas: [String], from day: CivilDate, on db: any Database) async throws {
        guard let school = try await School.query(on: db).filter(\.$code == code).first(), let id = school.id else { return }
        let current = try await SchoolCatchment.query(on: db).filter(\.$school.$id == id).filter(\.$to == nil).all()
        for area in current where !areas.contains(area.areaCode) {
            if area.from >= day { try await area.delete(on: db); continue }
            area.to = day.adding(days: -1)
            try await area.save(on: db)
        }
        for code in areas where !current.contains(where: { $0.areaCode == code }) {
            try await SchoolCatchment(school: id, area: code, from: day).create(on: db)
        }
    }

    static func publishQuotas(_ req: Request) async throws -> Response {
        let program = try await find(req)
        guard program.quotaPublishedAt == nil else { return req.redirect(to: SiteRoute.program(program.code).path) }
        let count = try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).count()
        guard count > 0 else {
            return try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [req.text("program_no_quotas")], status: .badRequest)
        }
        let missing = try await ApprovalsController.missing(.quota, program.code, on: req)
        guard missing.isEmpty else {
            return try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [ApprovalsController.refusal(missing, req)], status: .conflict)
        }
        program.quotaPublishedAt = req.now
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await program.save(on: db)
            try await Audit.record("publishQuotas", entity: "program", id: program.code, after: ["schools": String(count)], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.program(program.code).path + "?done=published")
    }
}
