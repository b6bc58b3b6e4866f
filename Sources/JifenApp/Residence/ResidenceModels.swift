import Fluent
import SQLKit
import Vapor
import JifenCore

/// A new citizen (新市民) known to the city. The ID number is stored only sealed, with a keyed
/// hash to find it and its first and last four characters for display.
final class Resident: Model, @unchecked Sendable {
    static let schema = "residents"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    // data fields
    @Field(key: "name") var name: String
    @Field(key: "id_sealed") var idSealed: String
    @Field(key: "id_hash") var idHash: String
    @Field(key: "id_masked") var idMasked: String
    @Field(key: "sex") var sex: String
    @Field(key: "birth_date") var birthDate: CivilDate
    /// The region code of the ID number: where the hukou was registered.
    @Field(key: "hukou_region") var hukouRegion: String
    @OptionalField(key: "phone") var phone: String?
    /// When and by whom (a staff login after checking the card, `service` for the identity
    /// service) the account was confirmed to be this person's. Unconfirmed, the account sees and
    /// submits nothing that staff recorded for the person.
    @OptionalField(key: "verified_at") var verifiedAt: Date?
    @OptionalField(key: "verified_by") var verifiedBy: String?

    // relationships
    @OptionalParent(key: "user_id") var user: User?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $updatedAt, $name, $idSealed, $idHash, $idMasked, $sex, $birthDate, $hukouRegion, $phone, $verifiedAt, $verifiedBy, $user] }

    init() {}

    var identityVerified: Bool { $user.id != nil && verifiedAt != nil }
    /// An account typed this identity and nobody confirmed it: it may act on nothing of the person's.
    var heldUnconfirmed: Bool { $user.id != nil && verifiedAt == nil }

    init(name: String, id: ResidentID, phone: String?, userID: UUID?, data: PersonalData, at now: Date) throws {
        self.name = name
        self.idSealed = try data.seal(id.value)
        self.idHash = data.lookupHash(id.value)
        self.idMasked = id.masked
        self.sex = id.sex.rawValue
        self.birthDate = id.birthDate
        self.hukouRegion = id.regionCode
        self.phone = phone
        self.$user.id = userID
        self.createdAt = now
        self.updatedAt = now
    }

    var auditSnapshot: [String: String] {
        ["name": Mask.name(name), "id": idMasked, "hukouRegion": hukouRegion]
    }

    static func find(idNumber: String, data: PersonalData, on db: any Database) async throws -> Resident? {
        try await query(on: db).filter(\.$idHash == data.lookupHash(idNumber)).first()
    }

    /// What a round's list and its texts need of a person: the name (masked wherever it is shown)
    /// and where a text reaches him.
    struct Contact: Sendable {
        let name: String
        let phone: String?
        let user: UUID?
    }

    var contact: Contact { Contact(name: name, phone: phone, user: $user.id) }

    /// The contacts of many residents, a slice at a time, as plain rows: a city's round reads
    /// twelve thousand, and needs nothing else of them.
    static func contacts(of ids: [UUID], on db: any Database) async throws -> [UUID: Contact] {
        var found: [UUID: Contact] = [:]
        for slice in Batches.slices(Array(Set(ids))) {
            for row in try await PlainRow.many("SELECT id, name, phone, user_id FROM \(unsafeRaw: schema) WHERE id IN (\(binds: Array(slice)))", on: db) {
                found[try row.uuid("id")] = Contact(name: try row.string("name"), phone: try row.optionalString("phone"), user: try row.optionalUUID("user_id"))
            }
        }
        return found
    }

    /// Whole residents by id, read in slices (the round's rules that read a resident's household
    /// or archive as models).
    static func whole(of ids: [UUID], on db: any Database) async throws -> [UUID: Resident] {
        var found: [UUID: Resident] = [:]
        for slice in Batches.slices(Array(Set(ids))) {
            for resident in try await PlainModels.all(Resident.self, "SELECT * FROM \(unsafeRaw: schema) WHERE id IN (\(binds: Array(slice)))", on: db) {
                if let id = resident.id { found[id] = resident }
            }
        }
        return found
    }

    /// The account's resident: what every signed-in citizen's page asks first, read as a plain row.
    static func find(user: UUID, on db: any Database) async throws -> Resident? {
        try await PlainModels.all(Resident.self, "SELECT * FROM \(unsafeRaw: schema) WHERE user_id = \(bind: user) LIMIT 1", on: db).first
    }
}

/// A residence declaration (居住登记): where, from when, to when; who declared it; the grid
/// worker's verification, due 7 days after the declaration.
final class ResidenceRegistration: Model, @unchecked Sendable {
    static let schema = "residence_registrations"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "address") var address: String
    @Field(key: "from_date") var fromDate: CivilDate
    @OptionalField(key: "to_date") var toDate: CivilDate?
    @Enum(key: "source") var source: Source
    @Enum(key: "status") var status: Status
    @Field(key: "due_date") var dueDate: CivilDate
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "method") var method: String?
    @OptionalField(key: "reason") var reason: String?
    /// The tenant's dispute of a declaration someone else made for him (他人代为申报): when and why.
    @OptionalField(key: "disputed_at") var disputedAt: Date?
    @OptionalField(key: "dispute_reason") var disputeReason: String?

    // relationships
    @Parent(key: "resident_id") var resident: Resident
    /// The landlord, sublandlord or employer who declared it for the tenant (source `landlord`).
    @OptionalParent(key: "declared_by_id") var declaredBy: HouseManager?
    /// The grid the address lies in.
    @Parent(key: "jurisdiction_id") var jurisdiction: Jurisdiction
    @OptionalParent(key: "rental_house_id") var rentalHouse: RentalHouse?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $address, $fromDate, $toDate, $source, $status, $dueDate, $decidedAt, $decidedBy, $method, $reason, $disputedAt, $disputeReason, $resident, $declaredBy, $jurisdiction, $rentalHouse] }

    init() {}

    /// A registration of `resident` at `address` in the grid `grid` (and the rental house, if
    /// any) from `from`, its verification due on `due`; not saved yet.
    convenience init(of resident: UUID, grid: UUID, house: UUID?, address: String, from: CivilDate,
                     source: Source, status: Status, due: CivilDate, at now: Date) {
        self.init()
        createdAt = now
        self.address = address
        fromDate = from
        self.source = source
        self.status = status
        dueDate = due
        $resident.id = resident
        $jurisdiction.id = grid
        $rentalHouse.id = house
    }

    /// Who declared it: the person himself, the grid worker on a visit, or the house's landlord,
    /// sublandlord or employer (`declaredBy`).
    enum Source: String, Codable, Sendable { case selfDeclared, gridWorker, landlord }
    enum Status: String, Codable, Sendable, CaseIterable { case pending, verified, rejected }
    enum Method: String, Codable, Sendable, CaseIterable { case visit, phone, wechat }

    static let verificationDays = 7

    var period: ResidencePeriod {
        ResidencePeriod(from: fromDate, to: toDate, verified: status == .verified)
    }

    func isOverdue(today: CivilDate) -> Bool {
        status == .pending && dueDate < today
    }

    var auditSnapshot: [String: String] {
        var s = ["address": address, "from": fromDate.description, "status": status.rawValue, "source": source.rawValue]
        if let toDate { s["to"] = toDate.description }
        if let method { s["method"] = method }
        if let reason { s["reason"] = reason }
        if let disputeReason { s["dispute"] = disputeReason }
        return s
    }
}

/// A rented dwelling registered by a grid worker, with a standard address code.
final class RentalHouse: Model, @unchecked Sendable {
    static let schema = "rental_houses"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    /// grid code + building-unit-room: `320582-01-01-01-3-2-501`.
    @Field(key: "address_code") var addressCode: String
    @Field(key: "address") var address: String
    @Field(key: "landlord") var landlord: String
    @OptionalField(key: "landlord_phone") var landlordPhone: String?
    @Field(key: "capacity") var capacity: Int

    // relationships
    @Parent(key: "jurisdiction_id") var jurisdiction: Jurisdiction

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $addressCode, $address, $landlord, $landlordPhone, $capacity, $jurisdiction] }

    init() {}
}

/// A residence permit (居住证) application and its life: submitted → accepted → in production →
/// ready → issued, or rejected with a reason; then yearly endorsements.
final class ResidencePermit: Model, @unchecked Sendable {
    static let schema = "residence_permits"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "number") var number: String
    @Enum(key: "status") var status: Status
    @Field(key: "basis") var basis: String
    @Field(key: "evidence") var evidence: String
    @OptionalField(key: "production_due") var productionDue: CivilDate?
    @OptionalField(key: "reason") var reason: String?
    @OptionalField(key: "valid_until") var validUntil: CivilDate?
    /// Applied for online: collected at the town's window (`collect`, also what older permits
    /// are) or sent by post (`post`) to `postalAddress`, with the courier's `trackingNumber`.
    @OptionalField(key: "delivery") var delivery: String?
    @OptionalField(key: "postal_address") var postalAddress: String?
    @OptionalField(key: "tracking_number") var trackingNumber: String?
    /// The secret in the address of its public verification page (the QR code of the electronic permit).
    @OptionalField(key: "verification_token") var verificationToken: String?

    // relationships
    @Parent(key: "resident_id") var resident: Resident
    @Parent(key: "jurisdiction_id") var jurisdiction: Jurisdiction
    /// Each step with its date, oldest first: the citizen sees them all.
    @Children(for: \.$permit) var steps: [PermitStep]

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $number, $status, $basis, $evidence, $productionDue, $reason, $validUntil, $delivery, $postalAddress, $trackingNumber, $verificationToken, $resident, $jurisdiction, $steps] }

    init() {}

    enum Status: String, Codable, Sendable, CaseIterable { case submitted, accepted, inProduction, ready, issued, rejected }

    var byPost: Bool { delivery == "post" }

    /// Valid on `day`: issued and not run out.
    func isValid(on day: CivilDate) -> Bool {
        guard status == .issued, let validUntil else { return false }
        return day <= validUntil
    }

    /// The next status a clerk may move it to.
    var next: Status? {
        switch status {
        case .submitted: .accepted
        case .accepted: .inProduction
        case .inProduction: .ready
        case .ready: .issued
        case .issued, .rejected: nil
        }
    }

    /// Saves the permit (created if new) and records a step of it with its date: a new status,
    /// or an endorsement (`status` nil), which leaves the status as it is.
    func record(_ status: Status?, on date: CivilDate, in db: any Database) async throws {
        if let status { self.status = status }
        try await save(on: db)
        let id = try requireID()
        let position = try await PermitStep.query(on: db).filter(\.$permit.$id == id).count()
        try await PermitStep(permit: id, position: position, step: status.map { .init(rawValue: $0.rawValue)! } ?? .endorsed, day: date).create(on: db)
    }

    /// The steps in order (loaded with `.with(\.$steps)`).
    var orderedSteps: [PermitStep] { $steps.value?.sorted { $0.position < $1.position } ?? [] }
}

/// One step of a permit: a status it reached, or an endorsement (签注), on a day.
final class PermitStep: Model, @unchecked Sendable {
    static let schema = "permit_steps"

    @ID(key: .id) var id: UUID?
    @Field(key: "position") var position: Int
    @Enum(key: "step") var step: Kind
    @Field(key: "day") var day: CivilDate
    @Parent(key: "permit_id") var permit: ResidencePermit

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $position, $step, $day, $permit] }

    enum Kind: String, Codable, Sendable { case submitted, accepted, inProduction, ready, issued, rejected, endorsed }

    init() {}

    init(id: UUID? = nil, permit: UUID, position: Int, step: Kind, day: CivilDate) {
        self.id = id
        self.$permit.id = permit
        self.position = position
        self.step = step
        self.day = day
    }
}

/// A spouse or child of a resident. Names and ID numbers are sealed (children are minors:
/// sensitive personal information); pages show only the masked forms kept beside them.
final class HouseholdMember: Model, @unchecked Sendable {
    static let schema = "household_members"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Enum(key: "relation") var relation: Relation
    @Field(key: "name_sealed") var nameSealed: String
    @Field(key: "name_masked") var nameMasked: String
    @Field(key: "id_sealed") var idSealed: String
    @Field(key: "id_hash") var idHash: String
    @Field(key: "id_masked") var idMasked: String
    @Field(key: "birth_date") var birthDate: CivilDate
    @Field(key: "sex") var sex: String
    /// The document that shows the relationship (`birthCertificate`, `householdRegister`), and who
    /// confirmed it: a child counts in an application only once confirmed.
    @OptionalField(key: "evidence") var evidence: String?
    @OptionalField(key: "verified_at") var verifiedAt: Date?
    @OptionalField(key: "verified_by") var verifiedBy: String?

    // relationships
    @Parent(key: "resident_id") var resident: Resident

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $relation, $nameSealed, $nameMasked, $idSealed, $idHash, $idMasked, $birthDate, $sex, $evidence, $verifiedAt, $verifiedBy, $resident] }

    init() {}

    enum Evidence: String, CaseIterable { case birthCertificate, householdRegister }

    /// A spouse or child of `resident`, the name and ID number sealed (only masks and the keyed
    /// hash stay readable), not saved yet.
    /// `verifiedBy`: who already confirmed the relationship (the demo's and tests' own records).
    convenience init(_ relation: Relation, name: String, id: ResidentID, of resident: UUID, data: PersonalData, at now: Date, verifiedBy: String? = nil) throws {
        self.init()
        createdAt = now
        verifiedBy.map { self.verifiedBy = $0; verifiedAt = now }
        self.relation = relation
        nameSealed = try data.seal(name)
        nameMasked = Mask.name(name)
        idSealed = try data.seal(id.value)
        idHash = data.lookupHash(id.value)
        idMasked = id.masked
        birthDate = id.birthDate
        sex = id.sex.rawValue
        $resident.id = resident
    }

    enum Relation: String, Codable, Sendable, CaseIterable { case spouse, child }
}

extension ResidenceRegistration: Audited {
    static let auditEntity = "residenceRegistration"
}

extension ResidenceRegistration {
    /// The jurisdiction each of `residents` lives in now (his verified registration without an
    /// end), asked for a slice at a time so that a city's registrations are never all read.
    static func currentGrids(of residents: [UUID], on db: any Database) async throws -> [UUID: UUID] {
        var found: [UUID: UUID] = [:]
        for slice in Batches.slices(residents) {
            for r in try await ResidenceRegistration.query(on: db).filter(\.$resident.$id ~~ Array(slice)).filter(\.$toDate == nil).filter(\.$status == .verified).all()
            where found[r.$resident.id] == nil {
                found[r.$resident.id] = r.$jurisdiction.id
            }
        }
        return found
    }

    /// The same, by the jurisdictions' codes.
    static func currentGridCodes(of residents: [UUID], on db: any Database) async throws -> [UUID: String] {
        let grids = try await currentGrids(of: residents, on: db)
        var codes: [UUID: String] = [:]
        for slice in Batches.slices(Array(Set(grids.values))) {
            for place in try await Jurisdiction.query(on: db).filter(\.$id ~~ Array(slice)).all() { codes[place.id!] = place.code }
        }
        return grids.compactMapValues { codes[$0] }
    }
}
