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
    @Enum(key: "one_per") var onePer: OnePer
    @Enum(key: "status") var status: Status
    @Field(key: "created_by") var createdBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $code, $title, $intro, $questions, $onePer, $status, $createdBy] }

    init() {}

    var questionnaire: Questionnaire? { try? Questionnaire.parse(questions).get() }

    /// Who may answer once: one answer per mobile number, or one per browser.
    enum OnePer: String, Codable, Sendable, CaseIterable { case phone, device }

    /// A draft is not answerable yet; an open survey takes answers; a closed one no longer.
    enum Status: String, Codable, Sendable, CaseIterable { case draft, open, closed }
}

/// One respondent's answers: choices as option indices per question, texts per question.
final class SurveyAnswer: Model, @unchecked Sendable {
    static let schema = "survey_answers"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    /// Keyed hash of the phone number or the device token: one answer each.
    @Field(key: "respondent") var respondent: String
    /// A keyed hash of the address the answer came from (per-device questionnaires' hourly limit).
    @OptionalField(key: "address_mac") var addressMAC: String?
    /// JSON: `{"choices":[[0],[1,3],[]],"texts":["","",""]}`.
    @Field(key: "answers") var answers: Stored
    @Parent(key: "survey_id") var survey: Survey

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $respondent, $addressMAC, $answers, $survey] }

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

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $code, $title, $notice, $opens, $closes, $topics, $createdBy] }

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
    /// The keyed hash of the confirmed phone an online opinion came with (nil: recorded by staff).
    @OptionalField(key: "respondent") var respondent: String?
    @Parent(key: "consultation_id") var consultation: Consultation

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $channel, $topic, $author, $text, $recordedBy, $respondent, $consultation] }

    init() {}
}
