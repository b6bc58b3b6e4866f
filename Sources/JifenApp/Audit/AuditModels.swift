import Fluent
import Vapor
import JifenCore

/// One state change: who, when, what, and the record before and after.
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_entries"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "at") var at: Date
    @OptionalField(key: "actor_id") var actorID: UUID?
    /// The actor's login at the time, kept so the entry reads the same after a rename.
    @Field(key: "actor_login") var actorLogin: String
    @Field(key: "action") var action: String
    @Field(key: "entity") var entity: String
    @Field(key: "entity_id") var entityID: String
    @OptionalField(key: "before") var before: [String: String]?
    @OptionalField(key: "after") var after: [String: String]?
    @OptionalField(key: "address") var address: String?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $at, $actorID, $actorLogin, $action, $entity, $entityID, $before, $after, $address] }

    init() {}
}

/// One view of sensitive data in full: who saw what, when, and on which page.
final class AccessLogEntry: Model, @unchecked Sendable {
    static let schema = "access_log"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "at") var at: Date
    @OptionalField(key: "actor_id") var actorID: UUID?
    @Field(key: "actor_login") var actorLogin: String
    @Field(key: "role") var role: String
    @Field(key: "entity") var entity: String
    @Field(key: "entity_id") var entityID: String
    /// What was shown: `idNumber`, `minor`.
    @Field(key: "field") var field: String
    @Field(key: "purpose") var purpose: String
    @OptionalField(key: "address") var address: String?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $at, $actorID, $actorLogin, $role, $entity, $entityID, $field, $purpose, $address] }

    init() {}
}
