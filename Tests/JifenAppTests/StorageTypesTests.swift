import Fluent
import Foundation
@testable import JifenApp
import SQLKit
import XCTVapor

/// No model keeps a date, a list or a JSON document in a text field: after the demo has filled
/// every feature, no value of any `String` field of any model reads as one.
final class StorageTypesTests: XCTestCase {
    /// Every model of the application; a table without a model here fails the test.
    static let models: [any Model.Type] = [
        CalendarYear.self, ApprovalRecord.self, TieredService.self, Resident.self, ResidenceRegistration.self, RentalHouse.self, HouseManager.self, HazardType.self, Hazard.self, HazardStep.self, HazardPhoto.self, StarRuleSet.self, ReminderSent.self, PermitBenefit.self, Complaint.self, Material.self, ResidencePermit.self, PermitStep.self, HouseholdMember.self,
        OutboxMessage.self, PhoneCode.self, Job.self, Program.self, School.self, SchoolCatchment.self, Quota.self, ServiceApplication.self, AllocationRound.self, Objection.self,
        AllocationResult.self, ServicePreference.self, PriorityGroup.self, PriorityClaim.self, RoundSchool.self, AllocationTrace.self, RoundCorrection.self, CorrectionChange.self, WaitlistMove.self, RecheckFinding.self, AppointmentSchedule.self, Appointment.self, PortalArticle.self,
        AccessLogEntry.self, Survey.self, SurveyAnswer.self, Consultation.self, Opinion.self, FeedRecordModel.self, FeedImportModel.self,
        FeedImportProblem.self, PointsApplication.self, PointsClaim.self, EvidenceFile.self, PointsArchive.self, PointsHistoryEntry.self,
        UserSession.self, VerificationCode.self, User.self, LoginAttempt.self, Jurisdiction.self, Department.self, StandardVersion.self, AuditEntry.self,
        ApiToken.self, ApiIdempotency.self,
    ]

    /// What a value kept as text must not be: a date, a JSON object or array, or a joined list.
    static func looksTyped(_ value: String) -> String? {
        if value.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil { return "a date" }
        if let first = value.first, first == "{" || first == "[", (try? JSONSerialization.jsonObject(with: Data(value.utf8))) != nil { return "a JSON document" }
        if value.range(of: #"^[A-Za-z0-9_.\-@]+([,;][A-Za-z0-9_.\-@]+)+$"#, options: .regularExpression) != nil { return "a joined list" }
        if value.contains("\n"), value.split(separator: "\n").allSatisfy({ $0.contains("\t") }) { return "tab-separated lines" }
        return nil
    }

    func testTheCheckRecognisesWhatTheOldVersionStoredAsText() {
        XCTAssertEqual(Self.looksTyped("2026-12-01"), "a date")
        XCTAssertEqual(Self.looksTyped(#"{"status":"draft"}"#), "a JSON document")
        XCTAssertEqual(Self.looksTyped(#"[[0,1],[2]]"#), "a JSON document")
        XCTAssertEqual(Self.looksTyped("socialSecurity,residence"), "a joined list")
        XCTAssertEqual(Self.looksTyped("12.5,3"), "a joined list")
        XCTAssertEqual(Self.looksTyped("submitted@2026-10-02;accepted@2026-10-04"), "a joined list")
        XCTAssertEqual(Self.looksTyped("101\t身份证号码无效\n102\t日期无效"), "tab-separated lines")
        XCTAssertNil(Self.looksTyped("张三"))
        XCTAssertNil(Self.looksTyped("feed:socialInsurance"))
        XCTAssertNil(Self.looksTyped("320582198801010012"))
    }

    func testNoModelKeepsADateAListOrAJSONDocumentAsText() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let sql = ctx.app.db as! any SQLDatabase
            struct Table: Decodable { let name: String }
            let tables: [String]
            if sql.dialect.name == "postgresql" {
                tables = try await sql.raw("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()").all(decoding: Table.self).map(\.name)
            } else {
                tables = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all(decoding: Table.self).map(\.name)
            }
            let modelled = Set(Self.models.map { $0.schema })
            for table in tables where table != "_fluent_migrations" && !table.hasPrefix("_fluent") {
                XCTAssertTrue(modelled.contains(table), "table \(table) has no model in the list")
            }
            var checked = 0
            struct Value: Decodable { let value: String }
            for model in Self.models {
                for (key, type) in Self.stringFields(of: model) {
                    let values = try await sql.raw("SELECT \(ident: key) AS value FROM \(ident: model.schema) WHERE \(ident: key) IS NOT NULL LIMIT 300")
                        .all(decoding: Value.self)
                    for value in values {
                        checked += 1
                        if let kind = Self.looksTyped(value.value) {
                            XCTFail("\(model.schema).\(key) (\(type)) holds \(kind): \(value.value.prefix(60))")
                            break
                        }
                    }
                }
            }
            XCTAssertGreaterThan(checked, 10_000, "the demo filled the text fields")
        }
    }

    /// The field keys of `model` whose Swift type is `String` or `String?`.
    static func stringFields(of model: any Model.Type) -> [(String, String)] {
        Mirror(reflecting: model.init()).children.compactMap { child in
            let type = String(describing: Swift.type(of: child.value))
            guard type.hasSuffix(", String>"), type.hasPrefix("FieldProperty<") || type.hasPrefix("OptionalFieldProperty<"),
                  let property = child.value as? any AnyQueryableProperty, let key = property.path.first else { return nil }
            return (key.description, type)
        }
    }
}
