import Vapor

/// The privacy notice (个人信息处理规则, PIPL Art. 14/17): what Jifen collects, why, how long, who
/// sees it and the citizen's rights. A citizen accepts it when registering; the version he accepted
/// is kept with his account.
enum PrivacyNotice {
    /// Raised whenever the notice's text (`privacy_body` in the catalog) changes in substance.
    static let version = "2026-12"

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.privacy, access: .anyone, use: page)
    }

    struct Content: Encodable { let version: String; let paragraphs: [String]; let myData: String }

    static func page(_ req: Request) async throws -> Response {
        let paragraphs = req.text("privacy_body").components(separatedBy: "\n").filter { !$0.isEmpty }
        return try await req.render("accounts/privacy", title: "privacy_title", Content(version: version, paragraphs: paragraphs, myData: SiteRoute.myData.path))
    }
}
