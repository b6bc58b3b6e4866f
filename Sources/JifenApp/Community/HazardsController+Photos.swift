import Crypto
import Fluent
import JifenCore
import Vapor

/// Photos of a hazard and of its rectification: JPEG or PNG judged by content, stored sealed,
/// shown only to those who see the hazard, each view access-logged.
extension HazardsController {
    // MARK: photos

    struct PhotoForm: Vapor.Content { var file: File? }

    static func uploadPhoto(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let hazard = try await find(req)
        guard user.role != .departmentReviewer || user.departmentCode == hazard.departmentCode else { throw Abort(.notFound) }
        let bytes = (try? req.content.decode(PhotoForm.self))?.file.map { Array($0.data.readableBytesView) } ?? []
        let kind: EvidenceKind
        switch EvidenceKind.check(bytes) {
        case .success(.pdf), .failure(.notAllowed): return try await showPage(req, hazard, photoError: req.text("hazard_photo_type"), status: .badRequest)
        case .success(let k): kind = k
        case .failure(.empty): return try await showPage(req, hazard, photoError: req.text("hazard_photo_empty"), status: .badRequest)
        case .failure(.tooLarge(let size)):
            return try await showPage(req, hazard, photoError: req.text("evidence_too_large", ["size": String(format: "%.1f", Double(size) / 1_048_576)]), status: .badRequest)
        }
        let sha = SHA256.hash(data: Data(bytes)).map { String(format: "%02x", $0) }.joined()
        try SealedFiles(req.application, folder: "hazards").store(bytes, sha256: sha)
        let record = HazardPhoto()
        record.createdAt = req.now
        record.sha256 = sha
        record.kind = kind
        record.size = bytes.count
        record.stage = switch hazard.status {
        case .received, .assigned, .dismissed: "report"
        case .acknowledged, .rectified: "rectification"
        case .accepted: "acceptance"
        }
        record.uploadedBy = req.actor.login
        record.$hazard.id = try hazard.requireID()
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await record.create(on: db)
            try await Audit.record("photo", entity: Hazard.auditEntity, id: hazard.number, after: ["sha256": sha, "kind": kind.rawValue, "stage": record.stage], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.hazard(hazard.id!.uuidString).path + "?done=photo")
    }

    static func photo(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self), let photo = try await HazardPhoto.find(id, on: req.db),
              try await visible(req).filter(\.$id == photo.$hazard.id).count() > 0
        else { throw Abort(.notFound) }
        let files = SealedFiles(req.application, folder: "hazards")
        guard let data = try files.read(files.name(sha256: photo.sha256)) else { throw Abort(.notFound) }
        try await req.logAccess(entity: "hazardPhoto", id: id.uuidString, field: "photo")
        let response = Response(status: .ok, body: .init(data: data))
        let parts = photo.kind.mediaType.split(separator: "/")
        response.headers.contentType = HTTPMediaType(type: String(parts[0]), subType: String(parts[1]))
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }
}
