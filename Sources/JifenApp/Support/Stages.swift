import NIOConcurrencyHelpers
import Vapor

/// How long each stage of a long piece of work took, in the log (info).
final class Stages: Sendable {
    let logger: Logger
    let what: String
    private let last = NIOLockedValueBox(ContinuousClock.now)

    init(logger: Logger, what: String) {
        self.logger = logger
        self.what = what
    }

    func done(_ stage: String) {
        let now = ContinuousClock.now
        let took = last.withLockedValue { last in defer { last = now }; return now - last }
        logger.info("\(what): \(stage) \(String(format: "%.3f", Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)) s")
    }
}
