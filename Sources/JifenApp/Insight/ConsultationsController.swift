import Fluent
import JifenCore
import Vapor

/// Consultations (征求意见): a notice open for a period; the public writes opinions online; staff
/// record letters, e-mails and calls; the summary groups them by topic and by channel.
enum ConsultationsController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.consultations, access: .anyone, use: list).cachedForVisitors()
        routes.post(.consultations, access: .roles([.centerAdmin]), use: create)
        routes.get(.consultation(":code"), access: .anyone, use: page)
        routes.post(.consultationOpinions(":code"), access: .anyone, use: opine)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }
    static let channels = ["online", "letter", "email", "phone"]

    struct Row: Encodable { let href: String; let title: String; let period: String; let open: Bool }
    struct ListContent: Encodable { let rows: [Row]; let canCreate: Bool; let form: FormState; let fields: [FormField] }

    static func list(_ req: Request) async throws -> Response {
        try await renderList(req, form: FormState(fields: ["code", "title", "notice", "opens", "closes", "topics"],
                                                  values: ["opens": today(req).description, "closes": today(req).adding(days: 30).description]), status: .ok)
    }

    static func renderList(_ req: Request, form: FormState, status: HTTPStatus) async throws -> Response {
        let all = try await Consultation.query(on: req.db).sort(\.$opens, .descending).all()
        let content = ListContent(rows: all.map { c in
            Row(href: SiteRoute.consultation(c.code).path, title: c.title, period: c.opens.description + " – " + c.closes.description,
                open: (c.opens <= today(req)) && (today(req) <= c.closes))
        }, canCreate: req.currentUser?.role == .centerAdmin, form: form, fields: [
            form.field("code", req.text("field_program_code"), maxLength: 40),
            form.field("title", req.text("field_consultation_title"), maxLength: 80),
            form.field("notice", req.text("field_consultation_notice"), .textarea),
            form.field("opens", req.text("field_program_opens"), .date),
            form.field("closes", req.text("field_program_closes"), .date),
            form.field("topics", req.text("field_topics"), .textarea, hint: req.text("consultation_topics_hint"), rows: 4),
        ])
        return try await req.render("insight/consultations", title: "consultations_title", content, status: status)
    }

    static func create(_ req: Request) async throws -> Response {
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        var values: [String: String] = [:]
        for f in ["code", "title", "notice", "opens", "closes", "topics"] { values[f] = (input[f] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        var form = FormState(fields: ["code", "title", "notice", "opens", "closes", "topics"], values: values)
        let code = values["code"]!
        if !isValidRecordCode(code) { form.fail("code", req.text("program_code_rule")) }
        else if try await Consultation.query(on: req.db).filter(\.$code == code).count() > 0 { form.fail("code", req.text("program_code_taken")) }
        if values["title"]!.isEmpty { form.fail("title", req.text("problem_required", ["field": req.text("field_consultation_title")])) }
        if values["notice"]!.isEmpty { form.fail("notice", req.text("problem_required", ["field": req.text("field_consultation_notice")])) }
        let opens = CivilDate(values["opens"]!), closes = CivilDate(values["closes"]!)
        if opens == nil { form.fail("opens", req.text("problem_date", ["field": req.text("field_program_opens")])) }
        if closes == nil { form.fail("closes", req.text("problem_date", ["field": req.text("field_program_closes")])) }
        if let o = opens, let c = closes, c < o { form.fail("closes", req.text("program_closes_before")) }
        guard form.isValid else { return try await renderList(req, form: form, status: .badRequest) }
        let c = Consultation()
        c.createdAt = req.now
        c.code = code
        c.title = values["title"]!
        c.notice = values["notice"]!
        c.opens = opens!
        c.closes = closes!
        let topics = values["topics"]!.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        c.topics = topics.isEmpty ? [req.text("consultation_topic_general")] : topics
        c.createdBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await c.create(on: db)
            try await Audit.record("create", entity: "consultation", id: code, after: ["title": c.title, "opens": c.opens.description, "closes": c.closes.description], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.consultation(code).path)
    }

    struct Group: Encodable { let topic: String; let count: Int; let byChannel: String; let opinions: [Item] }
    struct Item: Encodable { let channel: String; let author: String; let text: String; let at: String }

    struct PageContent: Encodable {
        let title, notice, period: String
        let open, isStaff: Bool
        let fields: [FormField]
        let action: String
        let groups: [Group]
        let total: Int
        let chart: String
        let done: Bool
    }

    static func find(_ req: Request) async throws -> Consultation {
        guard let code = req.parameters.get("code"), let c = try await Consultation.query(on: req.db).filter(\.$code == code).first() else { throw Abort(.notFound) }
        return c
    }

    static func page(_ req: Request) async throws -> Response {
        try await render(req, consultation: try await find(req), form: FormState(fields: ["topic", "channel", "author", "text", "phone", "code"]), status: .ok)
    }

    static func render(_ req: Request, consultation c: Consultation, form: FormState, status: HTTPStatus) async throws -> Response {
        let staff = req.currentUser?.role == .centerAdmin
        let open = (c.opens <= today(req)) && (today(req) <= c.closes)
        let opinions = try await Opinion.query(on: req.db).filter(\.$consultation.$id == c.requireID()).sort(\.$createdAt).all()
        let grouped = Dictionary(grouping: opinions, by: \.topic)
        let groups = c.topics.map { topic -> Group in
            let list = grouped[topic] ?? []
            let counts = channels.compactMap { ch -> String? in
                let n = list.filter { $0.channel == ch }.count
                return n > 0 ? req.text("channel_" + ch) + " \(n)" : nil
            }
            return Group(topic: topic, count: list.count, byChannel: counts.joined(separator: "、"),
                         opinions: staff ? list.map { Item(channel: req.text("channel_" + $0.channel), author: $0.author, text: $0.text, at: ShanghaiTime.dateTime($0.createdAt)) } : [])
        }
        let chart = Chart.bars(title: c.title, labels: groups.map(\.topic), series: [Chart.Series(name: req.text("survey_count"), values: groups.map { Double($0.count) }, color: Chart.red)], for: req)
        let content = PageContent(
            title: c.title, notice: c.notice, period: c.opens.description + " – " + c.closes.description, open: open, isStaff: staff,
            fields: [form.field("topic", req.text("field_topic"), .select, options: c.topics.map { ($0, $0) }, idPrefix: "o-")]
                + (staff ? [form.field("channel", req.text("field_channel"), .select, options: channels.map { ($0, req.text("channel_" + $0)) }, idPrefix: "o-")] : [])
                + [form.field("author", req.text("field_author"), maxLength: 50, idPrefix: "o-"),
                   form.field("text", req.text("field_opinion"), .textarea, maxLength: 2000, rows: 4, idPrefix: "o-")]
                + (staff ? [] : [form.field("phone", req.text("field_phone"), .tel, hint: req.text("opinion_phone_hint"), maxLength: 11, autocomplete: "tel", idPrefix: "o-"),
                                 form.field("code", req.text("field_code"), .number, hint: req.text("form_code_hint"), maxLength: 6, autocomplete: "one-time-code", idPrefix: "o-")]),
            action: SiteRoute.consultationOpinions(c.code).path, groups: groups, total: opinions.count, chart: chart,
            done: req.query[String.self, at: "done"] != nil)
        return try await req.render("insight/consultation", title: "consultations_title", content, status: status)
    }

    struct OpinionForm: Decodable { var topic: String?; var channel: String?; var author: String?; var text: String?; var phone: String?; var code: String? }

    /// Opinions one phone may send to one consultation.
    static let opinionsPerPhone = 5

    static func opine(_ req: Request) async throws -> Response {
        let c = try await find(req)
        let input = try req.content.decode(OpinionForm.self)
        let staff = req.currentUser?.role == .centerAdmin
        let values = ["topic": input.topic ?? "", "channel": staff ? (input.channel ?? "") : "online",
                      "author": (input.author ?? "").trimmingCharacters(in: .whitespaces), "text": (input.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                      "phone": (input.phone ?? "").trimmingCharacters(in: .whitespaces), "code": (input.code ?? "").trimmingCharacters(in: .whitespaces)]
        var form = FormState(fields: ["topic", "channel", "author", "text", "phone", "code"], values: values)
        // Online, the opinion counts with a phone confirmed by a code; the phone itself is not kept.
        let respondent = staff ? nil : req.application.keys.mac("opinion-phone", c.code + ":" + values["phone"]!)
        if !staff, AccountRules.checkPhone(values["phone"]!) != nil { form.fail("phone", req.text("problem_badPhone")) }
        if !c.topics.contains(values["topic"]!) { form.fail("topic", req.text("problem_choose", ["field": req.text("field_topic")])) }
        if !channels.contains(values["channel"]!) { form.fail("channel", req.text("problem_choose", ["field": req.text("field_channel")])) }
        form.requireText("text", label: "field_opinion", max: 2000, on: req)
        if values["author"]!.count > 50 { form.fail("author", req.text("problem_tooLong", ["field": req.text("field_author"), "max": "50"])) }
        let open = (c.opens <= today(req)) && (today(req) <= c.closes)
        if !open && !staff { form.fail("text", req.text("consultation_closed")) }
        if form.isValid, let respondent,
           try await Opinion.query(on: req.db).filter(\.$consultation.$id == c.requireID()).filter(\.$respondent == respondent).count() >= opinionsPerPhone {
            form.fail("phone", req.text("opinion_phone_limit", ["n": String(opinionsPerPhone)]))
        }
        guard form.isValid else { return try await render(req, consultation: c, form: form, status: .badRequest) }
        if !staff {
            let (outcome, browser, newBrowser) = try await PublicFormPhone.confirm(req, phone: values["phone"]!, code: values["code"]!)
            var status = HTTPStatus.ok
            switch outcome {
            case .confirmed: break
            case .codeSent: form.fail("code", try await PublicFormPhone.sentNotice(req, phone: values["phone"]!))
            case .refused(let field, let message, let refusedStatus): form.fail(field, message); status = refusedStatus
            }
            if !form.isValid {
                let response = try await render(req, consultation: c, form: form, status: status)
                if newBrowser { PhoneCodes.setBrowserCookie(browser, on: response, req: req) }
                return response
            }
        }
        let o = Opinion()
        o.respondent = respondent
        o.createdAt = req.now
        o.channel = values["channel"]!
        o.topic = values["topic"]!
        o.author = values["author"]!.isEmpty ? req.text("consultation_anonymous") : values["author"]!
        o.text = values["text"]!
        o.recordedBy = req.actor.login
        o.$consultation.id = try c.requireID()
        try await o.create(on: req.db)
        return req.redirect(to: SiteRoute.consultation(c.code).path + "?done=1")
    }
}
