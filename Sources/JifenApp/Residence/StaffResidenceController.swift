import Fluent
import JifenCore
import Vapor

/// Staff side of residence: the grid worker's queue of declarations (verify within 7 days), the
/// town's view of what is overdue, permit processing, and a resident's residence time detail.
/// Everything is limited to the viewer's jurisdiction; outside it answers 404.
enum StaffResidenceController {
    static let registrationStaff: Access = .roles([.gridWorker, .windowClerk, .centerAdmin])
    static let permitStaff: Access = .roles([.windowClerk, .centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.registrations, access: registrationStaff, use: registrations)
        routes.post(.registrationDecision(":id"), access: .roles([.gridWorker]), use: decide)
        routes.get(.permits, access: permitStaff, use: permits)
        routes.post(.permitAdvance(":id"), access: permitStaff, use: advance)
        routes.post(.permitReject(":id"), access: permitStaff, use: reject)
        routes.get(.permitReceipt(":id"), access: .roles([.citizen, .windowClerk, .centerAdmin]), use: permitReceipt)
        routes.get(.resident(":id"), access: registrationStaff, use: resident)
        routes.post(.residentLookup, access: permitStaff, use: lookup)
        routes.post(.residentIdentity(":id"), access: registrationStaff, use: identity)
        routes.post(.memberVerify(":id", ":member"), access: permitStaff, use: verifyMember)
        routes.post(.arrival, access: .roles([.gridWorker]), use: arrival)
        routes.post(.registrationEnd(":id"), access: .roles([.gridWorker]), use: end)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    /// Jurisdictions (ids) inside the viewer's scope.
    static func scopeIDs(_ req: Request) async throws -> [UUID] {
        guard let scope = try req.requireUser().scope else { throw Abort(.forbidden) }
        return try await Jurisdiction.within(scope, on: req.db).all().compactMap(\.id)
    }

    // MARK: registrations

    struct Row: Encodable {
        let id, name, idMasked, address, grid, from: String
        let to: String?
        let due, status: String
        let overdue, pending: Bool
        let decisionAction, residentLink: String
        let canEnd: Bool
        let endAction: String
        /// Who declared it (the person, the grid worker, his landlord or employer).
        let source: String
        /// The tenant's reason, when he disputes what was declared for him.
        let dispute: String?
    }

    struct ListContent: Encodable {
        let rows: [Row]
        let pager: Pager
        let overdueCount: Int
        let canDecide, canLookup: Bool
        let lookupAction, arrivalAction: String
        let arrivalFields: [FormField]
        /// The arrival form stays open when it was refused.
        let arrivalOpen: Bool
        let filter: String
        let filters: [NavItem]
        let methods: [SelectOption]
        let form: FormState
        let failedID: String?
        /// The refused decision's messages, shown under its form.
        let errorList: [String]
    }

    /// The query on its own: registrations under the viewer's jurisdiction, pending first by due date.
    static func fetch(scope: [UUID], status: ResidenceRegistration.Status?, page: Int?, on db: any Database) async throws -> ([ResidenceRegistration], Paging) {
        func base() -> QueryBuilder<ResidenceRegistration> {
            let q = ResidenceRegistration.query(on: db).filter(\.$jurisdiction.$id ~~ scope)
            if let status { q.filter(\.$status == status) }
            return q
        }
        let paging = Paging(page: page, perPage: 30, total: try await base().count())
        let rows = try await base().with(\.$resident).with(\.$jurisdiction).with(\.$declaredBy)
            .sort(\.$dueDate).sort(\.$createdAt).range(paging.offset..<(paging.offset + paging.perPage)).all()
        return (rows, paging)
    }

    static func registrations(_ req: Request) async throws -> Response {
        try await registrationsPage(req, form: FormState(fields: ["decision", "method", "reason"]), failedID: nil, status: .ok)
    }

    static func registrationsPage(_ req: Request, form: FormState, failedID: String?, status httpStatus: HTTPStatus, arrival: FormState? = nil) async throws -> Response {
        let user = try req.requireUser()
        let scope = try await scopeIDs(req)
        let filter = req.query[String.self, at: "status"].flatMap(ResidenceRegistration.Status.init(rawValue:)) ?? (req.query[String.self, at: "status"] == "all" ? nil : .pending)
        let (rows, paging) = try await fetch(scope: scope, status: filter, page: req.query[Int.self, at: "page"], on: req.db)
        let overdue = try await ResidenceRegistration.query(on: req.db).filter(\.$jurisdiction.$id ~~ scope)
            .filter(\.$status == .pending).filter(\.$dueDate < today(req)).count()
        let filterCode = filter?.rawValue ?? "all"
        let content = ListContent(
            rows: rows.map { r in
                Row(id: r.id?.uuidString ?? "", name: r.resident.name, idMasked: r.resident.idMasked, address: r.address,
                    grid: r.jurisdiction.name, from: r.fromDate.description, to: r.toDate?.description, due: r.dueDate.description,
                    status: req.text("registration_" + r.status.rawValue), overdue: r.isOverdue(today: today(req)), pending: r.status == .pending,
                    decisionAction: SiteRoute.registrationDecision(r.id?.uuidString ?? "").path, residentLink: SiteRoute.resident(r.$resident.id.uuidString).path,
                    canEnd: user.role == .gridWorker && r.status == .verified && r.toDate == nil, endAction: SiteRoute.registrationEnd(r.id?.uuidString ?? "").path,
                    source: registrationSource(r, on: req), dispute: r.disputeReason)
            },
            pager: Pager(paging) { SiteRoute.registrations.path + "?status=\(filterCode)&page=\($0)" },
            overdueCount: overdue, canDecide: user.role == .gridWorker,
            canLookup: user.role == .windowClerk || user.role == .centerAdmin, lookupAction: SiteRoute.residentLookup.path,
            arrivalAction: SiteRoute.arrival.path,
            arrivalFields: try await {
                let form = arrival ?? FormState(fields: ["name", "idNumber", "house", "from"], values: ["from": today(req).description])
                let houses = user.role == .gridWorker
                    ? try await RentalHouse.query(on: req.db).filter(\.$jurisdiction.$id ~~ scope).sort(\.$addressCode).all().map { ($0.addressCode, $0.address) }
                    : []
                return [
                    form.field("name", req.text("field_realName"), maxLength: 30, idPrefix: "arrival-"),
                    form.field("idNumber", req.text("field_idNumber"), .idNumber, maxLength: 18, autocomplete: "off", idPrefix: "arrival-"),
                    form.field("house", req.text("field_house"), .select, options: [("", "—")] + houses, idPrefix: "arrival-"),
                    form.field("from", req.text("field_moveIn"), .date, idPrefix: "arrival-"),
                ]
            }(),
            arrivalOpen: !(arrival?.isValid ?? true),
            filter: filterCode,
            filters: ["pending", "verified", "rejected", "all"].map { NavItem(label: req.text("registration_" + $0), href: SiteRoute.registrations.path + "?status=" + $0, current: $0 == filterCode) },
            methods: ResidenceRegistration.Method.allCases.map { SelectOption(value: $0.rawValue, label: req.text("method_" + $0.rawValue), selected: form.values["method"] == $0.rawValue) },
            form: form, failedID: failedID, errorList: form.errors.keys.sorted().compactMap { form.errors[$0] }
        )
        return try await req.render("residence/registrations", title: "registrations_title", content, status: httpStatus)
    }

    /// Who declared a registration, as the queue names it: 本人申报, 网格员登记, or 房东代报 with the landlord's name.
    static func registrationSource(_ r: ResidenceRegistration, on req: Request) -> String {
        let source = req.text("registration_source_" + r.source.rawValue)
        guard let by = r.$declaredBy.value ?? nil else { return source }
        return source + "（" + by.shownName + "）"
    }

    struct DecisionForm: Decodable { var decision: String?; var method: String?; var reason: String? }

    static func decide(_ req: Request) async throws -> Response {
        let registration = try await req.recordInScope(ResidenceRegistration.self, \.$jurisdiction)
        let input = try req.content.decode(DecisionForm.self)
        let reason = (input.reason ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["decision", "method", "reason"], values: ["decision": input.decision ?? "", "method": input.method ?? "", "reason": reason])
        let verify = input.decision == "verify"
        if input.decision != "verify" && input.decision != "reject" { form.fail("decision", req.text("problem_choose", ["field": req.text("field_decision")])) }
        let method = ResidenceRegistration.Method(rawValue: input.method ?? "")
        if method == nil { form.fail("method", req.text("problem_choose", ["field": req.text("field_method")])) }
        if !verify && reason.isEmpty { form.fail("reason", req.text("problem_required", ["field": req.text("field_reason")])) }
        if reason.count > 200 { form.fail("reason", req.text("problem_tooLong", ["field": req.text("field_reason"), "max": "200"])) }
        if registration.status != .pending { form.fail("decision", req.text("registration_already_decided")) }
        guard form.isValid, let method else {
            return try await registrationsPage(req, form: form, failedID: registration.auditID, status: .badRequest)
        }
        let actor = req.actor, now = req.now, decidedBy = try req.requireUser().login
        try await req.db.transaction { db in
            try await registration.save(verify ? "verify" : "reject", by: actor, at: now, on: db) {
                registration.status = verify ? .verified : .rejected
                registration.method = method.rawValue
                registration.reason = reason.isEmpty ? nil : reason
                registration.decidedAt = now
                registration.decidedBy = decidedBy
            }
        }
        return req.redirect(to: SiteRoute.registrations.path)
    }

    // MARK: one resident

    struct ResidentContent: Encodable {
        let name, idShown: String
        let revealed: Bool
        let revealLink: String?
        let birthDate, sex: String
        let hukou: String?
        /// The household (window clerks and the centre): a minor's row is access-logged when shown.
        let members: [Member]
        /// The account bound to the person (masked), whether staff or the service confirmed it, and
        /// the form to confirm or release it.
        let account: String?
        let accountVerified: Bool
        let identityAction: String
        let identityFields: [FormField]
        let memberError, notice: String?
        let periods: [ResidenceController.Step]
        let registrations: [Row]
        let totalDays, totalYears: Int
    }

    struct Member: Encodable {
        let relation, name, birthYear: String
        let minor, verified: Bool
        let evidence: String?
        /// For a relationship not yet confirmed: where staff confirm it.
        let verifyAction: String?
    }

    /// Roles that may see an ID number in full (each view is access-logged). Without the full
    /// number a page shows the birth year and the province only: with the masked number (first
    /// and last four) a birth date and a hukou place would give all 18 characters.
    static let fullIDRoles: Set<Role> = [.windowClerk, .centerAdmin]

    static func resident(_ req: Request) async throws -> Response { try await residentPage(req) }

    static func residentPage(_ req: Request, identityForm: FormState? = nil, memberError: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let resident = try await Resident.find(id, on: req.db) else { throw Abort(.notFound) }
        let scope = try await scopeIDs(req)
        let registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == id).with(\.$jurisdiction).with(\.$resident).sort(\.$fromDate).all()
        // Staff see a resident only through a registration in their jurisdiction.
        guard registrations.contains(where: { scope.contains($0.$jurisdiction.id) }) else { throw Abort(.notFound) }
        let wantsFull = req.query[String.self, at: "show"] == "id" && fullIDRoles.contains(user.role)
        let shown = wantsFull ? try await req.reveal(resident.idSealed, entity: "resident", id: id.uuidString, field: "idNumber") : resident.idMasked
        let detail = ResidenceTime.detail(registrations.map(\.period), asOf: today(req))
        let regions = req.application.regions
        var members: [Member] = []
        if fullIDRoles.contains(user.role) {
            let household = try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == id).sort(\.$birthDate).all()
            let adulthood = today(req).adding(years: -18)
            members = household.map { m in
                Member(relation: req.text("relation_" + m.relation.rawValue), name: m.nameMasked, birthYear: String(m.birthDate.year), minor: m.birthDate > adulthood,
                       verified: m.verifiedAt != nil, evidence: m.evidence.map { req.text("evidence_" + $0) },
                       verifyAction: m.verifiedAt == nil ? SiteRoute.memberVerify(id.uuidString, m.id?.uuidString ?? "").path : nil)
            }
            if members.contains(where: \.minor) { try await req.logAccess(entity: "resident", id: id.uuidString, field: "minorMembers") }
        }
        let content = ResidentContent(
            name: resident.name, idShown: shown, revealed: wantsFull,
            revealLink: fullIDRoles.contains(user.role) && !wantsFull ? SiteRoute.resident(id.uuidString).path + "?show=id" : nil,
            birthDate: wantsFull ? resident.birthDate.description : req.text("resident_birth_year", ["year": String(resident.birthDate.year)]),
            sex: req.text("sex_" + resident.sex),
            hukou: wantsFull ? regions.place(resident.hukouRegion) : regions.name(String(resident.hukouRegion.prefix(2)) + "0000"),
            members: members,
            account: try await account(of: resident, on: req.db).map { Mask.phone($0.login) },
            accountVerified: resident.identityVerified,
            identityAction: SiteRoute.residentIdentity(id.uuidString).path,
            identityFields: {
                let form = identityForm ?? FormState(fields: ["phone", "cardChecked", "reason"])
                return [form.field("phone", req.text("identity_account_phone"), .tel, hint: req.text("identity_account_phone_hint"), maxLength: 11),
                        form.field("cardChecked", req.text("identity_card_checked"), .checkbox),
                        form.field("reason", req.text("identity_release_reason"), hint: req.text("identity_release_hint"), maxLength: 200)]
            }(),
            memberError: memberError,
            notice: req.query[String.self, at: "done"].map { req.text("resident_done_" + ($0 == "member" ? "member" : "identity")) },
            periods: detail.counted.map { ResidenceController.Step(label: $0.from.description + " – " + $0.to.description, at: String($0.to.dayNumber - $0.from.dayNumber + 1)) },
            registrations: registrations.map { r in
                Row(id: r.id?.uuidString ?? "", name: resident.name, idMasked: resident.idMasked, address: r.address, grid: r.jurisdiction.name,
                    from: r.fromDate.description, to: r.toDate?.description, due: r.dueDate.description, status: req.text("registration_" + r.status.rawValue),
                    overdue: r.isOverdue(today: today(req)), pending: r.status == .pending, decisionAction: "", residentLink: "", canEnd: false, endAction: "",
                    source: registrationSource(r, on: req), dispute: r.disputeReason)
            },
            totalDays: detail.days, totalYears: detail.years
        )
        return try await req.render("residence/resident", title: "resident_title", content, status: status)
    }
}

extension Application {
    private struct CalendarKey: StorageKey { typealias Value = WorkingCalendar }
    /// The working-day calendar: the shipped years (Resources/Calendars).
    var workingCalendar: WorkingCalendar {
        get { storage[CalendarKey.self] ?? WorkingCalendar() }
        set { storage[CalendarKey.self] = newValue }
    }
}

extension StaffResidenceController {
    /// Window staff find a person by his ID number (at the counter, from the card he shows). The
    /// search handles a full number, so it is access-logged; a number outside the clerk's
    /// jurisdiction answers as not found.
    static func lookup(_ req: Request) async throws -> Response {
        var form = FormState(fields: ["idNumber"])
        guard let number = req.validateIDNumber(try? req.content.get(String.self, at: "idNumber"), into: &form)?.value else {
            return try await registrationsPage(req, form: form, failedID: "lookup", status: .badRequest)
        }
        let resident = try await Resident.find(idNumber: number, data: req.application.personalData, on: req.db)
        try await req.logAccess(entity: "resident", id: resident?.id?.uuidString ?? "(none)", field: "idNumberLookup")
        let scope = try await scopeIDs(req)
        if let resident, let id = resident.id,
           try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == id).filter(\.$jurisdiction.$id ~~ scope).count() > 0 {
            return req.redirect(to: SiteRoute.resident(id.uuidString).path)
        }
        form.fail("idNumber", req.text("lookup_not_found"))
        return try await registrationsPage(req, form: form, failedID: "lookup", status: .notFound)
    }
}
