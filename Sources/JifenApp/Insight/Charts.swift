import Foundation
import JifenCore
import Vapor

/// Charts drawn on the server as SVG (no script, no library, nothing fetched): horizontal bars,
/// one or two series, each bar labelled with its number. Every chart is shown beside a table of
/// the same numbers.
enum Chart {
    struct Series { let name: String; let values: [Double]; let color: String }

    static func escape(_ s: String) -> String { escapeHTML(s) }

    static func number(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v)
    }

    /// `labels[i]` with one bar per series; `title` is read by screen readers, and a sentence
    /// under the chart says in words what it shows (`summary`).
    static func bars(title: String, labels: [String], series: [Series], width: Int = 360, for req: Request) -> String {
        let rowHeight = series.count == 1 ? 22 : 30
        let labelWidth = 120
        let barArea = Double(width - labelWidth - 48)
        let top = series.count > 1 ? 20 : 4
        let height = top + labels.count * rowHeight + 6
        let most = max(1, series.flatMap(\.values).max() ?? 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" aria-label=\"\(escape(title))\">"
        svg += "<title>\(escape(title))</title>"
        if series.count > 1 {
            var x = labelWidth
            for s in series {
                svg += "<rect x=\"\(x)\" y=\"4\" width=\"10\" height=\"10\" fill=\"\(s.color)\"/><text x=\"\(x + 14)\" y=\"13\" font-size=\"11\">\(escape(s.name))</text>"
                x += 14 + s.name.count * 12 + 16
            }
        }
        for (i, label) in labels.enumerated() {
            let y = top + i * rowHeight
            let shown = label.count > 9 ? String(label.prefix(8)) + "…" : label
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + rowHeight / 2 + 4)\" font-size=\"11\" text-anchor=\"end\"><title>\(escape(label))</title>\(escape(shown))</text>"
            let barHeight = (rowHeight - 6) / series.count
            for (k, s) in series.enumerated() {
                let v = i < s.values.count ? s.values[i] : 0
                let w = max(v > 0 ? 1 : 0, Int((v / most * barArea).rounded()))
                let by = y + 3 + k * barHeight
                svg += "<rect x=\"\(labelWidth)\" y=\"\(by)\" width=\"\(w)\" height=\"\(barHeight - 1)\" fill=\"\(s.color)\"/>"
                svg += "<text x=\"\(labelWidth + w + 4)\" y=\"\(by + barHeight - 3)\" font-size=\"10\">\(number(v))</text>"
            }
        }
        return svg + "</svg>" + "<p class=\"chart-summary\">" + escape(summary(labels: labels, series: series, for: req)) + "</p>"
    }

    /// The chart in one sentence per series: its highest and lowest bars and its total
    /// (最高：杨舍镇（120）；最低：乐余镇（3）；合计 500，共 10 项).
    static func summary(labels: [String], series: [Series], for req: Request) -> String {
        guard !labels.isEmpty else { return req.text("chart_summary_empty") }
        return series.map { s in
            let values = labels.indices.map { $0 < s.values.count ? s.values[$0] : 0 }
            let high = values.indices.max { values[$0] < values[$1] } ?? 0
            let low = values.indices.min { values[$0] < values[$1] } ?? 0
            return req.text("chart_summary", ["series": s.name, "high": labels[high], "highValue": number(values[high]),
                                              "low": labels[low], "lowValue": number(values[low]),
                                              "total": number(values.reduce(0, +)), "count": String(labels.count)])
        }.joined(separator: " ")
    }

    static let red = "#b3202a"
    static let grey = "#8a94a6"
}

/// A table as CSV in UTF-8 with a byte-order mark, so Excel opens the Chinese correctly.
enum CSVExport {
    static func field(_ raw: String) -> String {
        let s = neutralised(raw)
        return s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage return
    /// first) gets a `'` in front, so it shows as text; a plain number (`-5`, `+0.5`) stays a number.
    static func neutralised(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return s }
        let rest = s.dropFirst()
        if first == "-" || first == "+", !rest.isEmpty, rest.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), rest.filter({ $0 == "." }).count <= 1 {
            return s
        }
        return "'" + s
    }

    /// The table as a download named `filename`.
    static func response(filename: String, header: [String], rows: [[String]]) -> Response {
        let response = Response(status: .ok, body: .init(data: Data(bytes(header: header, rows: rows))))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(filename)\"")
        return response
    }

    static func bytes(header: [String], rows: [[String]]) -> [UInt8] {
        let text = ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        return [0xEF, 0xBB, 0xBF] + Array(text.utf8)
    }
}
