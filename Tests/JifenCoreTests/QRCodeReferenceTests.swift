import Foundation
@testable import JifenCore
import XCTest

/// QRCode checked module for module against symbols made by segno, an independent ISO/IEC 18004
/// encoder: Fixtures/qr/reference.json, written by Fixtures/qr/generate.py (which says how to rerun it).
///
/// With segno's version and mask fixed, every symbol must be identical: that covers data encoding,
/// ECI, padding, Reed–Solomon, interleaving, placement, format and version information, masking.
/// Chosen automatically, the version must be segno's too. The mask need not be: the encoders read the
/// mask penalty rules of ISO/IEC 18004:2015 §7.8.3.1 differently (segno scores each mask before the
/// format and version information are drawn, where the standard says the complete symbol; and the two
/// count rule N3's finder-like pattern differently), so each case says which mask QRCode.swift's rules
/// choose (`auto_mask`), and, where that is not segno's, why (`note`) and the symbol (`auto_rows`).
final class QRCodeReferenceTests: XCTestCase {
    /// One case of reference.json; generate.py describes the fields.
    private struct Reference: Decodable {
        let name, text, bytesHex, error: String
        let version, mask: Int
        let eci: Bool
        let rows: [String]
        let autoMask: Int
        let autoRows: [String]?
        let note: String?

        enum CodingKeys: String, CodingKey {
            case name, text, error, version, mask, eci, rows, note
            case bytesHex = "bytes_hex", autoMask = "auto_mask", autoRows = "auto_rows"
        }

        var label: String { "\(name) (level \(error), version \(version))" }
    }

    private static func references() throws -> [Reference] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/qr/reference.json")
        return try JSONDecoder().decode([Reference].self, from: Data(contentsOf: url))
    }

    private static func correction(_ level: String) throws -> QRCode.ErrorCorrection {
        let levels: [String: QRCode.ErrorCorrection] = ["L": .low, "M": .medium, "Q": .quartile, "H": .high]
        return try XCTUnwrap(levels[level], "unknown error correction level \(level)")
    }

    private static func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex)
        XCTAssertEqual(digits.count % 2, 0, "an odd number of hex digits")
        return try stride(from: 0, to: digits.count - 1, by: 2).map { i in
            try XCTUnwrap(UInt8(String(digits[i...i + 1]), radix: 16), "not hex: \(String(digits[i...i + 1]))")
        }
    }

    /// nil when `code` has exactly the reference modules; otherwise the first module, in reading order,
    /// where they differ, and which part of the symbol it belongs to.
    private static func firstDifference(_ code: QRCode, _ rows: [String]) -> String? {
        guard code.size == rows.count else { return "\(code.size) modules a side, the reference \(rows.count)" }
        for (y, row) in rows.enumerated() {
            let reference = Array(row)
            guard reference.count == code.size else { return "reference row \(y) has \(reference.count) modules, not \(code.size)" }
            for x in 0..<code.size where code[x, y] != (reference[x] == "1") {
                let ours = code[x, y] ? "dark" : "light"
                let theirs = reference[x] == "1" ? "dark" : "light"
                return "first differing module x=\(x), y=\(y) (\(region(x, y, size: code.size))): ours \(ours), segno's \(theirs)"
            }
        }
        return nil
    }

    /// Where a module sits, to tell from a failure which step of the encoder is wrong.
    private static func region(_ x: Int, _ y: Int, size: Int) -> String {
        let nearFinder = (x < 8 && y < 8) || (x >= size - 8 && y < 8) || (x < 8 && y >= size - 8)
        if nearFinder { return "finder pattern or separator" }
        if (x == 8 && (y < 9 || y >= size - 8)) || (y == 8 && (x < 9 || x >= size - 8)) { return "format information" }
        if size >= 45, (x >= size - 11 && x < size - 8 && y < 6) || (y >= size - 11 && y < size - 8 && x < 6) { return "version information" }
        if x == 6 || y == 6 { return "timing pattern" }
        return "encoding region or an alignment pattern"
    }

    func testWithSegnosVersionAndMaskEverySymbolIsSegnosModuleForModule() throws {
        // setup
        let references = try Self.references()
        XCTAssertGreaterThanOrEqual(references.count, 9)
        for reference in references {
            let bytes = try Self.bytes(hex: reference.bytesHex)
            XCTAssertEqual(bytes, Array(reference.text.utf8), "\(reference.name): bytes_hex is the text's UTF-8")
            // MUT
            let code = try QRCode.encode(bytes: bytes, correction: Self.correction(reference.error), utf8ECI: reference.eci,
                                         minimumVersion: reference.version, mask: reference.mask)
            // validate
            XCTAssertEqual(code.version, reference.version, "\(reference.name): the text fits segno's version")
            if let difference = Self.firstDifference(code, reference.rows) {
                XCTFail("\(reference.label), mask \(reference.mask): \(difference)")
            }
        }
    }

    func testChosenAutomaticallyTheVersionIsSegnosAndTheMaskTheOneThePenaltyRulesGive() throws {
        // setup
        let references = try Self.references()
        for reference in references {
            let level = try Self.correction(reference.error)
            let bytes = Array(reference.text.utf8)
            XCTAssertEqual(bytes.contains { $0 >= 0x80 }, reference.eci, "\(reference.name): an ECI header exactly for non-ASCII text")
            let agreement: String
            if reference.autoMask == reference.mask {
                agreement = "as segno chose"
                XCTAssertNil(reference.autoRows, "\(reference.name): auto_rows only where the masks differ")
            } else {
                agreement = reference.note ?? "segno chose \(reference.mask), and the fixture gives no reason"
                XCTAssertFalse((reference.note ?? "").isEmpty, "\(reference.name): a mask other than segno's needs its reason in note")
                XCTAssertNotNil(reference.autoRows, "\(reference.name): a mask other than segno's needs its symbol in auto_rows")
            }
            // MUT
            let code = try QRCode.encode(reference.text, correction: level)
            // validate
            XCTAssertEqual(code.version, reference.version, "\(reference.name): the smallest version that holds the text, as segno chose")
            let chosen = try (0..<8).first { mask in
                try QRCode.encode(bytes: bytes, correction: level, utf8ECI: reference.eci, minimumVersion: code.version, mask: mask) == code
            }
            XCTAssertEqual(chosen, reference.autoMask, "\(reference.label): the automatic mask (\(agreement))")
            if let difference = Self.firstDifference(code, reference.autoRows ?? reference.rows) {
                XCTFail("\(reference.label), automatic mask \(chosen.map { String($0) } ?? "none of 0–7"), "
                    + "expected \(reference.autoMask) (\(agreement)): \(difference)")
            }
        }
    }
}
