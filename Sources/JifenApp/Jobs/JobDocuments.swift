import Foundation

/// What a job was asked to do, one case per kind. Stored as the database's JSON (PostgreSQL
/// `jsonb`, SQLite JSON text) in the form `{"<kind>": {…}}`, so a row can be read without the code.
enum JobPayload: Codable, Sendable, Equatable {
    case feedImport(FeedImportJob.Payload)
    case simulation(SimulationController.Payload)

    var feedImport: FeedImportJob.Payload? { if case .feedImport(let p) = self { p } else { nil } }

    var kind: String {
        switch self {
        case .feedImport: FeedImportJob.kind
        case .simulation: SimulationController.kind
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JobKindKey.self)
        if let payload = try container.decodeIfPresent(FeedImportJob.Payload.self, forKey: JobKindKey(FeedImportJob.kind)) {
            self = .feedImport(payload)
        } else if let payload = try container.decodeIfPresent(SimulationController.Payload.self, forKey: JobKindKey(SimulationController.kind)) {
            self = .simulation(payload)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown job kind: \(container.allKeys.map(\.stringValue))"))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JobKindKey.self)
        switch self {
        case .feedImport(let payload): try container.encode(payload, forKey: JobKindKey(kind))
        case .simulation(let payload): try container.encode(payload, forKey: JobKindKey(kind))
        }
    }
}

/// What a finished job found, one case per kind, stored like its payload.
enum JobResult: Codable, Sendable, Equatable {
    case feedImport(FeedImportJob.Result)
    case simulation(SimulationController.Report)

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JobKindKey.self)
        if let result = try container.decodeIfPresent(FeedImportJob.Result.self, forKey: JobKindKey(FeedImportJob.kind)) {
            self = .feedImport(result)
        } else if let report = try container.decodeIfPresent(SimulationController.Report.self, forKey: JobKindKey(SimulationController.kind)) {
            self = .simulation(report)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown job kind: \(container.allKeys.map(\.stringValue))"))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JobKindKey.self)
        switch self {
        case .feedImport(let result): try container.encode(result, forKey: JobKindKey(FeedImportJob.kind))
        case .simulation(let report): try container.encode(report, forKey: JobKindKey(SimulationController.kind))
        }
    }

    var feedImport: FeedImportJob.Result? { if case .feedImport(let r) = self { r } else { nil } }
    var simulation: SimulationController.Report? { if case .simulation(let r) = self { r } else { nil } }
}

struct JobKindKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ kind: String) { stringValue = kind }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
