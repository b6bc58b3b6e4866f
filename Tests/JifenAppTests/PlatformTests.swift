import Fluent
@testable import JifenApp
import JifenResources
import SQLKit
import XCTVapor

final class PlatformTests: XCTestCase {
    /// Texts fill their placeholders once: an argument's own braces stay as typed, an unknown
    /// placeholder stays, and the Chinese around them is untouched.
    func testCatalogTextsFillEachPlaceholderOnce() {
        XCTAssertEqual(Catalog.fill("{name}，您的 {program} 结果：{outcome}", ["name": "张{program}", "program": "一年级", "outcome": "录取"]),
                       "张{program}，您的 一年级 结果：录取")
        XCTAssertEqual(Catalog.fill("{missing} {a}{a} {", ["a": "x"]), "{missing} xx {")
        XCTAssertEqual(Catalog.fill("}{a}{{a}}", ["a": "1"]), "}1{1}")
        XCTAssertEqual(Catalog.fill("无占位", ["a": "1"]), "无占位")
    }

    func testHealthReadinessAndMetrics() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app, peer: "127.0.0.1")
            let health = try await browser.get("/healthz")
            XCTAssertEqual(health.status, .ok)
            let ready = try await browser.get("/readyz")
            XCTAssertEqual(ready.status, .ok)
            XCTAssertEqual(ready.body, "ready")
            try await browser.get("/login")
            let metrics = try await browser.get("/metrics")
            XCTAssertEqual(metrics.status, .ok)
            XCTAssertTrue(metrics.headers.first(name: .contentType)?.hasPrefix("text/plain") == true)
            XCTAssertTrue(metrics.body.contains(#"jifen_http_requests_total{method="GET",route="/login",status="200"} 1"#), metrics.body)
            XCTAssertTrue(metrics.body.contains("# TYPE jifen_http_request_duration_seconds histogram"))
        }
    }

    func testUnknownPageIsA404InChineseAndAnErrorIsA500InChinese() async throws {
        try await withApp { ctx in
            let missing = try await Browser(ctx.app).get("/no/such/page")
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertTrue(missing.body.contains("<h1>页面不存在</h1>"))
            struct Boom: Error {}
            // A route of the test's own, outside the site's routes, open to anyone.
            let boom = ctx.app.get("boom") { _ -> String in throw Boom() }
            boom.userInfo[.init(Access.userInfoKey)] = Access.anyone
            let failed = try await Browser(ctx.app).get("/boom")
            XCTAssertEqual(failed.status, .internalServerError)
            XCTAssertTrue(failed.body.contains("<h1>系统出错了</h1>"))
            XCTAssertFalse(failed.body.contains("Boom"), "the cause is logged, not shown")
        }
    }

    func testPagesCarrySecurityHeadersAndEscapeWhatTheyShow() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app)
            try await browser.get("/register")
            let page = try await browser.post("/register", ["phone": "<script>alert(1)</script>", "displayName": "", "password": "", "passwordConfirm": ""])
            XCTAssertFalse(page.body.contains("<script>alert(1)</script>"))
            XCTAssertTrue(page.body.contains("&lt;script&gt;"))
            XCTAssertTrue(page.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            XCTAssertEqual(page.headers.first(name: "X-Content-Type-Options"), "nosniff")
        }
    }

    func testStylesheetIsServedFromTheResourceBundle() async throws {
        try await withApp { ctx in
            let css = try await Browser(ctx.app).get("/css/jifen.css")
            XCTAssertEqual(css.status, .ok)
            XCTAssertTrue(css.body.contains("--red"))
        }
    }

    func testSQLiteRunsInWALModeWithFullSyncAndEveryConnectionsSettings() async throws {
        guard TestDatabase.postgresURL == nil else { throw XCTSkip("SQLite only") }
        try await withApp { ctx in
            let sql = ctx.app.db as! any SQLDatabase
            let mode = try await sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
            let sync = try await sql.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
            XCTAssertEqual(mode, "wal")
            XCTAssertEqual(sync, 2, "2 is FULL")
            // The cache and the mapped reads every connection is given (SQLite's defaults: 2 MiB, none).
            let cache = try await sql.raw("PRAGMA cache_size").first()?.decode(column: "cache_size", as: Int.self)
            let map = try await sql.raw("PRAGMA mmap_size").first()?.decode(column: "mmap_size", as: Int.self)
            XCTAssertEqual(cache, -32 * 1024, "32 MiB")
            XCTAssertEqual(map, SQLiteTuning.mapBytes)
            XCTAssertGreaterThan(map ?? 0, 2_000_000_000, "2 GiB")
            // A connection opened apart from the pool (the read connections, a backup's) gets them too.
            guard case .sqlite(let path) = ctx.app.jifenConfig.database else { return XCTFail("SQLite") }
            let own = try KeptStatements(path: path)
            defer { own.close() }
            XCTAssertEqual(try own.rows("PRAGMA cache_size", []).first?.column("cache_size")?.integer, -32 * 1024)
            XCTAssertEqual(try own.rows("PRAGMA mmap_size", []).first?.column("mmap_size")?.integer, SQLiteTuning.mapBytes)
        }
    }

    func testStatsCountsWhatIsInTheDatabase() async throws {
        try await withApp(demo: true) { ctx in
            let counts = Dictionary(uniqueKeysWithValues: try await Stats.counts(on: ctx.app.db))
            for name in ["residents", "residence_registrations", "rental_houses", "permits", "points_archives", "applications", "schools", "seats"] {
                XCTAssertNotNil(counts[name], name)
            }
            XCTAssertEqual(counts["users"], try Demo.accounts().count)
            // 1 city, 10 towns, 21 communities, 42 grids
            XCTAssertEqual(counts["jurisdictions"], 1 + 10 + 21 + 42)
            XCTAssertEqual(counts["departments"], 20)
        }
    }

    func testDemoLoadsOnlyIntoAnEmptyDatabase() async throws {
        try await withApp(demo: true) { ctx in
            let again = try await Demo.loadIfEmpty(ctx.app)
            XCTAssertFalse(again)
            let users = try await User.query(on: ctx.app.db).count()
            XCTAssertEqual(users, try Demo.accounts().count)
        }
    }

    func testStringCatalogHasBothLanguagesAndEveryKeyTheTemplatesUse() throws {
        let catalog = try Catalog.load()
        for (key, texts) in catalog.entries {
            XCTAssertFalse((texts["zh"] ?? "").isEmpty, "\(key) has no Chinese")
            XCTAssertFalse((texts["en"] ?? "").isEmpty, "\(key) has no English")
        }
        let views = JifenResources.directory("Views")
        let files = try FileManager.default.subpathsOfDirectory(atPath: views).filter { $0.hasSuffix(".leaf") }
        XCTAssertGreaterThan(files.count, 5)
        let regex = try NSRegularExpression(pattern: ##"#t\("([A-Za-z0-9_]+)"\)"##)
        let old = try NSRegularExpression(pattern: #"(?<![A-Za-z0-9_.])t\.[A-Za-z0-9_]+"#)
        for file in files {
            let text = try String(contentsOfFile: views + file, encoding: .utf8)
            XCTAssertEqual(old.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text)), 0, "\(file): catalog texts are written #t(\"key\")")
            for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let key = String(text[Range(match.range(at: 1), in: text)!])
                XCTAssertNotNil(catalog.entries[key], "\(file) uses #t(\"\(key)\"), which the catalog lacks")
            }
        }
        // Keys the code builds from role and level names.
        for role in ["citizen", "gridWorker", "windowClerk", "departmentReviewer", "educationOfficer", "centerAdmin", "auditor"] {
            XCTAssertNotNil(catalog.entries["role_" + role])
            XCTAssertNotNil(catalog.entries["home_intro_" + role])
        }
    }
}

final class TemplateTests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    /// Links come from `SiteRoute` through the page: a template writes no path of its own, not
    /// even the stylesheet's or the icon's.
    func testNoTemplateHardCodesAnApplicationPath() throws {
        let folder = JifenResources.directory("Views")
        let names = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".leaf") }
        XCTAssertGreaterThan(names.count, 40)
        let regex = try NSRegularExpression(pattern: ##"(?:href|action|src)="(/[^"#]*)"##)
        var found: [String] = []
        for name in names.sorted() {
            let text = try String(contentsOfFile: folder + name, encoding: .utf8)
            for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let path = String(text[Range(match.range(at: 1), in: text)!])
                found.append(name + ": " + path)
            }
        }
        XCTAssertEqual(found, [], "paths written in templates")
    }

    /// Controllers stay thin: none over 300 lines, and no Swift file but `SiteRoute.swift` (the
    /// pages) and `ApiRoute.swift` (the API) writes a path of the site.
    func testControllersAreShortAndOnlySiteRouteWritesPaths() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/JifenApp")
        let files = FileManager.default.enumerator(atPath: sources.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 50)
        var long: [String] = [], paths: [String] = []
        let literal = try NSRegularExpression(pattern: #""/[a-z][a-z0-9-]*[/"\\?]"#)
        for file in files.sorted() {
            let text = try String(contentsOfFile: sources.appendingPathComponent(file).path, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            if file.contains("Controller"), lines > 300 { long.append("\(file): \(lines) lines") }
            if file.hasSuffix("SiteRoute.swift") || file.hasSuffix("ApiRoute.swift") { continue }
            for match in literal.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let found = String(text[Range(match.range, in: text)!])
                if found.hasPrefix("\"/api/") { continue }  // the prefix an API would have, tested, not linked
                if found.hasPrefix("\"/cgi-bin/") || found.hasPrefix("\"/sns/") { continue }  // WeChat's own API, not the site's
                paths.append(file + ": " + found)
            }
        }
        XCTAssertEqual(long, [], "controllers over 300 lines")
        XCTAssertEqual(paths, [], "paths written outside SiteRoute")
    }
}
