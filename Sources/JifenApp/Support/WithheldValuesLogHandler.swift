import Logging

/// Jifen's log handler: standard error, without the values the database layers attach to what
/// they log at debug — SQLKit's statements (`binds`), Fluent's queries (`input`, `filters`,
/// `joins`): the phone number of a sign-in, the names and addresses of a registration. The
/// statement's text and the query's action, table and fields are still logged; their values
/// never are, at any level. (ID numbers are stored sealed and hashed, so never appear as values.)
struct WithheldValuesLogHandler: LogHandler {
    /// Metadata keys whose values are never written.
    static let withheld: Set<String> = ["binds", "input", "filters", "joins"]

    private var stream: StreamLogHandler

    init(label: String, level: Logger.Level) {
        stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = level
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?,
             source: String, file: String, function: String, line: UInt) {
        stream.log(level: level, message: message, metadata: metadata.map(Self.without),
                   source: source, file: file, function: function, line: line)
    }

    static func without(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.filter { !withheld.contains($0.key) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { stream[metadataKey: key] }
        set { stream[metadataKey: key] = newValue }
    }

    var metadata: Logger.Metadata {
        get { stream.metadata }
        set { stream.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }
}
