@testable import JifenApp
import XCTest

final class ConfigTests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    let base = ["JIFEN_SECRET_KEY": String(repeating: "ab", count: 32)]

    func problem(_ extra: [String: String], demo: Bool = false) -> AppConfig.Problem? {
        do {
            _ = try AppConfig.load(environment: base.merging(extra) { $1 }, demo: demo)
            return nil
        } catch {
            return error as? AppConfig.Problem
        }
    }

    func testDefaultsAreSQLiteUnderTheDataDirectory() throws {
        let config = try AppConfig.load(environment: base, demo: false)
        XCTAssertEqual(config.database, .sqlite(path: "./jifen-data/jifen.sqlite"))
        XCTAssertEqual(config.port, 8080)
        XCTAssertEqual(config.hostname, "127.0.0.1")
        XCTAssertEqual(config.bcryptCost, 12)
        XCTAssertEqual(config.pageCacheSeconds, 5)
        XCTAssertEqual(try AppConfig.load(environment: base.merging(["JIFEN_PAGE_CACHE_SECONDS": "0"]) { $1 }, demo: false).pageCacheSeconds, 0)
        let pg = try AppConfig.load(environment: base.merging(["DATABASE_URL": "postgres://u:p@127.0.0.1:5432/jifen"]) { $1 }, demo: false)
        XCTAssertEqual(pg.database, .postgres(url: "postgres://u:p@127.0.0.1:5432/jifen"))
    }

    func testEachBadSettingStopsTheStartNamingIt() {
        let cases: [(String, String)] = [
            ("DATABASE_URL", "mysql://localhost/jifen"),
            ("JIFEN_PAGE_CACHE_SECONDS", "61"),
            ("JIFEN_SECRET_KEY", "too-short"),
            ("JIFEN_PORT", "80800"),
            ("JIFEN_PORT", "eighty"),
            ("JIFEN_LOG_LEVEL", "loud"),
            ("JIFEN_BCRYPT_COST", "40"),
            ("JIFEN_SECURE_COOKIES", "maybe"),
            ("JIFEN_SESSION_IDLE_MINUTES", "0"),
        ]
        for (setting, value) in cases {
            let found = problem([setting: value])
            XCTAssertEqual(found?.setting, setting, "\(setting)=\(value)")
            XCTAssertTrue(found?.description.contains(setting) == true)
        }
    }

    func testWithoutDemoTheSecretKeyIsRequired() {
        do {
            _ = try AppConfig.load(environment: [:], demo: false)
            XCTFail("started without a key")
        } catch {
            XCTAssertEqual((error as? AppConfig.Problem)?.setting, "JIFEN_SECRET_KEY")
        }
    }

    func testTheDemoMakesItsOwnKeyOnceAndKeepsIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jifen-key-" + UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try AppConfig.load(environment: ["JIFEN_DATA_DIR": directory], demo: true)
        let second = try AppConfig.load(environment: ["JIFEN_DATA_DIR": directory], demo: true)
        XCTAssertTrue(first.secretKeyGenerated)
        XCTAssertEqual(first.secretKey.count, 32)
        XCTAssertEqual(first.secretKey, second.secretKey)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/demo-secret.key")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }
}
