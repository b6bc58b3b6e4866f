import NIOConcurrencyHelpers
import Vapor

/// The requests this process is answering now. A request's work goes on after its client has
/// gone (a closed connection does not stop its handler), so stopping the HTTP server does not
/// mean no handler still needs the databases: `serve` waits for this count to reach zero before
/// the application shuts down.
final class InFlight: Sendable {
    private let count = NIOLockedValueBox(0)

    var now: Int { count.withLockedValue { $0 } }

    func enter() { count.withLockedValue { $0 += 1 } }
    func leave() { count.withLockedValue { $0 -= 1 } }

    /// Waits until no request is being answered, or `timeout` has passed; whether none is left.
    @discardableResult
    func drained(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while now > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}

/// The outermost middleware: counts each request from its arrival until its handler is done.
struct InFlightMiddleware: AsyncMiddleware {
    let inFlight: InFlight

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        inFlight.enter()
        defer { inFlight.leave() }
        return try await next.respond(to: request)
    }
}

extension Application {
    private struct InFlightKey: StorageKey { typealias Value = InFlight }
    var inFlight: InFlight {
        if let existing = storage[InFlightKey.self] { return existing }
        let new = InFlight()
        storage[InFlightKey.self] = new
        return new
    }
}
