import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 009 – jobs: work that outlasts a request. Frozen: a shipped migration is never edited.

struct CreateJob: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Job.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("kind", .string, .required)
            .field("status", .string, .required)
            .field("payload", .string, .required)
            .field("done", .int, .required)
            .field("total", .int, .required)
            .field("result", .string)
            .field("error", .string)
            .field("started_at", .datetime)
            .field("finished_at", .datetime)
            .field("created_by", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Job.schema).delete()
    }
}
