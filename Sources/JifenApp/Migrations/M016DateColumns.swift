import Fluent
import SQLKit

/// Migration 016 – civil dates as dates. PostgreSQL's text columns become `date`; SQLite keeps its
/// ISO-8601 text (its own date format), and the migration checks every stored value is a real date.
/// Frozen: written in SQL against the tables as they were, so later model changes cannot alter it.
struct DateColumns: AsyncMigration {
    static let columns: [(table: String, column: String)] = [
        ("residents", "birth_date"), ("household_members", "birth_date"),
        ("residence_registrations", "from_date"), ("residence_registrations", "to_date"), ("residence_registrations", "due_date"),
        ("residence_permits", "production_due"), ("residence_permits", "valid_until"),
        ("scoring_standards", "effective_from"), ("feed_records", "as_of"),
        ("points_claims", "fact_date"), ("points_claims", "confirmed_date"), ("points_claims", "feed_as_of"), ("points_claims", "due_date"),
        ("points_archives", "fraud_found"), ("points_archives", "barred_until"),
        ("programs", "opens"), ("programs", "closes"), ("programs", "age_cutoff"),
        ("allocation_rounds", "publicity_from"), ("allocation_rounds", "publicity_to"), ("objections", "due_date"),
        ("consultations", "opens"), ("consultations", "closes"),
    ]

    struct NotADate: Error, CustomStringConvertible {
        let table: String, column: String, count: Int
        var description: String { "\(table).\(column): \(count) 个值不是日期 YYYY-MM-DD / values are not dates" }
    }

    func prepare(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            for (table, column) in Self.columns {
                if sql.dialect.name == "postgresql" {
                    try await sql.raw("ALTER TABLE \(ident: table) ALTER COLUMN \(ident: column) TYPE date USING \(ident: column)::date").run()
                } else {
                    struct Count: Decodable { let n: Int }
                    let bad = try await sql.raw("""
                        SELECT count(*) AS n FROM \(ident: table)
                        WHERE \(ident: column) IS NOT NULL AND (length(\(ident: column)) <> 10 OR date(\(ident: column)) IS NOT \(ident: column))
                        """).first(decoding: Count.self)?.n ?? 0
                    if bad > 0 { throw NotADate(table: table, column: column, count: bad) }
                }
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            guard sql.dialect.name == "postgresql" else { return }
            for (table, column) in Self.columns {
                try await sql.raw("ALTER TABLE \(ident: table) ALTER COLUMN \(ident: column) TYPE text USING to_char(\(ident: column), 'YYYY-MM-DD')").run()
            }
        }
    }
}
