import Foundation
@testable import JifenApp
import Leaf
import LeafKit
import NIOCore
import NIOPosix
import XCTest

/// A page's model becomes the values Leaf renders with `PageValues`, in place of Leaf's own
/// encoder: every page must read the same either way.
final class PageValuesTests: XCTestCase {
    /// One template, held in memory.
    private struct Source: LeafSource {
        let text: String
        func file(template: String, escape: Bool, on eventLoop: any EventLoop) throws -> EventLoopFuture<ByteBuffer> {
            eventLoop.makeSucceededFuture(ByteBuffer(string: text))
        }
    }

    private enum Kind: String, Encodable { case school, medical }
    private struct Line: Encodable { let title: String; let points: Int; let share: Double; let capped: Bool; let note: String? }
    private struct Section: Encodable { let title: String; let lines: [Line]; let tags: [String] }
    /// A model that writes itself by hand, with a nested container and a nested list.
    private struct Handmade: Encodable {
        enum Keys: String, CodingKey { case name, inner, list, small }
        enum Inner: String, CodingKey { case a, b }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode("手写", forKey: .name)
            var inner = c.nestedContainer(keyedBy: Inner.self, forKey: .inner)
            try inner.encode(1, forKey: .a)
            try inner.encodeNil(forKey: .b)
            var list = c.nestedUnkeyedContainer(forKey: .list)
            try list.encode("x")
            var pair = list.nestedContainer(keyedBy: Inner.self)
            try pair.encode(2, forKey: .a)
            try list.encode(true)
            try c.encode(Int8(7), forKey: .small)
        }
    }
    private struct Page: Encodable {
        let title: String
        let kind: Kind
        let count: Int
        let total: Double
        let on: Bool
        let missing: String?
        let present: String?
        let sections: [Section]
        let empty: [Line]
        let words: [String: String]
        let form: FormState
        let handmade: Handmade
        let day: Date
        let id: UUID
    }

    private let template = """
        <h1>#(title)</h1> #(kind) #(count) #(total) #(on) #if(missing):missing#else:none#endif #(present) #(count(sections)) #(count(empty))
        #for(s in sections):<h2>#(s.title)</h2>#for(t in s.tags):[#(t)]#endfor
        #for(l in s.lines):<p>#(l.title) #(l.points) #(l.share)#if(l.capped): capped#endif#if(l.note): (#(l.note))#endif</p>#endfor#endfor
        #(words.greeting) #(form.values.name) #(form.errors.name) #(form.hasErrors)
        #(handmade.name) #(handmade.inner.a) #if(handmade.inner.b):b#else:no b#endif #(count(handmade.list)) #(handmade.small)
        #for(x in handmade.list):{#(x)}#endfor
        #(day) #(id)
        """

    private func page() -> Page {
        var form = FormState(fields: ["name", "phone"], values: ["name": "<王>"])
        form.fail("name", "请填写姓名")
        return Page(title: "我的积分 & <more>", kind: .medical, count: 3, total: 163.5, on: true, missing: nil, present: "有",
                    sections: [Section(title: "个人", lines: [Line(title: "文化程度", points: 60, share: 0.25, capped: false, note: nil),
                                                            Line(title: "献血", points: 30, share: 1.5, capped: true, note: "原为 40 分")], tags: ["a", "b"]),
                               Section(title: "空", lines: [], tags: [])],
                    empty: [], words: ["greeting": "您好"], form: form, handmade: Handmade(),
                    day: Date(timeIntervalSince1970: 1_780_000_000), id: UUID(uuidString: "C10C405C-C846-4CFD-93C1-3401CC93B160")!)
    }

    func testAPageReadsTheSameAsWithLeafsOwnEncoder() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let renderer = LeafRenderer(configuration: .init(rootDirectory: "/"), sources: .singleSource(Source(text: template)), eventLoop: group.next())
        let leafs = try renderer.render(path: "page", context: page()).wait()
        let ours = try renderer.render(path: "page", context: try PageValues.encode(page())).wait()
        XCTAssertEqual(String(buffer: ours), String(buffer: leafs))
        // The template really read the values: the page says what the model holds.
        let text = String(buffer: ours)
        for expected in ["我的积分 &amp; &lt;more&gt;", "medical", "163.5", "none", "[a][b]", "献血 30 1.5 capped (原为 40 分)", "您好", "&lt;王&gt;", "请填写姓名",
                         "手写 1 no b 3 7", "{x}", "{true}", "C10C405C-C846-4CFD-93C1-3401CC93B160"] {
            XCTAssertTrue(text.contains(expected), "\(expected) not in \(text)")
        }
    }

    func testAListIsNotAPage() {
        XCTAssertThrowsError(try PageValues.encode(["a", "b"]))
        XCTAssertEqual(try PageValues.encode(Optional<String>.none as String?).count, 0)
    }
}
