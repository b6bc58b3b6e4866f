import Leaf
import Vapor

/// A score explained, one component wherever a score is shown line by line (the self-estimate,
/// the archive, the other standards' tables): written here rather than in each template, as
/// `ErrorSummaryTag` is. Every text is escaped; the values are the page model's
/// (`EstimateController.Result` and its `ResultLine`s and `Addable`s).
///
/// Measured on the citizen's 我的积分: each value a template prints costs Leaf about a
/// microsecond and a half (it splits the value's path at every use), and the explanation's
/// sixty-odd values were 95 of the page's 310 µs of rendering.
enum Explanation {
    /// `#explanation(result, level, addableHeading)`: the subtotal of each category, the
    /// line-by-line table when there are lines, and the items that could add points when there
    /// are any; headings at `level` (2 or 3), the last one the catalog's `addableHeading`.
    struct Tag: UnsafeUnescapedLeafTag {
        func render(_ ctx: LeafContext) throws -> LeafData {
            guard ctx.parameters.count == 3, let result = ctx.parameters[0].dictionary, let level = ctx.parameters[1].int, (2...3).contains(level),
                  let addableHeading = ctx.parameters[2].string
            else { throw Problem(description: "#explanation takes a result, a heading level (2 or 3) and the catalog key of the last heading") }
            guard let request = ctx.request else { throw Problem(description: "#explanation needs the request") }
            var html = ""
            html.reserveCapacity(4096)
            let open = "<h\(level)>", close = "</h\(level)>\n"
            html += open + escapeHTML(request.text("estimate_breakdown")) + close
            html += #"<ul class="breakdown">"#
            for category in Explanation.rows(result["categories"]) {
                html += "<li><span>" + Explanation.value(category, "title") + "</span><strong>" + Explanation.value(category, "points") + "</strong></li>"
            }
            html += "</ul>\n"
            let lines = Explanation.rows(result["lines"])
            if !lines.isEmpty {
                html += open + escapeHTML(request.text("estimate_lines")) + close
                Explanation.table(lines, into: &html, on: request)
            }
            let addable = Explanation.rows(result["addable"])
            if !addable.isEmpty {
                html += open + escapeHTML(request.text(addableHeading)) + close
                let upTo = escapeHTML(request.text("estimate_up_to")), unit = escapeHTML(request.text("points_unit"))
                html += #"<ul class="list">"#
                for a in addable {
                    html += "<li><strong>" + Explanation.value(a, "title") + #"</strong> <span class="badge ok">"# + upTo + " " + Explanation.value(a, "upTo") + " " + unit
                        + #"</span><br><small class="muted">"# + Explanation.value(a, "rule") + "</small></li>"
                }
                html += "</ul>\n"
            }
            return .string(html)
        }
    }

    /// `#explanationTable(lines)`: the line-by-line table alone.
    struct TableTag: UnsafeUnescapedLeafTag {
        func render(_ ctx: LeafContext) throws -> LeafData {
            guard ctx.parameters.count == 1 else { throw Problem(description: "#explanationTable takes the lines of a result") }
            guard let request = ctx.request else { throw Problem(description: "#explanationTable needs the request") }
            var html = ""
            html.reserveCapacity(2048)
            table(rows(ctx.parameters[0]), into: &html, on: request)
            return .string(html)
        }
    }

    struct Problem: Error, CustomStringConvertible { let description: String }

    /// The table: a header of four columns, each row labelled by them for a narrow screen
    /// (`table.stack`), a reason under the status when the line has one.
    static func table(_ lines: [[String: LeafData]], into html: inout String, on request: Request) {
        let labels = ["standard_item", "estimate_col_fact", "estimate_col_points", "estimate_col_status"].map { escapeHTML(request.text($0)) }
        html += #"<div class="table-wrap" tabindex="0">"# + "\n" + #"<table class="stack explanation">"# + "\n<thead><tr>"
        for label in labels { html += "<th>" + label + "</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for line in lines {
            html += #"<tr class="line-"# + value(line, "statusCode") + "\">"
            html += #"<td data-label=""# + labels[0] + "\">" + value(line, "title") + "</td>"
            html += #"<td data-label=""# + labels[1] + "\">" + value(line, "fact") + "</td>"
            html += #"<td data-label=""# + labels[2] + "\"><strong>" + value(line, "points") + "</strong></td>"
            html += #"<td data-label=""# + labels[3] + "\">" + value(line, "status")
            let reason = value(line, "reason")
            if !reason.isEmpty { html += #"<br><small class="muted">"# + reason + "</small>" }
            html += "</td></tr>\n"
        }
        html += "</tbody>\n</table>\n</div>\n"
    }

    static func rows(_ data: LeafData?) -> [[String: LeafData]] {
        (data?.array ?? []).compactMap(\.dictionary)
    }

    /// A text of the row, escaped; empty when it has none.
    static func value(_ row: [String: LeafData], _ key: String) -> String {
        guard let data = row[key], !data.isNil, let text = data.string else { return "" }
        return escapeHTML(text)
    }
}
