import Fluent
import JifenCore
import Vapor

/// Rental houses (出租房屋): registered by grid workers under a standard address code, each with
/// its current tenants and a QR code for its door that opens the declaration form filled in.
enum HousesController {
    static let staff: Access = .roles([.gridWorker, .windowClerk, .centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.houses, access: staff, use: list)
        routes.get(.houseNew, access: .roles([.gridWorker]), use: newPage)
        routes.post(.houses, access: .roles([.gridWorker]), use: create)
        routes.get(.house(":id"), access: staff, use: show)
        routes.get(.houseQR(":id"), access: staff, use: qr)
        routes.post(.houseManagerDecision(":id", ":manager"), access: .roles([.gridWorker]), use: decideManager)
    }

    struct Row: Encodable {
        let code, address, landlord: String
        let tenants, capacity: Int
        let href: String
    }

    struct ListContent: Encodable {
        let rows: [Row]
        let pager: Pager
        let newLink: String?
        let landlordsLink: String
        let performanceLink: String
    }

    static func current(_ q: QueryBuilder<ResidenceRegistration>) -> QueryBuilder<ResidenceRegistration> {
        q.filter(\.$toDate == nil).filter(\.$status != .rejected)
    }

    static func list(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let scope = try await StaffResidenceController.scopeIDs(req)
        func base() -> QueryBuilder<RentalHouse> { RentalHouse.query(on: req.db).filter(\.$jurisdiction.$id ~~ scope) }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 30, total: try await base().count())
        let houses = try await base().sort(\.$addressCode).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let ids = houses.compactMap(\.id)
        let occupied = try await current(ResidenceRegistration.query(on: req.db).filter(\.$rentalHouse.$id ~~ ids)).all()
        var tenants: [UUID: Int] = [:]
        for r in occupied { if let h = r.$rentalHouse.id { tenants[h, default: 0] += 1 } }
        let rows = houses.map { h in
            Row(code: h.addressCode, address: h.address, landlord: Mask.name(h.landlord), tenants: tenants[h.id!] ?? 0, capacity: h.capacity, href: SiteRoute.house(h.id!.uuidString).path)
        }
        return try await req.render("residence/houses", title: "houses_title",
                                    ListContent(rows: rows, pager: Pager(paging) { SiteRoute.houses.path + "?page=\($0)" }, newLink: user.role == .gridWorker ? SiteRoute.houseNew.path : nil,
                                                landlordsLink: SiteRoute.landlords.path, performanceLink: SiteRoute.performance.path))
    }

    // MARK: register a house

    static let fields = ["grid", "building", "unit", "room", "address", "landlord", "landlordPhone", "capacity"]

    struct NewContent: Encodable {
        let grid: FormField
        /// Building, unit and room, side by side.
        let place: [FormField]
        let fields: [FormField]
        let action: String
    }

    static func newContent(_ req: Request, form: FormState) async throws -> NewContent {
        guard let scope = try req.requireUser().scope else { throw Abort(.forbidden) }
        let grids = try await Jurisdiction.within(scope, on: req.db).filter(\.$level == JurisdictionLevel.grid.rawValue).sort(\.$code).all()
        return NewContent(
            grid: form.field("grid", req.text("field_grid"), .select, options: grids.map { ($0.code, $0.name) }),
            place: ["building", "unit", "room"].map { form.field($0, req.text("field_" + $0), maxLength: 6) },
            fields: [
                form.field("address", req.text("field_address"), maxLength: 100),
                form.field("landlord", req.text("field_landlord"), maxLength: 30),
                form.field("landlordPhone", req.text("field_landlordPhone"), .tel, maxLength: 11),
                form.field("capacity", req.text("field_capacity"), .number, maxLength: 2),
            ],
            action: SiteRoute.houses.path)
    }

    static func newPage(_ req: Request) async throws -> Response {
        try await req.render("residence/house-new", title: "house_new_title", try await newContent(req, form: FormState(fields: fields, values: ["capacity": "2"])))
    }

    struct NewForm: Decodable {
        var grid: String?, building: String?, unit: String?, room: String?, address: String?, landlord: String?, landlordPhone: String?, capacity: String?
    }

    /// A building, unit or room number: 1–6 letters or digits.
    static func segment(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 6 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    static func create(_ req: Request) async throws -> Response {
        guard let scope = try req.requireUser().scope else { throw Abort(.forbidden) }
        let input = try req.content.decode(NewForm.self)
        func clean(_ s: String?) -> String { (s ?? "").trimmingCharacters(in: .whitespaces) }
        var values: [String: String] = [:]
        for (key, value) in [("grid", input.grid), ("building", input.building), ("unit", input.unit), ("room", input.room), ("address", input.address),
                             ("landlord", input.landlord), ("landlordPhone", input.landlordPhone), ("capacity", input.capacity)] { values[key] = clean(value) }
        var form = FormState(fields: fields, values: values)
        var grid: Jurisdiction?
        if let code = JurisdictionCode(values["grid"]!), code.level == .grid, scope.contains(code) { grid = try await Jurisdiction.find(code: code.rawValue, on: req.db) }
        if grid == nil { form.fail("grid", req.text("problem_choose", ["field": req.text("field_grid")])) }
        for key in ["building", "unit", "room"] where !segment(values[key]!) {
            form.fail(key, req.text("house_segment", ["field": req.text("field_" + key)]))
        }
        if values["address"]!.isEmpty { form.fail("address", req.text("problem_required", ["field": req.text("field_address")])) }
        if values["landlord"]!.isEmpty { form.fail("landlord", req.text("problem_required", ["field": req.text("field_landlord")])) }
        if !values["landlordPhone"]!.isEmpty, let problem = AccountRules.checkPhone(values["landlordPhone"]!) {
            form.fail("landlordPhone", req.application.catalog.problem(problem, field: "landlordPhone", req.language))
        }
        let capacity = Int(values["capacity"]!)
        if capacity == nil || !(1...50).contains(capacity!) { form.fail("capacity", req.text("house_capacity")) }
        let code = (grid?.code ?? "") + "-" + values["building"]! + "-" + values["unit"]! + "-" + values["room"]!
        if form.isValid, try await RentalHouse.query(on: req.db).filter(\.$addressCode == code).count() > 0 {
            form.fail("room", req.text("house_exists", ["code": code]))
        }
        guard form.isValid, let grid, let capacity else {
            return try await req.render("residence/house-new", title: "house_new_title", try await newContent(req, form: form), status: .badRequest)
        }
        let house = RentalHouse()
        house.createdAt = req.now
        house.addressCode = code
        house.address = values["address"]!
        house.landlord = values["landlord"]!
        house.landlordPhone = values["landlordPhone"]!.isEmpty ? nil : values["landlordPhone"]
        house.capacity = capacity
        house.$jurisdiction.id = try grid.requireID()
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await house.create(on: db)
            try await Audit.record("create", entity: "rentalHouse", id: code, after: ["address": house.address, "capacity": String(capacity), "landlord": Mask.name(house.landlord)],
                                   by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.house(house.id!.uuidString).path)
    }

    // MARK: one house

    struct Tenant: Encodable {
        let name, idMasked, from: String
        let to: String?
        let status, source: String
        let disputed: Bool
        let link: String
    }

    /// A landlord, sublandlord or employer who manages the house or asked to.
    struct Manager: Encodable {
        let id, kind, name: String
        let organisation: String?
        let phone, status, statusCode: String
        let reason: String?
        /// Where the grid worker confirms or refuses him, while he waits.
        let decisionAction: String?
        /// Confirmed: the grid worker may end it (not a decision on a request).
        let canEnd: Bool
        /// The star rating of one who manages several houses (包租星级), with its reasons.
        let stars, starsLabel: String?
        let starReasons: [String]
    }

    struct ShowContent: Encodable {
        let code, address, grid, landlord: String
        let landlordPhone: String?
        let capacity: Int
        let managers: [Manager]
        let tenants, history: [Tenant]
        let qrLink, declareURL: String
        let canDecide: Bool
        let failedManager: String?
        /// What the grid worker typed in the refused decision, given back.
        let failedReason: String
        let errors: [String]
    }

    static func find(_ req: Request) async throws -> RentalHouse {
        try await req.recordInScope(RentalHouse.self, \.$jurisdiction)
    }

    /// The address the QR code opens: the declaration form with this house filled in.
    static func declareURL(_ house: RentalHouse, on req: Request) -> String {
        req.application.jifenConfig.publicURL + SiteRoute.myResidence.path + "?house=" + house.addressCode
    }

    static func show(_ req: Request) async throws -> Response { try await showPage(req, house: try await find(req)) }

    /// The house with its people now, its landlords (and those asking to be), and its history:
    /// everyone who lived there, by whom each was declared.
    static func showPage(_ req: Request, house: RentalHouse, failedManager: String? = nil, failedReason: String = "", errors: [String] = [], status: HTTPStatus = .ok) async throws -> Response {
        let user = try req.requireUser()
        let registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$rentalHouse.$id == house.requireID())
            .with(\.$resident).sort(\.$fromDate, .descending).all()
        let managers = try await HouseManager.query(on: req.db).filter(\.$house.$id == house.requireID()).with(\.$user).sort(\.$createdAt).all()
        let confirmed = managers.filter { $0.status == .confirmed }.map(\.$user.id)
        let houseCounts = Dictionary(grouping: try await HouseManager.query(on: req.db).filter(\.$user.$id ~~ confirmed).filter(\.$status == .confirmed).all(), by: { $0.$user.id })
        let ratings = try await StarRatings.rate(houseCounts.filter { $0.value.count >= 2 }.map(\.key), now: req.now, on: req.db)
        func tenant(_ r: ResidenceRegistration) -> Tenant {
            Tenant(name: r.resident.name, idMasked: r.resident.idMasked, from: r.fromDate.description, to: r.toDate?.description,
                   status: req.text("registration_" + r.status.rawValue), source: req.text("registration_source_" + r.source.rawValue),
                   disputed: r.disputedAt != nil, link: SiteRoute.resident(r.$resident.id.uuidString).path)
        }
        let living = registrations.filter { $0.toDate == nil && $0.status != .rejected }
        let content = ShowContent(
            code: house.addressCode, address: house.address, grid: house.jurisdiction.name, landlord: house.landlord,
            landlordPhone: house.landlordPhone.map(Mask.phone), capacity: house.capacity,
            managers: managers.map { m in
                Manager(id: m.id!.uuidString, kind: req.text("manager_kind_" + m.kind.rawValue), name: m.name, organisation: m.organisation,
                        phone: m.user.phone.map(Mask.phone) ?? Mask.phone(m.user.login), status: req.text("manager_status_" + m.status.rawValue),
                        statusCode: m.status.rawValue, reason: m.reason,
                        decisionAction: (m.status == .pending || m.status == .confirmed) && user.role == .gridWorker ? SiteRoute.houseManagerDecision(house.id!.uuidString, m.id!.uuidString).path : nil,
                        canEnd: m.status == .confirmed,
                        stars: m.status == .confirmed ? ratings[m.$user.id].map { StarRatings.words($0, on: req).stars } : nil,
                        starsLabel: m.status == .confirmed ? ratings[m.$user.id].map { StarRatings.words($0, on: req).label } : nil,
                        starReasons: m.status == .confirmed ? ratings[m.$user.id].map { StarRatings.words($0, on: req).reasons } ?? [] : [])
            },
            tenants: living.map(tenant),
            history: registrations.filter { !($0.toDate == nil && $0.status != .rejected) }.map(tenant),
            qrLink: SiteRoute.houseQR(house.id!.uuidString).path, declareURL: declareURL(house, on: req),
            canDecide: user.role == .gridWorker, failedManager: failedManager, failedReason: failedReason, errors: errors
        )
        return try await req.render("residence/house", title: "house_title", content, status: status)
    }

    struct ManagerDecisionForm: Decodable { var decision: String?; var reason: String? }

    /// The grid worker confirms a landlord (after seeing his property certificate, lease or
    /// business licence) or refuses him with a reason.
    static func decideManager(_ req: Request) async throws -> Response {
        let house = try await find(req)
        guard let id = req.parameters.get("manager", as: UUID.self),
              let manager = try await HouseManager.find(id, on: req.db), manager.$house.id == house.id
        else { throw Abort(.notFound) }
        let input = try req.content.decode(ManagerDecisionForm.self)
        guard ["confirm", "reject", "end"].contains(input.decision ?? "") else {
            return try await showPage(req, house: house, failedManager: id.uuidString, errors: [req.text("problem_choose", ["field": req.text("field_decision")])], status: .badRequest)
        }
        let service = LandlordService(req)
        let outcome = input.decision == "end" ? try await service.end(manager, reason: input.reason ?? "")
                                              : try await service.decide(manager, confirm: input.decision == "confirm", reason: input.reason ?? "")
        switch outcome {
        case .done: return req.redirect(to: SiteRoute.house(house.id!.uuidString).path)
        case .refused(let problems):
            return try await showPage(req, house: house, failedManager: id.uuidString, failedReason: input.reason ?? "",
                                      errors: problems.map { $0.wording.text(req.application.catalog, req.language) }, status: .badRequest)
        }
    }

    static func qr(_ req: Request) async throws -> Response {
        let house = try await find(req)
        let code = try QRCode.encode(declareURL(house, on: req), correction: .medium)
        let response = Response(status: .ok, body: .init(string: code.svg(moduleSize: 8)))
        response.headers.contentType = HTTPMediaType(type: "image", subType: "svg+xml")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"house-\(house.addressCode).svg\"")
        return response
    }
}
