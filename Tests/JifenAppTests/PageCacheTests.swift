import Fluent
@testable import JifenApp
import XCTest

/// Visitors who are not signed in share a public page for a few seconds; nobody ever gets
/// another browser's form token, a signed-in reader never gets a kept page, and a change staff
/// make on this node shows at once.
final class PageCacheTests: XCTestCase {
    func testVisitorsShareThePublicityForAFewSecondsButNeverAFormToken() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            ctx.app.pageCache = PageCache(seconds: 5)
            let round = try await XCTUnwrapAsync(try await AllocationRound.query(on: ctx.app.db).filter(\.$finalizedAt == nil).with(\.$program).first())
            let path = "/publicity/\(round.program.code)/\(round.round)"
            let first = try await XCTUnwrapAsync(try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == round.requireID()).sort(\.$rank).first())
            func rename(_ name: String) async throws {
                first.nameMasked = name
                try await first.save(on: ctx.app.db)
            }

            let admin = try await ctx.signedIn("admin")
            // Two visitors: the same list, each with his own form token, never the placeholder.
            let one = Browser(ctx.app), two = Browser(ctx.app)
            let a = try await one.get(path), b = try await two.get(path)
            XCTAssertEqual(a.status, .ok)
            XCTAssertEqual(ctx.app.pageCache.count, 1, "the visitors' page is kept")
            let tokenA = try XCTUnwrap(one.csrf), tokenB = try XCTUnwrap(two.csrf)
            XCTAssertNotEqual(tokenA, tokenB)
            XCTAssertFalse(a.body.contains("\u{1}") || b.body.contains("\u{1}"))
            XCTAssertTrue(a.body.contains(first.nameMasked))

            // Changed behind the page's back (as another node would): visitors keep the kept copy...
            try await rename("缓*存")
            let kept = try await Browser(ctx.app).get(path)
            XCTAssertFalse(kept.body.contains("缓*存"))
            // ...a signed-in reader sees the change at once...
            let fresh = try await admin.get(path)
            XCTAssertTrue(fresh.body.contains("缓*存"))
            // ...and visitors after the configured seconds.
            ctx.clock.advance(6)
            let later = try await Browser(ctx.app).get(path)
            XCTAssertTrue(later.body.contains("缓*存"))

            // A visitor's form does not change these pages: the kept copy stays. Its form token is
            // the visitor's own: his objection is taken (here refused for its empty fields, not as
            // a forged request).
            try await rename("再*改")
            let before = try await Browser(ctx.app).get(path)
            XCTAssertFalse(before.body.contains("再*改"))
            let objection = try await two.post(path + "/objections", ["name": "", "phone": "", "number": "", "text": "", "code": ""])
            XCTAssertEqual(objection.status, .badRequest, "a form error, not the 403 of a bad token")
            XCTAssertEqual(ctx.app.pageCache.count, 1)
            // Staff change what these pages show: anything they send other than GET empties the
            // kept pages of this node, and the next visitor gets a fresh one.
            try await admin.post("/logout", [:])
            XCTAssertEqual(ctx.app.pageCache.count, 0)
            let after = try await Browser(ctx.app).get(path)
            XCTAssertTrue(after.body.contains("再*改"))

            // A page due again is rendered by one request; the others meanwhile get the kept copy.
            let cache = PageCache(seconds: 5)
            let start = Date(timeIntervalSince1970: 1_790_000_000)
            cache.store("k", PageCache.Entry(body: Array("old".utf8), contentType: "text/html", stored: start))
            guard case .hit = cache.lookup("k", now: start.addingTimeInterval(4)) else { return XCTFail("fresh for five seconds") }
            guard case .miss = cache.lookup("k", now: start.addingTimeInterval(6)) else { return XCTFail("due: the first caller renders") }
            guard case .hit(let stale) = cache.lookup("k", now: start.addingTimeInterval(6.5)) else { return XCTFail("the others get the kept copy") }
            XCTAssertEqual(stale.body, Array("old".utf8))
            guard case .miss = cache.lookup("k", now: start.addingTimeInterval(17)) else { return XCTFail("a render that never came back is taken over") }
        }
    }

    /// A node started under load: the crowd asking for a page not kept yet waits for one render
    /// instead of each rendering it.
    func testAPageNotKeptYetIsRenderedOnceWhileTheOthersWait() async throws {
        let cache = PageCache(seconds: 5)
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        guard case .miss = cache.lookup("p", now: start) else { return XCTFail("the first caller renders") }
        guard case .pending = cache.lookup("p", now: start.addingTimeInterval(0.1)) else { return XCTFail("the others wait for him") }
        async let first = cache.wait("p")
        async let second = cache.wait("p")
        try await Task.sleep(nanoseconds: 50_000_000)
        cache.store("p", PageCache.Entry(body: Array("page".utf8), contentType: "text/html", stored: start.addingTimeInterval(0.3)))
        let (a, b) = await (first, second)
        XCTAssertEqual(a?.body, Array("page".utf8))
        XCTAssertEqual(b?.body, Array("page".utf8))
        guard case .hit = cache.lookup("p", now: start.addingTimeInterval(1)) else { return XCTFail("then it is kept") }

        // A render that gives nothing to keep (an error page): those waiting render their own.
        guard case .miss = cache.lookup("q", now: start) else { return XCTFail("the first caller renders") }
        guard case .pending = cache.lookup("q", now: start) else { return XCTFail("the others wait") }
        async let waiting = cache.wait("q")
        try await Task.sleep(nanoseconds: 50_000_000)
        cache.abandon("q")
        let none = await waiting
        XCTAssertNil(none)
        XCTAssertEqual(cache.count, 1, "nothing kept for q")
        guard case .miss = cache.lookup("q", now: start.addingTimeInterval(1)) else { return XCTFail("the next caller renders again") }
        // A render that never comes back is taken over.
        guard case .miss = cache.lookup("q", now: start.addingTimeInterval(12)) else { return XCTFail("taken over after the timeout") }
    }
}
