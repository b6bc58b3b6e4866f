import Fluent
import Vapor

/// `jifen stats`: counts in the configured database, one `name value` per line (DESIGN §5).
enum Stats {
    /// The contract's names in the contract's order, then Jifen's own tables. `applications` are
    /// the programs' service applications; `seats` the seats of all quotas.
    static func counts(on db: any Database) async throws -> [(String, Int)] {
        [
            ("residents", try await Resident.query(on: db).count()),
            ("residence_registrations", try await ResidenceRegistration.query(on: db).count()),
            ("rental_houses", try await RentalHouse.query(on: db).count()),
            ("permits", try await ResidencePermit.query(on: db).count()),
            ("points_archives", try await PointsArchive.query(on: db).count()),
            ("applications", try await ServiceApplication.query(on: db).count()),
            ("schools", try await School.query(on: db).count()),
            // Summed here: SUM of a bigint is numeric on PostgreSQL.
            ("seats", try await Quota.query(on: db).all().reduce(0) { $0 + $1.seats }),
            ("points_applications", try await PointsApplication.query(on: db).count()),
            ("users", try await User.query(on: db).count()),
            ("jurisdictions", try await Jurisdiction.query(on: db).count()),
            ("departments", try await Department.query(on: db).count()),
            ("audit_entries", try await AuditEntry.query(on: db).count()),
            ("scoring_standards", try await StandardVersion.query(on: db).count()),
            // Accounts confirmed to manage at least one rental house (landlords, sublandlords, employers).
            ("landlords", Set(try await HouseManager.query(on: db).filter(\.$status == .confirmed).all(\.$user.$id)).count),
            ("hazards", try await Hazard.query(on: db).count()),
            // Not closed and not dismissed: waiting for the grid worker, with a department, or for acceptance.
            ("hazards_open", try await Hazard.query(on: db).filter(\.$status ~~ [.received, .assigned, .acknowledged, .rectified]).count()),
            ("complaints", try await Complaint.query(on: db).count()),
            // Places declined after a round, by the family or by its silence.
            ("announcements", try await PortalArticle.query(on: db).filter(\.$kind == .announcement).count()),
            // Appointments at the windows, booked and not cancelled.
            ("appointments", try await Appointment.query(on: db).filter(\.$status != .cancelled).count()),
            ("offers_declined", try await AllocationResult.query(on: db).filter(\.$offer ~~ [.declined, .declinedBySilence]).count()),
        ]
    }
}

/// `jifen stats`: counts in the configured database, one `name value` per line.
enum StatsCommand: JifenCommand {
    static let name = "stats"
    static let usage = "jifen stats"
    static let needsApplication = true

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        _ = try Arguments(arguments, flags: [Arguments.demo])
        let app = try await migrated(app)
        for (name, value) in try await Stats.counts(on: app.db) { io.output("\(name) \(value)") }
        return 0
    }
}
