import Fluent
import Foundation

/// Migration 022 – the approval steps a draft standard or a program's quotas passed (date, body,
/// document, the consultation it ran as), one row per step. Frozen: a shipped migration is never edited.
struct CreateApprovalRecords: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("approval_records")
            .id()
            .field("recorded_at", .datetime, .required)
            .field("subject", .string, .required)
            .field("subject_code", .string, .required)
            .field("step", .string, .required)
            .field("done_on", .date, .required)
            .field("body", .string, .required)
            .field("document", .string, .required)
            .field("consultation_code", .string)
            .field("recorded_by", .string, .required)
            .unique(on: "subject", "subject_code", "step")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("approval_records").delete()
    }
}
