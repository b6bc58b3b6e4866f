import Fluent
import JifenCore
import Vapor

/// Questionnaires (问卷调查): built by the centre in a short text form, published with a QR code,
/// answered once per phone or per device, tabulated exactly as seed 000's Table 3 with charts,
/// exported to CSV.
enum SurveysController {
    static let centre: Access = .roles([.centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.surveys, access: centre, use: list)
        routes.post(.surveys, access: centre, use: create)
        routes.get(.survey(":code"), access: centre, use: results)
        routes.post(.surveyStatus(":code"), access: centre, use: status)
        routes.get(.surveyCSV(":code"), access: centre, use: csv)
        routes.get(.surveyForm(":code"), access: .anyone, use: form)
        routes.post(.surveyForm(":code"), access: .anyone, use: answer)
    }

    static func find(_ req: Request) async throws -> Survey {
        guard let code = req.parameters.get("code"), let survey = try await Survey.query(on: req.db).filter(\.$code == code).first() else { throw Abort(.notFound) }
        return survey
    }

    // MARK: list and build

    struct Row: Encodable { let href: String; let title: String; let status: String; let answers: Int }
    struct ListContent: Encodable { let rows: [Row]; let form: FormState; let problems: [String]; let example: String }

    static let example = "单选 您的年龄?\n- 20 岁以下\n- 20-29 岁\n- 30-39 岁\n\n多选 您认为哪些方面需要改进?(可多选)\n- 加大宣传力度\n- 简化申请材料\n\n填空 您的意见和建议?"

    static func list(_ req: Request) async throws -> Response { try await renderList(req, form: FormState(fields: ["code", "title", "intro", "onePer", "questions"], values: ["onePer": "phone"]), problems: [], status: .ok) }

    static func renderList(_ req: Request, form: FormState, problems: [String], status: HTTPStatus) async throws -> Response {
        var rows: [Row] = []
        for s in try await Survey.query(on: req.db).sort(\.$createdAt, .descending).all() {
            rows.append(Row(href: SiteRoute.survey(s.code).path, title: s.title, status: req.text("survey_status_" + s.status.rawValue),
                            answers: try await SurveyAnswer.query(on: req.db).filter(\.$survey.$id == s.requireID()).count()))
        }
        return try await req.render("insight/surveys", title: "surveys_title", ListContent(rows: rows, form: form, problems: problems, example: example), status: status)
    }

    static func create(_ req: Request) async throws -> Response {
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        let values = ["code": (input["code"] ?? "").trimmingCharacters(in: .whitespaces), "title": (input["title"] ?? "").trimmingCharacters(in: .whitespaces),
                      "intro": (input["intro"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines), "onePer": input["onePer"] ?? "",
                      "questions": input["questions"] ?? ""]
        var form = FormState(fields: ["code", "title", "intro", "onePer", "questions"], values: values)
        let code = values["code"]!
        if !isValidRecordCode(code) { form.fail("code", req.text("program_code_rule")) }
        else if try await Survey.query(on: req.db).filter(\.$code == code).count() > 0 { form.fail("code", req.text("program_code_taken")) }
        if values["title"]!.isEmpty { form.fail("title", req.text("problem_required", ["field": req.text("field_survey_title")])) }
        let onePer = Survey.OnePer(rawValue: values["onePer"]!)
        if onePer == nil { form.fail("onePer", req.text("problem_choose", ["field": req.text("field_survey_one_per")])) }
        var problems: [String] = []
        if case .failure(let found) = Questionnaire.parse(values["questions"]!) {
            problems = found.problems.map(\.description)
            form.fail("questions", req.text("survey_questions_problems"))
        }
        guard form.isValid, let onePer else { return try await renderList(req, form: form, problems: problems, status: .badRequest) }
        let survey = Survey()
        survey.createdAt = req.now
        survey.code = code
        survey.title = values["title"]!
        survey.intro = values["intro"]!
        survey.questions = values["questions"]!
        survey.onePer = onePer
        survey.status = .draft
        survey.createdBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await survey.create(on: db)
            try await Audit.record("create", entity: "survey", id: code, after: ["title": survey.title, "onePer": survey.onePer.rawValue], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.survey(code).path)
    }

    static func status(_ req: Request) async throws -> Response {
        let survey = try await find(req)
        guard let next = Survey.Status(rawValue: (try? req.content.get(String.self, at: "status")) ?? ""), next != .draft else { throw Abort(.badRequest) }
        let before = survey.status
        survey.status = next
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await survey.save(on: db)
            try await Audit.record("update", entity: "survey", id: survey.code, before: ["status": before.rawValue], after: ["status": next.rawValue], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.survey(survey.code).path)
    }

    // MARK: results

    struct OptionRow: Encodable { let label: String; let count: Int; let total: Int; let percent: String; let first: Bool; let number: Int; let question: String; let span: Int }
    struct QuestionView: Encodable { let number: Int; let title: String; let kind: String; let chart: String; let texts: [String] }

    struct ResultsContent: Encodable {
        let title, intro, status, statusCode: String
        let total: Int
        let rows: [OptionRow]
        let questions: [QuestionView]
        let link, qr, csvLink, statusAction, onePer: String
    }

    static func tabulate(_ survey: Survey, on db: any Database) async throws -> (Questionnaire, [Questionnaire.Answer], [Questionnaire.Row]) {
        guard let questionnaire = survey.questionnaire else { throw Abort(.internalServerError) }
        let answers = try await SurveyAnswer.query(on: db).filter(\.$survey.$id == survey.requireID()).all().map(\.answer)
        return (questionnaire, answers, questionnaire.statistics(answers))
    }

    static func letter(_ o: Int) -> String { String(UnicodeScalar(UInt8(65 + o % 26))) }

    static func results(_ req: Request) async throws -> Response {
        let survey = try await find(req)
        let (questionnaire, answers, rows) = try await tabulate(survey, on: req.db)
        let link = req.application.jifenConfig.publicURL + SiteRoute.surveyForm(survey.code).path
        var views: [QuestionView] = []
        for (k, q) in questionnaire.questions.enumerated() {
            let mine = rows.filter { $0.question == k }
            let chart = q.kind == .text ? "" : Chart.bars(title: q.title, labels: q.options.enumerated().map { letter($0) + "、" + $1 },
                                                        series: [Chart.Series(name: req.text("survey_count"), values: mine.map { Double($0.count) }, color: Chart.red)], for: req)
            views.append(QuestionView(number: k + 1, title: q.title, kind: req.text("survey_kind_" + q.kind.rawValue), chart: chart,
                                      texts: q.kind == .text ? answers.compactMap { k < $0.texts.count && !$0.texts[k].isEmpty ? $0.texts[k] : nil }.suffix(50) : []))
        }
        let content = ResultsContent(
            title: survey.title, intro: survey.intro, status: req.text("survey_status_" + survey.status.rawValue), statusCode: survey.status.rawValue, total: answers.count,
            rows: rows.map { r in
                let q = questionnaire.questions[r.question]
                return OptionRow(label: letter(r.option) + "、" + q.options[r.option], count: r.count, total: r.total, percent: r.percentText,
                                 first: r.option == 0, number: r.question + 1, question: q.title, span: q.options.count)
            },
            questions: views, link: link, qr: (try? QRCode.encode(link, correction: .medium).svg(moduleSize: 4)) ?? "",
            csvLink: SiteRoute.surveyCSV(survey.code).path, statusAction: SiteRoute.surveyStatus(survey.code).path, onePer: req.text("survey_one_per_" + survey.onePer.rawValue))
        return try await req.render("insight/survey-results", title: "surveys_title", content)
    }

    static func csv(_ req: Request) async throws -> Response {
        let survey = try await find(req)
        let (questionnaire, _, rows) = try await tabulate(survey, on: req.db)
        let header = ["序号", "问题", "选项", "人数", "调查总人数", "百分比"]
        let body = rows.map { r in
            [String(r.question + 1), questionnaire.questions[r.question].title, letter(r.option) + "、" + questionnaire.questions[r.question].options[r.option],
             String(r.count), String(r.total), r.percentText]
        }
        return CSVExport.response(filename: "survey-\(survey.code).csv", header: header, rows: body)
    }

    // MARK: answering

    struct FormQuestion: Encodable { let number: Int; let name: String; let title: String; let kind: String; let options: [SelectOption]; let text: String; let error: String? }
    struct FormContent: Encodable {
        let title: String; let intro: String; let open: Bool; let byPhone: Bool; let phone: String; let phoneError: String?
        /// The code a per-phone questionnaire asks for once it sent one.
        let codeError: String?
        let questions: [FormQuestion]; let action: String; let done: Bool
    }

    /// Answers a per-device questionnaire takes from one address in an hour.
    static let answersPerAddressHour = 20

    static func form(_ req: Request) async throws -> Response {
        let survey = try await find(req)
        return try await renderForm(req, survey: survey, input: [:], errors: [:], status: .ok)
    }

    static func renderForm(_ req: Request, survey: Survey, input: [String: [String]], errors: [String: String], status: HTTPStatus) async throws -> Response {
        guard let questionnaire = survey.questionnaire else { throw Abort(.internalServerError) }
        let content = FormContent(
            title: survey.title, intro: survey.intro, open: survey.status == .open, byPhone: survey.onePer == .phone,
            phone: input["phone"]?.first ?? "", phoneError: errors["phone"], codeError: errors["code"],
            questions: questionnaire.questions.enumerated().map { k, q in
                FormQuestion(number: k + 1, name: "q\(k)", title: q.title, kind: q.kind.rawValue,
                             options: q.options.enumerated().map { SelectOption(value: String($0), label: letter($0) + "、" + $1, selected: input["q\(k)"]?.contains(String($0)) ?? false) },
                             text: input["q\(k)"]?.first ?? "", error: errors["q\(k)"])
            },
            action: SiteRoute.surveyForm(survey.code).path, done: req.query[String.self, at: "done"] != nil)
        return try await req.render("insight/survey-form", title: "surveys_title", content, status: status)
    }

    static func answer(_ req: Request) async throws -> Response {
        let survey = try await find(req)
        guard survey.status == .open, let questionnaire = survey.questionnaire else { throw Abort(.notFound) }
        // Form fields may repeat (checkboxes): read them all.
        var input: [String: [String]] = [:]
        let body = req.body.string ?? ""
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if parts.count == 2 { input[parts[0], default: []].append(parts[1]) }
        }
        var errors: [String: String] = [:]
        var answer = Questionnaire.Answer(choices: [], texts: [])
        for (k, q) in questionnaire.questions.enumerated() {
            let values = input["q\(k)"] ?? []
            answer.choices.append(q.kind == .text ? [] : values.compactMap(Int.init))
            answer.texts.append(q.kind == .text ? (values.first ?? "").trimmingCharacters(in: .whitespacesAndNewlines) : "")
        }
        for problem in questionnaire.check(answer) {
            switch problem {
            case .missing(let k): errors["q\(k)"] = req.text("survey_missing", ["n": String(k + 1)])
            case .oneOnly(let k): errors["q\(k)"] = req.text("survey_one_only", ["n": String(k + 1)])
            case .unknownOption(let k): errors["q\(k)"] = req.text("survey_missing", ["n": String(k + 1)])
            case .tooLong(let k): errors["q\(k)"] = req.text("problem_tooLong", ["field": req.text("survey_question", ["n": String(k + 1)]), "max": "500"])
            }
        }
        // One answer per phone (keyed hash of the number) or per device (a cookie).
        var respondent: String
        var newDevice: String?
        if survey.onePer == .phone {
            let phone = (input["phone"]?.first ?? "").trimmingCharacters(in: .whitespaces)
            if AccountRules.checkPhone(phone) != nil { errors["phone"] = req.text("problem_badPhone") }
            respondent = req.application.keys.mac("survey-phone", survey.code + ":" + phone)
        } else {
            let token = req.cookies[req.application.cookieName("jifen_s_" + survey.code)]?.string ?? { let t = req.effects.token(bytes: 16); newDevice = t; return t }()
            respondent = req.application.keys.mac("survey-device", survey.code + ":" + token)
        }
        if errors.isEmpty, try await SurveyAnswer.query(on: req.db).filter(\.$survey.$id == survey.requireID()).filter(\.$respondent == respondent).count() > 0 {
            errors["phone"] = req.text("survey_already")
        }
        // Per device, a cookie is all that tells people apart: answers from one address are capped.
        let addressMAC = req.application.keys.mac("survey-address", survey.code + ":" + req.clientAddress)
        if errors.isEmpty, survey.onePer != .phone,
           try await SurveyAnswer.query(on: req.db).filter(\.$survey.$id == survey.requireID()).filter(\.$addressMAC == addressMAC)
               .filter(\.$createdAt > req.now.addingTimeInterval(-3600)).count() >= answersPerAddressHour {
            errors["phone"] = req.text("survey_address_limit")
            return try await renderForm(req, survey: survey, input: input, errors: errors, status: .tooManyRequests)
        }
        guard errors.isEmpty else { return try await renderForm(req, survey: survey, input: input, errors: errors, status: .badRequest) }
        // Per phone, the answer counts with the phone confirmed by a code.
        if survey.onePer == .phone {
            let phone = (input["phone"]?.first ?? "").trimmingCharacters(in: .whitespaces)
            let (outcome, browser, newBrowser) = try await PublicFormPhone.confirm(req, phone: phone, code: (input["code"]?.first ?? "").trimmingCharacters(in: .whitespaces))
            var status = HTTPStatus.ok
            switch outcome {
            case .confirmed: break
            case .codeSent: errors["code"] = try await PublicFormPhone.sentNotice(req, phone: phone)
            case .refused(let field, let message, let refusedStatus): errors[field] = message; status = refusedStatus
            }
            if !errors.isEmpty {
                let response = try await renderForm(req, survey: survey, input: input, errors: errors, status: status)
                if newBrowser { PhoneCodes.setBrowserCookie(browser, on: response, req: req) }
                return response
            }
        }
        let stored = SurveyAnswer()
        stored.addressMAC = addressMAC
        stored.createdAt = req.now
        stored.respondent = respondent
        stored.answers = SurveyAnswer.Stored(choices: answer.choices, texts: answer.texts)
        stored.$survey.id = try survey.requireID()
        do { try await stored.create(on: req.db) } catch {
            // The same respondent twice at once: the unique index keeps one.
            return try await renderForm(req, survey: survey, input: input, errors: ["phone": req.text("survey_already")], status: .badRequest)
        }
        let response = req.redirect(to: SiteRoute.surveyForm(survey.code).path + "?done=1")
        if let newDevice {
            response.cookies[req.application.cookieName("jifen_s_" + survey.code)] = HTTPCookies.Value(string: newDevice, maxAge: 365 * 86_400, path: "/",
                                                                            isSecure: req.application.jifenConfig.secureCookies, isHTTPOnly: true, sameSite: .lax)
        }
        return response
    }
}
