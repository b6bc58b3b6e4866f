import Fluent
import Foundation
@testable import JifenApp
import XCTVapor

/// Headers, cookies, proxies, `/metrics` and the data directory: what an attacker on the network
/// or on the same machine would try first.
final class TransportTests: XCTestCase {
    func testEvenA404CarriesTheSecurityHeadersAndHSTS() async throws {
        try await withApp { ctx in
            let missing = try await Browser(ctx.app).get("/no/such/page")
            XCTAssertEqual(missing.status, .notFound)
            for name in ["Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Strict-Transport-Security"] {
                XCTAssertNotNil(missing.headers.first(name: name), "\(name) on a 404")
            }
            XCTAssertEqual(missing.headers.first(name: "X-Content-Type-Options"), "nosniff")
            XCTAssertTrue(missing.headers.first(name: "Strict-Transport-Security")?.hasPrefix("max-age=31536000") == true)
            // Without HTTPS (the demo, or JIFEN_SECURE_COOKIES=false) browsers must not be told to insist on it.
            ctx.app.jifenConfig.secureCookies = false
            let plain = try await Browser(ctx.app).get("/no/such/page")
            XCTAssertNil(plain.headers.first(name: "Strict-Transport-Security"))
            XCTAssertNotNil(plain.headers.first(name: "Content-Security-Policy"))
        }
    }

    func testCookiesAreSecureAndHostOnlyOutsideTheDemo() async throws {
        try await withApp(demo: true) { ctx in
            let page = try await Browser(ctx.app).get("/login")
            let cookie = try XCTUnwrap(page.headers[.setCookie].first { $0.contains("jifen_csrf") })
            XCTAssertTrue(cookie.hasPrefix("__Host-jifen_csrf="), cookie)
            XCTAssertTrue(cookie.contains("Secure"), cookie)
            XCTAssertTrue(cookie.contains("HttpOnly"), cookie)
            XCTAssertTrue(cookie.contains("Path=/"), cookie)
            XCTAssertFalse(cookie.contains("Domain"), cookie)
            let browser = try await ctx.signedIn("admin")
            XCTAssertNotNil(browser.cookies["__Host-jifen_session"], "the session cookie has the __Host- name")
            XCTAssertNil(browser.cookies["jifen_session"])
            let got1 = try await browser.get("/home").status
            XCTAssertEqual(got1, .ok)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jifen-cfg-" + UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertTrue(try AppConfig.load(environment: ["JIFEN_SECRET_KEY": testSecretHex], demo: false).secureCookies)
        XCTAssertFalse(try AppConfig.load(environment: ["JIFEN_DATA_DIR": directory], demo: true).secureCookies, "the demo runs on plain HTTP")
        XCTAssertFalse(try AppConfig.load(environment: ["JIFEN_SECRET_KEY": testSecretHex, "JIFEN_SECURE_COOKIES": "false"], demo: false).secureCookies)
        // A site reached over plain HTTP elsewhere than this machine would sign no one in: the start says so.
        XCTAssertThrowsError(try AppConfig.load(environment: ["JIFEN_SECRET_KEY": testSecretHex, "JIFEN_PUBLIC_URL": "http://jifen.example.gov.cn"], demo: false)) {
            XCTAssertEqual(($0 as? AppConfig.Problem)?.setting, "JIFEN_SECURE_COOKIES")
        }
        XCTAssertNoThrow(try AppConfig.load(environment: ["JIFEN_SECRET_KEY": testSecretHex, "JIFEN_PUBLIC_URL": "https://jifen.example.gov.cn"], demo: false))
        XCTAssertNoThrow(try AppConfig.load(environment: ["JIFEN_SECRET_KEY": testSecretHex, "JIFEN_PUBLIC_URL": "http://jifen.example.gov.cn", "JIFEN_SECURE_COOKIES": "false"], demo: false))
    }

    func testMetricsOnlyFromThisMachineOrWithTheToken() async throws {
        try await withApp { ctx in
            let got2 = try await Browser(ctx.app, peer: "203.0.113.9").get("/metrics").status
            XCTAssertEqual(got2, .notFound)
            let got3 = try await Browser(ctx.app).get("/metrics").status
            XCTAssertEqual(got3, .notFound, "no peer known: refused")
            let got4 = try await Browser(ctx.app, peer: "127.0.0.1").get("/metrics").status
            XCTAssertEqual(got4, .ok)
            let got5 = try await Browser(ctx.app, peer: "::1").get("/metrics").status
            XCTAssertEqual(got5, .ok)
            let proxied = Browser(ctx.app, peer: "127.0.0.1")
            proxied.extraHeaders.add(name: .xForwardedFor, value: "203.0.113.9")
            let got6 = try await proxied.get("/metrics").status
            XCTAssertEqual(got6, .notFound, "through a proxy on this machine: refused")

            ctx.app.jifenConfig.metricsToken = "scrape-token-0123456789"
            let scraper = Browser(ctx.app, peer: "203.0.113.9")
            scraper.extraHeaders.add(name: .authorization, value: "Bearer scrape-token-0123456789")
            let scraped = try await scraper.get("/metrics")
            XCTAssertEqual(scraped.status, .ok)
            XCTAssertTrue(scraped.body.contains("jifen_http_requests_total"))
            let guesser = Browser(ctx.app, peer: "203.0.113.9")
            guesser.extraHeaders.add(name: .authorization, value: "Bearer scrape-token-0123456780")
            let got7 = try await guesser.get("/metrics").status
            XCTAssertEqual(got7, .notFound)
        }
        XCTAssertThrowsError(try AppConfig.load(environment: ["JIFEN_SECRET_KEY": testSecretHex, "JIFEN_METRICS_TOKEN": "short"], demo: false)) {
            XCTAssertEqual(($0 as? AppConfig.Problem)?.setting, "JIFEN_METRICS_TOKEN")
        }
    }

    /// `X-Forwarded-For` is believed only from a configured proxy, and then only its nearest
    /// untrusted hop (what the client wrote at the far left is not trusted).
    func testForwardedAddressesAreBelievedOnlyFromTrustedProxies() async throws {
        try await withApp(demo: true) { ctx in
            func signInAddress(peer: String, forwarded: String?) async throws -> String? {
                let browser = Browser(ctx.app, peer: peer)
                if let forwarded { browser.extraHeaders.add(name: .xForwardedFor, value: forwarded) }
                _ = try await browser.signIn("auditor", "demo12345")
                return try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "signIn").sort(\.$at, .descending).sort(\.$id).all().last?.address
            }
            let got8 = try await signInAddress(peer: "10.0.0.5", forwarded: "198.51.100.7")
            XCTAssertEqual(got8, "10.0.0.5", "no proxy configured: the peer")
            ctx.app.jifenConfig.trustedProxies = [AddressRange("10.0.0.0/8")!]
            try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "signIn").delete()
            let got9 = try await signInAddress(peer: "10.0.0.5", forwarded: "198.51.100.7")
            XCTAssertEqual(got9, "198.51.100.7")
            try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "signIn").delete()
            let got10 = try await signInAddress(peer: "10.0.0.5", forwarded: "1.2.3.4, 198.51.100.7, 10.0.0.9")
            XCTAssertEqual(got10, "198.51.100.7",
                           "the hop the proxies saw, not what the client claimed")
            try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "signIn").delete()
            let got11 = try await signInAddress(peer: "203.0.113.9", forwarded: "198.51.100.7")
            XCTAssertEqual(got11, "203.0.113.9", "not a trusted proxy")
        }
        XCTAssertThrowsError(try AppConfig.load(environment: ["JIFEN_SECRET_KEY": testSecretHex, "JIFEN_TRUSTED_PROXIES": "10.0.0.0/33"], demo: false)) {
            XCTAssertEqual(($0 as? AppConfig.Problem)?.setting, "JIFEN_TRUSTED_PROXIES")
        }
        let config = try AppConfig.load(environment: ["JIFEN_SECRET_KEY": testSecretHex, "JIFEN_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8 ,127.0.0.1"], demo: false)
        XCTAssertEqual(config.trustedProxies.map(\.description), ["10.0.0.0/8", "fd00::/8", "127.0.0.1"])
    }

    func testAddressRanges() {
        let v4 = AddressRange("192.168.4.0/22")!
        XCTAssertTrue(v4.contains("192.168.7.255"))
        XCTAssertFalse(v4.contains("192.168.8.0"))
        XCTAssertTrue(v4.contains("::ffff:192.168.5.1"), "an IPv4-mapped IPv6 address")
        XCTAssertFalse(v4.contains("fd00::1"))
        XCTAssertTrue(AddressRange("fd00::/8")!.contains("fdab::1"))
        XCTAssertFalse(AddressRange("fd00::/8")!.contains("fe80::1"))
        XCTAssertTrue(AddressRange("0.0.0.0/0")!.contains("8.8.8.8"))
        XCTAssertNil(AddressRange("300.1.1.1"))
        XCTAssertNil(AddressRange("10.0.0.0/x"))
        XCTAssertTrue(AddressRange.isLoopback("127.0.0.1"))
        XCTAssertFalse(AddressRange.isLoopback("128.0.0.1"))
    }

    func testStaffSessionsEndAfterThirtyIdleMinutesCitizensAfterTwoHours() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            let citizen = try await ctx.signedIn("13800000001")
            ctx.clock.advance(29 * 60)
            let got12 = try await admin.get("/home").status
            XCTAssertEqual(got12, .ok)
            ctx.clock.advance(31 * 60)
            let got13 = try await admin.get("/home").status
            XCTAssertEqual(got13, .seeOther, "30 idle minutes end a staff session")
            let got14 = try await citizen.get("/home").status
            XCTAssertEqual(got14, .ok, "a citizen's lasts 120")
        }
    }

    func testTheDataDirectoryAndDatabaseAreTheServiceAccountsOnly() async throws {
        try await withApp { ctx in
            guard TestDatabase.postgresURL == nil else { return }
            let fm = FileManager.default
            let directory = try fm.attributesOfItem(atPath: ctx.dataDirectory)
            XCTAssertEqual((directory[.posixPermissions] as? NSNumber)?.intValue, 0o700)
            let database = try fm.attributesOfItem(atPath: ctx.dataDirectory + "/jifen.sqlite")
            XCTAssertEqual((database[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        }
    }
}
