import Fluent
import Foundation
import Ink
import JifenCore
import Vapor

/// An article of the policy portal (政策宣传): an announcement (通知公告), a policy document with
/// its interpretation (政策解读), or a question with its answer (常见问题), in Markdown.
final class PortalArticle: Model, @unchecked Sendable {
    static let schema = "portal_articles"

    @ID(key: .id) var id: UUID?
    @Enum(key: "kind") var kind: Kind
    @Field(key: "title") var title: String
    @Field(key: "body") var body: String
    /// A policy document's interpretation (empty for the others).
    @Field(key: "interpretation") var interpretation: String
    @Field(key: "published_at") var publishedAt: Date
    @Field(key: "updated_by") var updatedBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $kind, $title, $body, $interpretation, $publishedAt, $updatedBy] }

    enum Kind: String, Codable, Sendable, CaseIterable { case announcement, policy, faq }

    init() {}
}

/// Markdown as the portal shows it, rendered by Ink and made safe: raw HTML is shown as text,
/// links go only to web addresses and the site's own pages, images show their description, and
/// headings start below the page's own.
enum SafeMarkdown {
    static func html(_ markdown: String) -> String {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .links) { input in
            let html = input.html
            guard let start = html.range(of: "href=\""), let end = html[start.upperBound...].firstIndex(of: "\"") else { return text(of: html) }
            let href = String(html[start.upperBound..<end])
            let safe = (href.hasPrefix("https://") || href.hasPrefix("http://") || (href.hasPrefix("/") && !href.hasPrefix("//")) || href.hasPrefix("#"))
                && !href.contains(where: { "\"'<> \\".contains($0) })
            return safe ? html.replacingOccurrences(of: "<a href=", with: "<a rel=\"nofollow noopener\" href=") : text(of: html)
        })
        parser.addModifier(Modifier(target: .images) { input in
            let alt = input.markdown.dropFirst(2).prefix { $0 != "]" }
            return "<span class=\"image-alt\">" + escape(String(alt)) + "</span>"
        })
        parser.addModifier(Modifier(target: .html) { input in escape(String(input.markdown)) })
        parser.addModifier(Modifier(target: .headings) { input in
            var html = input.html
            for level in (1...5).reversed() {
                html = html.replacingOccurrences(of: "<h\(level)", with: "<h\(level + 1)").replacingOccurrences(of: "</h\(level)>", with: "</h\(level + 1)>")
            }
            return html
        })
        // `<` never opens a tag: the text keeps it as a character.
        return parser.html(from: markdown.replacingOccurrences(of: "<", with: "&lt;"))
    }

    /// The link's text without the link.
    static func text(of html: String) -> String {
        guard let open = html.firstIndex(of: ">"), let close = html.range(of: "</a>", options: .backwards) else { return escape(html) }
        return String(html[html.index(after: open)..<close.lowerBound])
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The first words of the text, without its marks, for a list.
    static func summary(_ markdown: String, length: Int = 80) -> String {
        let plain = markdown.replacingOccurrences(of: #"[#>*_`\[\]()!|-]"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression).trimmingCharacters(in: .whitespaces)
        return plain.count > length ? String(plain.prefix(length)) + "…" : plain
    }
}

/// The year's calendar of the points and admission cycle, from the programs: when each
/// program's quotas are due, its window, its publicity, its second round and its waitlist.
enum PolicyCalendar {
    struct Line: Encodable, Comparable {
        let date: String
        let day: Int
        let text: String
        static func < (a: Line, b: Line) -> Bool { (a.day, a.text) < (b.day, b.text) }
    }

    static func lines(year: Int, on req: Request) async throws -> [Line] {
        let programs = try await Program.query(on: req.db).all().filter { $0.opens.year == year || $0.closes.year == year }
        var lines: [Line] = []
        func add(_ date: CivilDate, _ key: String, _ args: [String: String]) {
            lines.append(Line(date: ShanghaiDate.long(date, req.language), day: date.dayNumber, text: req.text(key, args)))
        }
        for program in programs {
            let rules = program.rules
            let t = ["program": program.title]
            if rules.kind.isSchool { add(rules.quotaDue, "calendar_quota", t) }
            add(rules.opens, "calendar_opens", t)
            add(rules.closes, "calendar_closes", t)
            let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).sort(\.$round).all()
            for round in rounds {
                add(round.publicityFrom, "calendar_publicity", t.merging(["round": String(round.round), "to": ShanghaiDate.long(round.publicityTo, req.language)]) { $1 })
            }
            if rounds.isEmpty { add(rules.closes.adding(days: 1), "calendar_round_after", t) }
            if let closes = program.waitlistCloses { add(closes, "calendar_waitlist", t) }
        }
        return lines.sorted()
    }
}
