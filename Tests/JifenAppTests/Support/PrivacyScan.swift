import Foundation
@testable import JifenApp
import JifenCore
import SQLKit

/// Looks for resident ID numbers in clear: in every text and blob value of a database, read
/// through the database itself (a file scan of SQLite sees a row's values back to back, so an ID
/// between a hex hash and `female` has no boundary to find), and in the bytes of files.
enum PrivacyScan {
    struct Finding: Equatable, CustomStringConvertible {
        let place, number: String
        var description: String { "\(place): \(number)" }
    }

    struct Report {
        var findings: [Finding] = []
        var values = 0
        var bytes = 0
    }

    private static let regions: RegionCodes? = try? IdCLI.loadRegions()
    private static let farFuture = CivilDate("2100-01-01")!

    /// Every valid resident ID (region, birth date, check digit) that occurs anywhere in `bytes`,
    /// overlapping or not, whatever surrounds it. Used on single values and on files whose
    /// contents are not someone else's concatenation.
    static func validIDNumbers(in bytes: [UInt8]) -> [String] {
        guard let regions else { return ["(scanner unavailable: no region list)"] }
        guard bytes.count >= 18 else { return [] }
        var found: [String] = []
        var run = 0  // decimal digits ending at the current index
        for i in bytes.indices {
            let b = bytes[i]
            let isDigit = b >= 0x30 && b <= 0x39
            // position i closes a candidate when the 17 bytes before it are digits
            if run >= 17, isDigit || b == 0x58 || b == 0x78 {
                let start = i - 17
                if bytes[start] >= 0x31 && bytes[start] <= 0x38 {
                    let candidate = String(decoding: bytes[start...i], as: UTF8.self).uppercased()
                    if case .success = ResidentID.validate(candidate, today: farFuture, regions: regions) { found.append(candidate) }
                }
            }
            run = isDigit ? run + 1 : 0
        }
        return found
    }

    static func validIDNumbers(in text: String) -> [String] { validIDNumbers(in: Array(text.utf8)) }

    /// The same, counting only numbers that stand alone (no letter or digit touching them): for
    /// the raw file of a database, where unrelated values sit side by side.
    static func standaloneIDNumbers(in bytes: [UInt8]) -> [String] {
        func isWord(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        var found: [String] = []
        var index = 0
        let numbers = validIDNumbers(in: bytes)
        guard !numbers.isEmpty else { return [] }
        for number in Set(numbers) {
            let needle = Array(number.utf8)
            index = 0
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0], Array(bytes[index..<index + needle.count]) == needle {
                    let before = index > 0 ? bytes[index - 1] : 0x20
                    let after = index + needle.count < bytes.count ? bytes[index + needle.count] : 0x20
                    if !isWord(before) && !isWord(after) { found.append(number) }
                }
                index += 1
            }
        }
        return found
    }

    /// Reads every column of every table through the database, value by value.
    static func scan(_ db: any SQLDatabase) async throws -> Report {
        var report = Report()
        let postgres = db.dialect.name == "postgresql"
        struct Name: Decodable { let name: String }
        struct Column: Decodable { let name: String; let type: String }
        let tables: [String]
        if postgres {
            tables = try await db.raw("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")
                .all(decoding: Name.self).map(\.name)
        } else {
            tables = try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1").all(decoding: Name.self).map(\.name)
        }
        for table in tables {
            let columns: [Column]
            if postgres {
                columns = try await db.raw("SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = \(bind: table) ORDER BY ordinal_position")
                    .all(decoding: Column.self)
            } else {
                columns = try await db.raw("SELECT name, type FROM pragma_table_info(\(bind: table))").all(decoding: Column.self)
            }
            guard !columns.isEmpty else { continue }
            // Each value as hex of its bytes: text, blobs and numbers alike, NULs included.
            let selects = columns.enumerated().map { n, column -> String in
                let quoted = "\"" + column.name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                if postgres {
                    return column.type == "bytea" ? "encode(\(quoted), 'hex') AS c\(n)" : "encode(convert_to(\(quoted)::text, 'UTF8'), 'hex') AS c\(n)"
                }
                return "hex(\(quoted)) AS c\(n)"
            }.joined(separator: ", ")
            let quotedTable = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            let rows = try await db.raw(SQLQueryString(stringLiteral: "SELECT \(selects) FROM \(quotedTable)")).all()
            for row in rows {
                for (n, column) in columns.enumerated() {
                    guard let hex = try row.decode(column: "c\(n)", as: String?.self), !hex.isEmpty else { continue }
                    let bytes = Self.bytes(hex: hex)
                    report.values += 1
                    report.bytes += bytes.count
                    for number in validIDNumbers(in: bytes) {
                        report.findings.append(Finding(place: "\(table).\(column.name)", number: number))
                    }
                }
            }
        }
        return report
    }

    /// Scans the files of a data directory: a database's own files (`jifen.sqlite*`) for numbers
    /// standing alone, every other file for any number at all.
    static func scanFiles(in directory: String, skipping skipped: Set<String> = []) -> Report {
        var report = Report()
        for file in (FileManager.default.subpaths(atPath: directory) ?? []).sorted() where !skipped.contains(file) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: directory + "/" + file) else { continue }
            let bytes = [UInt8](data)
            report.values += 1
            report.bytes += bytes.count
            let numbers = file.hasPrefix("jifen.sqlite") ? standaloneIDNumbers(in: bytes) : validIDNumbers(in: bytes)
            report.findings += numbers.map { Finding(place: file, number: $0) }
        }
        return report
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x41...0x46: v = c - 0x41 + 10
            case 0x61...0x66: v = c - 0x61 + 10
            default: continue
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}
