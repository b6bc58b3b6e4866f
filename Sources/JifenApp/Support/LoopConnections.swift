import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// One connection an event loop, opened on first use and closed at shutdown: what the read
/// connections of SQLite (`ReadConnections`) and PostgreSQL (`PostgresReadConnections`) keep.
/// Which connection a loop has is found without waiting on a future once it is open; one that is
/// no longer usable (`usable`: a PostgreSQL connection the server ended), or that its user drops
/// (`forget`), is opened afresh by the next use. One that cannot be opened leaves that use to
/// the caller's other way (nil), and the next use tries again.
final class LoopConnections<Connection: AnyObject & Sendable>: Sendable {
    private let make: @Sendable (any EventLoop) -> EventLoopFuture<Connection>
    private let usable: @Sendable (Connection) -> Bool
    private let close: @Sendable (Connection) async -> Void
    private let describe: @Sendable (any Error) -> String
    private let logger: Logger
    private struct State {
        var opening: [ObjectIdentifier: EventLoopFuture<Connection>] = [:]
        /// Those whose opening has finished, found without waiting on a future.
        var open: [ObjectIdentifier: Connection] = [:]
        var closed = false
    }
    private let state = NIOLockedValueBox(State())

    /// `describe` writes an error that opening met as the log may show it.
    init(logger: Logger, make: @escaping @Sendable (any EventLoop) -> EventLoopFuture<Connection>,
         usable: @escaping @Sendable (Connection) -> Bool = { _ in true },
         close: @escaping @Sendable (Connection) async -> Void,
         describe: @escaping @Sendable (any Error) -> String = { "\($0)" }) {
        self.logger = logger
        self.make = make
        self.usable = usable
        self.close = close
        self.describe = describe
    }

    /// How many are open or opening (one an event loop at most).
    var count: Int { state.withLockedValue { $0.opening.count } }

    /// `loop`'s connection, opened now if it has none; nil once shut down, or when it could not be
    /// opened.
    func connection(on loop: any EventLoop) async -> Connection? {
        let key = ObjectIdentifier(loop)
        let found: (Connection?, EventLoopFuture<Connection>?) = state.withLockedValue { state in
            if state.closed { return (nil, nil) }
            if let open = state.open[key] {
                if usable(open) { return (open, nil) }
                state.open[key] = nil
                state.opening[key] = nil
            }
            if let opening = state.opening[key] { return (nil, opening) }
            let new = make(loop)
            state.opening[key] = new
            return (nil, new)
        }
        if let open = found.0 { return open }
        guard let opening = found.1 else { return nil }
        do {
            let connection = try await opening.get()
            let kept = state.withLockedValue { state in
                if state.closed { return false }
                state.open[key] = connection
                return true
            }
            if !kept { await close(connection); return nil }
            return connection
        } catch {
            // Not opened (the file unreadable, the database unreachable for a moment): this use
            // goes the other way, the next one tries again.
            state.withLockedValue { state in state.opening[key] = nil }
            logger.warning("a read connection of the database could not be opened: \(describe(error))")
            return nil
        }
    }

    /// Drops `loop`'s `connection` (lost, or no longer fit): the next use opens another.
    func forget(_ connection: Connection, on loop: any EventLoop) async {
        let key = ObjectIdentifier(loop)
        state.withLockedValue { state in
            if state.open[key] === connection { state.open[key] = nil; state.opening[key] = nil }
        }
        await close(connection)
    }

    /// Closes them all; none is opened after.
    func closeAll() async {
        let all = state.withLockedValue { state in
            state.closed = true
            defer { state.opening = [:]; state.open = [:] }
            return Array(state.opening.values)
        }
        for opening in all { if let connection = try? await opening.get() { await close(connection) } }
    }
}
