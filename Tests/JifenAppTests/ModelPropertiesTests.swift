import Fluent
@testable import JifenApp
import XCTest

/// Every model lists its properties (Fluent would otherwise find them by reflection on every
/// row it reads or writes): the list must be exactly the declared properties, in order, or a
/// column would silently go unread or unsaved.
final class ModelPropertiesTests: XCTestCase {
    static let models: [any Model.Type] = [
        ApiToken.self,
        HouseManager.self,
        HazardType.self,
        Hazard.self,
        HazardStep.self,
        HazardPhoto.self,
        StarRuleSet.self,
        ReminderSent.self,
        PermitBenefit.self,
        Complaint.self,
        Material.self,
        ApiIdempotency.self,
        User.self,
        UserSession.self,
        LoginAttempt.self,
        VerificationCode.self,
        PhoneCode.self,
        ApprovalRecord.self,
        AuditEntry.self,
        AccessLogEntry.self,
        CalendarYear.self,
        Survey.self,
        SurveyAnswer.self,
        Consultation.self,
        Opinion.self,
        Job.self,
        FeedRecordModel.self,
        FeedImportModel.self,
        FeedImportProblem.self,
        OutboxMessage.self,
        Jurisdiction.self,
        Department.self,
        PointsApplication.self,
        PointsClaim.self,
        EvidenceFile.self,
        PointsArchive.self,
        PointsHistoryEntry.self,
        PriorityGroup.self,
        PriorityClaim.self,
        Program.self,
        School.self,
        SchoolCatchment.self,
        Quota.self,
        ServiceApplication.self,
        AllocationRound.self,
        Objection.self,
        AllocationResult.self,
        ServicePreference.self,
        RoundSchool.self,
        AllocationTrace.self,
        AllocationStep.self,
        RoundCorrection.self,
        WaitlistMove.self,
        RecheckFinding.self,
        AppointmentSchedule.self,
        Appointment.self,
        PortalArticle.self,
        CorrectionChange.self,
        Resident.self,
        ResidenceRegistration.self,
        RentalHouse.self,
        ResidencePermit.self,
        PermitStep.self,
        HouseholdMember.self,
        TieredService.self,
        StandardVersion.self,
    ]

    func testEachModelListsExactlyItsDeclaredProperties() {
        for type in Self.models {
            let model = type.init()
            let listed = model.properties.map { ObjectIdentifier($0 as AnyObject) }
            let declared = Mirror(reflecting: model).children.compactMap { $0.value as? any AnyProperty }.map { ObjectIdentifier($0 as AnyObject) }
            XCTAssertFalse(declared.isEmpty, "\(type)")
            XCTAssertEqual(listed, declared, "\(type): the listed properties differ from the declared ones")
        }
    }

    /// Every model of the sources is in the list above.
    func testEveryModelOfTheSourcesIsChecked() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/JifenApp")
        var found: Set<String> = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("final class ") && line.contains(": Model") {
                found.insert(String(line.dropFirst("final class ".count).prefix { $0 != ":" }))
            }
        }
        XCTAssertFalse(found.isEmpty)
        XCTAssertEqual(found, Set(Self.models.map { String(describing: $0) }))
    }
}
