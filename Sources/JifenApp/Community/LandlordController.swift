import Fluent
import JifenCore
import Vapor

/// The landlord's side (房东、二房东、用工单位): the houses he manages or has asked to manage, and
/// for each confirmed one its people, the declaration of someone moving in, the departure of
/// someone who left, and its history. A house he does not manage answers 404.
enum LandlordController {
    static func register(_ routes: any RoutesBuilder) {
        let citizen: Access = .roles([.citizen])
        routes.get(.myHouses, access: citizen, use: list)
        routes.post(.myHouses, access: citizen, use: ask)
        routes.get(.myHouse(":id"), access: citizen, use: house)
        routes.post(.myHouseArrival(":id"), access: citizen, use: arrival)
        routes.post(.myHouseDeparture(":id", ":registration"), access: citizen, use: departure)
        routes.post(.registrationDispute(":id"), access: citizen, use: dispute)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    // MARK: my houses

    struct HouseRow: Encodable {
        let address, code, kind, status, statusCode: String
        let reason: String?
        let link: String?
    }

    struct ListContent: Encodable {
        let rows: [HouseRow]
        let fields: [FormField]
        let action: String
        /// The form is open when it was refused, arrived from a door's QR code, or nothing is managed yet.
        let formOpen: Bool
        let notice: String?
    }

    static func listContent(_ req: Request, form given: FormState?) async throws -> ListContent {
        let user = try req.requireUser()
        let managed = try await HouseManager.query(on: req.db).filter(\.$user.$id == user.id).with(\.$house).sort(\.$createdAt, .descending).all()
        var form = given ?? FormState(fields: LandlordService.Claim.fields, values: ["house": req.query[String.self, at: "house"] ?? ""])
        if given == nil, form.values["name"] == "", let resident = try await Resident.find(user: user.id, on: req.db) { form.values["name"] = resident.name }
        return ListContent(
            rows: managed.map { m in
                HouseRow(address: m.house.address, code: m.house.addressCode, kind: req.text("manager_kind_" + m.kind.rawValue),
                         status: req.text("manager_status_" + m.status.rawValue), statusCode: m.status.rawValue, reason: m.reason,
                         link: m.status == .confirmed ? SiteRoute.myHouse(m.$house.id.uuidString).path : nil)
            },
            fields: [
                form.field("house", req.text("field_house_address_code"), hint: req.text("landlord_house_hint"), maxLength: 40, autocomplete: "off", required: true),
                form.field("kind", req.text("field_manager_kind"), .select,
                           options: [("", "—")] + HouseManager.Kind.allCases.map { ($0.rawValue, req.text("manager_kind_" + $0.rawValue)) }, required: true),
                form.field("name", req.text("field_realName"), maxLength: 30, autocomplete: "name", required: true),
                form.field("organisation", req.text("field_organisation"), hint: req.text("landlord_organisation_hint"), maxLength: 50),
            ],
            action: SiteRoute.myHouses.path,
            formOpen: given != nil || req.query[String.self, at: "house"] != nil || managed.isEmpty,
            notice: req.query[String.self, at: "done"].map { req.text("landlord_done_" + ($0 == "asked" ? "asked" : "declared")) })
    }

    static func list(_ req: Request) async throws -> Response {
        try await req.render("community/my-houses", title: "landlord_title", try await listContent(req, form: nil))
    }

    struct AskForm: Decodable { var house: String?, kind: String?, name: String?, organisation: String? }

    static func ask(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let input = try req.content.decode(AskForm.self)
        let claim = LandlordService.Claim(house: input.house ?? "", kind: input.kind ?? "", name: input.name ?? "", organisation: input.organisation ?? "")
        switch try await LandlordService(req).ask(claim, user: user.id) {
        case .done:
            return req.redirect(to: SiteRoute.myHouses.path + "?done=asked")
        case .refused(let problems):
            var form = FormState(fields: LandlordService.Claim.fields, values: claim.values)
            for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            return try await req.render("community/my-houses", title: "landlord_title", try await listContent(req, form: form), status: .badRequest)
        }
    }

    // MARK: one house

    /// The house `:id` if the signed-in account manages it (confirmed), else 404.
    static func managed(_ req: Request) async throws -> HouseManager {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self),
              let manager = try await HouseManager.query(on: req.db).filter(\.$house.$id == id).filter(\.$user.$id == user.id)
                .filter(\.$status == .confirmed).with(\.$house, { $0.with(\.$jurisdiction) }).first()
        else { throw Abort(.notFound) }
        return manager
    }

    struct Person: Encodable {
        let name, idMasked, from: String
        let to: String?
        let status, statusCode, source: String
        let disputed: Bool
        let departureAction: String?
    }

    struct HouseContent: Encodable {
        let address, code, grid, kind: String
        let capacity: Int
        let people, history: [Person]
        let fields: [FormField]
        let action: String
        let formOpen: Bool
        let notice: String?
        let backLink: String
    }

    static func person(_ r: ResidenceRegistration, departure: String?, on req: Request) -> Person {
        Person(name: Mask.name(r.resident.name), idMasked: r.resident.idMasked, from: r.fromDate.description, to: r.toDate?.description,
               status: req.text("registration_" + r.status.rawValue), statusCode: r.isOverdue(today: today(req)) ? "overdue" : r.status.rawValue,
               source: req.text("registration_source_" + r.source.rawValue), disputed: r.disputedAt != nil, departureAction: departure)
    }

    static func houseContent(_ req: Request, _ manager: HouseManager, form given: FormState?) async throws -> HouseContent {
        let house = manager.house
        let registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$rentalHouse.$id == house.requireID())
            .with(\.$resident).sort(\.$fromDate, .descending).all()
        let current = registrations.filter { $0.toDate == nil && $0.status != .rejected }
        let form = given ?? FormState(fields: LandlordService.Arrival.fields + ["phone"], values: ["from": today(req).description])
        return HouseContent(
            address: house.address, code: house.addressCode, grid: house.jurisdiction.name, kind: req.text("manager_kind_" + manager.kind.rawValue),
            capacity: house.capacity,
            people: current.map { person($0, departure: $0.source == .landlord ? SiteRoute.myHouseDeparture(house.id!.uuidString, $0.id!.uuidString).path : nil, on: req) },
            history: registrations.filter { !($0.toDate == nil && $0.status != .rejected) }.map { person($0, departure: nil, on: req) },
            fields: [
                form.field("name", req.text("field_tenant_name"), maxLength: 30, required: true),
                form.field("idNumber", req.text("field_idNumber"), .idNumber, maxLength: 18, autocomplete: "off", required: true),
                form.field("phone", req.text("field_tenant_phone"), .tel, hint: req.text("landlord_phone_hint"), maxLength: 11),
                form.field("from", req.text("field_moveIn"), .date, required: true),
            ],
            action: SiteRoute.myHouseArrival(house.id!.uuidString).path,
            formOpen: given != nil || current.isEmpty,
            notice: req.query[String.self, at: "done"].map { req.text("landlord_done_" + ($0 == "left" ? "left" : "declared")) },
            backLink: SiteRoute.myHouses.path)
    }

    static func house(_ req: Request) async throws -> Response {
        let manager = try await managed(req)
        return try await req.render("community/my-house", title: "landlord_house_title", try await houseContent(req, manager, form: nil))
    }

    struct ArrivalForm: Decodable { var name: String?, idNumber: String?, phone: String?, from: String? }

    static func arrival(_ req: Request) async throws -> Response {
        let manager = try await managed(req)
        let input = try req.content.decode(ArrivalForm.self)
        let phone = (input.phone ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: LandlordService.Arrival.fields + ["phone"], values: ["name": input.name ?? "", "from": input.from ?? "", "phone": phone])
        let id = req.validateIDNumber(input.idNumber, into: &form)
        let from = CivilDate((input.from ?? "").trimmingCharacters(in: .whitespaces))
        if from == nil { form.fail("from", req.text("problem_date", ["field": req.text("field_moveIn")])) }
        if !phone.isEmpty, let problem = AccountRules.checkPhone(phone) {
            form.fail("phone", req.application.catalog.problem(problem, field: "phone", req.language))
        }
        if (input.name ?? "").trimmingCharacters(in: .whitespaces).isEmpty { form.fail("name", req.text("problem_required", ["field": req.text("field_tenant_name")])) }
        if form.isValid, let id, let from {
            switch try await LandlordService(req).declareArrival(by: manager, name: input.name ?? "", id: id, from: from, phone: phone.isEmpty ? nil : phone) {
            case .done: return req.redirect(to: SiteRoute.myHouse(manager.$house.id.uuidString).path + "?done=declared")
            case .refused(let problems):
                for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            }
        }
        return try await req.render("community/my-house", title: "landlord_house_title", try await houseContent(req, manager, form: form), status: .badRequest)
    }

    static func departure(_ req: Request) async throws -> Response {
        let manager = try await managed(req)
        guard let id = req.parameters.get("registration", as: UUID.self),
              let registration = try await ResidenceRegistration.find(id, on: req.db),
              registration.$rentalHouse.id == manager.$house.id, registration.toDate == nil, registration.status != .rejected,
              // Only those declared from this house; others' the grid worker ends (人走注销).
              registration.source == .landlord
        else { throw Abort(.notFound) }
        try await LandlordService(req).declareDeparture(by: manager, of: registration)
        return req.redirect(to: SiteRoute.myHouse(manager.$house.id.uuidString).path + "?done=left")
    }

    // MARK: the tenant's dispute

    static func dispute(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db), resident.identityVerified,
              let id = req.parameters.get("id", as: UUID.self),
              let registration = try await ResidenceRegistration.find(id, on: req.db),
              registration.$resident.id == resident.id, registration.source == .landlord
        else { throw Abort(.notFound) }
        let reason = (try? req.content.get(String.self, at: "reason")) ?? ""
        switch try await LandlordService(req).dispute(registration, reason: reason) {
        case .done:
            return req.redirect(to: SiteRoute.myResidence.path + "?done=disputed")
        case .refused(let problems):
            var form = FormState(fields: ["reason"], values: ["reason": reason])
            for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            return try await req.render("residence/me-residence", title: "residence_title",
                                        try await ResidenceController.content(req, disputeForm: form, disputed: id), status: .badRequest)
        }
    }
}
