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

/// A record whose changes the audit log keeps, as snapshots before and after.
protocol Audited: Model {
    /// How the log names the kind of record ("pointsApplication").
    static var auditEntity: String { get }
    /// How the log names this record: its number or code, else its id.
    var auditID: String { get }
    /// What the log keeps of the record: never a secret, personal data only masked.
    var auditSnapshot: [String: String] { get }
}

extension Audited {
    var auditID: String { (id as? UUID)?.uuidString ?? "" }

    /// Applies `change`, saves the record and logs the change with the record as it was and as it
    /// is, on `db`: call it on the transaction that makes the change, so both or neither land.
    func save(_ action: String, id: String? = nil, by actor: Actor, at now: Date, on db: any Database,
              change: () throws -> Void) async throws {
        let before = auditSnapshot
        try change()
        try await save(on: db)
        try await Audit.record(action, entity: Self.auditEntity, id: id ?? auditID, before: before, after: auditSnapshot, by: actor, at: now, on: db)
    }
}

extension Request {
    var actor: Actor {
        if case .department(let token) = apiClient { return Actor(id: nil, login: "api:" + token.name, address: clientAddress) }
        guard let user = currentUser else { return Actor(id: nil, login: "anonymous", address: clientAddress) }
        return Actor(id: user.id, login: user.login, role: user.role, address: clientAddress)
    }
}
