import Foundation
@testable import JifenApp
import Leaf
import LeafKit
import NIOCore
import Vapor
import XCTest

/// The tags pages are written with beside Leaf's own: `#any` and the explanation of a score.
final class PageTagsTests: XCTestCase {
    /// Templates held in memory, for rendering one line of template with the application's tags.
    struct Inline: LeafSource {
        let templates: [String: String]
        func file(template: String, escape: Bool, on eventLoop: any EventLoop) -> EventLoopFuture<ByteBuffer> {
            guard let text = templates[template] else { return eventLoop.makeFailedFuture(LeafError(.noTemplateExists(template))) }
            return eventLoop.makeSucceededFuture(ByteBuffer(string: text))
        }
    }

    func render(_ template: String, _ context: [String: LeafData], app: Application) async throws -> String {
        let request = Request(application: app, on: app.eventLoopGroup.next())
        let sources = LeafSources()
        try sources.register(source: "inline", using: Inline(templates: ["t": template]), searchable: true)
        let renderer = LeafRenderer(configuration: .init(rootDirectory: "/"), tags: app.leaf.tags, cache: DefaultLeafCache(), sources: sources,
                                    eventLoop: request.eventLoop, userInfo: ["request": request, "application": app])
        let buffer = try await renderer.render(path: "t", context: context).get()
        return String(buffer: buffer)
    }

    func testAnyTellsWhetherAListOrADictionaryHasAnything() async throws {
        try await withApp { ctx in
            let template = "#if(any(x)):yes#else:no#endif"
            let cases: [(LeafData?, String)] = [
                (.array([]), "no"), (.array([.string("a")]), "yes"),
                (.dictionary([:]), "no"), (.dictionary(["k": .string("v")]), "yes"),
                (nil, "no"), (.array(nil), "no"),
            ]
            for (value, expected) in cases {
                let context = value.map { ["x": $0] } ?? [:]
                let out = try await render(template, context, app: ctx.app)
                XCTAssertEqual(out, expected, "\(String(describing: value))")
            }
            let negated = try await render("#if(!any(x)):none#endif", ["x": .array([])], app: ctx.app)
            XCTAssertEqual(negated, "none")
            do {
                _ = try await render(template, ["x": .string("text")], app: ctx.app)
                XCTFail("a text is not a list")
            } catch {
                XCTAssertTrue("\(error)".contains("#any takes a list or a dictionary"), "\(error)")
            }
        }
    }

    func testTheExplanationEscapesEveryTextAndShowsOnlyWhatTheResultHas() async throws {
        try await withApp { ctx in
            typealias Line = EstimateController.ResultLine
            let result = EstimateController.Result(
                total: "60", eligible: true, vetoes: [],
                categories: [Line(title: "居住 <年限>", fact: nil, points: "50", status: "", statusCode: "", reason: nil)],
                lines: [Line(title: #"A & "B""#, fact: "5 年", points: "10", status: "计分", statusCode: "counted", reason: nil),
                        Line(title: "献血", fact: "8 次", points: "30", status: "已达上限", statusCode: "capped", reason: "上限 <40>")],
                addable: [EstimateController.Addable(title: "表彰", upTo: "80", rule: "市级 10 分 & 省级 40 分")])
            let data = try XCTUnwrap(try PageValues.data(result))
            let html = try await render(#"#explanation(r, 3, "points_could_add")"#, ["r": data], app: ctx.app)
            XCTAssertTrue(html.contains("<h3>分类小计</h3>"), html)
            XCTAssertTrue(html.contains("<li><span>居住 &lt;年限&gt;</span><strong>50</strong></li>"), html)
            XCTAssertTrue(html.contains("<h3>逐项说明</h3>"), html)
            XCTAssertTrue(html.contains(#"<tr class="line-counted"><td data-label="项目">A &amp; &quot;B&quot;</td><td data-label="您填写的">5 年</td><td data-label="得分"><strong>10</strong></td><td data-label="说明">计分</td></tr>"#), html)
            XCTAssertTrue(html.contains(#"<td data-label="说明">已达上限<br><small class="muted">上限 &lt;40&gt;</small></td>"#), html)
            XCTAssertTrue(html.contains("<h3>还可以增加的项目</h3>"), html)
            XCTAssertTrue(html.contains(#"<li><strong>表彰</strong> <span class="badge ok">最多 80 分</span><br><small class="muted">市级 10 分 &amp; 省级 40 分</small></li>"#), html)
            XCTAssertEqual(html.components(separatedBy: "<tr class=").count - 1, 2)

            // Nothing to list, nothing listed: no table, no heading for what could be added.
            let bare = EstimateController.Result(total: "0", eligible: true, vetoes: [], categories: [], lines: [], addable: [])
            let empty = try await render(#"#explanation(r, 2, "estimate_addable")"#, ["r": try XCTUnwrap(try PageValues.data(bare))], app: ctx.app)
            XCTAssertTrue(empty.contains("<h2>分类小计</h2>"), empty)
            XCTAssertFalse(empty.contains("<table"), empty)
            XCTAssertFalse(empty.contains("您还可以争取的加分"), empty)

            // The table alone, as under another standard.
            let table = try await render("#explanationTable(r.lines)", ["r": data], app: ctx.app)
            XCTAssertTrue(table.hasPrefix(#"<div class="table-wrap" tabindex="0">"#), table)
            XCTAssertFalse(table.contains("分类小计"), table)
            XCTAssertEqual(table.components(separatedBy: "<tr class=").count - 1, 2)

            do {
                _ = try await render(#"#explanation(r, 5, "estimate_addable")"#, ["r": data], app: ctx.app)
                XCTFail("a heading level of 5")
            } catch {
                XCTAssertTrue("\(error)".contains("#explanation takes"), "\(error)")
            }
        }
    }
}
