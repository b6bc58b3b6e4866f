import Fluent
import SQLKit
import JifenCore
import NIOConcurrencyHelpers
import Vapor

/// One version of a scoring standard, kept as the YAML it was written in. A draft can be replaced;
/// a published version is never changed, only superseded by a later one.
final class StandardVersion: Model, @unchecked Sendable {
    static let schema = "scoring_standards"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    // data fields
    /// The standard's own id (`zhangjiagang-2021`).
    @Field(key: "code") var code: String
    /// The series this version belongs to (`ScoringStandard.series`).
    @Field(key: "series") var series: String
    @Field(key: "title") var title: String
    @Enum(key: "status") var status: Status
    /// `YYYY-MM-DD`: set from the file for a draft, chosen when publishing.
    @Field(key: "effective_from") var effectiveFrom: CivilDate
    @Field(key: "yaml") var yaml: String
    @Field(key: "created_by") var createdBy: String
    @OptionalField(key: "published_at") var publishedAt: Date?
    @OptionalField(key: "published_by") var publishedBy: String?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $updatedAt, $code, $series, $title, $status, $effectiveFrom, $yaml, $createdBy, $publishedAt, $publishedBy] }

    init() {}

    enum Status: String, Codable, Sendable, CaseIterable {
        case draft, published
    }

    init(standard: ScoringStandard, yaml: String, status: Status, by login: String, at now: Date) {
        self.code = standard.id
        self.series = standard.series
        self.title = standard.title
        self.status = status
        self.effectiveFrom = standard.effectiveFrom
        self.yaml = yaml
        self.createdBy = login
        self.createdAt = now
        self.updatedAt = now
    }

    /// The standard as published: the file, with the effective date chosen at publication. A
    /// published version never changes, so it is parsed once per process and kept.
    func standard() throws -> ScoringStandard {
        if status == .published, let id, let kept = Self.published.withLockedValue({ $0[id] }) { return kept }
        var standard = try StandardParser.parse(yaml).get()
        standard.effectiveFrom = effectiveFrom
        if status == .published, let id { Self.published.withLockedValue { $0[id] = standard } }
        return standard
    }

    /// Published versions already parsed, by their row's id.
    private static let published = NIOLockedValueBox<[UUID: ScoringStandard]>([:])

    var auditSnapshot: [String: String] {
        ["code": code, "title": title, "status": status.rawValue, "effectiveFrom": effectiveFrom.description, "sha256": sha256Hex(yaml)]
    }

    static func find(code: String, on db: any Database) async throws -> StandardVersion? {
        try await query(on: db).filter(\.$code == code).first()
    }

    /// Every published version with its parsed standard. Published versions never change, so each
    /// row is read and parsed once per process and kept; a request reads only the list of their
    /// ids (a version published on another node is found by the next request).
    static func allPublished(on db: any Database) async throws -> [(StandardVersion, ScoringStandard)] {
        // Asked on every page that scores: the ids alone, as plain rows.
        let ids = try await PlainRow.all("SELECT id FROM \(unsafeRaw: schema) WHERE status = \(bind: Status.published.rawValue)", on: db).map { try $0.uuid("id") }
        let missing = kept.withLockedValue { kept in ids.filter { kept[$0] == nil } }
        if !missing.isEmpty {
            for version in try await query(on: db).filter(\.$id ~~ missing).filter(\.$status == .published).all() {
                let standard = try version.standard()
                kept.withLockedValue { $0[version.id!] = (version, standard) }
            }
        }
        return kept.withLockedValue { kept in ids.compactMap { kept[$0] } }
    }

    /// The published version whose code is `code`.
    static func published(code: String, on db: any Database) async throws -> (StandardVersion, ScoringStandard)? {
        try await allPublished(on: db).first { $0.0.code == code }
    }

    private static let kept = NIOLockedValueBox<[UUID: (StandardVersion, ScoringStandard)]>([:])

    /// The published version of `series` in force on `date`, if any.
    static func inForce(on date: CivilDate, series: String = ScoringStandard.generalSeries, on db: any Database) async throws -> (StandardVersion, ScoringStandard)? {
        inForce(on: date, series: series, among: try await allPublished(on: db))
    }

    static func inForce(on date: CivilDate, series: String, among all: [(StandardVersion, ScoringStandard)]) -> (StandardVersion, ScoringStandard)? {
        let parsed = all.filter { $0.0.series == series }
        guard let chosen = ScoringStandard.inForce(on: date, series: series, among: parsed.map(\.1)) else { return nil }
        return parsed.first { $0.1.id == chosen.id }
    }

    /// Every series' version in force on `date`, the general series first.
    static func allInForce(on date: CivilDate, on db: any Database) async throws -> [(StandardVersion, ScoringStandard)] {
        allInForce(on: date, among: try await allPublished(on: db))
    }

    static func allInForce(on date: CivilDate, among all: [(StandardVersion, ScoringStandard)]) -> [(StandardVersion, ScoringStandard)] {
        let series = Set(all.map(\.0.series))
        return series.sorted(by: { ($0 == ScoringStandard.generalSeries ? 0 : 1, $0) < ($1 == ScoringStandard.generalSeries ? 0 : 1, $1) })
            .compactMap { inForce(on: date, series: $0, among: all) }
    }
}

extension StandardVersion: Audited {
    static let auditEntity = "scoringStandard"
    var auditID: String { code }
}
