import Fluent
import JifenCore
import NIOConcurrencyHelpers
import SQLKit
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
    /// How many of each were texted; `elsewhere`: events this run found unsent but another run
    /// (another node) recorded first, so this one did not text them.
    struct Counts: Equatable, Sendable { var endorsements = 0, ready = 0, unverified = 0, expired = 0, archives = 0, offers = 0, lapsed = 0, appointments = 0, elsewhere = 0 }

    static let endorsementDays = 30
    static let unverifiedDays = 5

    /// `rescore`: score this year's archives again (`rescore(_:service:today:now:elsewhere:)`);
    /// the server's loop does it once a day.
    static func run(_ app: Application, now: Date, rescore: Bool = true) async throws -> Counts {
        let db = app.db
        let today = ShanghaiDate.today(now)
        let service = PointsService(app: app, db: db, now: now, actor: .system, logger: app.logger)
        var counts = Counts()
        var elsewhere = 0

        // A permit running out within 30 days: endorse it (签注).
        let expiring = try await unsent("residence_permits", where: """
            status = \(bind: ResidencePermit.Status.issued.rawValue) AND valid_until >= \(bind: today) \
            AND valid_until <= \(bind: today.adding(days: endorsementDays))
            """, event: "endorsement", then: [.day("valid_until")], on: db)
        counts.endorsements = try await onceEach(try await load(ResidencePermit.self, expiring, on: db) { $0.with(\.$resident) }, text: { p in
            (p.resident, service.text("sms_reminder_endorsement", ["number": p.number, "date": ShanghaiDate.long(p.validUntil ?? today)]))
        }, kind: "reminderEndorsement", service: service, db: db, now: now, elsewhere: &elsewhere)

        // A permit ready at the window (not one sent by post).
        let ready = try await unsent("residence_permits", where: """
            status = \(bind: ResidencePermit.Status.ready.rawValue) AND (delivery IS NULL OR delivery <> 'post')
            """, event: "ready", on: db)
        counts.ready = try await onceEach(try await load(ResidencePermit.self, ready, on: db) { $0.with(\.$resident) }, text: { p in
            (p.resident, service.text("sms_reminder_ready", ["number": p.number]))
        }, kind: "reminderReady", service: service, db: db, now: now, elsewhere: &elsewhere)

        // Declarations the grid worker has not verified in 5 days: one text per worker, naming how many.
        let stale = try await unsent("residence_registrations", where: """
            status = \(bind: ResidenceRegistration.Status.pending.rawValue) \
            AND created_at <= \(bind: now.addingTimeInterval(-Double(unverifiedDays) * 86_400))
            """, event: "unverified", on: db)
        let fresh = try await load(ResidenceRegistration.self, stale, on: db) { $0 }
        for (grid, registrations) in Dictionary(grouping: fresh, by: { $0.item.$jurisdiction.id }) {
            let workers = try await User.query(on: db).filter(\.$jurisdiction.$id == grid).filter(\.$role == .gridWorker).filter(\.$status == .active).all()
            let phones = workers.compactMap(\.phone)
            guard !phones.isEmpty else { continue }
            let body = service.text("sms_reminder_unverified", ["count": String(registrations.count), "days": String(unverifiedDays)])
            // Another node that got there first makes this grid's transaction fail: skip it, go on.
            do { try await db.transaction { db in
                for r in registrations {
                    let marker = ReminderSent()
                    marker.event = r.event
                    marker.sentAt = now
                    try await marker.create(on: db)
                }
                try await app.effects.notifier.send(all: phones.map { OutgoingMessage(channel: .sms, recipient: $0, kind: "reminderUnverified", body: body) },
                                                    on: db, at: now, logger: app.logger)
            } } catch {
                let recorded = try await ReminderSent.query(on: db).filter(\.$event ~~ registrations.map(\.event)).count()
                if recorded == registrations.count { elsewhere += recorded; continue }
                throw error
            }
            counts.unverified += registrations.count
        }

        // An item whose validity window ran out since an archive's total was written (动态调整):
        // before December's texts, which give the total.
        if rescore { counts.expired = try await self.rescore(app, service: service, today: today, now: now, elsewhere: &elsewhere) }

        // December: this year's points end with the year; next year's need a new application.
        if today.month == 12 {
            let archives = try await unsent("points_archives", where: """
                status = \(bind: PointsArchive.Status.active.rawValue) AND year = \(bind: today.year)
                """, event: "archive", then: [.number("year")], on: db)
            counts.archives = try await onceEach(try await load(PointsArchive.self, archives, on: db) { $0.with(\.$resident) }, text: { archive in
                (archive.resident, service.text("sms_reminder_archive", ["year": String(archive.year), "total": Points(hundredths: archive.total).description]))
            }, kind: "reminderArchive", service: service, db: db, now: now, elsewhere: &elsewhere)
        }
        // An offer due tomorrow and not answered: confirm or decline. One overdue: taken as its
        // program says (a decline moves the waitlist).
        let dueSoon = try await unsent("allocation_results", where: """
            offer = \(bind: AllocationResult.Offer.pending.rawValue) AND offer_due = \(bind: today.adding(days: 1))
            """, event: "offer", then: [.day("offer_due")], on: db)
        counts.offers = try await onceEach(try await load(AllocationResult.self, dueSoon, on: db) { $0.with(\.$application) { $0.with(\.$resident).with(\.$program) } },
                                           text: { row in
            (row.application.resident, service.text("sms_reminder_offer", ["program": row.application.program.title, "date": ShanghaiDate.long(row.offerDue ?? today)]))
        }, kind: "reminderOffer", service: service, db: db, now: now, elsewhere: &elsewhere)
        // An appointment tomorrow: bring the documents, or cancel.
        let tomorrow = try await unsent("appointments", where: """
            status = \(bind: Appointment.Status.booked.rawValue) AND day = \(bind: today.adding(days: 1))
            """, event: "appointment", then: [.day("day"), .text("time")], on: db)
        for (event, a) in try await load(Appointment.self, tomorrow, on: db, { $0.with(\.$user).with(\.$jurisdiction) }) {
            guard let phone = a.user.phone else { continue }
            let body = service.text("sms_reminder_appointment", ["time": a.time, "town": a.jurisdiction.name, "number": a.number,
                                                                 "business": MaterialList.title(a.business, catalog: app.catalog, language: .zh)])
            if try await once(event, db: db, now: now, send: { db in
                try await app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "reminderAppointment", body: body), on: db, at: now, logger: app.logger)
            }) { counts.appointments += 1 } else { elsewhere += 1 }
        }
        counts.elsewhere = elsewhere
        counts.lapsed = try await OfferService(app: app, db: db, now: now, actor: .system, logger: app.logger).lapse()
        return counts
    }

    /// What follows the row's id in an event's key, each after a colon: a day (`YYYY-MM-DD`), a
    /// number, a text.
    enum KeyPart { case day(String), number(String), text(String) }

    /// The rows of `table` where `condition` holds and whose event has no reminder yet, each with
    /// its event's key: `kind:`, the row's id (its upper-case text), then `parts`, each after a
    /// colon. The key is written here only, and the database answers from the reminders' unique
    /// index, so an hourly check with nothing to send reads nothing (a city has tens of thousands
    /// of permits at the window, each reminded once).
    static func unsent(_ table: String, where condition: SQLQueryString, event kind: String, then parts: [KeyPart] = [],
                       on db: any Database) async throws -> [(id: UUID, event: String)] {
        let sql = db as! any SQLDatabase
        let sqlite = sql.dialect.name == "sqlite"
        // The same text on both: SQLite keeps a UUID as its upper-case text and a day as
        // `YYYY-MM-DD`; PostgreSQL has types of its own for both.
        func text(_ part: KeyPart) -> String {
            switch part {
            case .day(let column): sqlite ? column : "to_char(\(column), 'YYYY-MM-DD')"
            case .number(let column): "CAST(\(column) AS TEXT)"
            case .text(let column): column
            }
        }
        let key = ([sqlite ? "t.id" : "upper(CAST(t.id AS TEXT))"] + parts.map { text($0) }).joined(separator: " || ':' || ")
        let query: SQLQueryString = """
            SELECT t.id, \(bind: kind + ":") || \(unsafeRaw: key) AS event FROM \(unsafeRaw: table) t WHERE (\(condition)) \
            AND NOT EXISTS (SELECT 1 FROM \(unsafeRaw: ReminderSent.schema) s WHERE s.event = \(bind: kind + ":") || \(unsafeRaw: key))
            """
        return try await PlainRow.all(query, on: db).map { (id: try $0.uuid("id"), event: try $0.string("event")) }
    }

    /// Every active archive of this year scored today as its page scores it; where that differs
    /// from its stored total (an item's validity window ran out since the total was written, and
    /// nobody has opened the archive since), the archive takes the new total, its history records
    /// the change, and its resident is texted — once per archive and total, whichever node finds
    /// it first. Returns how many this run changed.
    static func rescore(_ app: Application, service: PointsService, today: CivilDate, now: Date, elsewhere: inout Int) async throws -> Int {
        let db = app.db
        let known = try await Archives.load(.active(year: today.year), on: db)
        guard !known.archives.isEmpty else { return 0 }
        let scored = try await known.scored(year: today.year, keys: [], asOf: today, on: db)
        var changed = 0
        for archive in known.archives.values {
            guard let total = scored[archive.id]?.total.hundredths, total != archive.total else { continue }
            let first = try await once("expired:\(archive.id.uuidString):\(total)", db: db, now: now) { db in
                let service = service.on(db)
                // Opened (and so brought up to date) since it was read here: nothing to do.
                guard let model = try await PointsArchive.find(archive.id, on: db), model.status == .active, model.total != total else { return }
                let before = model.total
                model.total = total
                model.updatedAt = now
                try await model.save(on: db)
                _ = try await service.history(model, .expired, before: before)
                guard let resident = try await Resident.find(model.$resident.id, on: db) else { return }
                try await service.notify(resident, kind: "pointsExpired", service.text("sms_points_expired", [
                    "year": String(model.year), "before": Points(hundredths: before).description, "total": Points(hundredths: total).description]))
            }
            if first { changed += 1 } else { elsewhere += 1 }
        }
        return changed
    }

    /// The model of each unsent row, with what `with` eager-loads, read a slice at a time.
    private static func load<M: Model>(_ type: M.Type, _ rows: [(id: UUID, event: String)], on db: any Database,
                                       _ with: (QueryBuilder<M>) -> QueryBuilder<M>) async throws -> [(event: String, item: M)] where M.IDValue == UUID {
        var found: [UUID: M] = [:]
        for slice in Batches.slices(rows) {
            for model in try await with(M.query(on: db).filter(\._$id ~~ slice.map(\.id))).all() { if let id = model.id { found[id] = model } }
        }
        return rows.compactMap { row in found[row.id].map { (event: row.event, item: $0) } }
    }

    /// Records each item's event and sends its text to its resident (`onceEach` below).
    static func onceEach<T>(_ items: [(event: String, item: T)], text: (T) -> (Resident, String), kind: String, service: PointsService,
                            db: any Database, now: Date, elsewhere: inout Int) async throws -> Int {
        let texts = items.map { item in
            let (resident, body) = text(item.item)
            return (event: item.event, resident: resident, body: body)
        }
        let sent = try await onceEach(texts, kind: kind, service: service, db: db, now: now)
        elsewhere += texts.count - sent
        return sent
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
                    try await Batches.insert(into: ReminderSent.schema, columns: ["id", "event", "sent_at"], slice.map { [.id(UUID()), .text($0.event), .time(now)] }, on: db)
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
    private static let lastRescore = NIOLockedValueBox<CivilDate?>(nil)

    /// What the server's loop calls: the reminders at most once an hour per process.
    static func runIfDue(_ app: Application) async {
        let now = app.effects.now()
        let due = lastRun.withLockedValue { last -> Bool in
            if let last, now.timeIntervalSince(last) < 3_600 { return false }
            last = now
            return true
        }
        guard due else { return }
        // Archives are scored again once a day (a city's are thousands, their claims tens of thousands).
        let today = ShanghaiDate.today(now)
        let rescore = lastRescore.withLockedValue { last -> Bool in
            guard last != today else { return false }
            last = today
            return true
        }
        do { _ = try await run(app, now: now, rescore: rescore) } catch { app.logger.error("reminders failed", metadata: ["error": .string(String(describing: error))]) }
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
        io.output("points_rescored \(counts.expired)")
        io.output("reminders_archive \(counts.archives)")
        io.output("reminders_offer \(counts.offers)")
        io.output("reminders_appointment \(counts.appointments)")
        io.output("reminders_sent_elsewhere \(counts.elsewhere)")
        io.output("offers_lapsed \(counts.lapsed)")
        return 0
    }
}
