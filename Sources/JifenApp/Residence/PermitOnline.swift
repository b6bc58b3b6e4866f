import Fluent
import JifenCore
import Vapor

/// One line of what the residence permit gives (持证可享的基本公共服务和便利), as the centre writes it.
final class PermitBenefit: Model, @unchecked Sendable {
    static let schema = "permit_benefits"

    @ID(key: .id) var id: UUID?
    /// `service` (基本公共服务) or `convenience` (便利).
    @Field(key: "kind") var kind: String
    @Field(key: "position") var position: Int
    @Field(key: "title") var title: String
    @Field(key: "detail") var detail: String
    @Field(key: "updated_at") var updatedAt: Date
    @Field(key: "updated_by") var updatedBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $kind, $position, $title, $detail, $updatedAt, $updatedBy] }

    init() {}

    static let kinds = ["service", "convenience"]
}

/// The permit beyond the window: the electronic permit with its QR code, the public page any
/// agency opens from it (valid or not, its term, a masked name — nothing else), and the public
/// page of what the permit gives, which the centre edits.
enum PermitOnlineController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.myPermitCard, access: .roles([.citizen]), use: card)
        routes.get(.permitVerification(":token"), access: .anyone, use: verify)
        routes.get(.permitBenefits, access: .anyone, use: benefits).cachedForVisitors()
        routes.get(.adminPermitBenefits, access: .roles([.centerAdmin]), use: adminPage)
        routes.post(.adminPermitBenefits, access: .roles([.centerAdmin]), use: add)
        routes.post(.adminPermitBenefitDelete(":id"), access: .roles([.centerAdmin]), use: delete)
    }

    static func verificationURL(_ token: String, on req: Request) -> String {
        req.application.jifenConfig.publicURL + SiteRoute.permitVerification(token).path
    }

    // MARK: the electronic permit

    struct CardContent: Encodable {
        let name, idMasked, number, town, validUntil: String
        let valid: Bool
        let qr, verifyURL, backLink: String
    }

    static func card(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db), resident.identityVerified,
              let permit = try await ResidencePermit.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$status == .issued)
                .with(\.$jurisdiction).sort(\.$createdAt, .descending).first(),
              let until = permit.validUntil
        else { throw Abort(.notFound) }
        // A permit issued before the electronic permit existed gets its token when first shown.
        if permit.verificationToken == nil {
            permit.verificationToken = req.effects.randomBytes(16).map { String(format: "%02x", $0) }.joined()
            try await permit.save(on: req.db)
        }
        let token = permit.verificationToken!
        var town: Jurisdiction?
        if let code = permit.jurisdiction.jurisdictionCode?.parent?.parent { town = try await Jurisdiction.find(code: code.rawValue, on: req.db) }
        let url = verificationURL(token, on: req)
        let content = CardContent(name: resident.name, idMasked: resident.idMasked, number: permit.number, town: town?.name ?? permit.jurisdiction.name,
                                  validUntil: until.description, valid: permit.isValid(on: ShanghaiDate.today(req.now)),
                                  qr: try QRCode.encode(url, correction: .medium).svg(moduleSize: 6), verifyURL: url, backLink: SiteRoute.myResidence.path)
        return try await req.render("residence/permit-card", title: "permit_card_title", content)
    }

    // MARK: the public verification

    struct VerifyContent: Encodable {
        let found, valid: Bool
        let name, validUntil, issuedOn: String?
    }

    /// What any agency sees from the QR code: valid or not, the term, the holder's masked name.
    static func verify(_ req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        let permit = token.count == 32 && token.allSatisfy(\.isHexDigit)
            ? try await ResidencePermit.query(on: req.db).filter(\.$verificationToken == token).with(\.$resident).with(\.$steps).first()
            : nil
        let issued = permit?.orderedSteps.last { $0.step == .issued }?.day
        let content = VerifyContent(found: permit != nil, valid: permit?.isValid(on: ShanghaiDate.today(req.now)) ?? false,
                                    name: permit.map { Mask.name($0.resident.name) }, validUntil: permit?.validUntil?.description, issuedOn: issued?.description)
        let response = try await req.render("residence/permit-verify", title: "permit_verify_title", content, status: permit == nil ? .notFound : .ok)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: what the permit gives

    struct BenefitView: Encodable { let id, title, detail: String; let deleteAction: String }
    struct Group: Encodable { let kind, title: String; let items: [BenefitView] }
    struct BenefitsContent: Encodable { let groups: [Group]; let fields: [FormField]; let action: String; let notice: String? }

    static func groups(_ req: Request) async throws -> [Group] {
        let all = try await PermitBenefit.query(on: req.db).sort(\.$position).all()
        return PermitBenefit.kinds.map { kind in
            Group(kind: kind, title: req.text("benefit_kind_" + kind),
                  items: all.filter { $0.kind == kind }.map { BenefitView(id: $0.id!.uuidString, title: $0.title, detail: $0.detail, deleteAction: SiteRoute.adminPermitBenefitDelete($0.id!.uuidString).path) })
        }
    }

    static func benefits(_ req: Request) async throws -> Response {
        try await req.render("residence/permit-benefits", title: "permit_benefits_title",
                             BenefitsContent(groups: try await groups(req), fields: [], action: "", notice: nil))
    }

    static func adminContent(_ req: Request, form: FormState) async throws -> BenefitsContent {
        BenefitsContent(groups: try await groups(req), fields: [
            form.field("kind", req.text("field_benefit_kind"), .select, options: PermitBenefit.kinds.map { ($0, req.text("benefit_kind_" + $0)) }),
            form.field("title", req.text("field_benefit_title"), maxLength: 50, required: true),
            form.field("detail", req.text("field_benefit_detail"), .textarea, maxLength: 300, rows: 3),
        ], action: SiteRoute.adminPermitBenefits.path, notice: req.query[String.self, at: "done"] != nil ? req.text("hazard_types_saved") : nil)
    }

    static func adminPage(_ req: Request) async throws -> Response {
        try await req.render("residence/permit-benefits-admin", title: "permit_benefits_admin_title", try await adminContent(req, form: FormState(fields: ["kind", "title", "detail"], values: ["kind": "service"])))
    }

    struct BenefitForm: Decodable { var kind: String?, title: String?, detail: String? }

    static func add(_ req: Request) async throws -> Response {
        let input = try req.content.decode(BenefitForm.self)
        var form = FormState(fields: ["kind", "title", "detail"], values: ["kind": input.kind ?? "", "title": (input.title ?? "").trimmingCharacters(in: .whitespaces),
                                                                        "detail": (input.detail ?? "").trimmingCharacters(in: .whitespacesAndNewlines)])
        if !PermitBenefit.kinds.contains(form.values["kind"]!) { form.fail("kind", req.text("problem_choose", ["field": req.text("field_benefit_kind")])) }
        form.requireText("title", label: "field_benefit_title", max: 50, on: req)
        if form.values["detail"]!.count > 300 { form.fail("detail", req.text("problem_tooLong", ["field": req.text("field_benefit_detail"), "max": "300"])) }
        guard form.isValid else {
            return try await req.render("residence/permit-benefits-admin", title: "permit_benefits_admin_title", try await adminContent(req, form: form), status: .badRequest)
        }
        let benefit = PermitBenefit()
        benefit.kind = form.values["kind"]!
        benefit.title = form.values["title"]!
        benefit.detail = form.values["detail"]!
        benefit.position = try await PermitBenefit.query(on: req.db).count()
        benefit.updatedAt = req.now
        benefit.updatedBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await benefit.create(on: db)
            try await Audit.record("create", entity: "permitBenefit", id: benefit.id!.uuidString, after: ["kind": benefit.kind, "title": benefit.title], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.adminPermitBenefits.path + "?done=saved")
    }

    static func delete(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self), let benefit = try await PermitBenefit.find(id, on: req.db) else { throw Abort(.notFound) }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await benefit.delete(on: db)
            try await Audit.record("delete", entity: "permitBenefit", id: id.uuidString, before: ["kind": benefit.kind, "title": benefit.title], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.adminPermitBenefits.path + "?done=saved")
    }
}
