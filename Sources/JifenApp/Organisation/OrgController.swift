import Fluent
import JifenCore
import Vapor

/// `/org/:code`: one jurisdiction with its parents, children and staff, for staff whose
/// jurisdiction contains it. Outside the viewer's jurisdiction it is 404.
enum OrgController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.org(":code"), access: .staff, use: show)
    }

    struct Crumb: Encodable { let name: String; let href: String? }
    struct Child: Encodable { let name: String; let code: String; let href: String }
    struct Staff: Encodable { let displayName: String; let login: String; let roleName: String }

    struct Content: Encodable {
        let name, code, levelName: String
        let crumbs: [Crumb]
        let children: [Child]
        let childrenHeading: String?
        let staff: [Staff]
    }

    static func show(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let raw = req.parameters.get("code"), let code = JurisdictionCode(raw) else { throw Abort(.notFound) }
        try req.requireScope(code)
        guard let node = try await Jurisdiction.find(code: code.rawValue, on: req.db) else { throw Abort(.notFound) }

        // Parents are shown by name; only those inside the viewer's scope are links.
        var crumbs: [Crumb] = []
        var cursor = code.parent
        while let parentCode = cursor {
            if let parent = try await Jurisdiction.find(code: parentCode.rawValue, on: req.db) {
                let visible = user.scope?.contains(parentCode) ?? false
                crumbs.insert(Crumb(name: parent.name, href: visible ? SiteRoute.org(parent.code).path : nil), at: 0)
            }
            cursor = parentCode.parent
        }
        let children = try await Jurisdiction.query(on: req.db).filter(\.$parent.$id == node.requireID()).sort(\.$code).all()
        let staff = try await User.query(on: req.db).filter(\.$jurisdiction.$id == node.requireID())
            .filter(\.$role != .citizen).sort(\.$login).all()
        let content = Content(
            name: node.name, code: node.code, levelName: req.text("level_" + node.level),
            crumbs: crumbs,
            children: children.map { Child(name: $0.name, code: $0.code, href: SiteRoute.org($0.code).path) },
            childrenHeading: code.level.child.map { req.text("home_children_" + $0.rawValue) },
            staff: staff.map { Staff(displayName: $0.displayName, login: $0.login, roleName: req.text("role_" + $0.role.rawValue)) }
        )
        return try await req.render("organisation/org", title: "org_title", content)
    }
}
