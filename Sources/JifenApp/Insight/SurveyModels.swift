import Fluent
import JifenCore
import SQLKit
import Vapor

/// A questionnaire published by the centre; its questions in the text form of `Questionnaire.parse`.
final class Survey: Model, @unchecked Sendable {
    static let schema = "surveys"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "code") var code: String
    @Field(key: "title") var title: String
    @Field(key: "intro") var intro: String
    @Field(key: "questions") var questions: String
    /// `phone`: one answer per mobile number; `device`: one per browser.
    @Field(key: "one_per") var onePer: String
    @Field(key: "status") var status: String
    @Field(key: "created_by") var createdBy: String

    init() {}

    var questionnaire: Questionnaire? { try? Questionnaire.parse(questions).get() }
}

/// One respondent's answers: choices as option indices per question, texts per question.
final class SurveyAnswer: Model, @unchecked Sendable {
    static let schema = "survey_answers"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    /// Keyed hash of the phone number or the device token: one answer each.
    @Field(key: "respondent") var respondent: String
    /// JSON: `{"choices":[[0],[1,3],[]],"texts":["","",""]}`.
    @Field(key: "answers") var answers: Stored
    @Parent(key: "survey_id") var survey: Survey

    init() {}

    /// Stored as the database's JSON: `{"choices": [[option, …] per question], "texts": [text per question]}`.
    struct Stored: Codable, Sendable { var choices: [[Int]]; var texts: [String] }

    var answer: Questionnaire.Answer { Questionnaire.Answer(choices: answers.choices, texts: answers.texts) }
}

/// A consultation (征求意见): a notice open for a period; opinions come online or are recorded by staff.
final class Consultation: Model, @unchecked Sendable {
    static let schema = "consultations"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "code") var code: String
    @Field(key: "title") var title: String
    @Field(key: "notice") var notice: String
    @Field(key: "opens") var opens: CivilDate
    @Field(key: "closes") var closes: CivilDate
    /// Topics opinions are grouped by, one per line.
    @Field(key: "topics") var topics: [String]
    @Field(key: "created_by") var createdBy: String

    init() {}

}

final class Opinion: Model, @unchecked Sendable {
    static let schema = "opinions"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    /// online | letter | email | phone
    @Field(key: "channel") var channel: String
    @Field(key: "topic") var topic: String
    @Field(key: "author") var author: String
    @Field(key: "text") var text: String
    @Field(key: "recorded_by") var recordedBy: String
    @Parent(key: "consultation_id") var consultation: Consultation

    init() {}
}

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
