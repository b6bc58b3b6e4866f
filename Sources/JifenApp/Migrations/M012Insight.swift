import Fluent
import Foundation
import JifenCore
import SQLKit

// Migration 012 – questionnaires and their answers, consultations and opinions. Frozen: a shipped migration is never edited.

struct CreateInsight: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Survey.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("code", .string, .required)
            .field("title", .string, .required)
            .field("intro", .string, .required)
            .field("questions", .string, .required)
            .field("one_per", .string, .required)
            .field("status", .string, .required)
            .field("created_by", .string, .required)
            .unique(on: "code")
            .create()
        try await database.schema(SurveyAnswer.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("respondent", .string, .required)
            .field("answers", .string, .required)
            .field("survey_id", .uuid, .required, .references(Survey.schema, "id"))
            .unique(on: "survey_id", "respondent")
            .create()
        try await database.schema(Consultation.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("code", .string, .required)
            .field("title", .string, .required)
            .field("notice", .string, .required)
            .field("opens", .string, .required)
            .field("closes", .string, .required)
            .field("topics", .string, .required)
            .field("created_by", .string, .required)
            .unique(on: "code")
            .create()
        try await database.schema(Opinion.schema)
            .id()
            .field("created_at", .datetime, .required)
            .field("channel", .string, .required)
            .field("topic", .string, .required)
            .field("author", .string, .required)
            .field("text", .string, .required)
            .field("recorded_by", .string, .required)
            .field("consultation_id", .uuid, .required, .references(Consultation.schema, "id"))
            .create()
    }

    func revert(on database: any Database) async throws {
        for schema in [Opinion.schema, Consultation.schema, SurveyAnswer.schema, Survey.schema] { try await database.schema(schema).delete() }
    }
}
