import Foundation
import Vapor

/// Every `jifen` subcommand is declared the same way: its name, its usage, whether it needs the
/// settings and the database, and what it does. It returns its exit status: 0 done, 1 failed
/// (a refused input, a failed job), 2 wrong usage or an unreadable file; a `CommandFailure` it
/// throws is printed on standard error and exits 1.
protocol JifenCommand {
    static var name: String { get }
    /// One or more lines, `jifen NAME …`, shown by `jifen help` and with a usage error.
    static var usage: String { get }
    /// Commands of pure computation read no settings and open no database.
    static var needsApplication: Bool { get }
    /// `app` is configured (settings read, database connected, not yet migrated) when the command
    /// needs it, nil otherwise.
    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32
}

extension JifenCommand {
    /// The configured application with its database brought to the current version, for a
    /// command that declares `needsApplication`.
    static func migrated(_ app: Application?) async throws -> Application {
        guard let app else { throw CommandFailure(description: "jifen \(name)：缺少配置 / not configured") }
        try await prepareDatabase(app)
        return app
    }
}

/// Where a command writes and reads: standard output for its results, standard error for
/// problems and progress, standard input.
struct CommandIO: Sendable {
    let output, errors: @Sendable (String) -> Void
    let input: @Sendable () -> String?

    static let standard = CommandIO(
        output: { print($0) },
        errors: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
        input: { readLine(strippingNewline: true) }
    )
}

/// A command that could not do what it was asked, in words for the person who typed it.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}

/// The subcommands, in the order `jifen help` lists them.
enum Commands {
    static var all: [any JifenCommand.Type] {
        [ServeCommand.self, DemoCommand.self, MigrateCommand.self, StatsCommand.self, AdminCommand.self, ImportCommand.self, WorkerCommand.self, RemindersCommand.self,
         BackupCommand.self, RestoreCommand.self, IdCLI.self, PolicyCLI.self, AllocateCLI.self, BenchCLI.self]
    }

    static func named(_ name: String) -> (any JifenCommand.Type)? { all.first { $0.name == name } }

    static var usage: String {
        // Each command's lines, without the "用法 / usage:" some of them begin with.
        let lines = all.flatMap { $0.usage.replacingOccurrences(of: "用法 / usage:", with: "").split(separator: "\n") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return "用法 / usage:\n" + (lines + ["jifen help"]).map { "  " + $0 }.joined(separator: "\n")
    }
}

/// The arguments after the command's name: `--option value`, `--flag`, and the rest in order.
/// An option the command does not know is a usage error that names it.
struct Arguments: Sendable {
    private(set) var positional: [String] = []
    private var values: [String: String] = [:]
    private var set: Set<String> = []

    init(_ raw: [String], options: Set<String> = [], flags: Set<String> = []) throws {
        var i = 0
        while i < raw.count {
            let argument = raw[i]
            if options.contains(argument) {
                guard i + 1 < raw.count else { throw CommandUsage(message: "\(argument)：缺少值 / needs a value") }
                values[argument] = raw[i + 1]
                i += 2
            } else if flags.contains(argument) {
                set.insert(argument)
                i += 1
            } else if argument.hasPrefix("--") {
                throw CommandUsage(message: "未知参数 / unknown option: \(argument)")
            } else {
                positional.append(argument)
                i += 1
            }
        }
    }

    /// Every command with a database takes it: use the demo's own key (and, for serve, the demo).
    static let demo = "--demo"

    subscript(option: String) -> String? { values[option] }
    func has(_ flag: String) -> Bool { set.contains(flag) }
}

/// Wrong usage: printed with the command's usage, exit status 2.
struct CommandUsage: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// `jifen migrate`: brings the configured database to the current version (`serve` does this by
/// itself); prints what it ran.
enum MigrateCommand: JifenCommand {
    static let name = "migrate"
    static let usage = "jifen migrate"
    static let needsApplication = true

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        _ = try Arguments(arguments, flags: [Arguments.demo])
        _ = try await migrated(app)
        io.output("数据库已是最新版本 / the database is up to date")
        return 0
    }
}

/// `jifen demo`: loads the demo organisation into the configured database if it is empty; with
/// `--scale city` (or a multiple of it, `--scale 2`, `--scale 0.1`) a whole city, with progress.
enum DemoCommand: JifenCommand {
    static let name = "demo"
    static let usage = "jifen demo [--scale city | --scale N]"
    static let needsApplication = true

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        let args = try Arguments(arguments, options: ["--scale"], flags: [Arguments.demo])
        var size = DemoSize.small
        if let scale = args["--scale"] {
            guard let parsed = DemoSize.parse(scale) else {
                throw CommandUsage(message: "--scale：应为 city 或 0 到 20 之间的数 / must be city or a number above 0 and at most 20: \(scale)")
            }
            size = parsed
        }
        let app = try await migrated(app)
        let started = ContinuousClock.now
        let errors = io.errors
        let loaded = try await Demo.loadIfEmpty(app, size: size) { step in
            let elapsed = ContinuousClock.now - started
            errors(String(format: "%6.1f s  ", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) + step)
        }
        if !loaded && size != .small {
            io.errors("数据库不是空的，未载入 / the database is not empty: nothing loaded")
            return 1
        }
        if loaded && size != .small {
            let elapsed = ContinuousClock.now - started
            io.output("已载入城市规模演示数据 / city-scale demo loaded in \(elapsed.components.seconds) s: \(size.residents) residents, \(size.applicants) applicants")
        }
        io.output(Entry.demoLines(loaded: loaded, config: app.jifenConfig))
        return 0
    }
}

// The commands of pure computation: no settings, no database.

extension IdCLI: JifenCommand {
    static let name = "id"
    static let needsApplication = false

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        run(arguments, input: io.input, today: ShanghaiDate.today(), output: io.output, errors: io.errors)
    }
}

extension PolicyCLI: JifenCommand {
    static let name = "policy"
    static let needsApplication = false

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        run(arguments, output: io.output, errors: io.errors)
    }
}

extension AllocateCLI: JifenCommand {
    static let name = "allocate"
    static let needsApplication = false

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        run(arguments, read: { readBytes($0) }, output: io.output, errors: io.errors)
    }
}

extension BenchCLI: JifenCommand {
    static let name = "bench"
    static let usage = "jifen bench [scoring | import | allocation] [--profiles N] [--import-rows N] [--applicants N]"
    static let needsApplication = false

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        await run(arguments, output: io.output, errors: io.errors)
    }
}
