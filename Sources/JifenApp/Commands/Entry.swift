import Foundation
import JifenCore
import Logging
import NIOCore
import NIOPosix
import Vapor

/// What `jifen` does with its arguments: reads the settings (stopping with a message naming a
/// bad one), configures the application and hands over to the command.
public enum Entry {
    public static func main(arguments rawArguments: [String], environment: [String: String]) async -> Int32 {
        var arguments = rawArguments
        let demo = arguments.contains("--demo") || arguments.dropFirst().first == "demo"
        arguments.removeAll { $0 == "--demo" }
        if arguments.count == 1 { arguments.append(ServeCommand.name) }
        let io = CommandIO.standard
        let name = arguments[1]
        // The server's async code runs on NIO's event loops rather than on a pool of its own: a
        // request's database reads and its handler no longer pass between two sets of threads at
        // every `await` (1.4 to 1.8 times the requests a second for the lightest pages, BENCHMARKS.md). Only the
        // server: a command may call what blocks its thread until the event loops answer (Fluent's
        // `reinitialize` in `restore`), which on an event loop would wait for itself.
        if name == ServeCommand.name { _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() }
        if ["help", "--help", "-h"].contains(name) { io.output(Commands.usage); return 0 }
        guard let command = Commands.named(name) else {
            io.errors("未知命令 / unknown command: \(name)\n" + Commands.usage)
            return 2
        }
        // `--env NAME` (or `-e NAME`) is the application's, read below, not the command's.
        var rest: [String] = []
        var k = 2
        while k < arguments.count {
            if ["--env", "-e"].contains(arguments[k]) { k += 2; continue }
            rest.append(arguments[k])
            k += 1
        }

        guard command.needsApplication else {
            // Logs (of the application `bench import` starts) go to standard error, at warning
            // unless JIFEN_LOG_LEVEL says otherwise (info shows the import's stages).
            let level = Logger.Level(rawValue: environment["JIFEN_LOG_LEVEL"] ?? "") ?? .warning
            LoggingSystem.bootstrap { WithheldValuesLogHandler(label: $0, level: level) }
            return await run(command, rest, io: io, app: nil)
        }

        var config: AppConfig
        do {
            config = try AppConfig.load(environment: environment, demo: demo)
            // Without JIFEN_PUBLIC_URL, the address printed in QR codes follows --hostname/--port.
            if (environment["JIFEN_PUBLIC_URL"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                config.publicURL = "http://\(value(of: ["--hostname", "-H"], in: arguments) ?? config.hostname):\(value(of: ["--port", "-p"], in: arguments) ?? String(config.port))"
            }
        } catch {
            io.errors("\(error)")
            return 1
        }
        // Logs go to standard error, so command output (`jifen stats`) stays machine-readable;
        // statements' values never go there.
        let level = config.logLevel
        LoggingSystem.bootstrap { WithheldValuesLogHandler(label: $0, level: level) }

        let app: Application
        do {
            // A server runs as production unless told otherwise with --env.
            var env = try Environment.detect(arguments: arguments)
            if !arguments.contains(where: { $0 == "--env" || $0 == "-e" }) {
                env = .production
                env.arguments = arguments
            }
            app = try await Application.make(env)
            try await configure(app, config: config)
        } catch {
            io.errors("错误 / error: \(error)")
            return 1
        }
        // Commands with a database all take --demo (the demo's own key), and serve loads the demo.
        let status = await run(command, demo ? rest + ["--demo"] : rest, io: io, app: app)
        try? await app.asyncShutdown()
        return status
    }

    /// Runs a command and turns what it threw into words on standard error and an exit status.
    static func run(_ command: any JifenCommand.Type, _ arguments: [String], io: CommandIO, app: Application?) async -> Int32 {
        do {
            return try await command.run(arguments, io: io, app: app)
        } catch let usage as CommandUsage {
            io.errors(usage.message + "\n用法 / usage:\n" + command.usage)
            return 2
        } catch let problem as AppConfig.Problem {
            io.errors("\(problem)")
            return 1
        } catch let failure as CommandFailure {
            io.errors(failure.description)
            return 1
        } catch {
            io.errors("错误 / error: \(error)")
            return 1
        }
    }

    static func value(of names: [String], in arguments: [String]) -> String? {
        for (i, argument) in arguments.enumerated() where names.contains(argument) && i + 1 < arguments.count {
            return arguments[i + 1]
        }
        return nil
    }

    static func demoLines(loaded: Bool, config: AppConfig) -> String {
        var lines: [String] = []
        lines.append(loaded ? "演示数据已载入（张家港市） / demo data loaded" : "数据库非空，未重新载入演示数据 / database not empty, demo data left as it is")
        if config.secretKeyGenerated {
            lines.append("演示密钥已生成并保存在 / demo secret key generated and kept in: \(config.dataDirectory)/demo-secret.key (生产环境请设置 JIFEN_SECRET_KEY / set JIFEN_SECRET_KEY in production)")
        }
        if let accounts = try? Demo.accounts() {
            lines.append("演示账号 / demo accounts (密码 / password: \(accounts.first?.password ?? "")):")
            for account in accounts {
                lines.append("  \(account.login.padding(toLength: 16, withPad: " ", startingAt: 0)) \(account.role.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(account.displayName)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// `jifen serve [--hostname H] [--port P] [--demo]`: migrates, loads the demo into an empty
/// database with `--demo`, prints the address, starts the checkpointer (SQLite) and the job worker
/// and serves (Vapor's server, which reads `--hostname` and `--port`).
enum ServeCommand: JifenCommand {
    static let name = "serve"
    static let usage = "jifen serve [--hostname H] [--port P] [--demo]"
    static let needsApplication = true

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        guard let app else { return 1 }
        let config = app.jifenConfig
        try await prepareDatabase(app)
        if arguments.contains("--demo") {
            let loaded = try await Demo.loadIfEmpty(app)
            try await Demo.markDemoAccounts(app)
            io.output(Entry.demoLines(loaded: loaded, config: config))
        }
        let base = "http://\(Entry.value(of: ["--hostname", "-H"], in: arguments) ?? config.hostname):\(Entry.value(of: ["--port", "-p"], in: arguments) ?? String(config.port))"
        if arguments.contains("--demo") {
            io.output("接口 / API: \(base)\(ApiRoute.reference.path)")
            if let token = try await Demo.issueApiToken(app) {
                io.output("演示部门系统令牌 / demo department token (hrss: feeds, reviews): \(token)")
            }
            io.output("市民接口登录 / citizen sign-in: curl -X POST \(base)\(ApiRoute.citizenSession.path) -H 'Content-Type: application/json' -d '{\"phone\":\"13800000001\",\"password\":\"demo12345\"}'")
        }
        io.output("Jifen 积分 — 打开 / open: \(base)/login")
        // Piped output (a service, CI) is block-buffered: the address must show now.
        fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe to name
        // The worker's first pass can be heavy (in December it sends every due reminder): it starts
        // once the demo's own writes are done, not beside them.
        try await Checkpoints.start(app)
        JobWorker.start(app)
        try await app.execute()
        // Told to stop (SIGTERM, SIGINT): take no more requests, and let every handler still at
        // work finish (its client may have gone already) while the databases are open. Vapor's own
        // shutdown closes the databases first, and a handler that reached its database after that
        // stopped the process.
        await app.server.shutdown()
        let busy = app.inFlight.now
        if busy > 0 { app.logger.notice("stopping: \(busy) requests still being answered, waiting for them") }
        if await !app.inFlight.drained(timeout: .seconds(30)) {
            app.logger.warning("stopping with \(app.inFlight.now) requests still being answered after 30 s")
        }
        return 0
    }
}
