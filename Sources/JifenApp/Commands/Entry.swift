import Foundation
import JifenCore
import Logging
import Vapor

/// What `jifen` does with its arguments: reads the settings (stopping with a message naming a
/// bad one), configures the application and hands over to the command.
public enum Entry {
    public static func main(arguments rawArguments: [String], environment: [String: String]) async -> Int32 {
        var arguments = rawArguments
        let demo = arguments.contains("--demo") || arguments.dropFirst().first == "demo"
        arguments.removeAll { $0 == "--demo" }
        if arguments.count == 1 { arguments.append("serve") }
        let command = arguments[1]

        // Commands of pure computation need no database and no settings.
        let out: (String) -> Void = { print($0) }
        let err: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        if ["policy", "bench", "id", "allocate"].contains(command) {
            // Logs (of the application `bench import` starts) go to standard error, at warning.
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .warning
                return handler
            }
        }
        switch command {
        case "policy": return PolicyCLI.run(Array(arguments.dropFirst(2)), output: out, errors: err)
        case "bench": return await BenchCLI.run(Array(arguments.dropFirst(2)), output: out, errors: err)
        case "allocate":
            return AllocateCLI.run(Array(arguments.dropFirst(2)), read: { FileManager.default.contents(atPath: $0).map(Array.init) }, output: out, errors: err)
        case "id": return IdCLI.run(Array(arguments.dropFirst(2)), input: { readLine() }, today: ShanghaiDate.today(), output: out, errors: err)
        default: break
        }

        var config: AppConfig
        do {
            config = try AppConfig.load(environment: environment, demo: demo)
            // Without JIFEN_PUBLIC_URL, the address printed in QR codes follows --hostname/--port.
            if (environment["JIFEN_PUBLIC_URL"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                config.publicURL = "http://\(value(of: ["--hostname", "-H"], in: arguments) ?? config.hostname):\(value(of: ["--port", "-p"], in: arguments) ?? String(config.port))"
            }
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            return 1
        }
        // Logs go to standard error, so command output (`jifen stats`) stays machine-readable.
        let level = config.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }

        let app: Application
        do {
            // A server runs as production unless told otherwise with --env.
            var env = try Environment.detect(arguments: arguments)
            if !arguments.contains(where: { $0 == "--env" || $0 == "-e" }) {
                env = .production
                env.arguments = arguments
            }
            app = try await Application.make(env)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            return 1
        }
        var status: Int32 = 0
        do {
            try await configure(app, config: config)
            app.asyncCommands.use(StatsCommand(), as: "stats")
            app.asyncCommands.use(AdminCommand(), as: "admin")
            app.asyncCommands.use(DemoCommand(), as: "demo")
            app.asyncCommands.use(ImportCommand(), as: "import")
            app.asyncCommands.use(WorkerCommand(), as: "worker")
            if command == "serve" {
                try await prepareDatabase(app)
                JobWorker.start(app)
                if demo {
                    let loaded = try await Demo.loadIfEmpty(app)
                    printDemo(loaded: loaded, config: config)
                }
                print("Jifen 积分 — 打开 / open: http://\(value(of: ["--hostname", "-H"], in: arguments) ?? config.hostname):\(value(of: ["--port", "-p"], in: arguments) ?? String(config.port))/login")
                // Piped output (a service, CI) is block-buffered: the address must show now.
                fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe to name
            }
            try await app.execute()
        } catch let problem as AppConfig.Problem {
            FileHandle.standardError.write(Data("\(problem)\n".utf8))
            status = 1
        } catch {
            FileHandle.standardError.write(Data("错误 / error: \(error)\n".utf8))
            status = 1
        }
        try? await app.asyncShutdown()
        return status
    }

    static func value(of names: [String], in arguments: [String]) -> String? {
        for (i, argument) in arguments.enumerated() where names.contains(argument) && i + 1 < arguments.count {
            return arguments[i + 1]
        }
        return nil
    }

    static func printDemo(loaded: Bool, config: AppConfig) {
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
        print(lines.joined(separator: "\n"))
    }
}

/// `jifen demo`: loads the demo organisation into the configured database if it is empty.
struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Loads the demo organisation into an empty database." }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await prepareDatabase(context.application)
        let loaded = try await Demo.loadIfEmpty(context.application)
        Entry.printDemo(loaded: loaded, config: context.application.jifenConfig)
    }
}
