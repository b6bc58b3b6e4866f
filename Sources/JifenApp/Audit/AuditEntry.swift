import Fluent
import JifenCore
import SQLKit
import Vapor

/// Who is acting: a signed-in user, the system itself (demo loader, jobs), or a CLI operator.
struct Actor: Sendable {
    let id: UUID?
    let login: String
    let address: String?

    static let system = Actor(id: nil, login: "system", address: nil)
}

extension Actor {
    /// A citizen's login is his mobile number: the audit log keeps it masked.
    init(id: UUID?, login: String, role: Role, address: String?) {
        self.init(id: id, login: role == .citizen ? Mask.phone(login) : login, address: address)
    }
}

enum Audit {
    /// Records a change. Call it on the transaction that makes the change, so both or neither land.
    static func record(
        _ action: String, entity: String, id: String, before: [String: String]? = nil, after: [String: String]? = nil,
        by actor: Actor, at: Date, on db: any Database
    ) async throws {
        let entry = AuditEntry()
        entry.at = at
        entry.actorID = actor.id
        entry.actorLogin = actor.login
        entry.action = action
        entry.entity = entity
        entry.entityID = id
        entry.before = before
        entry.after = after
        entry.address = actor.address
        try await entry.create(on: db)
    }

}

extension Request {
    var actor: Actor {
        guard let user = currentUser else { return Actor(id: nil, login: "anonymous", address: clientAddress) }
        return Actor(id: user.id, login: user.login, role: user.role, address: clientAddress)
    }

    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
