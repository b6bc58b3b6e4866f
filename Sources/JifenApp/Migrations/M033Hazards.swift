import Fluent
import Foundation
import SQLKit

/// Migration 033 – hazards in rental housing (隐患): the kinds, each with the department
/// responsible and its working days (a table the centre edits, filled with the usual six); each
/// hazard with where it is, whose it is now, its due date and state; every step with who and
/// when; photos (sealed files, named by their content).
/// Frozen: a shipped migration is never edited.
struct Hazards033: AsyncMigration {
    static let indexes: [(name: String, table: String, columns: [String])] = [
        ("hazards_grid_status", "hazards", ["jurisdiction_id", "status"]),
        ("hazards_department_status", "hazards", ["department_code", "status"]),
        ("hazards_house", "hazards", ["house_id"]),
        ("hazard_steps_hazard", "hazard_steps", ["hazard_id"]),
        ("hazard_photos_hazard", "hazard_photos", ["hazard_id"]),
    ]

    /// The usual kinds (seed 002): code, name, department code, working days.
    static let kinds: [(String, String, String, Int)] = [
        ("groupRenting", "群租", "police", 10),
        ("threeInOne", "“三合一”场所", "fire", 5),
        ("illegalBuilding", "违法建设", "urban", 15),
        ("ebikeIndoors", "电动自行车室内充电", "fire", 3),
        ("smallCatering", "小餐饮", "market", 10),
        ("blockedExit", "消防通道堵塞", "fire", 3),
    ]

    func prepare(on database: any Database) async throws {
        try await database.schema("hazard_types")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("department_code", .string, .required)
            .field("due_working_days", .int, .required)
            .field("position", .int, .required)
            .field("updated_at", .datetime, .required)
            .field("updated_by", .string, .required)
            .unique(on: "code")
            .create()
        try await database.schema("hazards")
            .id()
            .field("created_at", .datetime, .required)
            .field("number", .string, .required)
            .field("type_code", .string, .required)
            .field("house_id", .uuid, .references("rental_houses", .id, onDelete: .restrict))
            .field("place", .string, .required)
            .field("jurisdiction_id", .uuid, .required, .references("jurisdictions", .id, onDelete: .restrict))
            .field("description", .string, .required)
            .field("reported_by", .string, .required)
            .field("reporter_phone", .string)
            .field("status", .string, .required)
            .field("department_code", .string)
            .field("first_department_code", .string)
            .field("assigned_on", .date)
            .field("due_date", .date)
            .field("rectified_at", .datetime)
            .field("accepted_on", .date)
            .field("spot_check", .string)
            .field("spot_checked_at", .datetime)
            .unique(on: "number")
            .create()
        try await database.schema("hazard_steps")
            .id()
            .field("hazard_id", .uuid, .required, .references("hazards", .id, onDelete: .cascade))
            .field("position", .int, .required)
            .field("action", .string, .required)
            .field("actor", .string, .required)
            .field("at", .datetime, .required)
            .field("department_code", .string)
            .field("note", .string)
            .create()
        try await database.schema("hazard_photos")
            .id()
            .field("hazard_id", .uuid, .required, .references("hazards", .id, onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("sha256", .string, .required)
            .field("kind", .string, .required)
            .field("size", .int, .required)
            .field("stage", .string, .required)
            .field("uploaded_by", .string, .required)
            .create()
        let sql = database as! any SQLDatabase
        for index in Self.indexes {
            var create = sql.create(index: index.name).on(index.table)
            for column in index.columns { create = create.column(column) }
            try await create.run()
        }
        let now = Date()
        for (position, kind) in Self.kinds.enumerated() {
            try await sql.insert(into: "hazard_types")
                .columns("id", "code", "name", "department_code", "due_working_days", "position", "updated_at", "updated_by")
                .values(SQLBind(UUID()), SQLBind(kind.0), SQLBind(kind.1), SQLBind(kind.2), SQLBind(kind.3), SQLBind(position), SQLBind(now), SQLBind("system"))
                .run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in Self.indexes.reversed() { try await sql.raw("DROP INDEX \(ident: index.name)").run() }
        for table in ["hazard_photos", "hazard_steps", "hazards", "hazard_types"] { try await database.schema(table).delete() }
    }
}
