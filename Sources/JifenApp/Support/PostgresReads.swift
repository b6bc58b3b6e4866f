import Fluent
import FluentPostgresDriver
import NIOConcurrencyHelpers
import PostgresKit
import Vapor

/// On PostgreSQL, a connection of each event loop's own for the plain reads a request makes outside
/// a transaction (`PlainRow.all`, `PlainModels.all`), beside Fluent's pool, with the statements
/// prepared once on the server and run again by name. Through the pool every statement waits its
/// turn with a promise and a timer, is parsed and planned again by PostgreSQL, and answers with a
/// description of its columns that is decoded again; a signed-in page asks six to nine. Here a
/// statement is prepared on its first use on a connection (PostgresNIO keeps, per connection,
/// which are), and later runs are a bind and an execute. The connections are read-only
/// (`default_transaction_read_only`), so a statement that writes fails there instead of writing
/// outside the request's transaction. In PostgreSQL's default isolation a read sees every write
/// committed before it began, so a page reads what the request wrote before; a read inside a
/// transaction stays on the transaction's connection. The SQLite counterpart is `ReadConnections`.
///
/// A connection is opened on first use and closed when the application shuts down; one that has
/// been closed (the server restarted) is opened again by the next read, the read meanwhile going
/// through the pool.
final class PostgresReadConnections: Sendable {
    @TaskLocal static var current: PostgresReadConnections?

    /// Distinct statements prepared at most (their texts differ in the number of values an
    /// `IN (…)` lists, so a page's reads stay far below); past that a statement runs unnamed.
    static let limit = 200

    private let logger: Logger
    private let connections: LoopConnections<PostgresConnection>
    private struct State {
        /// A name for each statement (its text and the types of its values).
        var names: [String: String] = [:]
        /// Reads answered here.
        var served = 0
    }
    private let state = NIOLockedValueBox(State())

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        var configuration = configuration
        // Named in `pg_stat_activity`.
        configuration.options.additionalStartupParameters.append(("application_name", "jifen-read"))
        self.logger = logger
        let opened = NIOLockedValueBox(0)
        connections = LoopConnections(
            logger: logger,
            make: { [configuration] loop in
                let id = opened.withLockedValue { $0 += 1; return $0 }
                return PostgresConnection.connect(on: loop, configuration: configuration, id: id, logger: logger).flatMap { connection in
                    connection.query("SET default_transaction_read_only = on", logger: logger).map { _ in connection }
                        .flatMapError { error in connection.close().flatMapThrowing { throw error } }
                }
            },
            // One closed since (the server ended it) is opened again: a statement written to a
            // closed connection would never be answered. (Fluent's pool checks the same.)
            usable: { !$0.isClosed },
            close: { connection in if !connection.isClosed { try? await connection.close() } },
            describe: { PostgresReadConnections.reason($0) })
    }

    /// How many are open (one an event loop at most).
    var count: Int { connections.count }

    /// How many distinct statements have been named for preparing.
    var prepared: Int { state.withLockedValue { $0.names.count } }

    /// How many reads have been answered here (not through the pool).
    var served: Int { state.withLockedValue { $0.served } }

    /// The rows of a plain read on `loop`'s connection, opened now if it is the first read there;
    /// nil once shut down, or when the connection could not be opened or was lost (the caller
    /// reads through the pool).
    func rows(_ sql: String, _ values: PostgresValues, on loop: any EventLoop) async throws -> [PostgresRow]? {
        guard let connection = await connections.connection(on: loop) else { return nil }
        let name: String? = state.withLockedValue { state in
            let statement = values.signature + "\u{1}" + sql
            if let name = state.names[statement] { return name }
            guard state.names.count < Self.limit else { return nil }
            let name = "jifen_read_\(state.names.count + 1)"
            state.names[statement] = name
            return name
        }
        do {
            let rows: [PostgresRow]
            if let name {
                rows = try await KeptRead.$statement.withValue((name, sql)) {
                    var rows: [PostgresRow] = []
                    for try await row in try await connection.execute(KeptRead(bindings: values.bindings), logger: logger) { rows.append(row) }
                    return rows
                }
            } else {
                let result: PostgresQueryResult = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: values.bindings), logger: logger).get()
                rows = result.rows
            }
            state.withLockedValue { $0.served += 1 }
            return rows
        } catch where connection.isClosed || Self.planChanged(error) {
            // Lost, or a table changed under a prepared statement (another node's migration):
            // the connection goes, this read goes through the pool, and the next opens a fresh
            // connection that prepares anew.
            await connections.forget(connection, on: loop)
            logger.warning("a read connection of the database was dropped: \(Self.reason(error))")
            return nil
        }
    }

    /// A table a prepared statement reads has changed since it was prepared ("cached plan must not
    /// change result type"), or one it reads or a column is not there (yet: PostgresNIO keeps a
    /// statement that failed to prepare as failed on its connection, so it would fail there still
    /// once another node's migration has made it).
    private static func planChanged(_ error: any Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state == "0A000" || state == "42P01" || state == "42703"
    }

    /// An error as the log may show it: PostgreSQL's code and state, not the statement or its
    /// values.
    fileprivate static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: type(of: error)) }
        return "PostgreSQL \(error.code)" + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
    }

    func close() async { await connections.closeAll() }

    /// Closes the connections before the event loops go.
    struct Closer: LifecycleHandler {
        let connections: PostgresReadConnections
        func shutdownAsync(_ application: Application) async { await connections.close() }
    }
}

/// A statement prepared by name on the connection that runs it: PostgresNIO prepares it there the
/// first time (and keeps which are), and runs it by name after. PostgresNIO takes a prepared
/// statement's name and text from its type; here they are the task's (`statement`), set around
/// the one call that reads them.
private struct KeptRead: PostgresPreparedStatement {
    @TaskLocal static var statement: (name: String, sql: String) = ("", "")
    static var name: String { statement.name }
    static var sql: String { statement.sql }
    typealias Row = PostgresRow

    let bindings: PostgresBindings
    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

/// Values bound for PostgreSQL as Fluent's PostgreSQL driver binds them (PostgresKit: NULL, or a
/// value of PostgresNIO's own types), without SQLKit's per-value path. A value of any other kind
/// is not taken (nil), and the caller binds the whole statement through SQLKit as before.
struct PostgresValues: Sendable {
    var bindings: PostgresBindings
    /// The types bound, in order, by the generic `append` (a read's values): a statement prepared
    /// with one set of types is not run with another. A batch's values do not add to it.
    var signature = ""

    init(capacity: Int = 0) { bindings = PostgresBindings(capacity: capacity) }

    /// All of `values`, or nil if one is of another kind.
    init?(_ values: [any Encodable & Sendable]) {
        self.init(capacity: values.count)
        for value in values { guard append(value) else { return nil } }
    }

    /// Appends `value` as PostgresKit would (false if it is of a kind only its encoder takes).
    mutating func append<T: Encodable>(_ value: T) -> Bool {
        // NULL: an optional without a value, of its type where it has one (as PostgresKit binds
        // it: a NULL without a type is read as text in a `VALUES` list of NULLs). One with a
        // value is unwrapped by the cast below.
        if let optional = T.self as? any PlainModels.OptionalValue.Type, Mirror(reflecting: value).children.isEmpty {
            if let wrapped = optional.wrappedType as? any PostgresEncodable.Type {
                bindings.append(PostgresData(type: wrapped.psqlType, value: nil))
                signature += "\(wrapped.psqlType.rawValue),"
            } else {
                bindings.appendNull()
                signature += "0,"
            }
            return true
        }
        guard let value = value as? any PostgresThrowingDynamicTypeEncodable, (try? bindings.append(value, context: .default)) != nil else { return false }
        signature += "\(value.psqlType.rawValue),"
        return true
    }

    /// A batch's value, as `Batches.Value.bound` gives it to PostgresKit.
    mutating func append(_ value: Batches.Value) -> Bool {
        switch value {
        case .id(let id): bindings.append(id)
        case .text(let text): bindings.append(text)
        case .integer(let n): bindings.append(n)
        case .flag(let flag): bindings.append(flag)
        case .time(let time): bindings.append(time)
        case .integers(let list): bindings.append(list)
        case .texts(let list): bindings.append(list)
        case .encoded(let value): return append(value)
        }
        return true
    }
}

/// Makes the application's PostgreSQL read connections `current` for the rest of the request.
struct PostgresReadConnectionsMiddleware: AsyncMiddleware {
    let connections: PostgresReadConnections

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await PostgresReadConnections.$current.withValue(connections) { try await next.respond(to: request) }
    }
}

extension Application {
    private struct PostgresReadConnectionsKey: StorageKey { typealias Value = PostgresReadConnections }
    /// Set when the database is PostgreSQL (`configure`).
    var postgresReadConnections: PostgresReadConnections? {
        get { storage[PostgresReadConnectionsKey.self] }
        set { storage[PostgresReadConnectionsKey.self] = newValue }
    }
}

extension PostgresDatabase {
    /// `sql` with `values` on a connection of this database (the pool's, or the transaction's),
    /// unnamed.
    func rows(_ sql: String, _ values: PostgresValues) async throws -> [PostgresRow] {
        let logger = self.logger
        let result: PostgresQueryResult = try await withConnection { connection in
            connection.query(PostgresQuery(unsafeSQL: sql, binds: values.bindings), logger: logger)
        }.get()
        return result.rows
    }
}
