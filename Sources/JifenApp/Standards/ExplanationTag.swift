import Leaf
import Vapor

/// A score explained, one component wherever a score is shown line by line (the self-estimate,
/// the archive, the other standards' tables): written here rather than in each template, as
/// `ErrorSummaryTag` is. Every text is escaped; the values are the page model's
/// (`EstimateController.Result` and its `ResultLine`s and `Addable`s).
///
/// Leaf splits a value's path at every use and escapes its text a character at a time: the
/// explanation's sixty-odd values were a large share of rendering the citizen's 我的积分.
enum Explanation {
    /// `#explanation(result, level, addableHeading)`: the subtotal of each category, the
    /// line-by-line table when there are lines, and the items that could add points when there
    /// are any; headings at `level` (2 or 3), the last one the catalog's `addableHeading`.
    struct Tag: UnsafeUnescapedLeafTag {
        func render(_ ctx: LeafContext) throws -> LeafData {
            guard ctx.parameters.count == 3, let result = ctx.parameters[0].dictionary, let level = ctx.parameters[1].int, (2...3).contains(level),
                  let addableHeading = ctx.parameters[2].string
            else { throw TagProblem(description: "#explanation takes a result, a heading level (2 or 3) and the catalog key of the last heading") }
            guard let request = ctx.request else { throw TagProblem(description: "#explanation needs the request") }
            var html = ""
            html.reserveCapacity(4096)
            func heading(_ key: String) {
                html += "<h\(level)>"; html += escapeHTML(request.text(key)); html += "</h\(level)>\n"
            }
            heading("estimate_breakdown")
            html += #"<ul class="breakdown">"#
            for category in Explanation.rows(result["categories"]) {
                html += "<li><span>"; Explanation.add(category, "title", to: &html)
                html += "</span><strong>"; Explanation.add(category, "points", to: &html); html += "</strong></li>"
            }
            html += "</ul>\n"
            let lines = Explanation.rows(result["lines"])
            if !lines.isEmpty {
                heading("estimate_lines")
                Explanation.table(lines, into: &html, on: request)
            }
            let addable = Explanation.rows(result["addable"])
            if !addable.isEmpty {
                heading(addableHeading)
                let upTo = escapeHTML(request.text("estimate_up_to")), unit = escapeHTML(request.text("points_unit"))
                html += #"<ul class="list">"#
                for a in addable {
                    html += "<li><strong>"; Explanation.add(a, "title", to: &html)
                    html += #"</strong> <span class="badge ok">"#; html += upTo; html += " "; Explanation.add(a, "upTo", to: &html); html += " "; html += unit
                    html += #"</span><br><small class="muted">"#; Explanation.add(a, "rule", to: &html); html += "</small></li>"
                }
                html += "</ul>\n"
            }
            return .string(html)
        }
    }

    /// `#explanationTable(lines)`: the line-by-line table alone.
    struct TableTag: UnsafeUnescapedLeafTag {
        func render(_ ctx: LeafContext) throws -> LeafData {
            guard ctx.parameters.count == 1 else { throw TagProblem(description: "#explanationTable takes the lines of a result") }
            guard let request = ctx.request else { throw TagProblem(description: "#explanationTable needs the request") }
            var html = ""
            html.reserveCapacity(2048)
            table(rows(ctx.parameters[0]), into: &html, on: request)
            return .string(html)
        }
    }

    /// The table: a header of four columns, each row labelled by them for a narrow screen
    /// (`table.stack`), a reason under the status when the line has one.
    static func table(_ lines: [[String: LeafData]], into html: inout String, on request: Request) {
        let labels = ["standard_item", "estimate_col_fact", "estimate_col_points", "estimate_col_status"].map { escapeHTML(request.text($0)) }
        html += #"<div class="table-wrap" tabindex="0">"# + "\n" + #"<table class="stack explanation">"# + "\n<thead><tr>"
        for label in labels { html += "<th>" + label + "</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for line in lines {
            html += #"<tr class="line-"#; add(line, "statusCode", to: &html); html += "\">"
            html += #"<td data-label=""#; html += labels[0]; html += "\">"; add(line, "title", to: &html); html += "</td>"
            html += #"<td data-label=""#; html += labels[1]; html += "\">"; add(line, "fact", to: &html); html += "</td>"
            html += #"<td data-label=""#; html += labels[2]; html += "\"><strong>"; add(line, "points", to: &html); html += "</strong></td>"
            html += #"<td data-label=""#; html += labels[3]; html += "\">"; add(line, "status", to: &html)
            if let reason = line["reason"]?.string, !reason.isEmpty {
                html += #"<br><small class="muted">"#; html += escapeHTML(reason); html += "</small>"
            }
            html += "</td></tr>\n"
        }
        html += "</tbody>\n</table>\n</div>\n"
    }

    static func rows(_ data: LeafData?) -> [[String: LeafData]] {
        (data?.array ?? []).compactMap(\.dictionary)
    }

    /// A text of the row, escaped, added to `html` (nothing when the row has none).
    static func add(_ row: [String: LeafData], _ key: String, to html: inout String) {
        guard let data = row[key], !data.isNil, let text = data.string else { return }
        html += escapeHTML(text)
    }
}
