import Fluent
import JifenCore
import Vapor

extension Request {
    /// The shipped calendar with the years entered by admins laid over it. Read per use, so every
    /// app process sees an admin's change at once.
    func workingCalendar() async throws -> WorkingCalendar {
        try await application.workingCalendar(on: db)
    }
}

extension Application {
    /// The shipped calendar with the years entered by admins (in `db`) laid over it.
    func workingCalendar(on db: any Database) async throws -> WorkingCalendar {
        var calendar = workingCalendar
        for row in try await CalendarYear.query(on: db).all() {
            if case .success(let parsed) = WorkingCalendar.parse(row.yaml), let year = parsed.years[row.year] {
                calendar.years[row.year] = year
            }
        }
        return calendar
    }
}

enum CalendarController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.calendar, access: .roles([.centerAdmin]), use: page)
        routes.post(.calendar, access: .roles([.centerAdmin]), use: save)
    }

    struct YearRow: Encodable { let year: Int; let holidays: Int; let workdays: Int; let source: String }

    struct Content: Encodable {
        let years: [YearRow]
        let form: FormState
        let problems: [StandardsController.ProblemRow]
        let action, example: String
    }

    static let example = """
    2030:
      holidays:
        - 2030-01-01
        - {from: 2030-02-02, to: 2030-02-08}   # 春节（示例）
      workdays: [2030-01-27]
    """

    static func content(_ req: Request, form: FormState, problems: [StandardsController.ProblemRow] = []) async throws -> Content {
        let calendar = try await req.workingCalendar()
        let entered = Set(try await CalendarYear.query(on: req.db).all().map(\.year))
        let rows = calendar.years.keys.sorted().map { year in
            YearRow(year: year, holidays: calendar.years[year]!.holidays.count, workdays: calendar.years[year]!.workdays.count,
                    source: req.text(entered.contains(year) ? "calendar_entered" : "calendar_shipped"))
        }
        return Content(years: rows, form: form, problems: problems, action: SiteRoute.calendar.path, example: example)
    }

    static func page(_ req: Request) async throws -> Response {
        // The example is shown beside the field, never put into it: saving it unread would enter made-up holidays.
        try await req.render("calendar/calendar", title: "calendar_title", try await content(req, form: FormState(fields: ["yaml"])))
    }

    static func save(_ req: Request) async throws -> Response {
        let text = (try? req.content.get(String.self, at: "yaml")) ?? ""
        var form = FormState(fields: ["yaml"], values: ["yaml": text])
        switch WorkingCalendar.parse(text) {
        case .failure(let failure):
            form.fail("yaml", req.text("standard_problems", ["count": String(failure.problems.count)]))
            let rows = failure.problems.map { StandardsController.ProblemRow(line: $0.line.map(String.init) ?? "—", field: $0.field, message: $0.message) }
            return try await req.render("calendar/calendar", title: "calendar_title", try await content(req, form: form, problems: rows), status: .badRequest)
        case .success(let calendar):
            guard calendar.years.count == 1, let year = calendar.years.keys.first else {
                form.fail("yaml", req.text("calendar_one_year"))
                return try await req.render("calendar/calendar", title: "calendar_title", try await content(req, form: form), status: .badRequest)
            }
            let actor = req.actor, now = req.now
            let existing = try await CalendarYear.query(on: req.db).filter(\.$year == year).first()
            try await req.db.transaction { db in
                let row = existing ?? CalendarYear()
                let before = existing.map { ["sha256": sha256Hex($0.yaml)] }
                row.year = year
                row.yaml = text
                row.updatedAt = now
                row.updatedBy = actor.login
                try await row.save(on: db)
                try await Audit.record(existing == nil ? "create" : "update", entity: "calendarYear", id: String(year), before: before,
                                       after: ["holidays": String(calendar.years[year]!.holidays.count), "workdays": String(calendar.years[year]!.workdays.count), "sha256": sha256Hex(text)],
                                       by: actor, at: now, on: db)
            }
            return req.redirect(to: SiteRoute.calendar.path)
        }
    }
}
