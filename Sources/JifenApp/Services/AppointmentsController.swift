import Fluent
import JifenCore
import Vapor

/// 预约办: a citizen books, moves or cancels an appointment at a town's window and sees the
/// materials to bring; the window's clerk reads the day's list, marks arrivals and no-shows and
/// sets the window's times and places.
enum AppointmentsController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.myAppointments, access: .roles([.citizen]), use: mine)
        routes.post(.myAppointments, access: .roles([.citizen]), use: book)
        routes.post(.myAppointmentCancel(":id"), access: .roles([.citizen]), use: cancel)
        routes.post(.myAppointmentMove(":id"), access: .roles([.citizen]), use: move)
        routes.get(.appointments, access: .roles([.windowClerk, .centerAdmin]), use: day)
        routes.post(.appointmentMark(":id"), access: .roles([.windowClerk, .centerAdmin]), use: mark)
        routes.post(.appointmentSchedule, access: .roles([.windowClerk, .centerAdmin]), use: schedule)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    static func towns(_ req: Request) async throws -> [Jurisdiction] {
        try await Jurisdiction.query(on: req.db).filter(\.$level == JurisdictionLevel.town.rawValue).sort(\.$code).all()
    }

    static func slotLabel(_ slot: AppointmentService.Slot, _ req: Request) -> String {
        req.text("appointment_slot", ["day": ShanghaiDate.long(slot.day, req.language), "weekday": req.text("weekday_\(slot.day.weekday)"), "time": slot.time, "left": String(slot.left)])
    }

    // MARK: the citizen's

    struct Item: Encodable {
        let number, business, town, when, status: String
        let upcoming: Bool
        let cancelAction, moveAction: String
        let moveOptions: [SelectOption]
        let materials: MaterialList
    }

    struct MineContent: Encodable {
        let items: [Item]
        let fields: [FormField]
        let action: String
        let townAction: String
        let townOptions: [SelectOption]
        let notice, problem: String?
    }

    static func mine(_ req: Request) async throws -> Response { try await render(req, form: nil, problem: nil) }

    static func render(_ req: Request, form given: FormState?, problem: String?) async throws -> Response {
        let user = try req.requireUser()
        let service = AppointmentService(req)
        let towns = try await towns(req)
        let chosen = towns.first { $0.code == (given?.values["town"] ?? req.query[String.self, at: "town"]) } ?? towns.first
        var slots: [AppointmentService.Slot] = []
        if let chosen { slots = try await service.slots(of: chosen) }
        let open = slots.filter { $0.left > 0 }
        let mine = try await Appointment.query(on: req.db).filter(\.$user.$id == user.id).with(\.$jurisdiction).sort(\.$day, .descending).sort(\.$time).limit(30).all()
        var items: [Item] = []
        for a in mine {
            let upcoming = a.status == .booked && a.day > today(req)
            let others = upcoming ? try await service.slots(of: a.jurisdiction).filter { $0.left > 0 && !($0.day == a.day && $0.time == a.time) } : []
            items.append(Item(number: a.number, business: MaterialList.title(a.business, on: req), town: a.jurisdiction.name,
                              when: ShanghaiDate.long(a.day, req.language) + " " + a.time, status: req.text("appointment_status_" + a.status.rawValue), upcoming: upcoming,
                              cancelAction: SiteRoute.myAppointmentCancel(a.id!.uuidString).path, moveAction: SiteRoute.myAppointmentMove(a.id!.uuidString).path,
                              moveOptions: others.map { SelectOption(value: $0.key, label: slotLabel($0, req), selected: false) },
                              materials: try await MaterialList.load(a.business, on: req)))
        }
        let form = given ?? FormState(fields: ["business", "town", "slot"], values: ["town": chosen?.code ?? ""])
        let fields = [
            form.field("business", req.text("field_appointment_business"), .select, options: [("", "—")] + MaterialList.businesses().map { ($0, MaterialList.title($0, on: req)) }, required: true),
            form.field("town", req.text("field_appointment_town"), .select, options: towns.map { ($0.code, $0.name) }, required: true),
            form.field("slot", req.text("field_appointment_slot"), .select, hint: open.isEmpty ? req.text("appointment_no_slots") : nil,
                       options: [("", "—")] + open.map { ($0.key, slotLabel($0, req)) }, required: true),
        ]
        let content = MineContent(items: items, fields: fields, action: SiteRoute.myAppointments.path, townAction: SiteRoute.myAppointments.path,
                                  townOptions: towns.map { SelectOption(value: $0.code, label: $0.name, selected: $0.code == chosen?.code) },
                                  notice: req.query[String.self, at: "done"].flatMap { ["booked", "moved", "cancelled"].contains($0) ? req.text("appointment_done_" + $0) : nil },
                                  problem: problem)
        return try await req.render("services/my-appointments", title: "appointments_mine_title", content, status: given == nil && problem == nil ? .ok : .badRequest)
    }

    struct BookForm: Decodable { var business: String?, town: String?, slot: String? }

    static func book(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let account = try await User.find(user.id, on: req.db) else { throw Abort(.notFound) }
        let input = (try? req.content.decode(BookForm.self)) ?? BookForm()
        var form = FormState(fields: ["business", "town", "slot"], values: ["business": input.business ?? "", "town": input.town ?? "", "slot": input.slot ?? ""])
        switch try await AppointmentService(req).book(user: account, business: input.business ?? "", townCode: input.town ?? "", slot: input.slot ?? "") {
        case .done: return req.redirect(to: SiteRoute.myAppointments.path + "?done=booked")
        case .refused(let problems):
            for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            return try await render(req, form: form, problem: nil)
        }
    }

    static func own(_ req: Request) async throws -> Appointment {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let a = try await Appointment.query(on: req.db).filter(\.$id == id).filter(\.$user.$id == user.id)
            .with(\.$jurisdiction).first() else { throw Abort(.notFound) }
        return a
    }

    static func cancel(_ req: Request) async throws -> Response {
        let a = try await own(req)
        guard try await AppointmentService(req).cancel(a) else { return try await render(req, form: nil, problem: req.text("appointment_not_changeable")) }
        return req.redirect(to: SiteRoute.myAppointments.path + "?done=cancelled")
    }

    struct MoveForm: Decodable { var slot: String? }

    static func move(_ req: Request) async throws -> Response {
        let a = try await own(req)
        guard a.status == .booked, a.day > today(req), let account = try await User.find(a.$user.id, on: req.db) else {
            return try await render(req, form: nil, problem: req.text("appointment_not_changeable"))
        }
        let slot = (try? req.content.decode(MoveForm.self))?.slot ?? ""
        switch try await AppointmentService(req).book(user: account, business: a.business, townCode: a.jurisdiction.code, slot: slot, moving: a) {
        case .done: return req.redirect(to: SiteRoute.myAppointments.path + "?done=moved")
        case .refused(let problems): return try await render(req, form: nil, problem: problems.map { $0.wording.text(req.application.catalog, req.language) }.joined(separator: " "))
        }
    }

    // MARK: the window's

    struct DayRow: Encodable { let id, number, time, business, name, phone, status, statusCode, action: String; let canMark: Bool }

    static func window(_ req: Request) async throws -> Jurisdiction {
        let user = try req.requireUser()
        let towns = try await towns(req)
        if user.role == .windowClerk {
            guard let scope = user.scope?.rawValue, let town = towns.first(where: { scope.hasPrefix($0.code) }) else { throw Abort(.forbidden) }
            return town
        }
        guard let town = towns.first(where: { $0.code == req.query[String.self, at: "town"] }) ?? towns.first else { throw Abort(.notFound) }
        return town
    }

    static func day(_ req: Request) async throws -> Response { try await renderDay(req, form: nil) }

    static func renderDay(_ req: Request, form given: FormState?) async throws -> Response {
        let town = try await window(req)
        let day = req.query[String.self, at: "day"].flatMap(CivilDate.init) ?? today(req)
        let list = try await Appointment.query(on: req.db).filter(\.$jurisdiction.$id == town.requireID()).filter(\.$day == day)
            .filter(\.$status != .cancelled).with(\.$user).sort(\.$time).sort(\.$createdAt).all()
        let (times, capacity) = try await AppointmentService(req).schedule(of: town)
        let form = given ?? FormState(fields: ["times", "capacity"], values: ["times": times.joined(separator: ","), "capacity": String(capacity)])
        struct Content: Encodable {
            let town, day, previous, next: String
            let rows: [DayRow]
            let fields: [FormField]
            let scheduleAction: String
            let isAdmin: Bool
            let townOptions: [SelectOption]
        }
        let base = SiteRoute.appointments.path + "?town=" + town.code + "&day="
        let content = Content(
            town: town.name, day: ShanghaiDate.long(day, req.language), previous: base + day.adding(days: -1).description, next: base + day.adding(days: 1).description,
            rows: list.map { a in
                DayRow(id: a.id!.uuidString, number: a.number, time: a.time, business: MaterialList.title(a.business, on: req), name: Mask.name(a.user.displayName),
                       phone: a.user.phone.map(Mask.phone) ?? "", status: req.text("appointment_status_" + a.status.rawValue), statusCode: a.status.rawValue,
                       action: SiteRoute.appointmentMark(a.id!.uuidString).path + "?town=" + town.code, canMark: a.day <= today(req))
            },
            fields: [form.field("times", req.text("field_appointment_times"), hint: req.text("appointment_times_hint"), maxLength: 200),
                     form.field("capacity", req.text("field_appointment_capacity"), .number)],
            scheduleAction: SiteRoute.appointmentSchedule.path + "?town=" + town.code, isAdmin: req.currentUser?.role == .centerAdmin,
            townOptions: try await towns(req).map { SelectOption(value: $0.code, label: $0.name, selected: $0.code == town.code) })
        return try await req.render("services/appointments", title: "appointments_title", content, status: given == nil ? .ok : .badRequest)
    }

    struct MarkForm: Decodable { var status: String? }

    static func mark(_ req: Request) async throws -> Response {
        let town = try await window(req)
        guard let id = req.parameters.get("id", as: UUID.self), let a = try await Appointment.find(id, on: req.db), a.$jurisdiction.id == town.id,
              let status = Appointment.Status(rawValue: (try? req.content.decode(MarkForm.self))?.status ?? "") else { throw Abort(.notFound) }
        guard try await AppointmentService(req).mark(a, status) else { throw Abort(.conflict) }
        return req.redirect(to: SiteRoute.appointments.path + "?town=" + town.code + "&day=" + a.day.description)
    }

    struct ScheduleForm: Decodable { var times: String?, capacity: String? }

    static func schedule(_ req: Request) async throws -> Response {
        let town = try await window(req)
        let input = (try? req.content.decode(ScheduleForm.self)) ?? ScheduleForm()
        var form = FormState(fields: ["times", "capacity"], values: ["times": input.times ?? "", "capacity": input.capacity ?? ""])
        let times = (input.times ?? "").split(whereSeparator: { $0 == "," || $0 == "，" || $0 == " " }).map(String.init)
        let valid = times.allSatisfy { t in
            let parts = t.split(separator: ":")
            return parts.count == 2 && parts[0].count == 2 && parts[1].count == 2 && Int(parts[0]).map { (7...20).contains($0) } == true && Int(parts[1]).map { (0...59).contains($0) } == true
        }
        if times.isEmpty || !valid || Set(times).count != times.count { form.fail("times", req.text("appointment_times_invalid")) }
        let capacity = Int(input.capacity ?? "")
        if capacity == nil || !(1...100).contains(capacity!) { form.fail("capacity", req.text("program_range", ["field": req.text("field_appointment_capacity"), "min": "1", "max": "100"])) }
        guard form.isValid, let capacity else { return try await renderDay(req, form: form) }
        let row = try await AppointmentSchedule.query(on: req.db).filter(\.$jurisdiction.$id == town.requireID()).first() ?? AppointmentSchedule()
        row.$jurisdiction.id = try town.requireID()
        row.times = times.sorted().joined(separator: ",")
        row.capacity = capacity
        row.updatedAt = req.now
        row.updatedBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await row.save(on: db)
            try await Audit.record("schedule", entity: "appointments", id: town.code, after: ["times": row.times, "capacity": String(capacity)], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.appointments.path + "?town=" + town.code)
    }
}
