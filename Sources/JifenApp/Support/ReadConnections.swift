import FluentSQLiteDriver
import NIOConcurrencyHelpers
import Vapor

/// On SQLite, a connection of each event loop's own for the plain reads a request makes outside a
/// transaction (`PlainRow.all`, `PlainModels.all`), beside Fluent's pool, keeping its compiled
/// statements (`KeptStatements`). The pool keeps one connection an event loop, and every
/// statement waits its turn for it with a promise and a timer; a signed-in page asks six to nine
/// statements, and under load those waits cost more than the statements. In write-ahead-log mode
/// a read on another connection sees every write committed before it began, so a page reads what
/// the request wrote before. A read inside a transaction stays on the transaction's connection,
/// to see what it has not committed yet; PostgreSQL, jobs and commands use the pool as before.
///
/// The connections are opened on first use, on a thread of the pool, and closed when the
/// application shuts down. A query runs where the request's task is (on the server, its event
/// loop), holding the connection's lock: a plain read of a page is SQLite stepping through a few
/// indexed rows it mostly has in memory (tens of microseconds), and sending each to a thread of
/// the pool and back cost a signed-in page more than its statements (three thread hand-overs a
/// statement). The loop waits for it meanwhile; large reads (the round's `PlainRow.many`,
/// reports through Fluent) stay on the pool's threads. A request finds them through
/// `current`, which `ReadConnectionsMiddleware` sets for the request's work.
final class ReadConnections: Sendable {
    @TaskLocal static var current: ReadConnections?

    private let connections: LoopConnections<KeptStatements>

    init(path: String, threadPool: NIOThreadPool, logger: Logger) {
        connections = LoopConnections(
            logger: logger,
            make: { loop in threadPool.runIfActive(eventLoop: loop) { try KeptStatements(path: path) } },
            close: { $0.close() })
    }

    /// How many are open (one an event loop at most).
    var count: Int { connections.count }

    /// The rows of a plain read on `loop`'s connection, opened now if it is the first read there;
    /// nil once shut down, or when it could not be opened (the caller reads through the pool).
    func rows(_ sql: String, _ binds: [SQLiteData], on loop: any EventLoop) async throws -> [KeptStatements.Row]? {
        guard let connection = await connections.connection(on: loop) else { return nil }
        return try connection.rows(sql, binds)
    }

    func close() async { await connections.closeAll() }

    /// Closes the connections before the databases and the thread pool go.
    struct Closer: LifecycleHandler {
        let connections: ReadConnections
        func shutdownAsync(_ application: Application) async { await connections.close() }
    }
}

/// Makes the application's read connections `current` for the rest of the request.
struct ReadConnectionsMiddleware: AsyncMiddleware {
    let connections: ReadConnections

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await ReadConnections.$current.withValue(connections) { try await next.respond(to: request) }
    }
}

extension Application {
    private struct ReadConnectionsKey: StorageKey { typealias Value = ReadConnections }
    /// Set when the database is SQLite (`configure`).
    var readConnections: ReadConnections? {
        get { storage[ReadConnectionsKey.self] }
        set { storage[ReadConnectionsKey.self] = newValue }
    }
}
