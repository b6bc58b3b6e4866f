import Fluent
import Vapor

/// Append-only: a shipped migration is never edited, a change is a new migration at the end.
func registerMigrations(_ app: Application) {
    do { // Migration 001 – the organisation: jurisdictions and member departments
        app.migrations.add(CreateJurisdiction())
        app.migrations.add(CreateDepartment())
    }
    do { // Migration 002 – accounts, sessions, login throttling, verification codes
        app.migrations.add(CreateUser())
        app.migrations.add(CreateUserSession())
        app.migrations.add(CreateLoginAttempt())
        app.migrations.add(CreateVerificationCode())
    }
    do { // Migration 003 – the notification outbox and the audit log
        app.migrations.add(CreateOutboxMessage())
        app.migrations.add(CreateAuditEntry())
    }
    do { // Migration 004 – versions of the scoring standard
        app.migrations.add(CreateStandardVersion())
    }
    do { // Migration 005 – residents, rental houses, residence registrations, permits; the access log
        app.migrations.add(CreateAccessLog())
        app.migrations.add(CreateResidence())
    }
    do { // Migration 006 – household members (spouse, children), sealed
        app.migrations.add(CreateHouseholdMember())
    }
    do { // Migration 007 – working-day calendar years entered by admins
        app.migrations.add(CreateCalendarYear())
    }
    do { // Migration 008 – data matching: feed imports and their records
        app.migrations.add(CreateFeeds())
    }
    do { // Migration 009 – jobs: work that outlasts a request
        app.migrations.add(CreateJob())
    }
    do { // Migration 010 – points applications, claims, evidence files, archives and their history
        app.migrations.add(CreatePoints())
    }
    do { // Migration 011 – programs, schools and quotas, service applications, allocation rounds
        app.migrations.add(CreatePrograms())
    }
    do { // Migration 012 – questionnaires and their answers, consultations and opinions
        app.migrations.add(CreateInsight())
    }
    do { // Migration 013 – ranked schools as one row per rank instead of comma-joined text
        app.migrations.add(CreateServicePreferences())
    }
    do { // Migration 014 – corrections of a round as rows instead of JSON lines
        app.migrations.add(CreateRoundCorrections())
    }
    do { // Migration 015 – a round's result as rows (schools with cutoffs, every trace) instead of a JSON document
        app.migrations.add(CreateRoundRows())
    }
    do { // Migration 016 – civil dates as dates (PostgreSQL `date`; SQLite's ISO-8601 text, checked)
        app.migrations.add(DateColumns())
    }
    do { // Migration 017 – JSON documents as JSON (PostgreSQL `jsonb`; SQLite's JSON text, checked); jobs' documents under their kind
        app.migrations.add(DocumentColumns())
    }
    do { // Migration 018 – short lists as lists (tie-break categories and points, consultation topics)
        app.migrations.add(ListColumns())
    }
    do { // Migration 019 – a permit's steps and a feed import's refused rows as rows
        app.migrations.add(StepRows())
    }
    do { // Migration 020 – a points history entry's details as data, worded by each page
        app.migrations.add(HistoryDetails())
    }
    do { // Migration 021 – a program's conditions in months, its quota timing and who of a couple applies
        app.migrations.add(ProgramConditions())
    }
    do { // Migration 022 – the approval steps of a draft standard and of a program's quotas
        app.migrations.add(CreateApprovalRecords())
    }
    do { // Migration 023 – schools' catchments and which schools a program lets one rank
        app.migrations.add(Catchments())
    }
    do { // Migration 024 – priority groups, claims to them, and the frozen priority level
        app.migrations.add(PriorityGroups())
    }
    do { // Migration 025 – standards in series, several in force at once; a program's series
        app.migrations.add(StandardSeries())
    }
    do { // Migration 026 – services given in steps by points
        app.migrations.add(CreateTieredServices())
    }
    do { // Migration 027 – phone codes as rows (throttled, bound to a browser), a second factor, the privacy notice, sealed outbox bodies
        app.migrations.add(AccountSecurity())
    }
    do { // Migration 028 – tokens for department systems, idempotent answers, a session's channel
        app.migrations.add(ApiAccess())
    }
    do { // Migration 029 – the outbox delivered: state, tries, back-off, the gateway's reference; WeChat openids
        app.migrations.add(OutboxDelivery029())
    }
}
