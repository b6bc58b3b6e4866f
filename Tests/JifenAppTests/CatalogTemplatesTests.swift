import Foundation
@testable import JifenApp
import Leaf
import XCTest

final class CatalogTemplatesTests: XCTestCase {
    /// A page rendered from its template with the catalog's texts written in is, to the byte, the
    /// page the `#t` tags render — for the public, a citizen and staff, in both languages.
    func testPagesWithTheirTextsWrittenInAreThePagesTheTagsRender() async throws {
        try await withApp(demo: true) { ctx in
            let anonymous = Browser(ctx.app)
            let citizen = try await ctx.signedIn("13800000001")
            let admin = try await ctx.signedIn("admin")
            let pages: [(Browser, SiteRoute)] = [
                (anonymous, .login), (anonymous, .estimate), (anonymous, .programs), (anonymous, .policy),
                (citizen, .home), (citizen, .myPoints), (citizen, .myPrograms), (citizen, .myResidence),
                (admin, .home), (admin, .adminUsers), (admin, .pointApplications), (admin, .registrations), (admin, .programs),
            ]
            // A text's own `#` and `\` are written in as character references (the same to a browser).
            func normalized(_ body: String) -> String {
                body.replacingOccurrences(of: #"name="_csrf" value="[^"]*""#, with: "", options: .regularExpression)
                    .replacingOccurrences(of: "&#35;", with: "#").replacingOccurrences(of: "&#92;", with: "\\")
            }
            for language in ["zh", "en"] {
                for browser in [anonymous, citizen, admin] { _ = try await browser.get(SiteRoute.language(language).path + "?back=/") }
                for (browser, route) in pages {
                    ctx.app.bakedTemplates = true
                    let written = try await browser.get(route.path)
                    ctx.app.bakedTemplates = false
                    let tagged = try await browser.get(route.path)
                    XCTAssertEqual(written.status, .ok, "\(language) \(route.path)")
                    XCTAssertGreaterThan(written.body.count, 1_000, "\(language) \(route.path)")
                    XCTAssertEqual(normalized(written.body), normalized(tagged.body), "\(language) \(route.path)")
                }
                let english = try await anonymous.get(SiteRoute.login.path)
                XCTAssertEqual(english.body.contains("<html lang=\"en\""), language == "en", "the page is in \(language)")
            }
            // Written in, the texts need no tag at all: with `#t` marking each use, no mark shows.
            ctx.app.leaf.tags["t"] = MarkingTag()
            ctx.app.bakedTemplates = false
            let tagged = try await citizen.get(SiteRoute.myPrograms.path)
            XCTAssertTrue(tagged.body.contains("[#t]"))
            ctx.app.bakedTemplates = true
            let written = try await citizen.get(SiteRoute.myPrograms.path)
            XCTAssertEqual(written.status, .ok)
            XCTAssertFalse(written.body.contains("[#t]"))
        }
    }

    struct MarkingTag: LeafTag {
        func render(_ ctx: LeafContext) throws -> LeafData { .string("[#t]") }
    }

    /// A text written into a template is escaped as the tag's value would be, and neither `#` nor
    /// `\` in it reaches Leaf as template syntax; other templates are extended in the same language.
    func testATextIsWrittenInAsPlainText() {
        let written = CatalogTemplates.written(##"<p title="#t("k")">#t("k")#(page.x)</p>#t("none")#extend("shared/base"):"##, in: .en,
                                               table: ["k": ##"a & <b> "c" 'd' #if(x) \"##])
        XCTAssertEqual(written, ##"<p title="a &amp; &lt;b&gt; &quot;c&quot; &#39;d&#39; &#35;if(x) &#92;">a &amp; &lt;b&gt; &quot;c&quot; &#39;d&#39; &#35;if(x) &#92;#(page.x)</p>none#extend("en/shared/base"):"##)
    }
}
