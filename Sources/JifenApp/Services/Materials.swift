import Fluent
import SQLKit
import JifenCore
import Vapor

/// One document a business asks for (一次性告知): required, or one that helps; with a note.
final class Material: Model, @unchecked Sendable {
    static let schema = "materials"

    @ID(key: .id) var id: UUID?
    /// `permit`, `points`, or `program:<kind>` (`program:kindergarten`).
    @Field(key: "business") var business: String
    @Field(key: "position") var position: Int
    @Field(key: "title") var title: String
    @Field(key: "required") var required: Bool
    @Field(key: "note") var note: String
    @Field(key: "updated_at") var updatedAt: Date
    @Field(key: "updated_by") var updatedBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $business, $position, $title, $required, $note, $updatedAt, $updatedBy] }

    init() {}
}

/// The materials of a business as a page shows them: the whole list at once, required first.
struct MaterialList: Encodable {
    struct Item: Encodable { let title, note: String; let deleteAction: String? }
    let business, title: String
    let required, optional: [Item]
    var isEmpty: Bool { required.isEmpty && optional.isEmpty }

    /// The businesses in the order the public page lists them.
    static func businesses() -> [String] {
        ["permit", "points"] + ProgramRules.Kind.allCases.map { "program:" + $0.rawValue }
    }

    static func title(_ business: String, on req: Request) -> String { title(business, catalog: req.application.catalog, language: req.language) }

    static func title(_ business: String, catalog: Catalog, language: Catalog.Language) -> String {
        catalog.text(business.hasPrefix("program:") ? "program_kind_" + business.dropFirst("program:".count) : "materials_business_" + business, language)
    }

    static func load(_ business: String, on req: Request, deletable: Bool = false) async throws -> MaterialList {
        let items = try await PlainModels.all(Material.self, """
            SELECT * FROM \(unsafeRaw: Material.schema) WHERE business = \(bind: business) ORDER BY position
            """, on: req.db)
        func item(_ m: Material) -> Item {
            Item(title: m.title, note: m.note, deleteAction: deletable ? SiteRoute.adminMaterialDelete(m.id!.uuidString).path : nil)
        }
        return MaterialList(business: business, title: title(business, on: req),
                            required: items.filter(\.required).map(item), optional: items.filter { !$0.required }.map(item))
    }
}

/// The public page of every business's materials, and the centre's page to edit them.
enum MaterialsController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.materials, access: .anyone, use: page).cachedForVisitors()
        routes.get(.adminMaterials, access: .roles([.centerAdmin]), use: adminPage)
        routes.post(.adminMaterials, access: .roles([.centerAdmin]), use: add)
        routes.post(.adminMaterialDelete(":id"), access: .roles([.centerAdmin]), use: delete)
    }

    struct Content: Encodable { let lists: [MaterialList]; let fields: [FormField]; let action: String; let notice: String? }

    static func content(_ req: Request, deletable: Bool, form: FormState? = nil) async throws -> Content {
        var lists: [MaterialList] = []
        for business in MaterialList.businesses() { lists.append(try await MaterialList.load(business, on: req, deletable: deletable)) }
        let form = form ?? FormState(fields: ["business", "title", "required", "note"], values: ["required": "on"])
        return Content(lists: deletable ? lists : lists.filter { !$0.isEmpty }, fields: deletable ? [
            form.field("business", req.text("field_material_business"), .select, options: MaterialList.businesses().map { ($0, MaterialList.title($0, on: req)) }),
            form.field("title", req.text("field_material_title"), maxLength: 60, required: true),
            form.field("required", req.text("field_material_required"), .checkbox),
            form.field("note", req.text("field_material_note"), hint: req.text("material_note_hint"), maxLength: 200),
        ] : [], action: SiteRoute.adminMaterials.path, notice: req.query[String.self, at: "done"] != nil ? req.text("hazard_types_saved") : nil)
    }

    static func page(_ req: Request) async throws -> Response {
        try await req.render("services/materials", title: "materials_title", try await content(req, deletable: false))
    }

    static func adminPage(_ req: Request) async throws -> Response {
        try await req.render("services/materials-admin", title: "materials_admin_title", try await content(req, deletable: true))
    }

    struct AddForm: Decodable { var business: String?, title: String?, required: String?, note: String? }

    static func add(_ req: Request) async throws -> Response {
        let input = try req.content.decode(AddForm.self)
        var form = FormState(fields: ["business", "title", "required", "note"], values: [
            "business": input.business ?? "", "title": (input.title ?? "").trimmingCharacters(in: .whitespaces),
            "required": input.required == "on" ? "on" : "", "note": (input.note ?? "").trimmingCharacters(in: .whitespaces)])
        if !MaterialList.businesses().contains(form.values["business"]!) { form.fail("business", req.text("problem_choose", ["field": req.text("field_material_business")])) }
        form.requireText("title", label: "field_material_title", max: 60, on: req)
        if form.values["note"]!.count > 200 { form.fail("note", req.text("problem_tooLong", ["field": req.text("field_material_note"), "max": "200"])) }
        guard form.isValid else {
            return try await req.render("services/materials-admin", title: "materials_admin_title", try await content(req, deletable: true, form: form), status: .badRequest)
        }
        let material = Material()
        material.business = form.values["business"]!
        material.title = form.values["title"]!
        material.required = form.values["required"] == "on"
        material.note = form.values["note"]!
        material.position = try await Material.query(on: req.db).filter(\.$business == material.business).count()
        material.updatedAt = req.now
        material.updatedBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await material.create(on: db)
            try await Audit.record("create", entity: "material", id: material.id!.uuidString,
                                   after: ["business": material.business, "title": material.title, "required": material.required ? "yes" : "no"], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.adminMaterials.path + "?done=saved")
    }

    static func delete(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self), let material = try await Material.find(id, on: req.db) else { throw Abort(.notFound) }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await material.delete(on: db)
            try await Audit.record("delete", entity: "material", id: id.uuidString, before: ["business": material.business, "title": material.title], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.adminMaterials.path + "?done=saved")
    }
}
