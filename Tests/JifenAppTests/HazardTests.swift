import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// Hazards in rental housing: found, sent to the department responsible, forwarded, rectified,
/// accepted on site, spot-checked; due dates in working days on the holiday calendar.
final class HazardTests: XCTestCase {
    static let house = "320582-01-01-01-6-1-302"

    /// A department's staff account (reviewer of `department`), signed in.
    func department(_ ctx: TestContext, _ code: String) async throws -> Browser {
        let city = try await Jurisdiction.find(code: "320582", on: ctx.app.db)
        let dept = try await Department.query(on: ctx.app.db).filter(\.$code == code).first()
        try await User(login: "dept." + code, passwordHash: try ctx.app.password.hash("dept12345678"), displayName: code, role: .departmentReviewer, status: .active,
                       jurisdictionID: city?.id, departmentID: dept?.id, at: ctx.clock.now).create(on: ctx.app.db)
        return try await ctx.signedIn("dept." + code, password: "dept12345678")
    }

    /// The grid worker with a rental house registered in his grid.
    func worker(_ ctx: TestContext) async throws -> Browser {
        let worker = try await ctx.signedIn("grid.yangshe")
        try await worker.get("/houses/new")
        let made = try await worker.post("/houses", ["grid": "320582-01-01-01", "building": "6", "unit": "1", "room": "302",
                                                     "address": "城北社区6幢1单元302室", "landlord": "陈房东", "capacity": "4"])
        XCTAssertEqual(made.status, .seeOther)
        return worker
    }

    func hazard(_ ctx: TestContext, _ number: String? = nil, type: String? = nil) async throws -> Hazard {
        let q = Hazard.query(on: ctx.app.db)
        if let number { q.filter(\.$number == number) }
        if let type { q.filter(\.$typeCode == type) }
        let found = try await q.first()
        return try XCTUnwrap(found)
    }

    @discardableResult
    func step(_ browser: Browser, _ hazard: Hazard, _ step: String, note: String = "", department: String = "") async throws -> Browser.Page {
        let path = "/hazards/" + hazard.id!.uuidString
        try await browser.get(path)
        return try await browser.post(path + "/steps", ["step": step, "note": note, "department": department])
    }

    func testAHazardGoesFromReportToDepartmentForwardRectifyAcceptanceAndSpotCheckAndAnOverdueOneShows() async throws {
        try await withApp(demo: true) { ctx in
            var worker = try await worker(ctx)
            var police = try await department(ctx, "police")
            var fire = try await department(ctx, "fire")
            /// Days pass; sessions end: everyone signs in again.
            func later(_ days: Double) async throws {
                ctx.clock.advance(days * 86_400)
                worker = try await ctx.signedIn("grid.yangshe")
                police = try await ctx.signedIn("dept.police", password: "dept12345678")
                fire = try await ctx.signedIn("dept.fire", password: "dept12345678")
            }

            // Refused: no kind, no description; nothing saved.
            try await worker.get("/hazards/new")
            let refused = try await worker.post("/hazards", ["type": "", "house": Self.house, "place": "", "grid": "", "description": ""])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("请选择隐患类型。"))
            XCTAssertTrue(refused.body.contains("请填写隐患情况。"))
            let none = try await Hazard.query(on: ctx.app.db).count()
            XCTAssertEqual(none, 0)

            // Monday 2026-09-21: an electric bike charging indoors (fire brigade, 3 working days) and
            // group renting (public security, 10 working days).
            let ebike = try await worker.post("/hazards", ["type": "ebikeIndoors", "house": Self.house, "place": "", "grid": "", "description": "楼道内电动车飞线充电"])
            XCTAssertEqual(ebike.status, .seeOther)
            let late = try await hazard(ctx, type: "ebikeIndoors")
            XCTAssertEqual(late.dueDate, CivilDate("2026-09-24"), "three working days: Tuesday to Thursday")
            let reported = try await worker.post("/hazards", ["type": "groupRenting", "house": Self.house, "place": "", "grid": "", "description": "一套两居室住了 11 人，隔断分租"])
            XCTAssertEqual(reported.status, .seeOther)
            let h = try await hazard(ctx, type: "groupRenting")
            XCTAssertEqual(h.status, .assigned)
            XCTAssertEqual(h.departmentCode, "police")
            XCTAssertEqual(h.place, "城北社区6幢1单元302室")
            XCTAssertEqual(h.dueDate, CivilDate("2026-10-12"), "ten working days over 中秋 (25–27 Sept) and 国庆 (1–7 Oct), with Saturday 10 Oct worked")
            let shown = try await worker.get(try XCTUnwrap(reported.location))
            XCTAssertTrue(shown.body.contains("张家港市公安局"))
            XCTAssertTrue(shown.body.contains("2026-10-12"))

            // The fire brigade does not see the police's hazard.
            let notTheirs = try await fire.get("/hazards/" + h.id!.uuidString)
            XCTAssertEqual(notTheirs.status, .notFound)
            let stranger = try await step(fire, late, "rectify", note: "x")
            XCTAssertEqual(stranger.status, .conflict, "not acknowledged yet: the step is refused")

            // Police acknowledge, then find it is the fire brigade's duty (Wednesday) and forward it.
            let acknowledged = try await step(police, h, "acknowledge")
            XCTAssertEqual(acknowledged.status, .seeOther)
            try await later(2)
            let noTarget = try await step(police, h, "forward", note: "隔断占用疏散通道，属消防职责")
            XCTAssertEqual(noTarget.status, .badRequest)
            XCTAssertTrue(noTarget.body.contains("请选择成员部门。"))
            let forwarded = try await step(police, h, "forward", note: "隔断占用疏散通道，属消防职责", department: "fire")
            XCTAssertEqual(forwarded.status, .seeOther)
            var now = try await hazard(ctx, h.number)
            XCTAssertEqual(now.departmentCode, "fire")
            XCTAssertEqual(now.firstDepartmentCode, "police", "the first department stays on record")
            XCTAssertEqual(now.status, .assigned)
            XCTAssertEqual(now.dueDate, CivilDate("2026-10-14"), "ten working days again from Wednesday 23 Sept")
            let stillSeen = try await police.get("/hazards/" + h.id!.uuidString)
            XCTAssertEqual(stillSeen.status, .ok, "the department that forwarded it still follows it")
            XCTAssertFalse(stillSeen.body.contains(#"name="step""#), "but takes no step on it")

            // The fire brigade acknowledges and rectifies; a rectification without a word is refused.
            try await step(fire, now, "acknowledge")
            let silent = try await step(fire, now, "rectify")
            XCTAssertEqual(silent.status, .badRequest)
            XCTAssertTrue(silent.body.contains("请填写整改情况。"))
            try await step(fire, now, "rectify", note: "拆除隔断，恢复疏散通道")
            // The grid worker finds it not done on site and sends it back; then it is, and he accepts.
            let back = try await step(worker, now, "sendBack", note: "隔断仍在")
            XCTAssertEqual(back.status, .seeOther)
            now = try await hazard(ctx, h.number)
            XCTAssertEqual(now.status, .acknowledged)
            try await step(fire, now, "rectify", note: "隔断已全部拆除")
            let accepted = try await step(worker, now, "accept", note: "现场核查已整改")
            XCTAssertEqual(accepted.status, .seeOther)
            now = try await hazard(ctx, h.number)
            XCTAssertEqual(now.status, .accepted)
            XCTAssertEqual(now.acceptedOn, CivilDate("2026-09-23"))
            XCTAssertFalse(now.closedLate)

            // The centre spot-checks it.
            let admin = try await ctx.signedIn("admin")
            let checked = try await step(admin, now, "spotCheckPass")
            XCTAssertEqual(checked.status, .seeOther)
            now = try await hazard(ctx, h.number)
            XCTAssertEqual(now.spotCheck, .passed)
            // Every step with who and when.
            let steps = try await HazardStep.query(on: ctx.app.db).filter(\.$hazard.$id == h.id!).sort(\.$position).all()
            XCTAssertEqual(steps.map(\.action), [.reported, .assigned, .acknowledged, .forwarded, .acknowledged, .rectified, .sentBack, .rectified, .accepted, .spotCheckPassed])
            XCTAssertEqual(steps.map(\.actor), ["grid.yangshe", "grid.yangshe", "dept.police", "dept.police", "dept.fire", "dept.fire", "grid.yangshe", "dept.fire", "grid.yangshe", "admin"])
            XCTAssertEqual(steps[3].note, "隔断占用疏散通道，属消防职责")
            XCTAssertEqual(steps[3].departmentCode, "fire")
            let history = try await admin.get("/hazards/" + h.id!.uuidString)
            XCTAssertTrue(history.body.contains("原交办部门 张家港市公安局"))

            // Monday 28 Sept: the electric bike is overdue for the fire brigade and for the town.
            try await later(5)
            let fireOverdue = try await fire.get("/hazards?status=overdue")
            XCTAssertTrue(fireOverdue.body.contains(late.number))
            XCTAssertFalse(fireOverdue.body.contains(h.number))
            let town = try await ctx.signedIn("clerk.yangshe")
            let townOverdue = try await town.get("/hazards?status=overdue")
            XCTAssertTrue(townOverdue.body.contains(late.number))
            XCTAssertTrue(townOverdue.body.contains("已逾期未办结的隐患： <strong>1</strong>"))
            let otherTown = try await ctx.signedIn("clerk.tangqiao")
            let elsewhere = try await otherTown.get("/hazards?status=all")
            XCTAssertFalse(elsewhere.body.contains(late.number), "another town sees nothing of it")
            let stats = try await town.get("/hazards/stats")
            XCTAssertEqual(stats.status, .ok)
            XCTAssertTrue(stats.body.contains(#"<th scope="row">张家港市消防救援大队</th><td>2</td><td>1</td><td>1</td><td>1</td><td>0</td><td>50.0%</td>"#), "fire: two, one open and overdue, one closed")
            XCTAssertTrue(stats.body.contains(#"<th scope="row">杨舍镇（经开区）</th><td>2</td><td>1</td><td>1</td><td>1</td><td>0</td><td>50.0%</td>"#))
            let centre = try await ctx.signedIn("admin")
            let csv = try await centre.get("/hazards/stats.csv")
            XCTAssertEqual(csv.headers.contentType?.subType, "csv")
            XCTAssertTrue(csv.body.contains("按责任部门,张家港市消防救援大队,2,1,1,1,0,50.0%"))
            // Closed now, it was closed late.
            try await step(fire, late, "acknowledge")
            try await step(fire, late, "rectify", note: "已清理并张贴禁止室内充电告示")
            try await step(worker, late, "accept")
            let closed = try await hazard(ctx, late.number)
            XCTAssertTrue(closed.closedLate)
        }
    }

    func testAnyoneReportsFromTheDoorTheGridWorkerChecksAndPhotosAreSealed() async throws {
        try await withApp(demo: true) { ctx in
            let worker = try await worker(ctx)
            // A neighbour scans the door: no account, the house known by its code.
            let neighbour = Browser(ctx.app)
            let form = try await neighbour.get("/hazards/report?house=" + Self.house)
            XCTAssertEqual(form.status, .ok)
            XCTAssertTrue(form.body.contains(#"value="\#(Self.house)""#))
            let unknown = try await neighbour.post("/hazards/report", ["house": "320582-09-09-09-1-1-1", "type": "blockedExit", "description": "消防通道堆放杂物", "phone": "13912340000"])
            XCTAssertEqual(unknown.status, .badRequest)
            XCTAssertTrue(unknown.body.contains("没有地址码为 320582-09-09-09-1-1-1 的出租房屋"))
            let badPhone = try await neighbour.post("/hazards/report", ["house": Self.house, "type": "blockedExit", "description": "消防通道堆放杂物", "phone": "1391234"])
            XCTAssertEqual(badPhone.status, .badRequest)
            let sent = try await neighbour.post("/hazards/report", ["house": Self.house, "type": "blockedExit", "description": "消防通道堆放杂物", "phone": "13912340000"])
            XCTAssertEqual(sent.status, .seeOther)
            let h = try await hazard(ctx, type: "blockedExit")
            XCTAssertEqual(h.status, .received)
            XCTAssertNil(h.departmentCode, "not with a department before the grid worker looks")
            XCTAssertEqual(h.reportedBy, "public")
            let told = try await neighbour.get(try XCTUnwrap(sent.location))
            XCTAssertTrue(told.body.contains(h.number))

            // The grid worker finds nothing: the neighbour is told why.
            let queue = try await worker.get("/hazards?status=received")
            XCTAssertTrue(queue.body.contains(h.number))
            let page = try await worker.get("/hazards/" + h.id!.uuidString)
            XCTAssertTrue(page.body.contains("139****0000"), "the reporter's number masked")
            XCTAssertFalse(page.body.contains("13912340000"))
            let dismissed = try await step(worker, h, "dismiss", note: "现场核查通道畅通")
            XCTAssertEqual(dismissed.status, .seeOther)
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13912340000" && $0.body.contains("现场核查通道畅通") })

            // A second report, real: sent to the fire brigade, due from the day he sends it.
            try await neighbour.get("/hazards/report?house=" + Self.house)
            try await neighbour.post("/hazards/report", ["house": Self.house, "type": "threeInOne", "description": "一楼商铺住人", "phone": ""])
            let real = try await hazard(ctx, type: "threeInOne")
            try await step(worker, real, "send")
            let sentOn = try await hazard(ctx, real.number)
            XCTAssertEqual(sentOn.status, .assigned)
            XCTAssertEqual(sentOn.departmentCode, "fire")
            XCTAssertEqual(sentOn.dueDate, CivilDate("2026-09-29"), "five working days after 中秋")

            // Photos: a PNG is kept sealed and served to those who see the hazard; a PDF is refused.
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 64)
            let path = "/hazards/" + real.id!.uuidString
            try await worker.get(path)
            let uploaded = try await worker.upload(path + "/photos", fields: [:], file: (name: "file", filename: "a.png", bytes: png))
            XCTAssertEqual(uploaded.status, .seeOther)
            let pdf = try await worker.upload(path + "/photos", fields: [:], file: (name: "file", filename: "a.pdf", contents: "%PDF-1.4 x"))
            XCTAssertEqual(pdf.status, .badRequest)
            XCTAssertTrue(pdf.body.contains("照片须为 JPEG 或 PNG 图片。"))
            let firstPhoto = try await HazardPhoto.query(on: ctx.app.db).first()
            let photo = try XCTUnwrap(firstPhoto)
            XCTAssertEqual(photo.stage, "report")
            let files = SealedFiles(ctx.app, folder: "hazards")
            let onDisk = try XCTUnwrap(FileManager.default.contents(atPath: files.directory + files.name(sha256: photo.sha256)))
            XCTAssertFalse(onDisk.starts(with: png.prefix(8)), "sealed at rest")
            let served = try await worker.get("/hazards/photos/" + photo.id!.uuidString)
            XCTAssertEqual(served.status, .ok)
            XCTAssertEqual(served.headers.contentType?.subType, "png")
            let police = try await department(ctx, "police")
            let hidden = try await police.get("/hazards/photos/" + photo.id!.uuidString)
            XCTAssertEqual(hidden.status, .notFound)

            // The centre gives electric bikes to urban management with 5 days: the next report follows.
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/hazards/types")
            let bad = try await admin.post("/hazards/types", ["code": "ebikeIndoors", "department": "urban", "days": "0"])
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertTrue(bad.body.contains("办结时限（工作日）应为 1–60 之间的整数。"))
            let saved = try await admin.post("/hazards/types", ["code": "ebikeIndoors", "department": "urban", "days": "5"])
            XCTAssertEqual(saved.status, .seeOther)
            try await worker.get("/hazards/new")
            try await worker.post("/hazards", ["type": "ebikeIndoors", "house": "", "place": "城北社区8幢楼道", "grid": "320582-01-01-01", "description": "楼道充电"])
            let next = try await hazard(ctx, type: "ebikeIndoors")
            XCTAssertEqual(next.departmentCode, "urban")
            XCTAssertEqual(next.dueDate, CivilDate("2026-09-29"))
            // A grid worker elsewhere cannot report into this grid.
            let hash = try ctx.app.password.hash("grid2pass123")
            let otherGrid = try await Jurisdiction.find(code: "320582-02-01-01", on: ctx.app.db)
            try await User(login: "grid.tq", passwordHash: hash, displayName: "塘桥网格员", role: .gridWorker, status: .active, jurisdictionID: otherGrid?.id, at: ctx.clock.now).create(on: ctx.app.db)
            let other = try await ctx.signedIn("grid.tq", password: "grid2pass123")
            try await other.get("/hazards/new")
            let outside = try await other.post("/hazards", ["type": "groupRenting", "house": Self.house, "place": "", "grid": "", "description": "x"])
            XCTAssertEqual(outside.status, .badRequest)
            let notHis = try await other.get("/hazards/" + real.id!.uuidString)
            XCTAssertEqual(notHis.status, .notFound)
        }
    }
}
