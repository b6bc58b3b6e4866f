import Foundation
import XCTest

/// SECURITY.md's ASVS table claims nothing it does not prove: every line marked *met* names a test,
/// and every test it names exists in the test sources.
final class SecurityDocumentTests: XCTestCase {
    func testEveryClaimedASVSLineNamesATestThatExists() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("SECURITY.md"), encoding: .utf8)
        // Every test function, by class, in both test targets.
        var tests: [String: Set<String>] = [:]
        for target in ["JifenAppTests", "JifenCoreTests"] {
            let folder = root.appendingPathComponent("Tests").appendingPathComponent(target)
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                var current: String?
                for line in text.split(separator: "\n") {
                    if let name = Self.match(#"^final class (\w+)"#, String(line)) { current = name }
                    if let current, let name = Self.match(#"^\s+func (test\w+)\("#, String(line)) { tests[current, default: []].insert(name) }
                }
            }
        }
        let rows = document.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.contains(" | met | ") }
        XCTAssertGreaterThan(rows.count, 30)
        for row in rows {
            let named = Self.all(#"`(?:Core )?(\w+)\.(test\w+)`"#, String(row))
            let classes = Self.all(#"`Core (\w+)`"#, String(row)).map { [$0[0]] }
            XCTAssertFalse(named.isEmpty && classes.isEmpty, "a met line without a test: \(row)")
            for pair in named {
                XCTAssertTrue(tests[pair[0]]?.contains(pair[1]) == true, "\(pair[0]).\(pair[1]) named in SECURITY.md does not exist")
            }
            for cls in classes { XCTAssertNotNil(tests[cls[0]], "\(cls[0]) named in SECURITY.md does not exist") }
        }
    }

    static func match(_ pattern: String, _ text: String) -> String? { all(pattern, text).first?.first }

    static func all(_ pattern: String, _ text: String) -> [[String]] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            (1..<match.numberOfRanges).compactMap { Range(match.range(at: $0), in: text).map { String(text[$0]) } }
        }
    }
}
