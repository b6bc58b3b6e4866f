import Foundation
import JifenCore
import JifenResources
import Vapor

/// The one string catalog: every text a page shows, in Simplified Chinese first and English
/// second (`Resources/Strings/catalog.json`: `{"key": {"zh": "…", "en": "…"}}`).
public struct Catalog: Sendable {
    public enum Language: String, Sendable, CaseIterable, Codable {
        case zh, en
        var htmlTag: String { self == .zh ? "zh-Hans" : "en" }
    }

    public let entries: [String: [String: String]]

    public init(entries: [String: [String: String]]) { self.entries = entries }

    public static func load() throws -> Catalog {
        let url = URL(fileURLWithPath: JifenResources.directory("Strings") + "catalog.json")
        let data = try Data(contentsOf: url)
        return Catalog(entries: try JSONDecoder().decode([String: [String: String]].self, from: data))
    }

    /// The text for `key`; `{name}` placeholders are filled from `arguments`. A missing key
    /// shows the key itself, so a gap is visible instead of blank.
    public func text(_ key: String, _ language: Language, _ arguments: [String: String] = [:]) -> String {
        let text = entries[key]?[language.rawValue] ?? entries[key]?[Language.zh.rawValue] ?? key
        return arguments.isEmpty ? text : Self.fill(text, arguments)
    }

    /// `{name}` replaced by its argument, in one pass: an argument's own text is never read for
    /// placeholders, and a `{word}` without an argument stays as it is.
    static func fill(_ template: String, _ arguments: [String: String]) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + 32)
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest.index(after: open)
            if let close = rest[after...].firstIndex(of: "}"), let value = arguments[String(rest[after..<close])] {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out += "{"
                rest = rest[after...]
            }
        }
        out += rest
        return out
    }

    /// All texts of one language, handed to every template as `t`.
    public func table(_ language: Language) -> [String: String] {
        var table: [String: String] = [:]
        table.reserveCapacity(entries.count)
        for key in entries.keys { table[key] = text(key, language) }
        return table
    }

    func problem(_ problem: AccountRules.Problem, field: String, _ language: Language) -> String {
        text("problem_\(problem.rawValue)", language, ["field": text("field_\(field)", language)])
    }
}

extension Application {
    private struct CatalogKey: StorageKey { typealias Value = Catalog }
    private struct TablesKey: StorageKey { typealias Value = [Catalog.Language: [String: String]] }

    public var catalog: Catalog {
        get { storage[CatalogKey.self] ?? Catalog(entries: [:]) }
        set {
            storage[CatalogKey.self] = newValue
            storage[TablesKey.self] = Dictionary(uniqueKeysWithValues: Catalog.Language.allCases.map { ($0, newValue.table($0)) })
        }
    }

    var catalogTables: [Catalog.Language: [String: String]] { storage[TablesKey.self] ?? [:] }
}

extension Request {
    /// The language chosen with the switch in the page header (a cookie), Chinese by default.
    var language: Catalog.Language {
        if let known = storage[LanguageKey.self] { return known }
        var language = Catalog.Language.zh
        if let raw = sentCookies[application.cookieName("jifen_lang")]?.string, let chosen = Catalog.Language(rawValue: raw) { language = chosen }
        storage[LanguageKey.self] = language
        return language
    }

    private struct LanguageKey: StorageKey { typealias Value = Catalog.Language }

    func text(_ key: String, _ arguments: [String: String] = [:]) -> String {
        application.catalog.text(key, language, arguments)
    }
}

/// A text to be worded in the reader's language: a catalog key, its arguments, and optionally the
/// catalog key of a field label that fills `{field}`.
struct Wording: Sendable, Equatable {
    let key: String
    var arguments: [String: String] = [:]
    var label: String?

    init(_ key: String, _ arguments: [String: String] = [:], label: String? = nil) {
        self.key = key
        self.arguments = arguments
        self.label = label
    }

    func text(_ catalog: Catalog, _ language: Catalog.Language) -> String {
        var arguments = self.arguments
        if let label { arguments["field"] = catalog.text(label, language) }
        return catalog.text(key, language, arguments)
    }
}
