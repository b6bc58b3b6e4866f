import Fluent
import FluentSQLiteDriver
import Foundation
import SQLKit
import Vapor

/// Backups of the SQLite database, taken and restored while the server runs.
///
/// A backup is `VACUUM INTO`: SQLite copies the database inside one read transaction, so the copy
/// is the database at one instant (a write going on meanwhile is wholly in it or wholly not) and
/// writers are not stopped. A restore checks the file (a SQLite database, intact, Jifen's, not
/// made by a newer version), upgrades a copy of it to this version's migrations, then replaces
/// every table's rows in one transaction: readers see the old data or the restored data, never a
/// mixture, and a failure changes nothing. On PostgreSQL, `pg_dump` and `pg_restore` do both.
enum Backup {
    struct Summary: Sendable {
        let tables: Int
        let rows: Int
        let residents: Int
        let bytes: Int
    }

    enum Failure: Error, Equatable, CustomStringConvertible {
        case postgres
        case exists(String)
        case cannotWrite(String)
        case missing(String)
        case notSQLite
        case damaged(String)
        case notJifen
        case newer([String])
        case schemaDiffers(String)

        var description: String {
            switch self {
            case .postgres:
                "数据库是 PostgreSQL：请用 pg_dump / pg_restore（见 README）/ the database is PostgreSQL: use pg_dump and pg_restore (see the README)"
            case .exists(let file): "文件已存在，不覆盖 / the file exists and is not overwritten: \(file)"
            case .cannotWrite(let file): "无法写入 / cannot write: \(file)"
            case .missing(let file): "找不到文件 / no such file: \(file)"
            case .notSQLite: "不是 SQLite 数据库文件 / not a SQLite database file"
            case .damaged(let detail): "备份文件已损坏，未恢复 / the backup is damaged, nothing restored: \(detail)"
            case .notJifen: "不是积分系统的数据库 / not a Jifen database"
            case .newer(let names):
                "备份来自更新的版本，请先升级本程序 / the backup was made by a newer version; upgrade Jifen first: \(names.prefix(3).joined(separator: ", "))"
            case .schemaDiffers(let table): "备份与当前数据库的表结构不同，未恢复 / the backup's tables differ from this database's, nothing restored: \(table)"
            }
        }
    }

    /// Writes a consistent copy of the live database to `file` (a new file, readable by its owner only).
    static func copy(_ app: Application, to file: String) async throws -> Summary {
        guard app.jifenConfig.isSQLite else { throw Failure.postgres }
        let fm = FileManager.default
        guard !fm.fileExists(atPath: file) else { throw Failure.exists(file) }
        // VACUUM INTO accepts an empty file: made first, with the database's own mode.
        guard fm.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]) else { throw Failure.cannotWrite(file) }
        do {
            try await (app.db as! any SQLDatabase).raw("VACUUM INTO \(bind: file)").run()
        } catch {
            try? fm.removeItem(atPath: file)
            throw error
        }
        return try await summary(of: file, app)
    }

    /// Replaces the database's contents with the backup in `file`, after checking and upgrading it.
    static func restore(_ app: Application, from file: String) async throws -> Summary {
        guard case .sqlite(let path) = app.jifenConfig.database else { throw Failure.postgres }
        let fm = FileManager.default
        guard let handle = FileHandle(forReadingAtPath: file) else { throw Failure.missing(file) }
        let header = try handle.read(upToCount: 16) ?? Data()
        try? handle.close()
        guard header == Data("SQLite format 3\u{0}".utf8) else { throw Failure.notSQLite }

        // A working copy next to the database, upgraded there; the backup itself is never changed.
        let work = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("restore-\(UUID().uuidString).sqlite")
        try fm.copyItem(atPath: file, toPath: work)
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: work)
        let id = DatabaseID(string: "restore-" + UUID().uuidString)
        app.databases.use(.sqlite(.file(work)), as: id, isDefault: false)
        defer {
            app.databases.reinitialize(id)
            for suffix in ["", "-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: work + suffix) }
        }
        let restored = app.db(id) as! any SQLDatabase
        let check = try await restored.raw("PRAGMA integrity_check").all().compactMap { try? $0.decode(column: "integrity_check", as: String.self) }
        guard check == ["ok"] else { throw Failure.damaged(check.prefix(3).joined(separator: "; ")) }
        let recorded: [String]
        do {
            recorded = try await restored.raw("SELECT name FROM _fluent_migrations").all().map { try $0.decode(column: "name", as: String.self) }
        } catch {
            throw Failure.notJifen
        }
        let migrations = Migrations()
        registerMigrations(migrations, to: id)
        let known = Set(allMigrations().map(\.name))
        guard !recorded.isEmpty else { throw Failure.notJifen }
        let unknown = recorded.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw Failure.newer(unknown) }
        let migrator = Migrator(databases: app.databases, migrations: migrations, logger: app.logger, on: app.eventLoopGroup.any())
        try await migrator.setupIfNeeded().get()
        try await migrator.prepareBatch().get()
        app.databases.reinitialize(id)

        try await app.db.withConnection { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("ATTACH DATABASE \(bind: work) AS restored").run()
            do {
                try await sql.raw("BEGIN IMMEDIATE").run()
                do {
                    try await sql.raw("PRAGMA defer_foreign_keys = ON").run()
                    let tables = try await Self.tables(in: "main", sql)
                    guard tables == (try await Self.tables(in: "restored", sql)) else { throw Failure.schemaDiffers("*") }
                    for table in tables {
                        let columns = try await Self.columns(of: table, in: "main", sql)
                        guard Set(columns) == Set(try await Self.columns(of: table, in: "restored", sql)) else { throw Failure.schemaDiffers(table) }
                        let list = columns.map(quoted).joined(separator: ", ")
                        try await sql.raw("DELETE FROM main.\(unsafeRaw: quoted(table))").run()
                        try await sql.raw("INSERT INTO main.\(unsafeRaw: quoted(table)) (\(unsafeRaw: list)) SELECT \(unsafeRaw: list) FROM restored.\(unsafeRaw: quoted(table))").run()
                    }
                    try await sql.raw("COMMIT").run()
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            } catch {
                try? await sql.raw("DETACH DATABASE restored").run()
                throw error
            }
            try await sql.raw("DETACH DATABASE restored").run()
        }
        return try await summary(of: path, app)
    }

    /// Tables and rows of the SQLite file at `path` (read through an attachment on one connection).
    static func summary(of path: String, _ app: Application) async throws -> Summary {
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        return try await app.db.withConnection { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("ATTACH DATABASE \(bind: path) AS counted").run()
            do {
                var rows = 0, residents = 0
                let tables = try await Self.tables(in: "counted", sql)
                for table in tables {
                    let n = try await sql.raw("SELECT COUNT(*) AS n FROM counted.\(unsafeRaw: quoted(table))").first()?.decode(column: "n", as: Int.self) ?? 0
                    rows += n
                    if table == "residents" { residents = n }
                }
                try await sql.raw("DETACH DATABASE counted").run()
                return Summary(tables: tables.count, rows: rows, residents: residents, bytes: bytes)
            } catch {
                try? await sql.raw("DETACH DATABASE counted").run()
                throw error
            }
        }
    }

    private static func tables(in schema: String, _ sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw("SELECT name FROM \(unsafeRaw: schema).sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all()
            .map { try $0.decode(column: "name", as: String.self) }
    }

    private static func columns(of table: String, in schema: String, _ sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw("PRAGMA \(unsafeRaw: schema).table_info(\(unsafeRaw: quoted(table)))").all().map { try $0.decode(column: "name", as: String.self) }
    }

    private static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

/// `jifen backup FILE` and `jifen restore FILE` (SQLite).
enum BackupCommand: JifenCommand {
    static let name = "backup"
    static let usage = "jifen backup FILE"
    static let needsApplication = true

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        let args = try Arguments(arguments, flags: [Arguments.demo])
        guard args.positional.count == 1 else { throw CommandUsage(message: "需要一个文件名 / one file name expected") }
        guard let app else { throw CommandFailure(description: "jifen backup：缺少配置 / not configured") }
        do {
            let summary = try await Backup.copy(app, to: args.positional[0])
            io.output("备份完成 / backup written: \(args.positional[0]) — \(summary.bytes / 1_048_576) MB, \(summary.tables) tables, \(summary.rows) rows, \(summary.residents) residents")
            return 0
        } catch let failure as Backup.Failure {
            throw CommandFailure(description: failure.description)
        }
    }
}

enum RestoreCommand: JifenCommand {
    static let name = "restore"
    static let usage = "jifen restore FILE"
    static let needsApplication = true

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        let args = try Arguments(arguments, flags: [Arguments.demo])
        guard args.positional.count == 1 else { throw CommandUsage(message: "需要一个文件名 / one file name expected") }
        let app = try await migrated(app)
        do {
            let summary = try await Backup.restore(app, from: args.positional[0])
            io.output("恢复完成 / restored from \(args.positional[0]): \(summary.tables) tables, \(summary.rows) rows, \(summary.residents) residents")
            return 0
        } catch let failure as Backup.Failure {
            throw CommandFailure(description: failure.description)
        }
    }
}
