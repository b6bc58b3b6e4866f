import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class AppointmentTests: XCTestCase {
    /// The slots a page offers for 杨舍镇's window: `day` + `T` + `time`.
    static func offered(_ body: String) -> [String] {
        Browser.allMatches(#"<option value="(20[0-9-]+T[0-9:]+)""#, in: body)
    }

    /// A window takes appointments on working days only: the holidays of 中秋 and 国庆 are never
    /// offered, nor taken when posted; a slot takes as many as its places and refuses the next;
    /// the citizen sees the materials to bring, is texted on booking and the day before, moves
    /// and cancels; the clerk sees his day and marks arrivals and no-shows.
    func testBookingBeyondCapacityIsRefusedAndAHolidayIsNeverOffered() async throws {
        try await withApp(demo: true) { ctx in
            // setup: the window starts empty (the demo's own bookings taken away); its clerk
            // opens 09:00 and 14:00 with two places each.
            try await Appointment.query(on: ctx.app.db).delete()
            let clerk = try await ctx.signedIn("clerk.yangshe")
            try await clerk.get("/appointments")
            let bad = try await clerk.post("/appointments/schedule", ["times": "9点,14:00", "capacity": "2"])
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertTrue(bad.body.contains("09:00,10:00 的格式"), "the field's problem is named")
            let set = try await clerk.post("/appointments/schedule", ["times": "14:00,09:00", "capacity": "2"])
            XCTAssertEqual(set.status, .seeOther)

            // Monday 21 September: two weeks on from tomorrow, without 25–27 September and 1–7 October.
            let li = try await ctx.signedIn("13800000001")
            var page = try await li.get("/me/appointments?town=320582-01")
            XCTAssertEqual(page.status, .ok)
            let slots = Self.offered(page.body)
            let days = Set(slots.map { String($0.prefix(10)) })
            XCTAssertEqual(days, ["2026-09-22", "2026-09-23", "2026-09-24", "2026-09-28", "2026-09-29", "2026-09-30"],
                           "working days up to 5 October, itself in 国庆")
            XCTAssertEqual(slots.count, days.count * 2)
            XCTAssertTrue(page.body.contains("2026年9月22日（周二）09:00，余2个"))
            let holiday = try await li.post("/me/appointments", ["business": "permit", "town": "320582-01", "slot": "2026-10-01T09:00"])
            XCTAssertEqual(holiday.status, .badRequest)
            XCTAssertTrue(holiday.body.contains("节假日和周末不办理"))

            // MUT: two book 22 September 09:00; the third is refused.
            let before = ctx.notifier.messages.count
            let booked = try await li.post("/me/appointments", ["business": "permit", "town": "320582-01", "slot": "2026-09-22T09:00"])
            XCTAssertEqual(booked.location, "/me/appointments?done=booked")
            let zhou = try await ctx.signedIn("13800000002")
            try await zhou.get("/me/appointments")
            let got1 = try await zhou.post("/me/appointments", ["business": "points", "town": "320582-01", "slot": "2026-09-22T09:00"]).status
            XCTAssertEqual(got1, .seeOther)
            let third = try await ctx.signedIn("13800000003")
            page = try await third.get("/me/appointments?town=320582-01")
            XCTAssertFalse(Self.offered(page.body).contains("2026-09-22T09:00"), "a full slot is not offered")
            let full = try await third.post("/me/appointments", ["business": "permit", "town": "320582-01", "slot": "2026-09-22T09:00"])
            XCTAssertEqual(full.status, .badRequest)
            XCTAssertTrue(full.body.contains("约满"))
            let got2 = try await Appointment.query(on: ctx.app.db).filter(\.$day == CivilDate("2026-09-22")!).filter(\.$time == "09:00").count()
            XCTAssertEqual(got2, 2)
            let again = try await li.post("/me/appointments", ["business": "permit", "town": "320582-01", "slot": "2026-09-23T09:00"])
            XCTAssertEqual(again.status, .badRequest, "one appointment per business")

            // He sees it with the documents to bring, and was texted.
            page = try await li.get("/me/appointments")
            XCTAssertTrue(page.body.contains(#"data-materials="permit""#) && page.body.contains("居民身份证"))
            XCTAssertTrue(ctx.notifier.messages.dropFirst(before).contains { $0.recipient == "13800000001" && $0.body.contains("2026年9月22日 09:00") })
            // The day before: one reminder each, once.
            var counts = try await Reminders.run(ctx.app, now: ctx.clock.now)
            XCTAssertEqual(counts.appointments, 2)
            counts = try await Reminders.run(ctx.app, now: ctx.clock.now)
            XCTAssertEqual(counts.appointments, 0)

            // 周 moves to 14:00 and the third takes the place he left; nobody else can.
            let zhouAppointment = try await Appointment.query(on: ctx.app.db).filter(\.$business == "points").first()!
            let moved = try await zhou.post("/me/appointments/\(zhouAppointment.id!)/move", ["slot": "2026-09-22T14:00"])
            XCTAssertEqual(moved.location, "/me/appointments?done=moved")
            try await third.get("/me/appointments")
            let got3 = try await third.post("/me/appointments", ["business": "permit", "town": "320582-01", "slot": "2026-09-22T09:00"]).status
            XCTAssertEqual(got3, .seeOther)
            let stranger = try await li.post("/me/appointments/\(zhouAppointment.id!)/cancel", [:])
            XCTAssertEqual(stranger.status, .notFound, "another's appointment")

            // The clerk's day: three, masked; on the day he marks 李明 arrived and the other not.
            ctx.clock.advance(86_400)
            try await clerk.signIn("clerk.yangshe", "demo12345")
            let day = try await clerk.get("/appointments?day=2026-09-22")
            XCTAssertEqual(day.body.components(separatedBy: "data-appointment=").count - 1, 3)
            XCTAssertFalse(day.body.contains("13800000001"), "phones masked")
            let liAppointment = try await Appointment.query(on: ctx.app.db).filter(\.$time == "09:00").filter(\.$business == "permit").sort(\.$createdAt).first()!
            let got4 = try await clerk.post("/appointments/\(liAppointment.id!)/mark", ["status": "arrived"]).status
            XCTAssertEqual(got4, .seeOther)
            let reread = try await Appointment.find(liAppointment.id, on: ctx.app.db)
            XCTAssertEqual(reread?.status, .arrived)
            let tangqiao = try await ctx.signedIn("clerk.tangqiao")
            try await tangqiao.get("/appointments")
            let got5 = try await tangqiao.post("/appointments/\(liAppointment.id!)/mark", ["status": "noShow"]).status
            XCTAssertEqual(got5, .notFound, "another town's window")
            let got6 = try await Stats.counts(on: ctx.app.db).first { $0.0 == "appointments" }?.1
            XCTAssertEqual(got6, 3)
        }
    }

    /// Three no-shows within 90 days pause booking for 30 days after the last.
    func testRepeatedNoShowsLimitBookingForAWhile() async throws {
        try await withApp(demo: true) { ctx in
            let user = try await User.query(on: ctx.app.db).filter(\.$login == "13800000001").first()!
            let town = try await Jurisdiction.find(code: "320582-01", on: ctx.app.db)!
            for (k, day) in ["2026-08-03", "2026-08-24", "2026-09-14"].enumerated() {
                let a = Appointment()
                a.number = "YY-TEST-\(k)"
                a.createdAt = ctx.clock.now
                a.$user.id = try user.requireID()
                a.$jurisdiction.id = try town.requireID()
                a.business = "permit"
                a.day = CivilDate(day)!
                a.time = "09:00"
                a.status = .noShow
                try await a.create(on: ctx.app.db)
            }
            let li = try await ctx.signedIn("13800000001")
            try await li.get("/me/appointments")
            let refused = try await li.post("/me/appointments", ["business": "points", "town": "320582-01", "slot": "2026-09-22T09:00"])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("2026年10月15日起才能再预约"), "30 days after the last no-show")
            ctx.clock.advance(24 * 86_400)   // 15 October
            try await li.signIn("13800000001", "demo12345")
            try await li.get("/me/appointments")
            let page = try await li.get("/me/appointments?town=320582-01")
            let slot = try XCTUnwrap(AppointmentTests.offered(page.body).first)
            let got7 = try await li.post("/me/appointments", ["business": "points", "town": "320582-01", "slot": slot]).status
            XCTAssertEqual(got7, .seeOther)
        }
    }
}
