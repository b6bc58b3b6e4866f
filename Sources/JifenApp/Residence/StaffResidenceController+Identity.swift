import Fluent
import JifenCore
import Vapor

/// Real-name binding at the window or on a grid worker's visit: staff who checked the card confirm
/// that an account is the person's (replacing an account that only typed his number), or release
/// an identity someone took, with a reason; staff who saw the birth certificate or household
/// register confirm a child. Every step is audited and access-logged; the people concerned get a text.
extension StaffResidenceController {
    /// The account bound to `resident`, if any.
    static func account(of resident: Resident, on db: any Database) async throws -> User? {
        guard let id = resident.$user.id else { return nil }
        return try await User.find(id, on: db)
    }

    struct IdentityForm: Decodable { var action: String?; var phone: String?; var cardChecked: String?; var reason: String? }

    /// The resident named by the route, if staff of this jurisdiction may see him (404 otherwise).
    static func residentInScope(_ req: Request) async throws -> Resident {
        guard let id = req.parameters.get("id", as: UUID.self), let resident = try await Resident.find(id, on: req.db) else { throw Abort(.notFound) }
        let scope = try await scopeIDs(req)
        guard try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == id).filter(\.$jurisdiction.$id ~~ scope).count() > 0
        else { throw Abort(.notFound) }
        return resident
    }

    static func identity(_ req: Request) async throws -> Response {
        let resident = try await residentInScope(req)
        let id = try resident.requireID()
        let input = try req.content.decode(IdentityForm.self)
        let phone = (input.phone ?? "").trimmingCharacters(in: .whitespaces)
        let reason = (input.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var form = FormState(fields: ["phone", "cardChecked", "reason"], values: ["phone": phone, "reason": reason])
        let me = try req.requireUser()
        let now = req.now, actor = req.actor
        let catalog = req.application.catalog, notifier = req.effects.notifier, logger = req.logger
        @Sendable func text(_ phone: String?, _ key: String, on db: any Database) async throws {
            guard let phone else { return }
            try await notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "identity", body: catalog.text(key, .zh)), on: db, at: now, logger: logger)
        }
        switch input.action {
        case "verify":
            if input.cardChecked != "on" { form.fail("cardChecked", req.text("identity_card_unchecked")) }
            var account: User?
            if let problem = AccountRules.checkPhone(phone) {
                form.fail("phone", catalog.problem(problem, field: "phone", req.language))
            } else {
                account = try await User.find(login: phone, on: req.db)
                if account == nil || account?.role != .citizen || account?.status != .active {
                    form.fail("phone", req.text("identity_no_account"))
                } else if let other = try await Resident.find(user: account!.requireID(), on: req.db), other.id != id {
                    form.fail("phone", req.text("identity_account_has_other"))
                }
            }
            guard form.isValid, let account else { return try await residentPage(req, identityForm: form, status: .badRequest) }
            let previous = resident.$user.id == account.id ? nil : try await Self.account(of: resident, on: req.db)
            try await req.logAccess(entity: "resident", id: id.uuidString, field: "identityCheck")
            do { try await req.db.transaction { db in
                let before = resident.auditSnapshot.merging(["user": resident.$user.id?.uuidString ?? "", "verifiedBy": resident.verifiedBy ?? ""], uniquingKeysWith: { $1 })
                resident.$user.id = try account.requireID()
                resident.verifiedAt = now
                resident.verifiedBy = me.login
                resident.updatedAt = now
                try await resident.save(on: db)
                try await Audit.record("verifyIdentity", entity: "resident", id: id.uuidString, before: before,
                                       after: ["user": try account.requireID().uuidString, "verifiedBy": me.login], by: actor, at: now, on: db)
                try await text(account.phone, "sms_identity_verified", on: db)
                if let previous { try await text(previous.phone, "sms_identity_detached", on: db) }
            } } catch where (error as? any DatabaseError)?.isConstraintFailure == true {
                // The account was bound to another person meanwhile (`residents.user_id` unique).
                form.fail("phone", req.text("identity_account_has_other"))
                return try await residentPage(req, identityForm: form, status: .badRequest)
            }
        case "release":
            if reason.isEmpty { form.fail("reason", req.text("problem_required", ["field": req.text("field_reason")])) }
            if resident.$user.id == nil { form.fail("reason", req.text("identity_nothing_to_release")) }
            guard form.isValid else { return try await residentPage(req, identityForm: form, status: .badRequest) }
            let holder = try await Self.account(of: resident, on: req.db)
            try await req.db.transaction { db in
                let before = resident.auditSnapshot.merging(["user": resident.$user.id?.uuidString ?? "", "verifiedBy": resident.verifiedBy ?? ""], uniquingKeysWith: { $1 })
                resident.$user.id = nil
                resident.verifiedAt = nil
                resident.verifiedBy = nil
                resident.updatedAt = now
                try await resident.save(on: db)
                try await Audit.record("releaseIdentity", entity: "resident", id: id.uuidString, before: before, after: ["reason": reason], by: actor, at: now, on: db)
                try await text(holder?.phone, "sms_identity_released", on: db)
            }
        default:
            throw Abort(.badRequest)
        }
        return req.redirect(to: SiteRoute.resident(id.uuidString).path + "?done=identity")
    }

    /// Confirms a household member's relationship after seeing the document named when he was added.
    static func verifyMember(_ req: Request) async throws -> Response {
        let resident = try await residentInScope(req)
        let id = try resident.requireID()
        guard let memberID = req.parameters.get("member", as: UUID.self),
              let member = try await HouseholdMember.query(on: req.db).filter(\.$id == memberID).filter(\.$resident.$id == id).first()
        else { throw Abort(.notFound) }
        guard member.verifiedAt == nil else { return req.redirect(to: SiteRoute.resident(id.uuidString).path) }
        guard (try? req.content.get(String.self, at: "documentChecked")) == "on" else {
            return try await residentPage(req, memberError: req.text("member_document_unchecked"), status: .badRequest)
        }
        let me = try req.requireUser(), now = req.now, actor = req.actor
        try await req.logAccess(entity: "householdMember", id: memberID.uuidString, field: "relationshipCheck")
        let holder = try await Self.account(of: resident, on: req.db)
        let catalog = req.application.catalog, notifier = req.effects.notifier, logger = req.logger
        try await req.db.transaction { db in
            member.verifiedAt = now
            member.verifiedBy = me.login
            try await member.save(on: db)
            try await Audit.record("verifyMember", entity: "household", id: id.uuidString,
                                   after: ["member": memberID.uuidString, "relation": member.relation.rawValue, "evidence": member.evidence ?? "", "verifiedBy": me.login],
                                   by: actor, at: now, on: db)
            if let phone = holder?.phone {
                try await notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "identity",
                                                        body: catalog.text("sms_member_verified", .zh, ["name": member.nameMasked])), on: db, at: now, logger: logger)
            }
        }
        return req.redirect(to: SiteRoute.resident(id.uuidString).path + "?done=member")
    }
}
