import Fluent
import JifenCore
import SQLKit
import Vapor

/// "我的个人信息" (PIPL Art. 44–45): everything Jifen holds about a citizen and his household —
/// every row of every table that points at his account, at him as a resident, at his records, or
/// carries his ID number's keyed hash — as JSON to download and as a readable page. Sealed values
/// are opened (they are his); secrets of the system (password and token hashes, code hashes, the
/// second factor) are left out. Each export is access-logged.
enum MyData {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.myData, access: .roles([.citizen]), use: page)
        routes.get(.myDataJSON, access: .roles([.citizen]), use: download)
    }

    /// Columns never exported: they protect the system, not describe the person.
    static let secretColumns: Set<String> = ["password_hash", "token_hash", "code_hash", "totp_sealed", "totp_last_step", "id_hash", "browser_hash", "phone_mac"]

    /// Rows that belong to a row of another section: (table, column, parent table).
    static let dependents: [(table: String, column: String, parent: String)] = [
        ("permit_steps", "permit_id", "residence_permits"),
        ("points_claims", "application_id", "points_applications"),
        ("evidence_files", "claim_id", "points_claims"),
        ("points_history", "archive_id", "points_archives"),
        ("allocation_results", "application_id", "service_applications"),
        ("service_preferences", "application_id", "service_applications"),
        ("priority_claims", "application_id", "service_applications"),
    ]

    /// Tables whose rows point at the resident (`resident_id`).
    static let residentTables = ["residence_registrations", "residence_permits", "household_members", "points_applications", "points_archives", "service_applications"]

    typealias Section = [[String: String]]

    /// Every section, in a fixed order: table name → rows (column → text).
    static func collect(user: User, resident: Resident?, on req: Request) async throws -> [(String, Section)] {
        let sql = req.db as! any SQLDatabase
        let data = req.application.personalData
        var sections: [(String, Section)] = []
        var ids: [String: [String]] = [:]

        func rows(_ table: String, where column: String, in values: [String]) async throws -> Section {
            guard !values.isEmpty else { return [] }
            var result: Section = []
            for value in values {
                // Keys are UUID columns (`id`, `…_id`); `entity_id` of the logs is text.
                let uuidColumn = (column == "id" || column.hasSuffix("_id")) && column != "entity_id"
                let bound: any Encodable & Sendable
                if uuidColumn {
                    guard let id = UUID(uuidString: value) else { continue }
                    bound = id
                } else {
                    bound = value
                }
                let found = try await sql.raw("SELECT * FROM \(ident: table) WHERE \(ident: column) = \(bind: bound)").all()
                result += try found.map { try text(of: $0, data: data) }
            }
            return result
        }
        func add(_ table: String, _ section: Section) {
            sections.append((table, section))
            ids[table] = section.compactMap { $0["id"] }
        }

        let userID = try user.requireID().uuidString
        add("users", try await rows("users", where: "id", in: [userID]))
        add("user_sessions", try await rows("user_sessions", where: "user_id", in: [userID]))
        add("login_attempts", try await rows("login_attempts", where: "login", in: [user.login]))
        add("phone_codes", try await rows("phone_codes", where: "phone_mac", in: [PhoneCodes.phoneMAC(user.phone ?? user.login, keys: req.application.keys)]))
        add("outbox_messages", try await rows("outbox_messages", where: "recipient", in: [user.phone ?? user.login]))
        add("objections", try await rows("objections", where: "contact_phone", in: [user.phone ?? user.login]))
        if let resident {
            let residentID = try resident.requireID().uuidString
            add("residents", try await rows("residents", where: "id", in: [residentID]))
            for table in residentTables { add(table, try await rows(table, where: "resident_id", in: [residentID])) }
            for dependent in dependents { add(dependent.table, try await rows(dependent.table, where: dependent.column, in: ids[dependent.parent] ?? [])) }
            // What departments sent about him, and households that list him (a spouse's) — only once
            // his identity is confirmed: an account that merely typed a number learns nothing of its holder.
            if resident.identityVerified {
                add("feed_records", try await rows("feed_records", where: "id_hash", in: [resident.idHash]))
                add("household_members_listing_me", try await rows("household_members", where: "id_hash", in: [resident.idHash]))
            }
            // Who looked at his data, and what was done to his records.
            add("access_log", try await rows("access_log", where: "entity_id", in: [residentID]))
            add("audit_entries", try await rows("audit_entries", where: "entity_id", in: [residentID, userID]))
        } else {
            add("audit_entries", try await rows("audit_entries", where: "entity_id", in: [userID]))
        }
        return sections
    }

    /// A row as text: sealed values opened, secrets left out, every other value as it reads.
    static func text(of row: any SQLRow, data: PersonalData) throws -> [String: String] {
        var out: [String: String] = [:]
        for column in row.allColumns where !secretColumns.contains(column) {
            if (try? row.decodeNil(column: column)) == true { continue }
            var value: String?
            if let v = try? row.decode(column: column, as: String.self) { value = v }
            else if let v = try? row.decode(column: column, as: UUID.self) { value = v.uuidString }
            else if let v = try? row.decode(column: column, as: Date.self) { value = ShanghaiTime.dateTime(v) }
            else if let v = try? row.decode(column: column, as: Int64.self) { value = String(v) }
            else if let v = try? row.decode(column: column, as: Double.self) { value = String(v) }
            else if let v = try? row.decode(column: column, as: Bool.self) { value = String(v) }
            else if let v = try? row.decode(column: column, as: [Int64].self) { value = v.map(String.init).joined(separator: ",") }
            else if let v = try? row.decode(column: column, as: [String].self) { value = v.joined(separator: ",") }
            guard var value else { continue }
            if column.hasSuffix("_sealed") {
                value = (try? data.open(value)) ?? ""
                out[column == "id_sealed" ? "id_number" : String(column.dropLast("_sealed".count))] = value
                continue
            }
            if column == "body", row.allColumns.contains("sealed"), (try? row.decode(column: "sealed", as: Bool.self)) == true {
                value = "（含验证码，不提供）"
            }
            out[column] = value
        }
        return out
    }

    static func download(_ req: Request) async throws -> Response {
        let me = try req.requireUser()
        guard let user = try await User.find(me.id, on: req.db) else { throw Abort(.unauthorized) }
        let resident = try await Resident.find(user: me.id, on: req.db)
        let sections = try await collect(user: user, resident: resident, on: req)
        try await req.logAccess(entity: "user", id: me.id.uuidString, field: "selfExport")
        var document: [String: Section] = [:]
        for (name, rows) in sections { document[name] = rows }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let response = Response(status: .ok, body: .init(data: try encoder.encode(document)))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"my-data.json\"")
        return response
    }

    struct PageSection: Encodable { let name, title: String; let count: Int; let rows: [[Field]] }
    struct Field: Encodable { let name, value: String }
    struct PageContent: Encodable { let sections: [PageSection]; let jsonLink: String; let privacyVersion: String?; let acceptedAt: String? }

    static func page(_ req: Request) async throws -> Response {
        let me = try req.requireUser()
        guard let user = try await User.find(me.id, on: req.db) else { throw Abort(.unauthorized) }
        let resident = try await Resident.find(user: me.id, on: req.db)
        let sections = try await collect(user: user, resident: resident, on: req)
        try await req.logAccess(entity: "user", id: me.id.uuidString, field: "selfView")
        let catalog = req.application.catalog
        let content = PageContent(
            sections: sections.filter { !$0.1.isEmpty }.map { name, rows in
                PageSection(name: name, title: catalog.entries["mydata_" + name] != nil ? req.text("mydata_" + name) : name, count: rows.count,
                            rows: rows.map { $0.sorted { $0.key < $1.key }.map { Field(name: $0.key, value: $0.value) } })
            },
            jsonLink: SiteRoute.myDataJSON.path, privacyVersion: user.privacyVersion, acceptedAt: user.privacyAcceptedAt.map(ShanghaiTime.dateTime))
        return try await req.render("residence/my-data", title: "mydata_title", content)
    }
}
