import Crypto
import Fluent
import JifenCore
import SQLKit
import Vapor

/// What a department's system does with its token: push its feed's records, read the items
/// waiting in its review queue, decide them. A token sees its own department only: another
/// department's feed or item answers 404.
enum DepartmentAPI {
    static func register(_ routes: any RoutesBuilder) {
        routes.api(.POST, .feedBatches(":feed"), access: .bearer(.department(.feeds)), body: .collect(maxSize: "32mb"), use: pushBatch)
        routes.api(.GET, .claims, access: .bearer(.department(.reviews)), use: claims)
        routes.api(.POST, .claimDecision(":id"), access: .bearer(.department(.reviews)), use: decide)
    }

    // MARK: feed batches

    /// A quantity as JSON gives it: a number or a string of one.
    struct Quantity: Decodable {
        let text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self.text = text; return }
            self.text = "\(try container.decode(Decimal.self))"
        }
    }

    struct BatchRecord: Decodable {
        let idNumber: String?
        let name: String?
        let quantity: Quantity?
        let asOf: String?
    }

    struct Batch: Decodable { let records: [BatchRecord] }

    struct BatchResult: Codable {
        struct Refused: Codable {
            let index: Int
            let field: String?
            let detail, detailEn: String
            enum CodingKeys: String, CodingKey { case index, field, detail, detailEn = "detail_en" }
        }
        let feed: String
        let received, added, changed, unchanged: Int
        let refused: [Refused]
        let archivesAdjusted: Int
    }

    static let maxRecords = 50_000
    /// The JSON names of a record's fields, in the order of the feed's columns.
    static let recordFields = ["idNumber", "name", "quantity", "asOf"]

    static func pushBatch(_ req: Request) async throws -> Response {
        let token = try req.requireDepartment()
        let catalog = req.application.catalog
        guard let raw = req.parameters.get("feed"), let kind = FeedKind(rawValue: raw), FeedsController.department[kind] == token.department else {
            throw ApiProblem.status(.notFound, catalog)
        }
        guard let key = req.headers.first(name: "Idempotency-Key")?.trimmingCharacters(in: .whitespaces), (1...100).contains(key.count) else {
            throw ApiProblem.invalid([ApiProblem.field("Idempotency-Key", "api_idempotency_key", catalog)], catalog)
        }
        let batch = try ApiJSON.body(Batch.self, req)
        // The same batch is the same records, however its JSON is spaced or its keys ordered.
        let fields = batch.records.map { r in [r.idNumber ?? "", r.name ?? "", r.quantity?.text ?? "", r.asOf ?? ""] }
        let bodyHash = sha256Hex(String(decoding: try JSONEncoder().encode(fields), as: UTF8.self))
        // A key already used: the same batch gets the first answer again, another batch is refused.
        if let first = try await ApiIdempotency.query(on: req.db).filter(\.$tokenID == token.id).filter(\.$key == key).first() {
            // A claim left by a process that died while storing (storing again changes nothing stored).
            if first.status == 0, first.createdAt < req.now.addingTimeInterval(-300) {
                try await ApiIdempotency.query(on: req.db).filter(\.$id == first.requireID()).filter(\.$status == 0).delete()
            } else {
                return try replay(first, hash: bodyHash, req)
            }
        }
        guard (1...maxRecords).contains(batch.records.count) else {
            throw ApiProblem.invalid([ApiProblem.field("records", "api_batch_size", ["max": String(maxRecords)], catalog)], catalog)
        }
        // Claim the key before the work, so a batch sent twice at once is stored once.
        let claim = ApiIdempotency()
        claim.createdAt = req.now
        claim.tokenID = token.id
        claim.key = key
        claim.requestHash = bodyHash
        claim.status = 0
        claim.body = ""
        do {
            try await claim.create(on: req.db)
        } catch {
            if let first = try await ApiIdempotency.query(on: req.db).filter(\.$tokenID == token.id).filter(\.$key == key).first() {
                return try replay(first, hash: bodyHash, req)
            }
            throw error
        }
        do {
            let rows = batch.records.enumerated().map { index, r in
                (line: index, fields: [r.idNumber ?? "", r.name ?? "", r.quantity?.text ?? "", r.asOf ?? ""])
            }
            let today = ShanghaiDate.today(req.now)
            let checked = FeedReader.check(rows, kind: kind, today: today, regions: req.application.regions)
            let summary = try await FeedImporter.store(kind: kind, records: checked.records, problems: checked.problems,
                                                       source: "api:" + token.name + ":" + key, sha256: bodyHash, encoding: "JSON",
                                                       by: req.actor, app: req.application, db: req.db, now: req.now)
            let adjusted = try await PointsService(req).refresh(afterFeed: kind.rawValue)
            let result = BatchResult(
                feed: kind.rawValue, received: batch.records.count, added: summary.added, changed: summary.changed, unchanged: summary.unchanged,
                refused: summary.problems.map { problem in
                    let (zh, en) = ApiProblem.split(problem.reason)
                    return BatchResult.Refused(index: problem.line, field: problem.column.map { recordFields[$0] }, detail: zh, detailEn: en)
                },
                archivesAdjusted: adjusted)
            let data = try ApiJSON.encoder.encode(result)
            claim.status = 200
            claim.body = String(decoding: data, as: UTF8.self)
            try await claim.save(on: req.db)
            return try ApiJSON.response(result, on: req)
        } catch {
            try? await claim.delete(on: req.db)
            throw error
        }
    }

    static func replay(_ first: ApiIdempotency, hash: String, _ req: Request) throws -> Response {
        let catalog = req.application.catalog
        guard first.requestHash == hash else {
            throw ApiProblem.status(.unprocessableEntity, catalog, code: "idempotencyKeyReused", detail: "api_idempotency_reused")
        }
        guard first.status != 0 else {
            var problem = ApiProblem.status(.conflict, catalog, code: "inProgress", detail: "api_idempotency_in_progress")
            problem.retryAfter = 5
            throw problem
        }
        let response = Response(status: HTTPStatus(statusCode: first.status))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
        response.body = .init(string: first.body)
        return response
    }

    // MARK: the review queue

    struct ClaimItem: Codable {
        let id: UUID
        let applicationNumber: String
        let applicant: Applicant
        let item: String
        let itemTitle: String
        let claimedValue: String
        let factDate: String?
        let dueDate: String?
        let overdue: Bool
        let evidenceFiles: Int
        let claimedAt: Date
    }

    struct Applicant: Codable { let nameMasked, idMasked: String }

    static func claims(_ req: Request) async throws -> Response {
        let token = try req.requireDepartment()
        let paging = try ApiPaging(req)
        let today = ShanghaiDate.today(req.now)
        let waiting = try await PointsClaim.query(on: req.db).join(PointsApplication.self, on: \PointsClaim.$application.$id == \PointsApplication.$id)
            .filter(\.$department == token.department).filter(\.$state == .claimed).filter(PointsApplication.self, \.$status == .inReview)
            .sort(\.$dueDate).sort(\.$createdAt).sort(\.$id)
            .range(paging.offset..<(paging.offset + paging.fetch)).all()
        let applications = Dictionary(uniqueKeysWithValues: try await PointsApplication.query(on: req.db).filter(\.$id ~~ waiting.map(\.$application.id))
            .with(\.$resident).all().map { ($0.id!, $0) })
        var standards: [String: ScoringStandard] = [:]
        for code in Set(applications.values.map(\.standardCode)) { standards[code] = try await PointsService.standard(code: code, on: req.db) }
        var files: [UUID: Int] = [:]
        if !waiting.isEmpty {
            for file in try await EvidenceFile.query(on: req.db).filter(\.$claim.$id ~~ waiting.compactMap(\.id)).all() { files[file.$claim.id, default: 0] += 1 }
        }
        let items = waiting.compactMap { c -> ClaimItem? in
            guard let id = c.id, let application = applications[c.$application.id] else { return nil }
            let item = standards[application.standardCode]?.item(c.item)
            return ClaimItem(id: id, applicationNumber: application.number,
                             applicant: Applicant(nameMasked: Mask.name(application.resident.name), idMasked: application.resident.idMasked),
                             item: c.item, itemTitle: item?.title ?? c.item,
                             claimedValue: item.flatMap { i in ClaimInput.value(c.value, for: i).map { ClaimInput.display($0, for: i) } } ?? c.value,
                             factDate: c.factDate?.description, dueDate: c.dueDate?.description, overdue: c.isOverdue(today: today),
                             evidenceFiles: files[id] ?? 0, claimedAt: c.createdAt)
        }
        return try ApiJSON.response(paging.page(items), on: req)
    }

    struct DecisionBody: Decodable { let decision: String?; let value: String?; let date: String?; let reason: String? }

    struct Decided: Codable { let id: UUID; let state: String; let confirmedValue: String?; let reason: String?; let applicationStatus: String }

    static func decide(_ req: Request) async throws -> Response {
        let token = try req.requireDepartment()
        let catalog = req.application.catalog
        guard let id = req.parameters.get("id", as: UUID.self), let claim = try await PointsClaim.find(id, on: req.db), claim.department == token.department,
              let application = try await PointsApplication.find(claim.$application.id, on: req.db),
              let item = try await PointsService.standard(code: application.standardCode, on: req.db).item(claim.item)
        else { throw ApiProblem.status(.notFound, catalog) }
        let body = try ApiJSON.body(DecisionBody.self, req)
        guard claim.state == .claimed, application.status == .inReview else {
            throw ApiProblem.status(.conflict, catalog, code: "alreadyDecided", detail: "api_claim_decided")
        }
        let input = PointsStaffController.DecisionForm(decision: body.decision, value: body.value, date: body.date, reason: body.reason)
        let (decision, problems) = PointsStaffController.decision(input, claim: claim, item: item, today: ShanghaiDate.today(req.now))
        guard let decision else {
            throw ApiProblem.invalid(problems.map { ApiProblem.FieldError(field: $0.field, index: nil, detail: $0.wording.text(catalog, .zh), detailEn: $0.wording.text(catalog, .en)) }, catalog)
        }
        do {
            try await PointsService(req).decide(claim, decision, item: item)
        } catch is PointsService.AlreadyDecided {
            throw ApiProblem.status(.conflict, catalog, code: "alreadyDecided", detail: "api_claim_decided")
        }
        let after = try await PointsApplication.find(claim.$application.id, on: req.db)
        return try ApiJSON.response(Decided(id: id, state: claim.state.rawValue, confirmedValue: claim.confirmedValue, reason: claim.reason,
                                            applicationStatus: after?.status.rawValue ?? application.status.rawValue), on: req)
    }
}
