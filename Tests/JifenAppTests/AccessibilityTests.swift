import Fluent
@testable import JifenApp
import XCTest

/// Care mode (关怀模式) and the parts of the pages that make them usable by everyone. The browser
/// check audits every page it opens with axe-core; these tests hold what a reader relies on.
final class AccessibilityTests: XCTestCase {
    /// The switch on every page turns care mode on for this browser and, signed in, for the
    /// account: another browser where he signs in gets it too, until that browser switches it off.
    func testCareModeIsRememberedPerBrowserAndPerAccount() async throws {
        try await withApp(demo: true) { ctx in
            let visitor = Browser(ctx.app)
            let plain = try await visitor.get("/estimate")
            XCTAssertTrue(plain.body.contains(#"<html lang="zh-Hans">"#), "a visitor's page starts in normal mode")
            XCTAssertTrue(plain.body.contains(#"aria-pressed="false">关怀模式</button>"#), "every page has the switch")
            let switched = try await visitor.post("/care", ["care": "on", "back": "/estimate"])
            XCTAssertEqual(switched.status, .seeOther)
            XCTAssertEqual(switched.location, "/estimate")
            let care = try await visitor.get("/estimate")
            XCTAssertTrue(care.body.contains(#"<html lang="zh-Hans" class="care">"#), "the browser remembers care mode")
            XCTAssertTrue(care.body.contains(#"aria-pressed="true">关怀模式</button>"#))
            // The public page kept for visitors is kept per mode: the other visitor still reads normal mode.
            let other = try await Browser(ctx.app).get("/estimate")
            XCTAssertFalse(other.body.contains(#"class="care""#))
            // In English too.
            try await visitor.get("/lang/en?back=%2Festimate")
            let english = try await visitor.get("/estimate")
            XCTAssertTrue(english.body.contains(#"<html lang="en" class="care">"#))
            XCTAssertTrue(english.body.contains(#"aria-pressed="true">Care mode</button>"#))

            // Signed in, the switch is kept on the account.
            let phone = Browser(ctx.app)
            _ = try await phone.signIn("13800000001", "demo12345")
            try await phone.get("/home")
            try await phone.post("/care", ["care": "on", "back": "/home"])
            let account = try await User.query(on: ctx.app.db).filter(\.$login == "13800000001").first()
            XCTAssertEqual(account?.careMode, true)
            // A browser that never chose follows the account.
            let tablet = try await ctx.signedIn("13800000001")
            let home = try await tablet.get("/home")
            XCTAssertTrue(home.body.contains(#"class="care""#), "the account's care mode follows him to another browser")
            // That browser switches it off: for itself and for the account.
            try await tablet.post("/care", ["care": "off", "back": "/home"])
            let off = try await tablet.get("/home")
            XCTAssertFalse(off.body.contains(#"class="care""#))
            let after = try await User.query(on: ctx.app.db).filter(\.$login == "13800000001").first()
            XCTAssertEqual(after?.careMode, false)
            // The first browser keeps its own choice.
            let kept = try await phone.get("/home")
            XCTAssertTrue(kept.body.contains(#"class="care""#))
            // Only a local page to go back to.
            let away = try await phone.post("/care", ["care": "on", "back": "https://evil.example/"])
            XCTAssertEqual(away.location, "/")
        }
    }

    /// A refused form says at its top what to correct, each line a link to its field, and each
    /// field carries its message (`aria-describedby`, `aria-invalid`); a form that is fine has no summary.
    func testARefusedFormSummarisesItsProblemsWithLinksToTheFields() async throws {
        try await withApp(demo: true) { ctx in
            let visitor = Browser(ctx.app)
            let blank = try await visitor.get("/register")
            XCTAssertFalse(blank.body.contains(#"class="problems""#))
            let refused = try await visitor.post("/register", ["phone": "123", "displayName": "", "password": "short", "passwordConfirm": "other"])
            XCTAssertEqual(refused.status, .badRequest)
            let summary = Browser.firstMatch(#"(<div class="problems" role="alert">.*?</div>)"#, in: refused.body) ?? ""
            XCTAssertTrue(summary.contains("需要修改"), summary)
            for field in ["phone", "displayName", "password", "acceptPrivacy"] {
                XCTAssertTrue(summary.contains("<a href=\"#\(field)\">"), "the summary links to \(field): \(summary)")
                XCTAssertTrue(refused.body.contains(#"id="\#(field)-error""#), "\(field) has its message beside it")
            }
            XCTAssertTrue(refused.body.contains(#"id="phone" name="phone" type="tel" inputmode="numeric" value="123" maxlength="11" autocomplete="tel" required aria-describedby="phone-error" aria-invalid="true""#))
        }
    }
}
