import Fluent
import SQLKit

/// Migration 030 – indexes for a city's data: every list and look-up a page makes reads an
/// index, not the whole table (a citizen's registrations, permits and applications among 716,000
/// residents; a grid's, a window's and a town's queues; a house's tenants; an account's resident).
/// Neither database indexes a foreign key by itself.
/// Frozen: a shipped migration is never edited.
struct ScaleIndexes030: AsyncMigration {
    static let indexes: [(name: String, table: String, columns: [String])] = [
        ("residence_registrations_resident", "residence_registrations", ["resident_id"]),
        ("residence_registrations_grid_status", "residence_registrations", ["jurisdiction_id", "status"]),
        ("residence_registrations_house", "residence_registrations", ["rental_house_id"]),
        ("residence_permits_resident", "residence_permits", ["resident_id"]),
        ("residence_permits_grid_status", "residence_permits", ["jurisdiction_id", "status"]),
        ("rental_houses_grid", "rental_houses", ["jurisdiction_id"]),
        ("residents_user", "residents", ["user_id"]),
        ("points_applications_grid_status", "points_applications", ["jurisdiction_id", "status"]),
        ("service_applications_resident", "service_applications", ["resident_id"]),
        ("allocation_results_application", "allocation_results", ["application_id"]),
        ("users_phone", "users", ["phone"]),
        ("jurisdictions_parent", "jurisdictions", ["parent_id"]),
        ("user_sessions_user", "user_sessions", ["user_id"]),
    ]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in Self.indexes {
            var create = sql.create(index: index.name).on(index.table)
            for column in index.columns { create = create.column(column) }
            try await create.run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in Self.indexes.reversed() {
            try await sql.raw("DROP INDEX \(ident: index.name)").run()
        }
    }
}
