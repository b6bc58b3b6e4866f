import Foundation
@testable import JifenApp
import XCTest

/// `jifen`'s subcommands are declared one way and answer the same way: `help` lists them all, an
/// unknown command or option is a usage error (exit 2) that shows the usage.
final class CommandLineTests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    /// Runs the built `jifen` in a fresh data directory: exit status, standard output, standard error.
    func jifen(_ arguments: [String], input: String? = nil) throws -> (Int32, String, String) {
        let directory = try makeTemporaryDirectory("jifen-cli")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try runJifen(arguments, environment: ["JIFEN_DATA_DIR": directory, "JIFEN_SECRET_KEY": testSecretHex, "JIFEN_BCRYPT_COST": "4"], input: input)
    }

    func testEveryCommandIsDeclaredOnceAndListedByHelp() throws {
        let names = Commands.all.map { $0.name }
        XCTAssertEqual(Set(names).count, names.count, "each command named once")
        XCTAssertEqual(names.sorted(), ["admin", "allocate", "backup", "bench", "demo", "id", "import", "migrate", "policy", "reminders", "restore", "serve", "stats", "worker"])
        for command in Commands.all {
            XCTAssertTrue(command.usage.contains("jifen \(command.name)"), "\(command.name)'s usage names it")
        }
        let (status, output, _) = try jifen(["help"])
        XCTAssertEqual(status, 0)
        for name in names { XCTAssertTrue(output.contains("jifen \(name)"), "help lists \(name)") }
        // `jifen reminders` on an empty database: nothing due, each kind counted.
        let (sent, lines, _) = try jifen(["reminders"])
        XCTAssertEqual(sent, 0)
        XCTAssertEqual(lines.split(separator: "\n").filter { $0.hasPrefix("reminders_") }, ["reminders_endorsement 0", "reminders_ready 0", "reminders_unverified 0", "reminders_archive 0", "reminders_offer 0", "reminders_appointment 0", "reminders_sent_elsewhere 0"])
    }

    /// `jifen backup` and `jifen restore` from the command line: what they print, their exit
    /// status, a refusal in words; `demo --scale` with a bad value is a usage error.
    func testBackupAndRestoreFromTheCommandLine() throws {
        try skipInThePostgresRun()
        let directory = try makeTemporaryDirectory("jifen-backup")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["JIFEN_DATA_DIR": directory, "JIFEN_SECRET_KEY": testSecretHex, "JIFEN_BCRYPT_COST": "4"]
        let (created, _, createdErrors) = try runJifen(["admin", "create", "--login", "chief", "--name", "主任", "--city", "张家港市", "--city-code", "320582"],
                                                       environment: environment)
        XCTAssertEqual(created, 0, createdErrors)
        let file = directory + "/copy.sqlite"
        let (status, output, _) = try runJifen(["backup", file], environment: environment)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(output.contains("备份完成 / backup written: \(file)"), output)
        let (again, _, refusal) = try runJifen(["backup", file], environment: environment)
        XCTAssertEqual(again, 1)
        XCTAssertTrue(refusal.contains("文件已存在，不覆盖 / the file exists and is not overwritten"), refusal)
        // A second admin after the backup; the restore brings back the database without him.
        let (second, _, _) = try runJifen(["admin", "create", "--login", "deputy", "--name", "副主任"], environment: environment)
        XCTAssertEqual(second, 0)
        XCTAssertTrue(try runJifen(["stats"], environment: environment).output.contains("users 2"))
        let (restored, restoredOutput, restoreErrors) = try runJifen(["restore", file], environment: environment)
        XCTAssertEqual(restored, 0, restoreErrors)
        XCTAssertTrue(restoredOutput.contains("恢复完成 / restored from \(file)"), restoredOutput)
        XCTAssertTrue(try runJifen(["stats"], environment: environment).output.contains("users 1"))
        let (missing, _, missingErrors) = try runJifen(["restore", directory + "/none.sqlite"], environment: environment)
        XCTAssertEqual(missing, 1)
        XCTAssertTrue(missingErrors.contains("找不到文件 / no such file"), missingErrors)
        let (usage, _, usageErrors) = try runJifen(["backup"], environment: environment)
        XCTAssertEqual(usage, 2)
        XCTAssertTrue(usageErrors.contains("jifen backup FILE"), usageErrors)
        let (scale, _, scaleErrors) = try runJifen(["demo", "--scale", "0"], environment: environment)
        XCTAssertEqual(scale, 2)
        XCTAssertTrue(scaleErrors.contains("--scale"), scaleErrors)
    }

    func testAnUnknownCommandOrOptionIsAUsageError() throws {
        let (unknown, _, unknownErrors) = try jifen(["frobnicate"])
        XCTAssertEqual(unknown, 2)
        XCTAssertTrue(unknownErrors.contains("未知命令 / unknown command: frobnicate"))
        XCTAssertTrue(unknownErrors.contains("jifen stats"), "the usage follows")
        let (option, output, optionErrors) = try jifen(["stats", "--bogus"])
        XCTAssertEqual(option, 2)
        XCTAssertEqual(output, "", "nothing counted")
        XCTAssertTrue(optionErrors.contains("未知参数 / unknown option: --bogus"))
        XCTAssertTrue(optionErrors.contains("jifen stats"))
        let (action, _, actionErrors) = try jifen(["admin", "delete", "--login", "x"])
        XCTAssertEqual(action, 2)
        XCTAssertTrue(actionErrors.contains("jifen admin create"))
    }

    func testADatabaseCommandRunsAndAFailedOneExitsOne() throws {
        let (status, output, _) = try jifen(["stats"])
        XCTAssertEqual(status, 0)
        XCTAssertTrue(output.contains("residents 0"), output)
        // `--env` is the application's, not the command's.
        let (withEnv, envOutput, envErrors) = try jifen(["stats", "--env", "testing"])
        XCTAssertEqual(withEnv, 0, envErrors)
        XCTAssertTrue(envOutput.contains("residents 0"))
        // A refused input fails with the reason, exit 1.
        let (refused, _, errors) = try jifen(["admin", "create", "--login", "ab", "--name", "管理员"])
        XCTAssertEqual(refused, 1)
        XCTAssertTrue(errors.contains("--login："), errors)
        // The password read from standard input is taken.
        let (created, createdOutput, createdErrors) = try jifen(["admin", "create", "--login", "admin.city", "--name", "管理员", "--city", "张家港市",
                                                                  "--city-code", "320582", "--password-stdin"], input: "Secret123\n")
        XCTAssertEqual(created, 0, createdErrors)
        XCTAssertTrue(createdOutput.contains("center admin created: admin.city"))
        XCTAssertFalse(createdOutput.contains("initial password"), "no password generated")
    }
}
