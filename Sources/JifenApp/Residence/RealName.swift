import Fluent
import JifenCore
import Vapor

/// A city's real-name service (实名核验: name, ID number and mobile number checked against the
/// records of the public security bureau or the mobile operator), beside the notifier. A city plugs
/// its own in; the shipped one confirms nothing, so every identity waits for a check in person.
public protocol IdentityVerifier: Sendable {
    /// True when the service confirms that the holder of `phone` is the person `name`/`idNumber`.
    func confirms(name: String, idNumber: String, phone: String) async throws -> Bool
    /// True when the service confirms that `childID` is a child of `parentID` (a household register look-up).
    func confirmsChild(childID: String, parentID: String) async throws -> Bool
}

public struct NoIdentityVerifier: IdentityVerifier {
    public init() {}
    public func confirms(name: String, idNumber: String, phone: String) async throws -> Bool { false }
    public func confirmsChild(childID: String, parentID: String) async throws -> Bool { false }
}

/// Real-name binding: an identity a citizen records stays unconfirmed until the service confirms it
/// or staff check the card; staff records never reach an unconfirmed account.
enum RealName {
    /// Whether the identity service confirms the account's identity. The demo's own accounts stand
    /// for people the demo knows, so they are confirmed without a service.
    static func serviceConfirms(name: String, idNumber: String, user: User, on req: Request) async throws -> Bool {
        if user.demoAccount, req.application.jifenConfig.demo { return true }
        return try await req.effects.identityVerifier.confirms(name: name, idNumber: idNumber, phone: user.phone ?? user.login)
    }

    static func serviceConfirmsChild(childID: String, parentID: String, user: User, on req: Request) async throws -> Bool {
        if user.demoAccount, req.application.jifenConfig.demo { return true }
        return try await req.effects.identityVerifier.confirmsChild(childID: childID, parentID: parentID)
    }

    /// Cuts an unconfirmed account from the person before staff record anything about him: the
    /// account is told to have the identity checked at the window.
    static func detachUnconfirmed(_ resident: Resident, reason: String, on db: any Database, req: Request) async throws {
        guard let userID = resident.$user.id, resident.verifiedAt == nil else { return }
        let account = try await User.find(userID, on: db)
        let before = resident.auditSnapshot.merging(["user": userID.uuidString], uniquingKeysWith: { $1 })
        resident.$user.id = nil
        resident.updatedAt = req.now
        try await resident.save(on: db)
        try await Audit.record("detachUnconfirmed", entity: "resident", id: try resident.requireID().uuidString, before: before,
                               after: ["reason": reason], by: req.actor, at: req.now, on: db)
        if let phone = account?.phone {
            try await req.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "identity",
                                                                body: req.application.catalog.text("sms_identity_detached", .zh)),
                                                on: db, at: req.now, logger: req.logger)
        }
    }
}
