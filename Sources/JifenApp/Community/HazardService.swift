import Fluent
import JifenCore
import Vapor

/// The closed loop of a hazard (发现、整改、验收、抽查): reported, sent to the department its kind
/// names with a due date in working days on the holiday calendar, acknowledged, forwarded when it
/// is another's duty (the first department stays on record), rectified, accepted on site or sent
/// back by the grid worker, spot-checked by the centre. Every step is kept with who and when.
/// Who may take a step is the page's business (`HazardsController.steps`); this checks the state.
struct HazardService: WorkflowService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    /// A report as typed: the kind; the house's address code, or a place and its grid; what was
    /// seen; a number to be told the outcome (the public only).
    struct Report: Sendable {
        var type = "", house = "", place = "", grid = "", description = "", phone = ""
        static let fields = ["type", "house", "place", "grid", "description", "phone"]
        var values: [String: String] { ["type": type, "house": house, "place": place, "grid": grid, "description": description, "phone": phone] }
    }

    /// Files a report. From staff (`within` their jurisdiction) it goes to the department at once;
    /// from the public (`within` nil: only a house's code, from its door) it waits for the grid worker.
    func report(_ input: Report, within scope: JurisdictionCode?) async throws -> ServiceOutcome<Hazard> {
        var r = input
        for key in [\Report.type, \.house, \.place, \.grid, \.description, \.phone] { r[keyPath: key] = r[keyPath: key].trimmingCharacters(in: .whitespacesAndNewlines) }
        let fromPublic = scope == nil
        var problems: FieldProblems = []
        let type = try await HazardType.query(on: db).filter(\.$code == r.type).first()
        if type == nil { problems.add("type", "problem_choose", label: "field_hazard_type") }
        var house: RentalHouse?
        var grid: Jurisdiction?
        if !r.house.isEmpty {
            house = try await RentalHouse.query(on: db).filter(\.$addressCode == r.house).with(\.$jurisdiction).first()
            if let found = house, let scope, let code = found.jurisdiction.jurisdictionCode, !scope.contains(code) { house = nil }
            if let house { grid = house.jurisdiction; r.place = house.address } else { problems.add("house", "house_unknown", ["code": r.house]) }
        } else if fromPublic {
            problems.add("house", "problem_required", label: "field_house_address_code")
        } else {
            if r.place.isEmpty { problems.add("place", "problem_required", label: "field_hazard_place") }
            else if r.place.count > 100 { problems.add("place", "problem_tooLong", ["max": "100"], label: "field_hazard_place") }
            if let code = JurisdictionCode(r.grid), code.level == .grid, let scope, scope.contains(code) { grid = try await Jurisdiction.find(code: code.rawValue, on: db) }
            if grid == nil { problems.add("grid", "problem_choose", label: "field_grid") }
        }
        if r.description.isEmpty { problems.add("description", "problem_required", label: "field_hazard_description") }
        else if r.description.count > 500 { problems.add("description", "problem_tooLong", ["max": "500"], label: "field_hazard_description") }
        if fromPublic, !r.phone.isEmpty, let problem = AccountRules.checkPhone(r.phone) {
            problems.add("phone", "problem_" + problem.rawValue, label: "field_reporter_phone")
        }
        guard problems.isEmpty, let type, let grid else { return .refused(problems) }
        let hazard = Hazard()
        hazard.createdAt = now
        let db = self.db
        hazard.number = try await CaseNumbers.next("YH", app: app, now: now) { try await Hazard.query(on: db).filter(\.$number == $0).count() > 0 }
        hazard.typeCode = type.code
        hazard.place = r.place
        hazard.description = r.description
        hazard.reportedBy = fromPublic ? "public" : actor.login
        hazard.reporterPhone = fromPublic && !r.phone.isEmpty ? r.phone : nil
        hazard.status = fromPublic ? .received : .assigned
        hazard.$house.id = house?.id
        hazard.$jurisdiction.id = try grid.requireID()
        let calendar = try await app.workingCalendar(on: db)
        if !fromPublic { assign(hazard, to: type.departmentCode, days: type.dueWorkingDays, calendar: calendar) }
        try await db.transaction { db in
            try await hazard.create(on: db)
            try await on(db).step(hazard, .reported, note: nil)
            if !fromPublic { try await on(db).step(hazard, .assigned, department: hazard.departmentCode, note: nil) }
            try await Audit.record("report", entity: Hazard.auditEntity, id: hazard.number, after: hazard.auditSnapshot, by: actor, at: now, on: db)
        }
        return .done(hazard)
    }

    /// Gives the hazard to `department`, due `days` working days from today.
    private func assign(_ hazard: Hazard, to department: String, days: Int, calendar: WorkingCalendar) {
        hazard.departmentCode = department
        if hazard.firstDepartmentCode == nil { hazard.firstDepartmentCode = department }
        hazard.assignedOn = today
        hazard.dueDate = calendar.adding(workingDays: days, to: today).date
        hazard.status = .assigned
    }

    /// The steps a hazard can take, each checked against its state.
    enum Step: String, CaseIterable, Sendable {
        /// The grid worker on a public report: it is real (to the department) or not.
        case send, dismiss
        /// The department.
        case acknowledge, forward, rectify
        /// The grid worker on site.
        case accept, sendBack
        /// The centre's spot check of an accepted one.
        case spotCheckPass, spotCheckFail
    }

    /// Takes `step` with `note` (a reason, what was done) and, for a forward, the department it goes to.
    func take(_ step: Step, on hazard: Hazard, note rawNote: String, department: String = "") async throws -> ServiceOutcome<Hazard> {
        let note = rawNote.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: FieldProblems = []
        let allowed: [Hazard.Status] = switch step {
        case .send, .dismiss: [.received]
        case .acknowledge: [.assigned]
        case .forward: [.assigned, .acknowledged]
        case .rectify: [.acknowledged]
        case .accept, .sendBack: [.rectified]
        case .spotCheckPass, .spotCheckFail: hazard.spotCheck == nil ? [.accepted] : []
        }
        if !allowed.contains(hazard.status) { problems.add("step", "hazard_step_not_now") }
        let needsNote: Set<Step> = [.dismiss, .forward, .rectify, .sendBack, .spotCheckFail]
        if needsNote.contains(step) && note.isEmpty { problems.add("note", "problem_required", label: step == .rectify ? "field_hazard_rectification" : "field_reason") }
        if note.count > 500 { problems.add("note", "problem_tooLong", ["max": "500"], label: "field_reason") }
        var target: Department?
        if step == .forward {
            target = try await Department.query(on: db).filter(\.$code == department).first()
            if target == nil { problems.add("department", "problem_choose", label: "field_department") }
            else if department == hazard.departmentCode { problems.add("department", "hazard_forward_same") }
        }
        guard problems.isEmpty else { return .refused(problems) }
        let type = try await HazardType.query(on: db).filter(\.$code == hazard.typeCode).first()
        let calendar = try await app.workingCalendar(on: db)
        let days = type?.dueWorkingDays ?? 10
        try await db.transaction { db in
            let service = on(db)
            try await hazard.save(step.rawValue, by: actor, at: now, on: db) {
                switch step {
                case .send: service.assign(hazard, to: type?.departmentCode ?? "", days: days, calendar: calendar)
                case .dismiss: hazard.status = .dismissed
                case .acknowledge: hazard.status = .acknowledged
                case .forward: service.assign(hazard, to: department, days: days, calendar: calendar)
                case .rectify:
                    hazard.status = .rectified
                    hazard.rectifiedAt = now
                case .accept:
                    hazard.status = .accepted
                    hazard.acceptedOn = today
                case .sendBack: hazard.status = .acknowledged
                case .spotCheckPass:
                    hazard.spotCheck = .passed
                    hazard.spotCheckedAt = now
                case .spotCheckFail:
                    // Not rectified after all: back to its department, due again from today.
                    hazard.spotCheck = .failed
                    hazard.spotCheckedAt = now
                    hazard.acceptedOn = nil
                    hazard.dueDate = calendar.adding(workingDays: days, to: today).date
                    hazard.status = .acknowledged
                }
            }
            let action: HazardStep.Action = switch step {
            case .send: .assigned
            case .dismiss: .dismissed
            case .acknowledge: .acknowledged
            case .forward: .forwarded
            case .rectify: .rectified
            case .accept: .accepted
            case .sendBack: .sentBack
            case .spotCheckPass: .spotCheckPassed
            case .spotCheckFail: .spotCheckFailed
            }
            try await service.step(hazard, action, department: step == .forward ? department : hazard.departmentCode, note: note.isEmpty ? nil : note)
            if let phone = hazard.reporterPhone, step == .accept || step == .dismiss {
                let body = step == .accept ? text("sms_hazard_accepted", ["number": hazard.number, "place": hazard.place])
                                           : text("sms_hazard_dismissed", ["number": hazard.number, "reason": note])
                try await app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "hazard", body: body), on: db, at: now, logger: logger)
            }
        }
        return .done(hazard)
    }

    /// Records a step at the end of the hazard's history.
    func step(_ hazard: Hazard, _ action: HazardStep.Action, department: String? = nil, note: String?) async throws {
        let id = try hazard.requireID()
        let step = HazardStep()
        step.position = try await HazardStep.query(on: db).filter(\.$hazard.$id == id).count()
        step.action = action
        step.actor = actor.login
        step.at = now
        step.departmentCode = department
        step.note = note
        step.$hazard.id = id
        try await step.create(on: db)
    }
}
