import Crypto
import Fluent
import SQLKit
import JifenCore
import Vapor

/// The points page: the archive as the citizen and the staff see it, and the citizen's own page.
extension PointsController {
    // MARK: the archive, as the citizen and the staff see it

    struct HistoryRow: Encodable { let at: String; let kind: String; let before: String; let after: String; let reason: String; let by: String }

    struct ArchiveView: Encodable {
        let status, statusCode: String
        let year: Int
        let total: String
        let counts: Bool
        let expiredNote, barredNote, endedNote: String?
        let result: EstimateController.Result?
        /// Whether `result` is there (a template tests it).
        let explained: Bool
        let history: [HistoryRow]
        let yearLabel: String
        /// His score under every other standard in force (another service's), each explained.
        let others: [OtherStanding]
        let servicesLink: String
    }

    /// His total under another standard, and its line-by-line explanation when the reader asked
    /// for it (`?standard=` its series: one standard's table at a time, not all on every view).
    struct OtherStanding: Encodable {
        let series, title, link, total, explainLink: String
        let result: EstimateController.Result?
    }

    static func archiveView(_ archive: PointsArchive, on req: Request) async throws -> ArchiveView {
        try await archiveView(archive, facts: try await PointsService(req).facts(of: archive), on: req)
    }

    /// The archive explained from its facts, read once by the caller.
    static func archiveView(_ archive: PointsArchive, facts: PointsService.ArchiveFacts?, on req: Request) async throws -> ArchiveView {
        let service = PointsService(req)
        var evaluated = try await service.refreshForExpiry(archive, facts: facts)
        if evaluated == nil, let facts { evaluated = try await service.evaluation(facts) }
        let history = try await PlainModels.all(PointsHistoryEntry.self, """
            SELECT * FROM \(unsafeRaw: PointsHistoryEntry.schema) WHERE archive_id = \(bind: archive.requireID()) ORDER BY "at" DESC LIMIT 50
            """, on: req.db)
        let standing = PointsValidity.standing(of: .init(year: archive.year, opens: CivilDate(year: archive.year, month: 1, day: 1)!,
                                                         closes: CivilDate(year: archive.year, month: 12, day: 31)!), on: today(req))
        let expired: Bool = if case .expired = standing { true } else { false }
        let counts = archive.status == .active && !expired
        let user = try req.requireUser()
        var others: [OtherStanding] = []
        if counts, let facts {
            let explained = req.query[String.self, at: "standard"]
            for (version, standard) in StandardVersion.allInForce(on: today(req), among: facts.published) where standard.series != ScoringStandard.generalSeries {
                guard let (evaluation, _) = try await service.evaluation(facts, series: standard.series) else { continue }
                others.append(OtherStanding(series: standard.series, title: standard.title, link: SiteRoute.standard(version.code).path,
                                            total: evaluation.total.description,
                                            explainLink: req.url.path + "?standard=" + standard.series + "#other-" + standard.series,
                                            result: standard.series == explained ? EstimateController.result(evaluation, standard: standard, addable: 0, on: req) : nil))
            }
        }
        // The eight items that could add the most: the whole list is on the self-estimate page.
        let result = archive.status == .active ? evaluated.map { EstimateController.result($0.0, standard: $0.1, addable: 8, on: req) } : nil
        return ArchiveView(
            status: req.text("archive_" + archive.status.rawValue), statusCode: expired && archive.status == .active ? "expired" : archive.status.rawValue,
            year: archive.year, total: Points(hundredths: archive.total).description, counts: counts,
            expiredNote: expired && archive.status == .active ? req.text("archive_expired_note", ["year": String(archive.year), "total": Points(hundredths: archive.total).description]) : nil,
            barredNote: archive.status == .cleared ? req.text("archive_barred_note", ["found": archive.fraudFound?.description ?? "", "until": archive.barredUntil.map(ShanghaiDate.long) ?? ""]) : nil,
            endedNote: archive.status == .ended ? req.text("archive_ended_note", ["reason": archive.endedReason ?? ""]) : nil,
            result: result, explained: result != nil,
            history: history.map { h in
                HistoryRow(at: ShanghaiTime.dateTime(h.at), kind: req.text("history_kind_" + h.kind.rawValue), before: Points(hundredths: h.before).description,
                           after: Points(hundredths: h.after).description, reason: h.words(req.application.catalog, req.language), by: user.role == .citizen ? req.text("history_by_staff") : h.by)
            },
            yearLabel: req.text("archive_year", ["year": String(archive.year)]), others: others, servicesLink: SiteRoute.tieredServices.path)
    }

    // MARK: the citizen's points page

    struct MyContent: Encodable {
        let hasIdentity: Bool
        let residenceLink: String
        let archive: ArchiveView?
        let application: ApplicationView?
        /// Whether `archive` and `application` are there (the template tests them).
        let hasArchive, hasApplication: Bool
        let canOpen: Bool
        let openAction: String
        let refusal: String?
        let year: Int
        let notice: String?
        let estimateLink, openLabel, noApplication: String
        /// What a points application asks for, told beside the form that opens one (read only then).
        let materials: MaterialList?
    }

    static func myContent(_ req: Request, refusal: String? = nil, edit: ((PointsApplication, Resident) async throws -> ApplicationView)? = nil) async throws -> MyContent {
        let user = try req.requireUser()
        let resident = try await Resident.find(user: user.id, on: req.db)
        var archive: ArchiveView?
        var application: ApplicationView?
        var refused = refusal
        if let resident {
            var facts: PointsService.ArchiveFacts?
            if let a = try await PlainModels.all(PointsArchive.self, """
                SELECT * FROM \(unsafeRaw: PointsArchive.schema) WHERE resident_id = \(bind: resident.requireID()) LIMIT 1
                """, on: req.db).first {
                facts = try await PointsService(req).facts(of: a)
                archive = try await archiveView(a, facts: facts, on: req)
            }
            // This year's application: most often the one the archive was completed from, already read.
            let year = today(req).year
            let known = facts.flatMap { $0.application.year == year && $0.application.$resident.id == resident.id ? $0 : nil }
            let current = if let known { known.application }
                else { try await PointsApplication.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$year == year).first() }
            if let current {
                if let edit { application = try await edit(current, resident) }
                else {
                    // The archive completed from it, explained above it, lists its items with their outcomes.
                    let explained = known != nil && archive?.counts == true && archive?.result != nil
                    application = try await view(current, resident: resident, on: req, claims: known?.claims, published: known?.published, claimsInArchive: explained)
                }
            } else if refused == nil {
                refused = try await PointsService(req).refusal(for: resident).map { PointsService.words($0, req.application.catalog, req.language) }
            }
        }
        let canOpen = resident != nil && application == nil && refused == nil
        return MyContent(hasIdentity: resident != nil, residenceLink: SiteRoute.myResidence.path, archive: archive, application: application,
                         hasArchive: archive != nil, hasApplication: application != nil,
                         canOpen: canOpen, openAction: SiteRoute.myPoints.path, refusal: refused,
                         year: today(req).year, notice: req.query[String.self, at: "done"].map { req.text("points_done_" + $0) },
                         estimateLink: SiteRoute.estimate.path, openLabel: req.text("points_open", ["year": String(today(req).year)]),
                         noApplication: req.text("points_no_application", ["year": String(today(req).year)]),
                         materials: canOpen ? try await MaterialList.load("points", on: req) : nil)
    }

    static func myPoints(_ req: Request) async throws -> Response {
        try await req.render("points/me-points", title: "points_title", try await myContent(req))
    }

    static func openMine(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { return req.redirect(to: SiteRoute.myResidence.path) }
        switch try await PointsService(req).open(for: resident, jurisdictionID: nil) {
        case .opened: return req.redirect(to: SiteRoute.myPoints.path)
        case .refused(let why):
            let words = PointsService.words(why, req.application.catalog, req.language)
            return try await req.render("points/me-points", title: "points_title", try await myContent(req, refusal: words), status: .badRequest)
        }
    }

    static func staffPage(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        let guessed = req.query[String.self, at: "guessed"].map { req.text("calendar_guessed", ["years": $0]) }
        return try await req.render("points/points-application", title: "points_application_title",
                                    ApplicationPage(application: try await view(application, resident: resident, on: req, calendarWarning: guessed)))
    }
}
