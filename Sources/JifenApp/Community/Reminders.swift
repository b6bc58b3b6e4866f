import Fluent
import JifenCore
import NIOConcurrencyHelpers
import Vapor

/// A reminder already sent: the event it was about (`ready:<permit>`), so it goes once.
final class ReminderSent: Model, @unchecked Sendable {
    static let schema = "reminders_sent"

    @ID(key: .id) var id: UUID?
    @Field(key: "event") var event: String
    @Field(key: "sent_at") var sentAt: Date

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $event, $sentAt] }

    init() {}
}

/// The daily reminders (提醒): a permit's endorsement due within 30 days, a permit ready at the
/// window, a declaration still unverified after 5 days (to the grid's workers), a year's points
/// that run out at its end (in December). Each event is texted once, however often the job runs
/// and on however many nodes: the event is recorded with the text in one transaction, under a
/// unique key.
enum Reminders {
    struct Counts: Equatable, Sendable { var endorsements = 0, ready = 0, unverified = 0, archives = 0, offers = 0, lapsed = 0, appointments = 0 }

    static let endorsementDays = 30
    static let unverifiedDays = 5

    static func run(_ app: Application, now: Date) async throws -> Counts {
        let db = app.db
        let today = ShanghaiDate.today(now)
        let service = PointsService(app: app, db: db, now: now, actor: .system, logger: app.logger)
        var counts = Counts()

        // A permit running out within 30 days: endorse it (签注).
        let expiring = try await ResidencePermit.query(on: db).filter(\.$status == .issued)
            .filter(\.$validUntil >= today).filter(\.$validUntil <= today.adding(days: endorsementDays)).with(\.$resident).all()
        counts.endorsements = try await onceEach(expiring, event: { "endorsement:\(permit(of: $0)):\($0.validUntil?.description ?? "")" }, text: { p in
            (p.resident, service.text("sms_reminder_endorsement", ["number": p.number, "date": ShanghaiDate.long(p.validUntil ?? today)]))
        }, kind: "reminderEndorsement", service: service, db: db, now: now)

        // A permit ready at the window (not one sent by post).
        let ready = try await ResidencePermit.query(on: db).filter(\.$status == .ready).with(\.$resident).all().filter { $0.delivery != "post" }
        counts.ready = try await onceEach(ready, event: { "ready:\(permit(of: $0))" }, text: { p in
            (p.resident, service.text("sms_reminder_ready", ["number": p.number]))
        }, kind: "reminderReady", service: service, db: db, now: now)

        // Declarations the grid worker has not verified in 5 days: one text per worker, naming how many.
        let stale = try await ResidenceRegistration.query(on: db).filter(\.$status == .pending)
            .filter(\.$createdAt <= now.addingTimeInterval(-Double(unverifiedDays) * 86_400)).all()
        let fresh = try await unsent(stale, on: db, event: { "unverified:\($0.id?.uuidString ?? "")" })
        for (grid, registrations) in Dictionary(grouping: fresh, by: { $0.$jurisdiction.id }) {
            let workers = try await User.query(on: db).filter(\.$jurisdiction.$id == grid).filter(\.$role == .gridWorker).filter(\.$status == .active).all()
            let phones = workers.compactMap(\.phone)
            guard !phones.isEmpty else { continue }
            let body = service.text("sms_reminder_unverified", ["count": String(registrations.count), "days": String(unverifiedDays)])
            // Another node that got there first makes this grid's transaction fail: skip it, go on.
            do { try await db.transaction { db in
                for r in registrations {
                    let marker = ReminderSent()
                    marker.event = "unverified:\(try r.requireID().uuidString)"
                    marker.sentAt = now
                    try await marker.create(on: db)
                }
                try await app.effects.notifier.send(all: phones.map { OutgoingMessage(channel: .sms, recipient: $0, kind: "reminderUnverified", body: body) },
                                                    on: db, at: now, logger: app.logger)
            } } catch {
                if try await unsent(registrations, on: db, event: { "unverified:\($0.id?.uuidString ?? "")" }).isEmpty { continue }
                throw error
            }
            counts.unverified += registrations.count
        }

        // December: this year's points end with the year; next year's need a new application.
        if today.month == 12 {
            let archives = try await PointsArchive.query(on: db).filter(\.$status == .active).filter(\.$year == today.year).with(\.$resident).all()
            counts.archives = try await onceEach(archives, event: { "archive:\($0.id?.uuidString ?? ""):\($0.year)" }, text: { archive in
                (archive.resident, service.text("sms_reminder_archive", ["year": String(archive.year), "total": Points(hundredths: archive.total).description]))
            }, kind: "reminderArchive", service: service, db: db, now: now)
        }
        // An offer due tomorrow and not answered: confirm or decline. One overdue: taken as its
        // program says (a decline moves the waitlist).
        let dueSoon = try await AllocationResult.query(on: db).filter(\.$offer == .pending).filter(\.$offerDue == today.adding(days: 1))
            .with(\.$application) { $0.with(\.$resident).with(\.$program) }.all()
        counts.offers = try await onceEach(dueSoon, event: { "offer:\($0.id?.uuidString ?? ""):\($0.offerDue?.description ?? "")" }, text: { row in
            (row.application.resident, service.text("sms_reminder_offer", ["program": row.application.program.title, "date": ShanghaiDate.long(row.offerDue ?? today)]))
        }, kind: "reminderOffer", service: service, db: db, now: now)
        // An appointment tomorrow: bring the documents, or cancel.
        let tomorrow = try await Appointment.query(on: db).filter(\.$status == .booked).filter(\.$day == today.adding(days: 1))
            .with(\.$user).with(\.$jurisdiction).all()
        for a in try await unsent(tomorrow, on: db, event: { "appointment:\($0.id?.uuidString ?? ""):\($0.day.description):\($0.time)" }) {
            guard let phone = a.user.phone else { continue }
            let body = service.text("sms_reminder_appointment", ["time": a.time, "town": a.jurisdiction.name, "number": a.number,
                                                                 "business": MaterialList.title(a.business, catalog: app.catalog, language: .zh)])
            if try await once("appointment:\(try a.requireID().uuidString):\(a.day.description):\(a.time)", db: db, now: now, send: { db in
                try await app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "reminderAppointment", body: body), on: db, at: now, logger: app.logger)
            }) { counts.appointments += 1 }
        }
        counts.lapsed = try await OfferService(app: app, db: db, now: now, actor: .system, logger: app.logger).lapse()
        return counts
    }

    private static func permit(of p: ResidencePermit) -> String { p.id?.uuidString ?? "" }

    /// Those of `items` whose event has no reminder yet (asked a slice at a time).
    static func unsent<T>(_ items: [T], on db: any Database, event: (T) -> String) async throws -> [T] {
        let keyed = items.map { (event($0), $0) }
        let sent = try await self.sent(keyed.map(\.0), on: db)
        return keyed.filter { !sent.contains($0.0) }.map(\.1)
    }

    /// Which of these events have a reminder already (asked a slice at a time).
    private static func sent(_ events: [String], on db: any Database) async throws -> Set<String> {
        var sent = Set<String>()
        for slice in Batches.slices(events) {
            sent.formUnion(try await ReminderSent.query(on: db).filter(\.$event ~~ Array(slice)).all(\.$event))
        }
        return sent
    }

    /// For each of `items` whose event has no reminder yet, records the event and sends its text
    /// to its resident (`onceEach` below).
    static func onceEach<T>(_ items: [T], event: (T) -> String, text: (T) -> (Resident, String), kind: String, service: PointsService,
                            db: any Database, now: Date) async throws -> Int {
        let keyed = items.map { (event: event($0), item: $0) }
        let sent = try await self.sent(keyed.map(\.event), on: db)
        let texts = keyed.filter { !sent.contains($0.event) }.map { k in
            let (resident, body) = text(k.item)
            return (event: k.event, resident: resident, body: body)
        }
        return try await onceEach(texts, kind: kind, service: service, db: db, now: now)
    }

    /// Records each event and sends its text to its resident, a few hundred events a transaction
    /// (a city's December has tens of thousands: one transaction each held the database's write
    /// lock tens of thousands of times). A batch that fails — another run recorded one of its
    /// events first — goes again one event at a time, so each is still texted once. Returns how
    /// many this run sent.
    static func onceEach(_ texts: [(event: String, resident: Resident, body: String)], kind: String, service: PointsService,
                         db: any Database, now: Date) async throws -> Int {
        var sent = 0
        for slice in Batches.slices(texts) {
            do {
                try await db.transaction { db in
                    try await Batches.insert(into: ReminderSent.schema, columns: ["id", "event", "sent_at"], slice.map { [UUID(), $0.event, now] }, on: db)
                    try await service.on(db).notify(slice.map { ($0.resident, $0.body) }, kind: kind)
                }
                sent += slice.count
            } catch {
                for text in slice where try await once(text.event, db: db, now: now, send: { db in try await service.on(db).notify(text.resident, kind: kind, text.body) }) {
                    sent += 1
                }
            }
        }
        return sent
    }

    /// Records `event` and sends its text in one transaction; false when another run got there first.
    static func once(_ event: String, db: any Database, now: Date, send: @escaping @Sendable (any Database) async throws -> Void) async throws -> Bool {
        do {
            try await db.transaction { db in
                let marker = ReminderSent()
                marker.event = event
                marker.sentAt = now
                try await marker.create(on: db)
                try await send(db)
            }
            return true
        } catch {
            if try await ReminderSent.query(on: db).filter(\.$event == event).count() > 0 { return false }
            throw error
        }
    }

    private static let lastRun = NIOLockedValueBox<Date?>(nil)

    /// What the server's loop calls: the reminders at most once an hour per process.
    static func runIfDue(_ app: Application) async {
        let now = app.effects.now()
        let due = lastRun.withLockedValue { last -> Bool in
            if let last, now.timeIntervalSince(last) < 3_600 { return false }
            last = now
            return true
        }
        guard due else { return }
        do { _ = try await run(app, now: now) } catch { app.logger.error("reminders failed", metadata: ["error": .string(String(describing: error))]) }
    }
}

/// `jifen reminders`: sends the day's reminders now and prints how many of each.
enum RemindersCommand: JifenCommand {
    static let name = "reminders"
    static let usage = "jifen reminders"
    static let needsApplication = true

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        _ = try Arguments(arguments, flags: [Arguments.demo])
        let app = try await migrated(app)
        let counts = try await Reminders.run(app, now: app.effects.now())
        io.output("reminders_endorsement \(counts.endorsements)")
        io.output("reminders_ready \(counts.ready)")
        io.output("reminders_unverified \(counts.unverified)")
        io.output("reminders_archive \(counts.archives)")
        io.output("reminders_offer \(counts.offers)")
        io.output("reminders_appointment \(counts.appointments)")
        io.output("offers_lapsed \(counts.lapsed)")
        return 0
    }
}
