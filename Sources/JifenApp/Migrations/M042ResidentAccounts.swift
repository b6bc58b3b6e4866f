import Fluent
import SQLKit

/// Migration 042 – an account is bound to one person at most: `residents.user_id` becomes unique
/// (the index of migration 030 on the column is replaced by a unique one; rows without an account
/// are not counted, in both databases). Every page finds a citizen's record by his account, so two
/// records for one account would show him one of them at random. A database that already holds
/// such a pair refuses the upgrade, saying how many accounts, rather than choosing for them.
/// Frozen: a shipped migration is never edited.
struct ResidentAccounts042: AsyncMigration {
    struct SharedAccounts: Error, CustomStringConvertible {
        let count: Int
        var description: String {
            "residents.user_id：\(count) 个账号绑定了不止一名居民，请先在“居民”页解除多余的绑定 / \(count) accounts are bound to more than one resident: release the extra bindings first"
        }
    }

    func prepare(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            struct Count: Decodable { let n: Int }
            let shared = try await sql.raw("""
                SELECT count(*) AS n FROM (SELECT user_id FROM residents WHERE user_id IS NOT NULL GROUP BY user_id HAVING count(*) > 1) shared
                """).first(decoding: Count.self)?.n ?? 0
            if shared > 0 { throw SharedAccounts(count: shared) }
            try await sql.raw("DROP INDEX residents_user").run()
            try await sql.raw("CREATE UNIQUE INDEX residents_user_unique ON residents (user_id)").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { database in
            let sql = database as! any SQLDatabase
            try await sql.raw("DROP INDEX residents_user_unique").run()
            try await sql.raw("CREATE INDEX residents_user ON residents (user_id)").run()
        }
    }
}
