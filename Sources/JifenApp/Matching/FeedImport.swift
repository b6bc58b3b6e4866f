import Crypto
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SQLKit
import JifenCore
import Vapor

/// Imports a feed file: decodes it, checks every row, stores the good ones. Idempotent: a row
/// already stored with the same quantity changes nothing, so the same file twice changes
/// nothing. Each batch of rows is one transaction, and progress is reported between batches
/// (so other processes can show it); an import cut short is completed by importing the same
/// file again.
enum FeedImporter {
    struct Summary: Sendable, Equatable {
        var encoding: String
        var rows, added, changed, unchanged: Int
        var problems: [FeedRowProblem]
        var headerProblem: String?
    }

    /// Rows a transaction: progress is reported between transactions, and an import cut short
    /// keeps what it stored.
    static let batch = 100_000
    /// Rows a statement: eight values each, under SQLite's 32,766 bound values.
    static let statementRows = 4_000

    static func run(kind: FeedKind, bytes: [UInt8], filename: String, by actor: Actor, app: Application, db: any Database,
                    today: CivilDate, now: Date, progress: @escaping @Sendable (Int, Int) async throws -> Void = { _, _ in }) async throws -> Summary {
        let stages = Stages(logger: app.logger, what: "import of \(filename)")
        guard let decoded = FeedReader.decode(bytes) else {
            return Summary(encoding: "?", rows: 0, added: 0, changed: 0, unchanged: 0, problems: [],
                           headerProblem: "文件既不是 UTF-8 也不是 GB18030 文本 / the file is neither UTF-8 nor GB18030 text")
        }
        let read = await FeedReader.read(decoded.text, kind: kind, today: today, regions: app.regions, parts: ProcessInfo.processInfo.activeProcessorCount)
        stages.done("read and check \(read.records.count + read.problems.count) rows")
        if let header = read.headerProblem {
            return Summary(encoding: decoded.encoding, rows: 0, added: 0, changed: 0, unchanged: 0, problems: [], headerProblem: header)
        }
        return try await store(kind: kind, records: read.records, problems: read.problems, source: filename, sha256: hex(SHA256.hash(data: Data(bytes))),
                               encoding: decoded.encoding, by: actor, app: app, db: db, now: now, stages: stages, progress: progress)
    }

    /// Stores rows already checked (a file's, or a JSON batch's from a department's system) and
    /// logs the import with its refused rows.
    static func store(kind: FeedKind, records: [FeedRecord], problems: [FeedRowProblem], source filename: String, sha256: String, encoding: String,
                      by actor: Actor, app: Application, db: any Database, now: Date, stages: Stages? = nil,
                      progress: @escaping @Sendable (Int, Int) async throws -> Void = { _, _ in }) async throws -> Summary {
        var summary = Summary(encoding: encoding, rows: records.count + problems.count, added: 0, changed: 0, unchanged: 0,
                              problems: problems, headerProblem: nil)
        let data = app.personalData
        let read = (records: records, problems: problems)
        let log = FeedImportModel()
        log.createdAt = now
        log.feed = kind.rawValue
        log.filename = String(filename.suffix(200))
        log.sha256 = sha256
        log.encoding = encoding
        log.rows = summary.rows
        log.added = 0; log.changed = 0; log.unchanged = 0
        log.refused = read.problems.count
        log.createdBy = actor.login
        try await log.create(on: db)
        let importID = try log.requireID()
        try await Batches.insert(into: FeedImportProblem.schema, columns: ["id", "import_id", "line", "reason"],
                                 read.problems.map { [.id(UUID()), .id(importID), .integer($0.line), .text($0.reason)] }, on: db)
        stages?.done("log and \(read.problems.count) refused rows")
        // The hot path talks SQL directly: Fluent models for a million rows cost more than the work.
        // Rows go in the order of their keyed hash, which is the order of the (feed, hash, date)
        // index: each transaction writes one stretch of the index instead of pages all over it,
        // and ids that grow in the order they are made go at the end of the primary key's.
        let hashes = await lookupHashes(records.map(\.idNumber), with: data)
        // By the hashes' first 64 bits (a radix sort), then by the whole hash and the date where
        // those bits are equal (the same person on several dates).
        var entries = hashes.enumerated().map { RadixSort.Entry(key: $1.prefix, index: Int32($0)) }
        RadixSort.sort(&entries)
        var sorted = entries.map { Int($0.index) }
        var runStart = 0
        for k in stride(from: 1, through: sorted.count, by: 1) where k == sorted.count || entries[k].key != entries[runStart].key {
            if k - runStart > 1 {
                sorted[runStart..<k].sort { a, b in (hashes[a].hex, records[a].asOf) < (hashes[b].hex, records[b].asOf) }
            }
            runStart = k
        }
        let order = sorted
        stages?.done("hash and sort")
        let ids = OrderedIDs(now: now)
        for chunkStart in stride(from: 0, to: order.count, by: batch) {
            let chunk = chunkStart..<Swift.min(chunkStart + batch, order.count)
            let counts: (added: Int, changed: Int, unchanged: Int) = try await db.transaction { db in
                var added = 0, changed = 0, unchanged = 0
                // What is stored already, for the whole chunk first; then each statement's rows are
                // made ready while the one before is written.
                var byKey: [Key: FeedRows.Stored] = [:]
                for statementStart in stride(from: chunk.lowerBound, to: chunk.upperBound, by: statementRows) {
                    var distinct: [String] = []
                    for p in statementStart..<Swift.min(statementStart + statementRows, chunk.upperBound) where distinct.last != hashes[order[p]].hex {
                        distinct.append(hashes[order[p]].hex)
                    }
                    byKey.merge(try await FeedRows.stored(kind: kind, hashes: distinct, on: db)) { a, _ in a }
                }
                var updates: [[Batches.Value]] = []
                var previous: Key?
                var writing: Task<Void, any Error>?
                do {
                    for statementStart in stride(from: chunk.lowerBound, to: chunk.upperBound, by: statementRows) {
                        var inserts: [FeedRows.New] = []
                        for p in statementStart..<Swift.min(statementStart + statementRows, chunk.upperBound) {
                            let i = order[p], record = records[i], hash = hashes[i].hex, key = Key(hash: hash, asOf: record.asOf)
                            // The checks refuse a person twice for one date; should two such rows come, the first counts.
                            guard key != previous else { continue }
                            previous = key
                            if let stored = byKey[key] {
                                if stored.quantity == record.quantity.hundredths { unchanged += 1; continue }
                                updates.append([.id(stored.id), .integer(record.quantity.hundredths), .time(now), .id(importID)])
                            } else {
                                let masked = String(record.idNumber.prefix(4)) + "**********" + String(record.idNumber.suffix(4))
                                inserts.append(FeedRows.New(id: ids.id(p), hash: hash, masked: masked, asOf: record.asOf, quantity: record.quantity.hundredths))
                            }
                        }
                        added += inserts.count
                        let statement = try FeedRows.Insert(inserts, kind: kind, importID: importID, at: now, on: db)
                        try await writing?.value
                        writing = Task { try await statement.run(on: db) }
                    }
                    try await writing?.value
                } catch {
                    _ = try? await writing?.value
                    throw error
                }
                if !updates.isEmpty { try await Batches.update(FeedRecordModel.schema, columns: ["quantity", "updated_at", "import_id"], updates, on: db) }
                changed = updates.count
                return (added, changed, unchanged)
            }
            summary.added += counts.added
            summary.changed += counts.changed
            summary.unchanged += counts.unchanged
            try await progress(chunk.upperBound, records.count)
        }
        stages?.done("store")
        log.added = summary.added
        log.changed = summary.changed
        log.unchanged = summary.unchanged
        let final = summary
        var snapshot: [String: String] = ["file": log.filename, "encoding": log.encoding, "refused": String(log.refused)]
        snapshot["rows"] = String(final.rows)
        snapshot["added"] = String(final.added)
        snapshot["changed"] = String(final.changed)
        snapshot["unchanged"] = String(final.unchanged)
        let after = snapshot
        try await db.transaction { db in
            try await log.save(on: db)
            try await Audit.record("import", entity: "feed", id: kind.rawValue, after: after, by: actor, at: now, on: db)
        }
        return final
    }
}

extension FeedImporter {
    fileprivate struct Key: Hashable { let hash: String; let asOf: CivilDate }

    /// Each ID number's keyed hash, with its first 64 bits as a number to sort by (the hex's
    /// order), computed on every core.
    static func lookupHashes(_ idNumbers: [String], with data: PersonalData) async -> [(hex: String, prefix: UInt64)] {
        @Sendable func hashes(_ slice: ArraySlice<String>) -> [(hex: String, prefix: UInt64)] {
            slice.map { id in
                let hex = data.lookupHash(id)
                var prefix: UInt64 = 0
                for digit in hex.utf8.prefix(16) { prefix = prefix << 4 | UInt64(digit <= 57 ? digit - 48 : digit - 87) }
                return (hex, prefix)
            }
        }
        let slices = Parallel.slices(idNumbers, parts: ProcessInfo.processInfo.activeProcessorCount, minimum: 10_000)
        guard slices.count > 1 else { return hashes(idNumbers[...]) }
        return await Parallel.map(slices) { _, slice in hashes(slice) }.flatMap { $0 }
    }
}

/// The feed records table as the import reads and writes it, a few thousand rows a statement. On
/// SQLite the statements go to SQLiteNIO with values converted as SQLite's encoder converts them
/// (a test holds the two equal): for a million rows, SQLKit's serialising and the encoder's
/// dynamic casts cost more than SQLite's own work. On PostgreSQL the rows go in with `COPY`,
/// written as its text; other databases go through SQLKit.
enum FeedRows {
    struct Stored: Decodable { let id: UUID; let id_hash: String; let as_of: CivilDate; let quantity: Int64 }
    struct New { let id: UUID; let hash: String; let masked: String; let asOf: CivilDate; let quantity: Int64 }

    static let columns = ["id", "updated_at", "feed", "id_hash", "id_masked", "as_of", "quantity", "import_id"]

    /// What is stored of `kind` for these hashes, by hash and date.
    fileprivate static func stored(kind: FeedKind, hashes: [String], on db: any Database) async throws -> [FeedImporter.Key: Stored] {
        var found: [FeedImporter.Key: Stored] = [:]
        guard !hashes.isEmpty else { return found }
        let rows: [Stored]
        if let sqlite = db as? any SQLiteDatabase {
            // Hashes come sorted: when nothing of the feed lies between the first and the last
            // (a first import, a new stretch), there is nothing to look up one by one.
            let any = try await sqlite.query("SELECT 1 FROM \(FeedRecordModel.schema) WHERE feed = ?1 AND id_hash BETWEEN ?2 AND ?3 LIMIT 1",
                                             [.text(kind.rawValue), .text(hashes.min()!), .text(hashes.max()!)])
            guard !any.isEmpty else { return found }
            let list = (0..<hashes.count).map { "?\($0 + 2)" }.joined(separator: ",")
            let decoder = SQLiteDataDecoder()
            rows = try await sqlite.query("SELECT id, id_hash, as_of, quantity FROM \(FeedRecordModel.schema) WHERE feed = ?1 AND id_hash IN (\(list))",
                                          [.text(kind.rawValue)] + hashes.map { .text($0) }).map { row in
                Stored(id: try decoder.decode(UUID.self, from: row.column("id") ?? .null), id_hash: try decoder.decode(String.self, from: row.column("id_hash") ?? .null),
                       as_of: try decoder.decode(CivilDate.self, from: row.column("as_of") ?? .null), quantity: try decoder.decode(Int64.self, from: row.column("quantity") ?? .null))
            }
        } else if let postgres = db as? any PostgresDatabase {
            // As on SQLite; the hashes bound as one array.
            var range = PostgresValues(capacity: 3)
            _ = range.append(kind.rawValue); _ = range.append(hashes.min()!); _ = range.append(hashes.max()!)
            let any = try await postgres.rows("SELECT 1 FROM \(FeedRecordModel.schema) WHERE feed = $1 AND id_hash BETWEEN $2 AND $3 LIMIT 1", range)
            guard !any.isEmpty else { return found }
            var values = PostgresValues(capacity: 2)
            _ = values.append(kind.rawValue); _ = values.append(hashes)
            rows = try await postgres.rows("SELECT id, id_hash, as_of, quantity FROM \(FeedRecordModel.schema) WHERE feed = $1 AND id_hash = ANY($2)", values).map { row in
                let (id, hash, asOf, quantity) = try row.decode((UUID, String, CivilDate, Int64).self)
                return Stored(id: id, id_hash: hash, as_of: asOf, quantity: quantity)
            }
        } else {
            rows = try await (db as! any SQLDatabase).select().columns("id", "id_hash", "as_of", "quantity").from(FeedRecordModel.schema)
                .where("feed", .equal, kind.rawValue).where("id_hash", .in, hashes).all(decoding: Stored.self)
        }
        for row in rows { found[FeedImporter.Key(hash: row.id_hash, asOf: row.as_of)] = row }
        return found
    }

    /// One statement's rows, made ready (on SQLite, its text and values) before it is run.
    struct Insert: Sendable {
        enum Prepared: Sendable { case sqlite(String, [SQLiteData]), copy(ByteBuffer), other(SQLQueryString) }
        let prepared: Prepared?

        init(_ rows: [New], kind: FeedKind, importID: UUID, at now: Date, on db: any Database) throws {
            guard !rows.isEmpty else { prepared = nil; return }
            if db is any SQLiteDatabase {
                let encoder = SQLiteDataEncoder()
                var binds: [SQLiteData] = [try encoder.encode(now), .text(kind.rawValue), try encoder.encode(importID)]
                binds.reserveCapacity(3 + rows.count * 5)
                for row in rows {
                    binds.append(sqliteData(row.id))
                    binds.append(.text(row.hash))
                    binds.append(.text(row.masked))
                    binds.append(sqliteData(row.asOf))
                    binds.append(.integer(Int(row.quantity)))
                }
                prepared = .sqlite(rows.count == FeedImporter.statementRows ? fullStatement : statement(rows: rows.count), binds)
            } else if db is any PostgresDatabase {
                // PostgreSQL: the rows as `COPY`'s text, a line a row.
                var text = ByteBuffer()
                text.reserveCapacity(rows.count * 160)
                let shared = ["\t" + copyTime(now) + "\t" + copyText(kind.rawValue) + "\t", "\t" + importID.uuidString + "\n"]
                for row in rows {
                    text.writeString(row.id.uuidString)
                    text.writeString(shared[0])
                    text.writeString(copyText(row.hash)); text.writeString("\t")
                    text.writeString(copyText(row.masked)); text.writeString("\t")
                    text.writeString(row.asOf.description); text.writeString("\t")
                    text.writeString(String(row.quantity))
                    text.writeString(shared[1])
                }
                prepared = .copy(text)
            } else {
                let tuples = SQLList(rows.map { row in
                    SQLGroupExpression(SQLList([SQLBind(row.id), SQLBind(now), SQLBind(kind.rawValue), SQLBind(row.hash), SQLBind(row.masked),
                                                SQLBind(row.asOf), SQLBind(row.quantity), SQLBind(importID)]))
                })
                prepared = .other("INSERT INTO \(ident: FeedRecordModel.schema) (\(SQLList(columns.map { SQLIdentifier($0) }))) VALUES \(tuples)")
            }
        }

        func run(on db: any Database) async throws {
            switch prepared {
            case .sqlite(let text, let binds): _ = try await (db as! any SQLiteDatabase).query(text, binds)
            case .copy(let text):
                let logger = db.logger
                try await (db as! any PostgresDatabase).withConnection { connection in
                    connection.eventLoop.makeFutureWithTask {
                        try await connection.copyFrom(table: FeedRecordModel.schema, columns: columns, logger: logger) { try await $0.write(text) }
                    }
                }.get()
            case .other(let query): try await (db as! any SQLDatabase).raw(query).run()
            case nil: break
            }
        }
    }

    /// A text for `COPY … FROM STDIN` in its text format: backslash, tab, newline and carriage
    /// return escaped (the hashes and masked numbers have none).
    static func copyText(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        var escaped = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": escaped += "\\\\"
            case "\t": escaped += "\\t"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.unicodeScalars.append(c)
            }
        }
        return escaped
    }

    /// An instant as `COPY`'s text for a `timestamptz`, to the microsecond PostgresNIO binds (its
    /// microseconds since 2000, cut toward zero), in UTC: `2026-09-21 08:26:40.123456+00`.
    static func copyTime(_ instant: Date) -> String {
        let micros = Int64(instant.timeIntervalSince(Date(timeIntervalSince1970: 946_684_800)) * 1_000_000)
        let perDay: Int64 = 86_400_000_000
        let days = micros >= 0 ? micros / perDay : (micros - perDay + 1) / perDay
        var rest = micros - days * perDay
        let hours = rest / 3_600_000_000; rest -= hours * 3_600_000_000
        let minutes = rest / 60_000_000; rest -= minutes * 60_000_000
        let seconds = rest / 1_000_000, fraction = rest - seconds * 1_000_000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let six = String(fraction), padded = String(repeating: "0", count: 6 - six.count) + six
        return "\(CivilDate(dayNumber: Int(days) + 10_957)) \(two(hours)):\(two(minutes)):\(two(seconds)).\(padded)+00"
    }

    /// `INSERT … VALUES` of `rows` rows: ?1–?3 are the import's own values, each row's five follow.
    static func statement(rows: Int) -> String {
        var text = "INSERT INTO \(FeedRecordModel.schema) (\(columns.joined(separator: ", "))) VALUES "
        for k in 0..<rows {
            let b = 4 + 5 * k
            text += (k == 0 ? "" : ",") + "(?\(b),?1,?2,?\(b + 1),?\(b + 2),?\(b + 3),?\(b + 4),?3)"
        }
        return text
    }

    static let fullStatement = statement(rows: FeedImporter.statementRows)

    /// SQLite's encoder writes a UUID as its upper-case text and a date as `YYYY-MM-DD`. The text
    /// is written here: Foundation's `uuidString` formats through `printf`, a million times.
    static func sqliteData(_ id: UUID) -> SQLiteData {
        .text(withUnsafeBytes(of: id.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var k = 0
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 { out[k] = UInt8(ascii: "-"); k += 1 }
                    out[k] = upperHex[Int(bytes[i] >> 4)]
                    out[k + 1] = upperHex[Int(bytes[i] & 0x0F)]
                    k += 2
                }
                return k
            }
        })
    }

    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)
    static func sqliteData(_ date: CivilDate) -> SQLiteData { .text(date.description) }
}

/// `jifen import --feed KIND FILE`: imports a department's feed file, showing progress, then
/// what was added, changed, left unchanged and refused (each refused row by its line).
enum ImportCommand: JifenCommand {
    static let name = "import"
    static let usage = "jifen import --feed socialInsurance|tax|bloodDonation|volunteerHours|military FILE"
    static let needsApplication = true

    typealias Failure = CommandFailure

    static func run(_ arguments: [String], io: CommandIO, app: Application?) async throws -> Int32 {
        let parsed = try Arguments(arguments, options: ["--feed"], flags: [Arguments.demo])
        guard parsed.positional.count == 1, let file = parsed.positional.first else { throw CommandUsage(message: "FILE：必填 / required") }
        guard let raw = parsed["--feed"], let kind = FeedKind(rawValue: raw) else {
            throw CommandUsage(message: "--feed 应为 / must be one of: " + FeedKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            io.errors("\(file): 无法读取 / cannot read the file")
            return 2
        }
        let app = try await migrated(app)
        let now = app.effects.now()
        let summary = try await FeedImporter.run(kind: kind, bytes: Array(data), filename: (file as NSString).lastPathComponent,
                                                 by: .cli, app: app, db: app.db, today: ShanghaiDate.today(now), now: now) { done, total in
            if done == total || done % 100_000 < FeedImporter.batch { io.output("进度 / progress: \(done)/\(total)") }
        }
        if let problem = summary.headerProblem { throw Failure(description: "\(file): \(problem)") }
        for problem in summary.problems { io.output("\(file):\(problem.line): \(problem.reason)") }
        // Points archives that the feed covers follow the new records (动态调整).
        let adjusted = try await PointsService(app: app, db: app.db, now: app.effects.now(), actor: .system, logger: app.logger).refresh(afterFeed: kind.rawValue)
        if adjusted > 0 { io.output("积分档案调整 / archives adjusted: \(adjusted)") }
        io.output("编码 / encoding \(summary.encoding)；行 / rows \(summary.rows)；新增 / added \(summary.added)；更新 / changed \(summary.changed)；未变 / unchanged \(summary.unchanged)；拒绝 / refused \(summary.problems.count)")
        return 0
    }
}
