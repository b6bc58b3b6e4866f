import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 010 – points applications, claims, evidence files, archives and their history. Frozen: a shipped migration is never edited.

struct CreatePoints: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PointsApplication.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("number", .string, .required)
            .field("year", .int, .required)
            .field("standard_code", .string, .required)
            .field("status", .string, .required)
            .field("opened_by", .string, .required)
            .field("submitted_at", .datetime)
            .field("reviewed_at", .datetime)
            .field("reviewed_by", .string)
            .field("return_reason", .string)
            .field("completed_at", .datetime)
            .field("total", .int64)
            .field("resident_id", .uuid, .required, .references(Resident.schema, "id"))
            .field("jurisdiction_id", .uuid, .required, .references(Jurisdiction.schema, "id"))
            .unique(on: "number")
            // One application per person and year: opening twice finds the first.
            .unique(on: "resident_id", "year")
            .create()
        try await database.schema(PointsClaim.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("item", .string, .required)
            .field("department", .string, .required)
            .field("value", .string, .required)
            .field("fact_date", .string)
            .field("state", .string, .required)
            .field("confirmed_value", .string)
            .field("confirmed_date", .string)
            .field("verifier", .string)
            .field("feed_as_of", .string)
            .field("reason", .string)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .field("due_date", .string)
            .field("application_id", .uuid, .required, .references(PointsApplication.schema, "id"))
            .create()
        try await database.schema(EvidenceFile.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("sha256", .string, .required)
            .field("kind", .string, .required)
            .field("size", .int, .required)
            .field("filename", .string, .required)
            .field("uploaded_by", .string, .required)
            .field("claim_id", .uuid, .required, .references(PointsClaim.schema, "id"))
            .create()
        try await database.schema(PointsArchive.schema)
            .id()
            .field("updated_at", .datetime, .required)
            .field("status", .string, .required)
            .field("year", .int, .required)
            .field("total", .int64, .required)
            .field("fraud_found", .string)
            .field("barred_until", .string)
            .field("ended_reason", .string)
            .field("resident_id", .uuid, .required, .references(Resident.schema, "id"))
            .field("application_id", .uuid, .references(PointsApplication.schema, "id"))
            .unique(on: "resident_id")
            .create()
        try await database.schema(PointsHistoryEntry.schema)
            .id()
            .field("at", .datetime, .required)
            .field("kind", .string, .required)
            .field("before_total", .int64, .required)
            .field("after_total", .int64, .required)
            .field("reason", .string, .required)
            .field("by", .string, .required)
            .field("archive_id", .uuid, .required, .references(PointsArchive.schema, "id"))
            .create()
        if let sql = database as? any SQLDatabase {
            // The departments' queues and the window's list read by these.
            try await sql.create(index: "points_claims_department_state").on(PointsClaim.schema).column("department").column("state").run()
            try await sql.create(index: "points_claims_application").on(PointsClaim.schema).column("application_id").run()
            try await sql.create(index: "points_applications_status").on(PointsApplication.schema).column("status").run()
            try await sql.create(index: "evidence_files_claim").on(EvidenceFile.schema).column("claim_id").run()
            try await sql.create(index: "points_history_archive").on(PointsHistoryEntry.schema).column("archive_id").run()
        }
    }

    func revert(on database: any Database) async throws {
        for schema in [PointsHistoryEntry.schema, PointsArchive.schema, EvidenceFile.schema, PointsClaim.schema, PointsApplication.schema] {
            try await database.schema(schema).delete()
        }
    }
}
