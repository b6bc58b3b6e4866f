import Foundation
import LeafKit
import NIOCore

/// Templates with the catalog's texts written in: `zh/programs/me-programs` is
/// `programs/me-programs` with every `#t("key")` replaced by the key's Chinese text (escaped as
/// the tag's value would be) and every `#extend("…")` pointing at the same language's copy. Leaf
/// parses and keeps each language's copy once, so a page's fixed words cost nothing to render —
/// a `#t` call costs a tag context and a look-up each time (a tenth of a short page's rendering).
/// `#t` stays a tag for anything not written in (a key that is not a plain word).
struct CatalogTemplates: LeafSource, Sendable {
    let files: NIOLeafFiles
    let tables: [Catalog.Language: [String: String]]

    func file(template: String, escape: Bool, on eventLoop: any EventLoop) throws -> EventLoopFuture<ByteBuffer> {
        guard let slash = template.firstIndex(of: "/"), let language = Catalog.Language(rawValue: String(template[..<slash])) else {
            return try files.file(template: template, escape: escape, on: eventLoop)
        }
        let table = tables[language] ?? [:]
        return try files.file(template: String(template[template.index(after: slash)...]), escape: escape, on: eventLoop).map { buffer in
            ByteBuffer(string: Self.written(String(buffer: buffer), in: language, table: table))
        }
    }

    nonisolated(unsafe) private static let textTag = /#t\("([A-Za-z0-9_.]+)"\)/
    nonisolated(unsafe) private static let extend = /#extend\("/

    /// The template's text with its catalog texts written in for `language`.
    static func written(_ source: String, in language: Catalog.Language, table: [String: String]) -> String {
        source
            .replacing(textTag) { match in literal(table[String(match.output.1)] ?? String(match.output.1)) }
            .replacing(extend) { _ in "#extend(\"" + language.rawValue + "/" }
    }

    /// A text as the tag's value is written (HTML-escaped), with the two characters of its own
    /// Leaf would read in a template's plain text (`#` opening a tag, `\` escaping one) as
    /// character references (a `#` before a digit, as in `&#39;`, Leaf leaves alone).
    static func literal(_ text: String) -> String {
        text.split(separator: "#", omittingEmptySubsequences: false).map { part in
            part.split(separator: "\\", omittingEmptySubsequences: false).map { String($0).htmlEscaped() }.joined(separator: "&#92;")
        }.joined(separator: "&#35;")
    }
}
