import Fluent
import JifenCore
import SQLKit
import Vapor

/// A town window's schedule (预约): the times of day it takes appointments and the places at each.
final class AppointmentSchedule: Model, @unchecked Sendable {
    static let schema = "appointment_schedules"

    @ID(key: .id) var id: UUID?
    @Parent(key: "jurisdiction_id") var jurisdiction: Jurisdiction
    /// `09:00,10:00,14:00`
    @Field(key: "times") var times: String
    @Field(key: "capacity") var capacity: Int
    @Field(key: "updated_at") var updatedAt: Date
    @Field(key: "updated_by") var updatedBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $jurisdiction, $times, $capacity, $updatedAt, $updatedBy] }

    init() {}
}

/// An appointment at a town's window for a business (a permit, points, a program).
final class Appointment: Model, @unchecked Sendable {
    static let schema = "appointments"

    @ID(key: .id) var id: UUID?
    @Field(key: "number") var number: String
    @Field(key: "created_at") var createdAt: Date
    @Parent(key: "user_id") var user: User
    @Parent(key: "jurisdiction_id") var jurisdiction: Jurisdiction
    /// As the materials name it: `permit`, `points`, `program:<kind>`.
    @Field(key: "business") var business: String
    @Field(key: "day") var day: CivilDate
    @Field(key: "time") var time: String
    @Enum(key: "status") var status: Status
    @OptionalField(key: "marked_by") var markedBy: String?
    @OptionalField(key: "marked_at") var markedAt: Date?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $number, $createdAt, $user, $jurisdiction, $business, $day, $time, $status, $markedBy, $markedAt] }

    enum Status: String, Codable, Sendable, CaseIterable { case booked, cancelled, arrived, noShow }

    init() {}
}

/// Booking, moving and cancelling appointments; the window's day list with arrivals and no-shows.
struct AppointmentService: WorkflowService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    static let defaultTimes = ["09:00", "10:00", "11:00", "14:00", "15:00", "16:00"]
    static let defaultCapacity = 3
    /// Days ahead a citizen may book (from tomorrow).
    static let daysAhead = 14
    /// Three no-shows within 90 days: no booking for 30 days after the last.
    static let noShowLimit = 3
    static let noShowWindowDays = 90
    static let noShowPauseDays = 30

    struct Slot: Sendable, Equatable {
        let day: CivilDate
        let time: String
        let capacity: Int
        let booked: Int
        var left: Int { max(0, capacity - booked) }
        var key: String { day.description + "T" + time }
    }

    func schedule(of town: Jurisdiction) async throws -> (times: [String], capacity: Int) {
        guard let row = try await AppointmentSchedule.query(on: db).filter(\.$jurisdiction.$id == town.requireID()).first() else {
            return (Self.defaultTimes, Self.defaultCapacity)
        }
        return (row.times.split(separator: ",").map(String.init), row.capacity)
    }

    /// The slots a town offers from tomorrow on: working days only (the holiday calendar, with
    /// its worked weekends), each time of the schedule with its places left.
    func slots(of town: Jurisdiction) async throws -> [Slot] {
        let calendar = try await app.workingCalendar(on: db)
        let (times, capacity) = try await schedule(of: town)
        let days = (1...Self.daysAhead).map { today.adding(days: $0) }.filter { calendar.isWorkingDay($0) }
        guard let first = days.first, let last = days.last else { return [] }
        let booked = try await Appointment.query(on: db).filter(\.$jurisdiction.$id == town.requireID()).filter(\.$day >= first).filter(\.$day <= last)
            .filter(\.$status ~~ [.booked, .arrived]).all()
        let counts = Dictionary(grouping: booked, by: { $0.day.description + "T" + $0.time }).mapValues(\.count)
        return days.flatMap { day in times.map { Slot(day: day, time: $0, capacity: capacity, booked: counts[day.description + "T" + $0] ?? 0) } }
    }

    /// Books (or, with `moving`, moves) an appointment. Refused beside the field: an unknown
    /// business or town, a slot not offered (a holiday, a weekend, out of range), a full slot,
    /// another appointment of his for the same business, too many no-shows.
    func book(user: User, business: String, townCode: String, slot key: String, moving: Appointment? = nil) async throws -> ServiceOutcome<Appointment> {
        var problems: FieldProblems = []
        if !MaterialList.businesses().contains(business) { problems.add("business", "problem_choose", label: "field_appointment_business") }
        let town = try await Jurisdiction.find(code: townCode, on: db)
        if town == nil || town?.level != JurisdictionLevel.town.rawValue { problems.add("town", "problem_choose", label: "field_appointment_town") }
        guard problems.isEmpty, let town else { return .refused(problems) }
        let userID = try user.requireID()
        // No-shows: three within 90 days pause booking for 30 days after the last.
        let misses = try await Appointment.query(on: db).filter(\.$user.$id == userID).filter(\.$status == .noShow)
            .filter(\.$day >= today.adding(days: -Self.noShowWindowDays)).sort(\.$day, .descending).all()
        if misses.count >= Self.noShowLimit, let last = misses.first?.day, today <= last.adding(days: Self.noShowPauseDays) {
            problems.add("slot", "appointment_paused", ["date": ShanghaiDate.long(last.adding(days: Self.noShowPauseDays + 1))])
            return .refused(problems)
        }
        if moving == nil, try await Appointment.query(on: db).filter(\.$user.$id == userID).filter(\.$business == business).filter(\.$status == .booked)
            .filter(\.$day > today).count() > 0 {
            problems.add("business", "appointment_already")
            return .refused(problems)
        }
        let offered = try await slots(of: town)
        guard let slot = offered.first(where: { $0.key == key }) else {
            problems.add("slot", "appointment_slot_not_offered")
            return .refused(problems)
        }
        let appointment = moving ?? Appointment()
        let townID = try town.requireID()
        let result: Bool = try await db.transaction { db in
            // The town's row locked first (PostgreSQL a row lock, SQLite its write lock): two
            // bookings of the last place count one after the other.
            try await (db as! any SQLDatabase).raw("UPDATE jurisdictions SET code = code WHERE id = \(bind: townID)").run()
            let taken = try await Appointment.query(on: db).filter(\.$jurisdiction.$id == townID).filter(\.$day == slot.day).filter(\.$time == slot.time)
                .filter(\.$status ~~ [.booked, .arrived]).count()
            guard taken < slot.capacity else { return false }
            if moving == nil {
                appointment.number = try await self.on(db).number()
                appointment.createdAt = now
                appointment.$user.id = userID
                appointment.business = business
                appointment.status = .booked
            }
            appointment.$jurisdiction.id = townID
            appointment.day = slot.day
            appointment.time = slot.time
            try await appointment.save(on: db)
            let body = text(moving == nil ? "sms_appointment_booked" : "sms_appointment_moved",
                            ["number": appointment.number, "town": town.name, "day": ShanghaiDate.long(slot.day), "time": slot.time,
                             "business": MaterialList.title(appointment.business, catalog: app.catalog, language: .zh)])
            if let phone = user.phone {
                try await app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "appointment", body: body), on: db, at: now, logger: logger)
            }
            try await Audit.record(moving == nil ? "book" : "move", entity: "appointment", id: appointment.number,
                                   after: ["town": town.code, "day": slot.day.description, "time": slot.time, "business": appointment.business], by: actor, at: now, on: db)
            return true
        }
        guard result else {
            problems.add("slot", "appointment_full")
            return .refused(problems)
        }
        return .done(appointment)
    }

    func cancel(_ appointment: Appointment) async throws -> Bool {
        guard appointment.status == .booked, appointment.day > today else { return false }
        appointment.status = .cancelled
        try await db.transaction { db in
            try await appointment.save(on: db)
            try await Audit.record("cancel", entity: "appointment", id: appointment.number, by: actor, at: now, on: db)
        }
        return true
    }

    /// The clerk marks an appointment of the day: arrived or not.
    func mark(_ appointment: Appointment, _ status: Appointment.Status) async throws -> Bool {
        guard [.arrived, .noShow].contains(status), appointment.status == .booked || appointment.status == .arrived || appointment.status == .noShow,
              appointment.day <= today else { return false }
        appointment.status = status
        appointment.markedBy = actor.login
        appointment.markedAt = now
        try await db.transaction { db in
            try await appointment.save(on: db)
            try await Audit.record("mark", entity: "appointment", id: appointment.number, after: ["status": status.rawValue], by: actor, at: now, on: db)
        }
        return true
    }

    func number() async throws -> String {
        let db = self.db
        return try await CaseNumbers.next("YY", app: app, now: now) { try await Appointment.query(on: db).filter(\.$number == $0).count() > 0 }
    }
}
