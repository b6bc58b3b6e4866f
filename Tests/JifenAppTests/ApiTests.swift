import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// A citizen account with a confirmed identity, verified residence since 2021, a permit, points in
/// an active archive and a confirmed child of six: everything a parent needs to apply.
func makeCitizen(_ ctx: TestContext, phone: String, name: String, idNumber: String, points: Int64, child: (name: String, id: String)) async throws -> (User, Resident, HouseholdMember) {
    let user = User(login: phone, passwordHash: try ctx.app.password.hash("citizen12345"), displayName: name, role: .citizen, status: .active, at: ctx.clock.now)
    try await user.create(on: ctx.app.db)
    let today = ShanghaiDate.today(ctx.clock.now)
    guard case .success(let id) = ResidentID.validate(idNumber, today: today, regions: ctx.app.regions),
          case .success(let childID) = ResidentID.validate(child.id, today: today, regions: ctx.app.regions) else { throw Abort(.badRequest) }
    let resident = try Resident(name: name, id: id, phone: phone, userID: user.requireID(), data: ctx.app.personalData, at: ctx.clock.now)
    resident.verifiedAt = ctx.clock.now
    resident.verifiedBy = "clerk.yangshe"
    try await resident.create(on: ctx.app.db)
    try await residenceAndPoints(ctx, resident: resident, points: points)
    let member = try HouseholdMember(.child, name: child.name, id: childID, of: resident.requireID(), data: ctx.app.personalData, at: ctx.clock.now, verifiedBy: "clerk.yangshe")
    try await member.create(on: ctx.app.db)
    return (user, resident, member)
}

/// Issues a department system's token as the centre's administrator does on its page.
func issueToken(_ ctx: TestContext, name: String, department: String, feeds: Bool = true, reviews: Bool = true) async throws -> String {
    let admin = try await ctx.signedIn("admin")
    try await admin.get("/admin/api-tokens")
    var form = ["name": name, "department": department, "days": "30"]
    if feeds { form["scopeFeeds"] = "on" }
    if reviews { form["scopeReviews"] = "on" }
    let page = try await admin.post("/admin/api-tokens", form)
    XCTAssertEqual(page.status, .ok)
    return Browser.firstMatch(#"<code id="issued-token">(jfd_[A-Za-z0-9_-]+)</code>"#, in: page.body) ?? ""
}

final class ApiTests: XCTestCase {
    static func id(_ region: String, _ birth: String, _ seq: String) -> String { ProgramsTests.id(region, birth, seq) }

    // MARK: the document and the routes

    func testTheDocumentAndTheServerListTheSameOperations() async throws {
        try await withApp { ctx in
            let documented = Set(try ApiDocument.sections().sections.flatMap(\.operations).map { $0.method + " " + $0.path })
            let registered = Set(ctx.app.routes.all.compactMap { route -> String? in
                let path = "/" + route.path.map(\.description).joined(separator: "/")
                guard path.hasPrefix("/api/v1/"), !ApiRoute.documentation.contains(path) else { return nil }
                // `:code` in Vapor is `{code}` in OpenAPI.
                let openAPI = path.split(separator: "/").map { $0.hasPrefix(":") ? "{" + $0.dropFirst() + "}" : String($0) }.joined(separator: "/")
                return route.method.rawValue + " /" + openAPI
            })
            XCTAssertGreaterThanOrEqual(registered.count, 15)
            XCTAssertEqual(documented.subtracting(registered).sorted(), [], "documented but not served")
            XCTAssertEqual(registered.subtracting(documented).sorted(), [], "served but not documented")
            // Every API route takes a bearer token or is public: none is opened by a cookie.
            for route in ctx.app.routes.all where route.path.first?.description == "api" {
                switch route.access {
                case .anyone?, .bearer?: break
                default: XCTFail("\(route.description) has \(String(describing: route.access))")
                }
            }
            // The document is served as it is kept, and as a readable page.
            let yaml = try await JSONClient(ctx.app).get("/api/v1/openapi.yaml")
            XCTAssertEqual(yaml.status, .ok)
            XCTAssertTrue(yaml.body.hasPrefix("openapi: 3.1.0"))
            let page = try await Browser(ctx.app).get("/api/v1/reference")
            XCTAssertTrue(page.body.contains("<code>PUT /api/v1/me/applications/{program}</code>"))
        }
    }

    func testErrorsAreProblemDocumentsNamingTheFieldInBothLanguages() async throws {
        try await withApp(demo: true) { ctx in
            let anonymous = JSONClient(ctx.app)
            let missing = try await anonymous.get("/api/v1/nowhere")
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertTrue(missing.isProblem)
            XCTAssertEqual(missing.json?["status"] as? Int, 404)
            XCTAssertEqual(missing.json?["title"] as? String, "页面不存在")
            XCTAssertEqual(missing.json?["title_en"] as? String, "Page not found")
            let noToken = try await anonymous.get("/api/v1/me")
            XCTAssertEqual(noToken.status, .unauthorized)
            XCTAssertEqual(noToken.problem, "tokenRequired")
            XCTAssertEqual(noToken.headers.first(name: .wwwAuthenticate), "Bearer realm=\"jifen\"")
            let badToken = try await JSONClient(ctx.app, token: "jfs_nothing").get("/api/v1/me")
            XCTAssertEqual(badToken.problem, "invalidToken")
            // A sign-in without its fields names each, in Chinese and English.
            let empty = try await anonymous.post("/api/v1/citizen/session", ["phone": ""])
            XCTAssertEqual(empty.status, .badRequest)
            XCTAssertEqual(empty.problemFields, ["phone", "password"])
            let errors = empty.json?["errors"] as? [[String: Any]] ?? []
            XCTAssertEqual(errors.first?["detail"] as? String, "请填写手机号。")
            XCTAssertEqual(errors.first?["detail_en"] as? String, "Mobile number is required.")
            // A field of the wrong type is named with its path.
            let wrongType = try await anonymous.post("/api/v1/citizen/session", ["phone": 13800000001, "password": "x"])
            XCTAssertEqual(wrongType.problemFields, ["phone"])
            // A cookie session opens nothing in the API.
            let web = try await ctx.signedIn("13800000001")
            _ = web
            let page = try await Browser(ctx.app).get("/api/v1/me")
            XCTAssertEqual(page.status, .unauthorized)
            // Paging: a bad cursor or limit is named.
            let paging = try await anonymous.get("/api/v1/programs?limit=0&cursor=xyz")
            XCTAssertEqual(Set(paging.problemFields), ["limit", "cursor"])
        }
    }

    func testPublicListsPageByCursorAndAnswer304ToTheirETag() async throws {
        try await withApp(demo: true) { ctx in
            for code in ["2026-p1", "2026-p2", "2026-p3", "2026-p4", "2026-p5"] {
                try await makeGrade1(ctx, code: code, maxChoices: 1, quotas: "C\(code.suffix(1)),实验小学,320582-01,1\n")
            }
            let client = JSONClient(ctx.app)
            var codes: [String] = []
            var next: String? = nil
            repeat {
                let page = try await client.get("/api/v1/programs?limit=2" + (next.map { "&cursor=" + $0 } ?? ""))
                XCTAssertEqual(page.status, .ok)
                XCTAssertLessThanOrEqual(page.items.count, 2)
                codes += page.items.compactMap { $0["code"] as? String }
                next = page.json?["nextCursor"] as? String
            } while next != nil
            let all = try await Program.query(on: ctx.app.db).count()
            XCTAssertEqual(codes.count, all, "every program once across the pages")
            XCTAssertEqual(Set(codes).count, all)
            let first = try await client.get("/api/v1/programs")
            let tag = try XCTUnwrap(first.headers.first(name: .eTag))
            let again = try await client.get("/api/v1/programs", headers: ["If-None-Match": tag])
            XCTAssertEqual(again.status, .notModified)
            XCTAssertEqual(again.body, "")
            // A change gives a new tag.
            let program = try await Program.query(on: ctx.app.db).first()!
            program.title += "（更新）"
            try await program.save(on: ctx.app.db)
            let changed = try await client.get("/api/v1/programs", headers: ["If-None-Match": tag])
            XCTAssertEqual(changed.status, .ok)
            // Times carry the Asia/Shanghai offset.
            let standards = try await client.get("/api/v1/standards")
            let published = standards.items.compactMap { $0["publishedAt"] as? String }
            XCTAssertFalse(published.isEmpty)
            XCTAssertTrue(published.allSatisfy { $0.hasSuffix("+08:00") }, "\(published)")
        }
    }

    func testRequestsBeyondTheLimitPerTokenOrAddressAnswer429WithRetryAfter() async throws {
        try await withApp(demo: true) { ctx in
            ctx.app.jifenConfig.apiPerTokenMinute = 3
            ctx.app.jifenConfig.apiPerAddressMinute = 5
            let token = try await issueToken(ctx, name: "人社系统", department: "hrss")
            let system = JSONClient(ctx.app, token: token, peer: "10.0.0.1")
            for _ in 0..<3 { let ok = try await system.get("/api/v1/department/claims"); XCTAssertEqual(ok.status, .ok) }
            let fourth = try await system.get("/api/v1/department/claims")
            XCTAssertEqual(fourth.status, .tooManyRequests)
            XCTAssertTrue(fourth.isProblem)
            let wait = Int(fourth.headers.first(name: .retryAfter) ?? "") ?? 0
            XCTAssertTrue((1...60).contains(wait), "Retry-After \(wait)")
            // Another address has its own count; from one address, five requests a minute.
            let other = JSONClient(ctx.app, peer: "10.0.0.2")
            for _ in 0..<5 { let ok = try await other.get("/api/v1/programs"); XCTAssertEqual(ok.status, .ok) }
            let sixth = try await other.get("/api/v1/programs")
            XCTAssertEqual(sixth.status, .tooManyRequests)
            // The next minute the count starts again.
            ctx.clock.advance(61)
            let later = try await other.get("/api/v1/programs")
            XCTAssertEqual(later.status, .ok)
        }
    }

    // MARK: department systems

    func testADepartmentTokenSeesAndDecidesItsOwnDepartmentsItemsOnly() async throws {
        try await withApp(demo: true) { ctx in
            // An application in review with an item for 人社局 and one for 税务局.
            let (_, resident, _) = try await makeCitizen(ctx, phone: "13900000051", name: "陆军", idNumber: Self.id("410102", "19800404", "410"), points: 0,
                                                         child: (name: "陆小孩", id: Self.id("410102", "20200701", "420")))
            let application = PointsApplication()
            application.createdAt = ctx.clock.now
            application.updatedAt = ctx.clock.now
            application.number = "JF2026-API1"
            application.year = 2026
            application.standardCode = "zhangjiagang-2021"
            application.status = .inReview
            application.openedBy = "clerk.yangshe"
            application.$resident.id = try resident.requireID()
            application.$jurisdiction.id = try await Jurisdiction.find(code: "320582-01-01-01", on: ctx.app.db)!.requireID()
            try await application.create(on: ctx.app.db)
            try await makeClaims(ctx, on: application, [("vocationalQualification", "hrss", "level3"), ("netTaxPaid", "tax", "5000")])
            let hrss = JSONClient(ctx.app, token: try await issueToken(ctx, name: "人社系统", department: "hrss"))
            let tax = JSONClient(ctx.app, token: try await issueToken(ctx, name: "税务系统", department: "tax"))
            let hrssWaiting = try await hrss.get("/api/v1/department/claims?limit=100")
            XCTAssertEqual(hrssWaiting.status, .ok)
            let ids = hrssWaiting.items.compactMap { $0["id"] as? String }
            XCTAssertEqual(ids.count, 1, "the hrss item only")
            let stored = try await PointsClaim.query(on: ctx.app.db).filter(\.$id ~~ ids.compactMap { UUID(uuidString: $0) }).all()
            XCTAssertEqual(Set(stored.map(\.department)), ["hrss"])
            // The applicant is masked; no ID number in clear anywhere in the answer.
            XCTAssertEqual(PrivacyScan.validIDNumbers(in: hrssWaiting.body), [])
            let first = try XCTUnwrap(hrssWaiting.items.first)
            XCTAssertTrue(((first["applicant"] as? [String: Any])?["idMasked"] as? String)?.contains("*") ?? false)
            // The tax office's token reads none of them and decides none: 404, nothing changed.
            let taxWaiting = try await tax.get("/api/v1/department/claims?limit=100")
            XCTAssertEqual(taxWaiting.items.compactMap { $0["item"] as? String }, ["netTaxPaid"])
            let foreign = try await tax.post("/api/v1/department/claims/\(ids[0])/decision", ["decision": "approve"])
            XCTAssertEqual(foreign.status, .notFound)
            XCTAssertTrue(foreign.isProblem)
            let untouched = try await PointsClaim.find(UUID(uuidString: ids[0]), on: ctx.app.db)
            XCTAssertEqual(untouched?.state, .claimed)
            // Nor may it push another department's feed.
            let wrongFeed = try await tax.post("/api/v1/department/feeds/socialInsurance/batches", ["records": [[String: String]]()], headers: ["Idempotency-Key": "k1"])
            XCTAssertEqual(wrongFeed.status, .notFound)
            // Its own department decides, under the page's rules: a rejection needs a reason.
            let noReason = try await hrss.post("/api/v1/department/claims/\(ids[0])/decision", ["decision": "reject"])
            XCTAssertEqual(noReason.status, .badRequest)
            XCTAssertEqual(noReason.problemFields, ["reason"])
            let sent = ctx.notifier.messages.count
            let decided = try await hrss.post("/api/v1/department/claims/\(ids[0])/decision", ["decision": "reject", "reason": "社保记录中无此单位"])
            XCTAssertEqual(decided.status, .ok, decided.body)
            XCTAssertEqual(decided.json?["state"] as? String, "rejected")
            let claim = try await PointsClaim.find(UUID(uuidString: ids[0]), on: ctx.app.db)
            XCTAssertEqual(claim?.state, .rejected)
            XCTAssertEqual(claim?.decidedBy, "api:人社系统")
            XCTAssertEqual(ctx.notifier.messages.dropFirst(sent).map(\.recipient), ["13900000051"], "the citizen gets the text the page sends")
            let twice = try await hrss.post("/api/v1/department/claims/\(ids[0])/decision", ["decision": "approve"])
            XCTAssertEqual(twice.status, .conflict)
            // Two decisions sent at once on the tax item: one stands, the other is told.
            let taxItem = try XCTUnwrap(taxWaiting.items.first?["id"] as? String)
            async let approving = tax.post("/api/v1/department/claims/\(taxItem)/decision", ["decision": "approve"])
            async let rejecting = tax.post("/api/v1/department/claims/\(taxItem)/decision", ["decision": "reject", "reason": "无完税记录"])
            let answers = try await [approving, rejecting].map(\.status)
            XCTAssertEqual(answers.filter { $0 == .ok }.count, 1, "\(answers)")
            XCTAssertEqual(answers.filter { $0 == .conflict }.count, 1, "\(answers)")
            let taxDecisions = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "decide").filter(\.$actorLogin == "api:税务系统").count()
            XCTAssertEqual(taxDecisions, 1)
            // Every use of a token is in the audit log, and so is the decision, by the token's name.
            let uses = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "apiUse").filter(\.$entityID == "税务系统").count()
            XCTAssertEqual(uses, 5)
            let decisions = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "decide").filter(\.$actorLogin == "api:人社系统").count()
            XCTAssertEqual(decisions, 1)
            // A token without the scope is refused.
            let feedsOnly = JSONClient(ctx.app, token: try await issueToken(ctx, name: "人社推送", department: "hrss", feeds: true, reviews: false))
            let noScope = try await feedsOnly.get("/api/v1/department/claims")
            XCTAssertEqual(noScope.status, .forbidden)
            XCTAssertEqual(noScope.problem, "tokenNotAllowed")
        }
    }

    func testATokenIsShownOnceStoredHashedAndARevokedTokenIsRefusedAtOnce() async throws {
        try await withApp(demo: true) { ctx in
            let token = try await issueToken(ctx, name: "人社系统", department: "hrss")
            XCTAssertTrue(token.hasPrefix("jfd_"))
            let stored = try await ApiToken.query(on: ctx.app.db).filter(\.$name == "人社系统").first()!
            XCTAssertEqual(stored.tokenHash, sha256Hex(token))
            let admin = try await ctx.signedIn("admin")
            let list = try await admin.get("/admin/api-tokens")
            XCTAssertFalse(list.body.contains(token), "the list never shows the token again")
            XCTAssertTrue(list.body.contains(stored.tokenPrefix + "…"))
            let system = JSONClient(ctx.app, token: token)
            let before = try await system.get("/api/v1/department/claims")
            XCTAssertEqual(before.status, .ok)
            let revoked = try await admin.post("/admin/api-tokens/\(stored.id!.uuidString)/revoke", [:])
            XCTAssertEqual(revoked.status, .seeOther)
            let after = try await system.get("/api/v1/department/claims")
            XCTAssertEqual(after.status, .unauthorized)
            XCTAssertEqual(after.problem, "invalidToken")
            // An expired token is refused too.
            let other = try await issueToken(ctx, name: "人社系统二", department: "hrss")
            ctx.clock.advance(31 * 86_400)
            let expired = try await JSONClient(ctx.app, token: other).get("/api/v1/department/claims")
            XCTAssertEqual(expired.status, .unauthorized)
        }
    }

    /// `n` valid ID numbers of people born in 1980–1999 in Zhangjiagang.
    static func idNumbers(_ n: Int) -> [String] {
        (0..<n).map { k in
            let birth = String(format: "19%02d%02d%02d", 80 + k % 20, 1 + k % 12, 1 + (k / 12) % 28)
            return id("320582", birth, String(format: "%03d", k / 240 % 1000))
        }
    }

    func testABatchReplayedWithItsKeyChangesNothingAndAnswersTheSame() async throws {
        try await withApp(demo: true) { ctx in
            let system = JSONClient(ctx.app, token: try await issueToken(ctx, name: "人社系统", department: "hrss"))
            let records = Self.idNumbers(3).enumerated().map { k, id in ["idNumber": id, "name": "张三", "quantity": 24 + k, "asOf": "2026-08-31"] as [String: Any] }
            let path = "/api/v1/department/feeds/socialInsurance/batches"
            let noKey = try await system.post(path, ["records": records])
            XCTAssertEqual(noKey.status, .badRequest)
            XCTAssertEqual(noKey.problemFields, ["Idempotency-Key"])
            let first = try await system.post(path, ["records": records], headers: ["Idempotency-Key": "2026-09-21-001"])
            XCTAssertEqual(first.status, .ok, first.body)
            XCTAssertEqual(first.json?["added"] as? Int, 3)
            let stored = try await FeedRecordModel.query(on: ctx.app.db).count()
            let imports = try await FeedImportModel.query(on: ctx.app.db).count()
            let replay = try await system.post(path, ["records": records], headers: ["Idempotency-Key": "2026-09-21-001"])
            XCTAssertEqual(replay.status, .ok)
            XCTAssertEqual(replay.body, first.body, "the same answer")
            XCTAssertEqual(replay.headers.first(name: "Idempotent-Replayed"), "true")
            let storedAfter = try await FeedRecordModel.query(on: ctx.app.db).count()
            let importsAfter = try await FeedImportModel.query(on: ctx.app.db).count()
            XCTAssertEqual(storedAfter, stored)
            XCTAssertEqual(importsAfter, imports, "no second import")
            // The key with another batch is refused.
            let other = try await system.post(path, ["records": Array(records.prefix(1))], headers: ["Idempotency-Key": "2026-09-21-001"])
            XCTAssertEqual(other.status, .unprocessableEntity)
            XCTAssertEqual(other.problem, "idempotencyKeyReused")
            // Another system's key is its own.
            let second = JSONClient(ctx.app, token: try await issueToken(ctx, name: "人社系统二", department: "hrss"))
            let same = try await second.post(path, ["records": records], headers: ["Idempotency-Key": "2026-09-21-001"])
            XCTAssertEqual(same.json?["unchanged"] as? Int, 3, "a new import, which finds the same records")
        }
    }

    func testABatchOfTenThousandWithOnePercentBadStoresTheGoodAndReportsEachBad() async throws {
        try await withApp(demo: true) { ctx in
            let system = JSONClient(ctx.app, token: try await issueToken(ctx, name: "人社系统", department: "hrss"))
            let ids = Self.idNumbers(10_000)
            XCTAssertEqual(Set(ids).count, 10_000)
            var bad: [Int: String] = [:]
            let records = ids.enumerated().map { k, id -> [String: Any] in
                var record: [String: Any] = ["idNumber": id, "name": "员工\(k)", "quantity": String(k % 200), "asOf": "2026-08-31"]
                if k % 100 == 37 {
                    switch (k / 100) % 4 {
                    case 0: record["idNumber"] = String(id.dropLast()) + (id.last == "1" ? "2" : "1"); bad[k] = "idNumber"
                    case 1: record["asOf"] = "2026-13-01"; bad[k] = "asOf"
                    case 2: record["quantity"] = "-3"; bad[k] = "quantity"
                    default: record["name"] = ""; bad[k] = "name"
                    }
                }
                return record
            }
            let answer = try await system.post("/api/v1/department/feeds/socialInsurance/batches", ["records": records], headers: ["Idempotency-Key": "big"])
            XCTAssertEqual(answer.status, .ok)
            XCTAssertEqual(answer.json?["received"] as? Int, 10_000)
            XCTAssertEqual(answer.json?["added"] as? Int, 9_900)
            let refused = answer.json?["refused"] as? [[String: Any]] ?? []
            XCTAssertEqual(refused.count, 100)
            let reported = Dictionary(uniqueKeysWithValues: refused.map { ($0["index"] as? Int ?? -1, $0["field"] as? String ?? "") })
            XCTAssertEqual(reported, bad, "each bad record by its index and field")
            // Each in Chinese and in English, apart.
            XCTAssertTrue(refused.allSatisfy { ($0["detail"] as? String)?.contains("/") == false && ($0["detail_en"] as? String)?.isEmpty == false }, "\(refused.prefix(4))")
            let checkDigit = refused.first { $0["field"] as? String == "idNumber" }
            XCTAssertEqual(checkDigit?["detail_en"] as? String, "wrong check digit (expected " + String(ids[37].last!) + ")")
            let stored = try await FeedRecordModel.query(on: ctx.app.db).filter(\.$feed == "socialInsurance").filter(\.$asOf == CivilDate("2026-08-31")!).count()
            XCTAssertEqual(stored, 9_900)
            XCTAssertEqual(PrivacyScan.validIDNumbers(in: answer.body), [], "the report names no ID number")
        }
    }

    // MARK: citizens

    func testACitizenWalksFromSignInToARankedApplicationAndHisResultThroughTheAPI() async throws {
        try await withApp(demo: true) { ctx in
            // The bureau's side, as the pages do it: grade 1 with two schools of one seat each.
            let program = try await makeGrade1(ctx, code: "2026-api", maxChoices: 2, quotas: "A1,实验小学,320582-01,1\nA2,梁丰小学,320582-01,1\n")
            try await approveAllSteps(ctx, .quota, "2026-api")
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-api")
            try await edu.post("/programs/2026-api/quotas/publish", [:])
            let (_, _, child) = try await makeCitizen(ctx, phone: "13900000021", name: "周明", idNumber: Self.id("320582", "19850305", "031"), points: 80,
                                                      child: (name: "周小明", id: Self.id("320582", "20200315", "032")))

            // He signs in with his phone and password.
            let wrong = try await JSONClient(ctx.app).post("/api/v1/citizen/session", ["phone": "13900000021", "password": "nope"])
            XCTAssertEqual(wrong.status, .unauthorized)
            var me = try await JSONClient.citizen(ctx.app, phone: "13900000021", password: "citizen12345")
            let person = try await me.get("/api/v1/me")
            XCTAssertEqual(person.status, .ok)
            let identity = person.json?["identity"] as? [String: Any]
            XCTAssertEqual(identity?["verified"] as? Bool, true)
            XCTAssertEqual(identity?["nameMasked"] as? String, "周*")
            let household = person.json?["household"] as? [[String: Any]] ?? []
            XCTAssertEqual(household.first?["id"] as? String, child.id?.uuidString)
            XCTAssertEqual(PrivacyScan.validIDNumbers(in: person.body), [], "no ID number in clear")
            XCTAssertEqual(person.headers.first(name: .cacheControl), "no-store", "his data is kept by no cache")
            XCTAssertFalse(person.body.contains("周小明"))

            // The program, its published seats, and whether he may apply.
            let published = try await me.get("/api/v1/programs/2026-api")
            XCTAssertEqual((published.json?["quotas"] as? [[String: Any]])?.compactMap { $0["school"] as? String }, ["A1", "A2"])
            let open = try await me.get("/api/v1/me/programs")
            let entry = open.items.first { $0["code"] as? String == "2026-api" }
            let applicant = (entry?["applicants"] as? [[String: Any]])?.first
            XCTAssertEqual(applicant?["eligible"] as? Bool, true, "\(open.body)")
            XCTAssertEqual(applicant?["child"] as? String, child.id?.uuidString)

            // He applies, then ranks the schools again before the deadline.
            let refused = try await me.put("/api/v1/me/applications/2026-api", ["child": child.id!.uuidString, "schools": ["A1", "Z9"]])
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertEqual(refused.problemFields, ["application"])
            let applied = try await me.put("/api/v1/me/applications/2026-api", ["child": child.id!.uuidString, "schools": ["A2", "A1"]])
            XCTAssertEqual(applied.status, .created, applied.body)
            let reranked = try await me.put("/api/v1/me/applications/2026-api", ["child": child.id!.uuidString, "schools": ["A1", "A2"]])
            XCTAssertEqual(reranked.status, .ok)
            XCTAssertEqual((reranked.json?["choices"] as? [[String: Any]])?.compactMap { $0["school"] as? String }, ["A1", "A2"])
            XCTAssertEqual(reranked.json?["canRerank"] as? Bool, true)

            // Another parent with more points wants A1 too.
            let (rival, rivalChild) = try await makeParent(ctx, name: "王大伟", idNumber: Self.id("410102", "19800404", "410"), points: 95,
                                                           child: (name: "王小孩", id: Self.id("410102", "20200701", "420")))
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            guard case .saved = try await service.apply(resident: rival, child: rivalChild, program: program, schools: ["A1"]) else { return XCTFail("refused") }

            // After the deadline the round runs; his session has ended meanwhile, so he signs in again.
            ctx.clock.advance(10 * 86_400)
            let stale = try await me.get("/api/v1/me/applications")
            XCTAssertEqual(stale.status, .unauthorized)
            _ = try await ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger).run(program, round: 1)
            me = try await JSONClient.citizen(ctx.app, phone: "13900000021", password: "citizen12345")
            let results = try await me.get("/api/v1/me/applications")
            XCTAssertEqual(results.status, .ok)
            let mine = try XCTUnwrap(results.items.first { $0["program"] as? String == "2026-api" })
            let result = mine["result"] as? [String: Any]
            XCTAssertEqual(result?["school"] as? String, "A2")
            XCTAssertEqual(result?["schoolName"] as? String, "梁丰小学")
            XCTAssertEqual(result?["points"] as? String, "80")
            let choices = mine["choices"] as? [[String: Any]] ?? []
            XCTAssertEqual(choices.map { $0["school"] as? String }, ["A1", "A2"])
            XCTAssertEqual(choices.map { $0["outcome"] as? String }, ["full", "admitted"])
            XCTAssertEqual(choices.first?["cutoff"] as? String, "95", "A1's cutoff: the rival's points")
            XCTAssertEqual(mine["canRerank"] as? Bool, false)
            // The publicity list is public, masked.
            let publicity = try await JSONClient(ctx.app).get("/api/v1/programs/2026-api/rounds/1/publicity")
            XCTAssertEqual(publicity.items.compactMap { $0["nameMasked"] as? String }, ["王*伟", "周*"])
            XCTAssertEqual(PrivacyScan.validIDNumbers(in: publicity.body), [])
            // Signing out ends the token at once.
            let out = try await me.delete("/api/v1/citizen/session")
            XCTAssertEqual(out.status, .noContent)
            let after = try await me.get("/api/v1/me")
            XCTAssertEqual(after.status, .unauthorized)
        }
    }

    func testACitizensTokenReachesHisOwnDataOnly() async throws {
        try await withApp(demo: true) { ctx in
            try await makeGrade1(ctx, code: "2026-own", maxChoices: 1, quotas: "B1,实验小学,320582-01,2\n")
            let (_, _, childA) = try await makeCitizen(ctx, phone: "13900000031", name: "甲家长", idNumber: Self.id("320582", "19850306", "041"), points: 70,
                                                       child: (name: "甲孩子", id: Self.id("320582", "20200316", "042")))
            _ = try await makeCitizen(ctx, phone: "13900000032", name: "乙家长", idNumber: Self.id("320582", "19850307", "051"), points: 60,
                                      child: (name: "乙孩子", id: Self.id("320582", "20200317", "052")))
            let a = try await JSONClient.citizen(ctx.app, phone: "13900000031", password: "citizen12345")
            let b = try await JSONClient.citizen(ctx.app, phone: "13900000032", password: "citizen12345")
            let applied = try await a.put("/api/v1/me/applications/2026-own", ["child": childA.id!.uuidString, "schools": ["B1"]])
            XCTAssertEqual(applied.status, .created)
            // B sees his own identity, not A's, and none of A's applications.
            let bMe = try await b.get("/api/v1/me")
            XCTAssertEqual((bMe.json?["identity"] as? [String: Any])?["nameMasked"] as? String, "乙*长")
            XCTAssertFalse(bMe.body.contains(childA.id!.uuidString))
            let bApplications = try await b.get("/api/v1/me/applications")
            XCTAssertEqual(bApplications.items.count, 0)
            // Naming A's child does not let B apply for him.
            let stolen = try await b.put("/api/v1/me/applications/2026-own", ["child": childA.id!.uuidString, "schools": ["B1"]])
            XCTAssertEqual(stolen.status, .badRequest)
            XCTAssertEqual(stolen.problemFields, ["child"])
            let count = try await ServiceApplication.query(on: ctx.app.db).count()
            XCTAssertEqual(count, 1)
            // A staff account cannot take a citizen's token.
            let staff = try await JSONClient(ctx.app).post("/api/v1/citizen/session", ["phone": "edu", "password": "demo12345"])
            XCTAssertEqual(staff.status, .forbidden)
            XCTAssertEqual(staff.problem, "citizensOnly")
            // A department token is not a citizen's.
            let system = JSONClient(ctx.app, token: try await issueToken(ctx, name: "人社系统", department: "hrss"))
            let notCitizen = try await system.get("/api/v1/me")
            XCTAssertEqual(notCitizen.status, .forbidden)
        }
    }

    func testSigningOutOrAPasswordChangeOnTheWebEndsTheAPISession() async throws {
        try await withApp(demo: true) { ctx in
            _ = try await makeCitizen(ctx, phone: "13900000041", name: "丙家长", idNumber: Self.id("320582", "19850308", "061"), points: 70,
                                      child: (name: "丙孩子", id: Self.id("320582", "20200318", "062")))
            let api = try await JSONClient.citizen(ctx.app, phone: "13900000041", password: "citizen12345")
            let before = try await api.get("/api/v1/me")
            XCTAssertEqual(before.status, .ok)
            // Signing out on the web ends the mini-program's session too.
            let first = try await ctx.signedIn("13900000041", password: "citizen12345")
            try await first.get("/home")
            let out = try await first.post("/logout", [:])
            XCTAssertEqual(out.status, .seeOther)
            let afterSignOut = try await api.get("/api/v1/me")
            XCTAssertEqual(afterSignOut.status, .unauthorized)
            let again1 = try await JSONClient.citizen(ctx.app, phone: "13900000041", password: "citizen12345")
            let web = try await ctx.signedIn("13900000041", password: "citizen12345")
            try await web.get("/account/password")
            let changed = try await web.post("/account/password", ["current": "citizen12345", "password": "newpass12345", "passwordConfirm": "newpass12345"])
            XCTAssertEqual(changed.status, .seeOther, changed.body)
            let after = try await again1.get("/api/v1/me")
            XCTAssertEqual(after.status, .unauthorized)
            // An administrator disabling the account ends a new session too.
            let again = try await JSONClient.citizen(ctx.app, phone: "13900000041", password: "newpass12345")
            let user = try await User.find(login: "13900000041", on: ctx.app.db)!
            user.status = .disabled
            try await user.save(on: ctx.app.db)
            let disabled = try await again.get("/api/v1/me")
            XCTAssertEqual(disabled.status, .unauthorized)
        }
    }
}

final class CitizenApiTests: XCTestCase {
    static func id(_ region: String, _ birth: String, _ seq: String) -> String { ProgramsTests.id(region, birth, seq) }

    func testACitizenDeclaresWhereHeLivesAndFollowsHisPermitThroughTheAPI() async throws {
        try await withApp(demo: true) { ctx in
            let (_, resident, _) = try await makeCitizen(ctx, phone: "13900000061", name: "吴刚", idNumber: Self.id("320582", "19850309", "071"), points: 50,
                                                         child: (name: "吴小刚", id: Self.id("320582", "20200319", "072")))
            let me = try await JSONClient.citizen(ctx.app, phone: "13900000061", password: "citizen12345")
            // His residence: the verified registration and the permit, with its step.
            let before = try await me.get("/api/v1/me/residence")
            XCTAssertEqual(before.status, .ok)
            let registrations = before.json?["registrations"] as? [[String: Any]] ?? []
            XCTAssertEqual(registrations.map { $0["status"] as? String }, ["verified"])
            XCTAssertEqual(registrations.first?["from"] as? String, "2021-03-01")
            let permits = before.json?["permits"] as? [[String: Any]] ?? []
            XCTAssertEqual(permits.first?["status"] as? String, "issued")
            // A declaration while one is still open is refused, naming the field; so is a bad grid and date.
            let refused = try await me.post("/api/v1/me/residence/declarations", ["address": "", "grid": "320582-01", "from": "2026-13-01"])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertEqual(Set(refused.problemFields), ["address", "grid", "from"])
            // He moved: the old registration ended, he declares the new address.
            let open = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()!
            open.toDate = CivilDate("2026-09-01")
            try await open.save(on: ctx.app.db)
            let declared = try await me.post("/api/v1/me/residence/declarations", ["address": "城北社区5幢301室", "grid": "320582-01-01-02", "from": "2026-09-02"])
            XCTAssertEqual(declared.status, .created, declared.body)
            XCTAssertEqual(declared.json?["status"] as? String, "pending")
            XCTAssertEqual(declared.json?["dueDate"] as? String, "2026-09-28", "verified within a week")
            let stored = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).filter(\.$status == .pending).first()
            XCTAssertEqual(stored?.address, "城北社区5幢301室")
            XCTAssertEqual(stored?.source, .selfDeclared)
            let audited = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "declare").count()
            XCTAssertEqual(audited, 1)
        }
    }

    func testACitizenObjectsToAPublicityListUnderHisOwnPhoneWithinTheLimits() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-obj", maxChoices: 1, quotas: "D1,实验小学,320582-01,1\n")
            let (_, rival, rivalChild) = try await makeCitizen(ctx, phone: "13900000071", name: "郑强", idNumber: Self.id("320582", "19850310", "081"), points: 90,
                                                               child: (name: "郑小强", id: Self.id("320582", "20200320", "082")))
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            guard case .saved(let application) = try await service.apply(resident: rival, child: rivalChild, program: program, schools: ["D1"]) else { return XCTFail("refused") }
            ctx.clock.advance(10 * 86_400)
            _ = try await ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger).run(program, round: 1)
            _ = try await makeCitizen(ctx, phone: "13900000072", name: "冯军", idNumber: Self.id("320582", "19850311", "091"), points: 40,
                                      child: (name: "冯小军", id: Self.id("320582", "20200321", "092")))
            let me = try await JSONClient.citizen(ctx.app, phone: "13900000072", password: "citizen12345")
            let path = "/api/v1/programs/2026-obj/rounds/1/objections"
            let unknown = try await me.post(path, ["number": "FW2026-NOPE", "text": "此人社保年限有误"])
            XCTAssertEqual(unknown.status, .badRequest)
            XCTAssertEqual(unknown.problemFields, ["number"])
            for n in 1...3 {
                let filed = try await me.post(path, ["number": application.number, "text": "第\(n)次：此人社保年限有误"])
                XCTAssertEqual(filed.status, .created, filed.body)
                XCTAssertNotNil(filed.json?["dueDate"] as? String)
            }
            let fourth = try await me.post(path, ["text": "再次提出"])
            XCTAssertEqual(fourth.status, .badRequest)
            XCTAssertEqual(fourth.problemFields, ["phone"], "three per phone and list")
            let objections = try await Objection.query(on: ctx.app.db).all()
            XCTAssertEqual(objections.count, 3)
            XCTAssertEqual(Set(objections.map(\.contactPhone)), ["13900000072"])
            XCTAssertEqual(Set(objections.map(\.contactName)), ["冯军"])
            // Without a citizen's token there is no API objection.
            let anonymous = try await JSONClient(ctx.app).post(path, ["text": "匿名"])
            XCTAssertEqual(anonymous.status, .unauthorized)
        }
    }

    func testTheSelfEstimateExplainsEveryLineAndNamesEachBadFact() async throws {
        try await withApp(demo: true) { ctx in
            let client = JSONClient(ctx.app)
            let bad = try await client.post("/api/v1/estimate", ["facts": ["education": ["value": "doctorate-of-nothing"], "nonsense": ["value": "1"],
                                                                           "socialInsuranceMonths": ["value": "很多"]]])
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertEqual(Set(bad.problemFields), ["facts.education", "facts.nonsense", "facts.socialInsuranceMonths"])
            let answer = try await client.post("/api/v1/estimate", ["facts": ["education": ["value": "bachelor"], "socialInsuranceMonths": ["value": "36"]]])
            XCTAssertEqual(answer.status, .ok, answer.body)
            // The same figures as the evaluator's for the same facts.
            let (_, standard) = try await StandardVersion.inForce(on: ShanghaiDate.today(ctx.clock.now), on: ctx.app.db)!
            let expected = Evaluator(standard).evaluate(Profile(id: "x", facts: ["education": [Fact(.option("bachelor"))],
                                                                                 "socialInsuranceMonths": [Fact(.quantity(Decimal2(parsing: "36")!))]]),
                                                        asOf: ShanghaiDate.today(ctx.clock.now))
            XCTAssertEqual(answer.json?["total"] as? String, expected.total.description)
            let lines = answer.json?["lines"] as? [[String: Any]] ?? []
            XCTAssertEqual(Set(lines.compactMap { $0["item"] as? String }), Set(expected.lines.filter { $0.status != .absent }.map(\.item)))
            let addable = (answer.json?["addable"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
            XCTAssertFalse(addable.contains("education"), "a counted item is not offered again")
            XCTAssertEqual(addable, expected.addable(under: standard).map(\.item.id))
            // The series chooses the standard; an unknown one is named.
            let unknown = try await client.post("/api/v1/estimate", ["standard": "atlantis", "facts": [String: String]()])
            XCTAssertEqual(unknown.problemFields, ["standard"])
        }
    }
}
