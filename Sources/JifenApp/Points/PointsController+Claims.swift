import Crypto
import Fluent
import JifenCore
import Vapor

/// Claims, their evidence and the submission of an application.
extension PointsController {
    // MARK: claims

    struct ClaimForm: Decodable { var item: String?; var value: String?; var date: String? }

    static func addClaim(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        guard application.isEditable else { throw Abort(.conflict) }
        let input = try req.content.decode(ClaimForm.self)
        let standard = try await PointsService.standard(code: application.standardCode, on: req.db)
        let itemID = input.item ?? ""
        let values = ["item": itemID, "value": input.value ?? "", "date": input.date ?? ""]
        guard let item = standard.item(itemID) else {
            return try await refuse(req, application, resident, submitErrors: [req.text("problem_choose", ["field": req.text("field_item")])])
        }
        let existing = try await application.claims(on: req.db)
        if existing.contains(where: { $0.item == item.id }) {
            return try await refuse(req, application, resident, itemErrors: [item.id: req.text("claim_duplicate", ["item": item.title])], itemValues: values)
        }
        let fact: Fact
        switch ClaimInput.fact(for: item, value: input.value ?? "", date: input.date ?? "", today: today(req)) {
        case .success(let f): fact = f
        case .failure(let problem):
            return try await refuse(req, application, resident, itemErrors: [item.id: message(problem, item: item, on: req)], itemValues: values)
        }
        let claim = PointsClaim()
        claim.createdAt = req.now
        claim.item = item.id
        claim.department = item.department
        claim.value = ClaimInput.text(fact.value)
        claim.factDate = fact.date
        claim.state = .claimed
        claim.$application.id = try application.requireID()
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await claim.create(on: db)
            try await Audit.record("claim", entity: "pointsClaim", id: application.number + "/" + item.id, after: claim.auditSnapshot, by: actor, at: now, on: db)
        }
        return back(req, application, done: "claim")
    }

    static func message(_ problem: ClaimInput.Problem, item: ScoringStandard.Item, on req: Request) -> String {
        wording(problem, item: item).text(req.application.catalog, req.language)
    }

    static func wording(_ problem: ClaimInput.Problem, item: ScoringStandard.Item) -> Wording {
        switch problem {
        case .required: Wording("problem_required", ["field": item.title])
        case .unknownOption: Wording("problem_choose", ["field": item.title])
        case .notANumber: Wording("claim_number", ["field": item.title])
        case .dateRequired: Wording("estimate_date_required", ["field": item.title])
        case .badDate: Wording("problem_date", ["field": item.title])
        case .future: Wording("claim_future", ["field": item.title])
        }
    }

    static func claimOf(_ req: Request, _ application: PointsApplication) async throws -> PointsClaim {
        guard let id = req.parameters.get("claim", as: UUID.self), let claim = try await PointsClaim.find(id, on: req.db),
              claim.$application.id == application.id
        else { throw Abort(.notFound) }
        return claim
    }

    static func removeClaim(_ req: Request) async throws -> Response {
        let (application, _) = try await load(req)
        let claim = try await claimOf(req, application)
        guard application.isEditable, claim.state == .claimed else { throw Abort(.conflict) }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await EvidenceFile.query(on: db).filter(\.$claim.$id == claim.requireID()).delete()
            try await claim.delete(on: db)
            try await Audit.record("withdrawClaim", entity: "pointsClaim", id: application.number + "/" + claim.item, before: claim.auditSnapshot, by: actor, at: now, on: db)
        }
        return back(req, application, done: "removed")
    }

    // MARK: evidence

    struct EvidenceForm: Vapor.Content { var file: File? }

    static func uploadEvidence(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        let claim = try await claimOf(req, application)
        guard application.isEditable, claim.state == .claimed else { throw Abort(.conflict) }
        let claimID = try claim.requireID().uuidString
        let file = (try? req.content.decode(EvidenceForm.self))?.file
        let bytes = file.map { Array($0.data.readableBytesView) } ?? []
        let kind: EvidenceKind
        switch EvidenceKind.check(bytes) {
        case .success(let k): kind = k
        case .failure(.empty): return try await refuse(req, application, resident, claimErrors: [claimID: req.text("evidence_empty")])
        case .failure(.tooLarge(let size)):
            return try await refuse(req, application, resident, claimErrors: [claimID: req.text("evidence_too_large", ["size": String(format: "%.1f", Double(size) / 1_048_576)])])
        case .failure(.notAllowed): return try await refuse(req, application, resident, claimErrors: [claimID: req.text("evidence_type")])
        }
        let sha = hex(SHA256.hash(data: Data(bytes)))
        try SealedFiles(req.application, folder: "evidence").store(bytes, sha256: sha)
        let record = EvidenceFile()
        record.createdAt = req.now
        record.sha256 = sha
        record.kind = kind
        record.size = bytes.count
        record.filename = String((file?.filename ?? "evidence").suffix(100))
        record.uploadedBy = req.actor.login
        record.$claim.id = try claim.requireID()
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await record.create(on: db)
            try await Audit.record("evidence", entity: "pointsClaim", id: application.number + "/" + claim.item,
                                   after: ["sha256": sha, "kind": kind.rawValue, "size": String(bytes.count)], by: actor, at: now, on: db)
        }
        return back(req, application, done: "evidence")
    }

    /// An evidence file, to those who may see the claim it belongs to.
    static func evidence(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let file = try await EvidenceFile.find(id, on: req.db),
              let claim = try await PointsClaim.find(file.$claim.id, on: req.db),
              let application = try await PointsApplication.query(on: req.db).filter(\.$id == claim.$application.id).with(\.$resident).with(\.$jurisdiction).first()
        else { throw Abort(.notFound) }
        switch user.role {
        case .citizen: guard application.resident.$user.id == user.id else { throw Abort(.notFound) }
        case .departmentReviewer: guard user.departmentCode == claim.department else { throw Abort(.notFound) }
        case .windowClerk, .centerAdmin:
            guard let code = application.jurisdiction.jurisdictionCode else { throw Abort(.notFound) }
            try req.requireScope(code)
        default: throw Abort(.notFound)
        }
        let files = SealedFiles(req.application, folder: "evidence")
        guard let data = try files.read(files.name(sha256: file.sha256)) else { throw Abort(.notFound) }
        if user.role != .citizen { try await req.logAccess(entity: "evidenceFile", id: id.uuidString, field: "evidence") }
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = HTTPMediaType(type: String(file.kind.mediaType.split(separator: "/")[0]), subType: String(file.kind.mediaType.split(separator: "/")[1]))
        response.headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"evidence.\(file.kind.fileExtension)\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    // MARK: submission

    static func submit(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        if application.status == .submitted || application.status == .inReview || application.status == .completed {
            return back(req, application, done: "submitted")   // a second click: nothing more happens
        }
        guard application.isEditable else { throw Abort(.conflict) }
        let standard = try await PointsService.standard(code: application.standardCode, on: req.db)
        let claims = try await application.claims(on: req.db)
        var problems: [String] = []
        if resident.heldUnconfirmed { problems.append(req.text("identity_needed")) }
        if claims.isEmpty { problems.append(req.text("points_no_claims")) }
        let files = try await EvidenceFile.query(on: req.db).filter(\.$claim.$id ~~ claims.compactMap(\.id)).all()
        for claim in claims where claim.state == .claimed {
            guard let item = standard.item(claim.item), item.feed == nil else { continue }
            if !files.contains(where: { $0.$claim.id == claim.id }) { problems.append(req.text("points_missing_evidence", ["item": item.title])) }
        }
        guard problems.isEmpty else { return try await refuse(req, application, resident, submitErrors: problems) }
        try await PointsService(req).submit(application)
        return back(req, application, done: "submitted")
    }
}
