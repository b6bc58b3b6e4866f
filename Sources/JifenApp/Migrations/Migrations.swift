import Fluent
import Vapor

/// Append-only: a shipped migration is never edited, a change is a new migration at the end.
func registerMigrations(_ app: Application) {
    registerMigrations(app.migrations)
}

/// Every migration, in order, for the database `id` (the default one unless told).
func registerMigrations(_ migrations: Migrations, to id: DatabaseID? = nil) {
    migrations.add(allMigrations(), to: id)
}

/// Every migration, in order.
func allMigrations() -> [any Migration] {
    var all: [any Migration] = []
    do { // Migration 001 – the organisation: jurisdictions and member departments
        all.append(CreateJurisdiction())
        all.append(CreateDepartment())
    }
    do { // Migration 002 – accounts, sessions, login throttling, verification codes
        all.append(CreateUser())
        all.append(CreateUserSession())
        all.append(CreateLoginAttempt())
        all.append(CreateVerificationCode())
    }
    do { // Migration 003 – the notification outbox and the audit log
        all.append(CreateOutboxMessage())
        all.append(CreateAuditEntry())
    }
    do { // Migration 004 – versions of the scoring standard
        all.append(CreateStandardVersion())
    }
    do { // Migration 005 – residents, rental houses, residence registrations, permits; the access log
        all.append(CreateAccessLog())
        all.append(CreateResidence())
    }
    do { // Migration 006 – household members (spouse, children), sealed
        all.append(CreateHouseholdMember())
    }
    do { // Migration 007 – working-day calendar years entered by admins
        all.append(CreateCalendarYear())
    }
    do { // Migration 008 – data matching: feed imports and their records
        all.append(CreateFeeds())
    }
    do { // Migration 009 – jobs: work that outlasts a request
        all.append(CreateJob())
    }
    do { // Migration 010 – points applications, claims, evidence files, archives and their history
        all.append(CreatePoints())
    }
    do { // Migration 011 – programs, schools and quotas, service applications, allocation rounds
        all.append(CreatePrograms())
    }
    do { // Migration 012 – questionnaires and their answers, consultations and opinions
        all.append(CreateInsight())
    }
    do { // Migration 013 – ranked schools as one row per rank instead of comma-joined text
        all.append(CreateServicePreferences())
    }
    do { // Migration 014 – corrections of a round as rows instead of JSON lines
        all.append(CreateRoundCorrections())
    }
    do { // Migration 015 – a round's result as rows (schools with cutoffs, every trace) instead of a JSON document
        all.append(CreateRoundRows())
    }
    do { // Migration 016 – civil dates as dates (PostgreSQL `date`; SQLite's ISO-8601 text, checked)
        all.append(DateColumns())
    }
    do { // Migration 017 – JSON documents as JSON (PostgreSQL `jsonb`; SQLite's JSON text, checked); jobs' documents under their kind
        all.append(DocumentColumns())
    }
    do { // Migration 018 – short lists as lists (tie-break categories and points, consultation topics)
        all.append(ListColumns())
    }
    do { // Migration 019 – a permit's steps and a feed import's refused rows as rows
        all.append(StepRows())
    }
    do { // Migration 020 – a points history entry's details as data, worded by each page
        all.append(HistoryDetails())
    }
    do { // Migration 021 – a program's conditions in months, its quota timing and who of a couple applies
        all.append(ProgramConditions())
    }
    do { // Migration 022 – the approval steps of a draft standard and of a program's quotas
        all.append(CreateApprovalRecords())
    }
    do { // Migration 023 – schools' catchments and which schools a program lets one rank
        all.append(Catchments())
    }
    do { // Migration 024 – priority groups, claims to them, and the frozen priority level
        all.append(PriorityGroups())
    }
    do { // Migration 025 – standards in series, several in force at once; a program's series
        all.append(StandardSeries())
    }
    do { // Migration 026 – services given in steps by points
        all.append(CreateTieredServices())
    }
    do { // Migration 027 – phone codes as rows (throttled, bound to a browser), a second factor, the privacy notice, sealed outbox bodies
        all.append(AccountSecurity())
    }
    do { // Migration 028 – tokens for department systems, idempotent answers, a session's channel
        all.append(ApiAccess())
    }
    do { // Migration 029 – the outbox delivered: state, tries, back-off, the gateway's reference; WeChat openids
        all.append(OutboxDelivery029())
    }
    do { // Migration 030 – indexes for a city's data
        all.append(ScaleIndexes030())
    }
    do { // Migration 031 – an account's care mode
        all.append(CareMode031())
    }
    do { // Migration 032 – who manages a rental house; declarations made for a tenant and his dispute
        all.append(HouseManagers032())
    }
    do { // Migration 033 – hazards in rental housing: kinds, hazards, their steps and photos
        all.append(Hazards033())
    }
    do { // Migration 034 – star rating rules, reminders sent, the permit online and its benefits
        all.append(CommunityServices034())
    }
    do { // Migration 035 – complaints about how a case was handled
        all.append(Complaints035())
    }
    do { // Migration 036 – the materials each business requires, told once
        all.append(Materials036())
    }
    do { // Migration 037 – offers, their answers and the waitlist's moves
        all.append(Offers037())
    }
    do { // Migration 038 – the re-check before a round is published
        all.append(Rechecks038())
    }
    do { // Migration 039 – appointments at the window
        all.append(Appointments039())
    }
    do { // Migration 040 – the policy portal
        all.append(Portal040())
    }
    do { // Migration 041 – indexes for the hourly reminder check
        all.append(ReminderIndexes041())
    }
    do { // Migration 042 – an account is bound to one resident at most
        all.append(ResidentAccounts042())
    }
    do { // Migration 043 – a round's trace as one row an applicant
        all.append(RoundTraces043())
    }
    return all
}
