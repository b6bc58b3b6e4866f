import Fluent
import FluentSQLiteDriver
import SQLKit
import Vapor

/// On SQLite, the write-ahead log is copied back into the database file (a checkpoint) by a
/// connection of the server's own, about a second after writes, rather than inside whichever
/// request's commit took the log past SQLite's 1,000 pages: a city's round writes some twenty
/// megabytes, and copying them back inside its commit cost the organiser half a second. What a
/// commit promises does not change: it is on disk in the log (`synchronous` FULL) before it is
/// acknowledged; the checkpoint only moves it into the file, and a checkpoint that cannot finish
/// (a long read still open) does what it can and tries again.
enum Checkpoints {
    /// Turns off the checkpoint at commit on each event loop's connection and starts the
    /// checkpointer, a checkpoint each `interval`; nothing on PostgreSQL. A pooled connection
    /// opened again later (after an error) checkpoints at commit as SQLite does by default, which
    /// is only slower.
    static func start(_ app: Application, interval: Duration = .seconds(1)) async throws {
        guard case .sqlite(let path) = app.jifenConfig.database else { return }
        for loop in app.eventLoopGroup.makeIterator() {
            guard let db = app.databases.database(logger: app.logger, on: loop) as? any SQLDatabase else { continue }
            try await db.raw("PRAGMA wal_autocheckpoint = 0").run()
        }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: app.threadPool, logger: app.logger,
                                                         on: app.eventLoopGroup.any())
        let logger = app.logger
        let task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                do {
                    // PASSIVE: copies what no open read still needs, without waiting for anyone.
                    _ = try await connection.query("PRAGMA wal_checkpoint(PASSIVE)").get()
                } catch {
                    logger.warning("checkpoint of the write-ahead log failed: \(error)")
                }
            }
        }
        app.lifecycle.use(Checkpointer(task: task, connection: connection))
    }

    struct Checkpointer: LifecycleHandler {
        let task: Task<Void, Never>
        let connection: SQLiteConnection

        func shutdown(_ application: Application) { task.cancel() }

        /// The loop is stopped and waited for, and its connection closed, before the application
        /// goes (the last connection to close checkpoints what is left, as SQLite always does).
        func shutdownAsync(_ application: Application) async {
            task.cancel()
            await task.value
            try? await connection.close()
        }
    }
}
