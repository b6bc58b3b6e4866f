import Foundation
import JifenCore
import Vapor

/// `jifen bench import`: a generated 1,000,000-row social-insurance feed (1% bad rows) imported
/// into a fresh SQLite database in a temporary folder, or, with `DATABASE_URL` set, into that
/// PostgreSQL database (an empty one, made for it). Only the import itself is timed: decoding,
/// checking every row, keyed hashing, storing.
enum ImportBench {
    struct NotEmpty: Error, CustomStringConvertible {
        var description: String { "数据库已有数据源记录，请用空数据库 / the database holds feed records already: give an empty one" }
    }

    static func run(rows: Int, output: (String) -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jifen-bench-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var key = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 { key[i] = UInt8(i) }
        var environment = ["JIFEN_DATA_DIR": directory, "JIFEN_SECRET_KEY": key.map { String(format: "%02x", $0) }.joined(),
                           "JIFEN_BCRYPT_COST": "4",
                           "JIFEN_LOG_LEVEL": ProcessInfo.processInfo.environment["JIFEN_LOG_LEVEL"] ?? "error"]
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"] { environment["DATABASE_URL"] = url }
        let config = try AppConfig.load(environment: environment, demo: false)
        let app = try await Application.make(.production)
        do {
            try await configure(app, config: config)
            try await prepareDatabase(app)
            // A database given by DATABASE_URL that holds a feed already would time updates, not an import.
            guard try await FeedRecordModel.query(on: app.db).count() == 0 else { throw NotEmpty() }
            let csv = feed(rows: rows)
            let today = CivilDate(year: 2026, month: 11, day: 21)!
            let start = ContinuousClock.now
            let summary = try await FeedImporter.run(kind: .socialInsurance, bytes: Array(csv.utf8), filename: "bench.csv", by: .cli,
                                                     app: app, db: app.db, today: today, now: Date())
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            output("import_rows \(rows) rows")
            output("import_rows_added \(summary.added) rows")
            output("import_rows_refused \(summary.problems.count) rows")
            output("import_seconds \(String(format: "%.2f", seconds)) s")
            output("import_rows_per_second \(Int((Double(rows) / seconds).rounded())) rows/s")
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// Distinct valid ID numbers (Anhui county code, births spread over 20 years); every 100th
    /// row has a bad month count.
    static func feed(rows: Int) -> String {
        var text = "身份证号码,姓名,累计缴费月数,截至日期\r\n"
        text.reserveCapacity(rows * 48)
        for n in 0..<rows {
            let sequence = n % 1000, day = 1 + (n / 1000) % 28, month = 1 + (n / 28_000) % 12, year = 1970 + (n / 336_000) % 20
            let first17 = "341202" + String(format: "%04d%02d%02d%03d", year, month, day, sequence)
            text += first17 + String(ResidentID.checkDigit(first17)!) + ",参保人," + (n % 100 == 99 ? "x" : String(12 + n % 120)) + ",2026-08-31\r\n"
        }
        return text
    }
}
