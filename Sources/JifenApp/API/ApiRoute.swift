import Vapor

/// Every route of the JSON API (`/api/v1`), named once, as `SiteRoute` names the pages. The
/// OpenAPI document in `Resources/API/openapi.yaml` describes each; a test proves the two list the
/// same operations.
enum ApiRoute: Hashable, Sendable {
    /// `/api/v1/openapi.yaml`: the API's description
    case openapi
    /// `/api/v1/reference`: the description as a readable page
    case reference
    // public
    case standards
    case standard(String)
    case programs
    case program(String)
    case publicity(String, String)
    case consultations
    case estimate
    // citizens
    case citizenSession
    case me
    case myPoints
    case myPrograms
    case myApplications
    case myApplication(String)
    case myResidence
    case myDeclarations
    case myWeChat
    case objections(String, String)
    // department systems
    case feedBatches(String)
    case claims
    case claimDecision(String)

    var path: String {
        let base = "/api/v1"
        return switch self {
        case .openapi: base + "/openapi.yaml"
        case .reference: base + "/reference"
        case .standards: base + "/standards"
        case .standard(let code): base + "/standards/" + code
        case .programs: base + "/programs"
        case .program(let code): base + "/programs/" + code
        case .publicity(let code, let round): base + "/programs/" + code + "/rounds/" + round + "/publicity"
        case .consultations: base + "/consultations"
        case .estimate: base + "/estimate"
        case .citizenSession: base + "/citizen/session"
        case .me: base + "/me"
        case .myPoints: base + "/me/points"
        case .myPrograms: base + "/me/programs"
        case .myApplications: base + "/me/applications"
        case .myApplication(let program): base + "/me/applications/" + program
        case .myResidence: base + "/me/residence"
        case .myDeclarations: base + "/me/residence/declarations"
        case .myWeChat: base + "/me/wechat"
        case .objections(let code, let round): base + "/programs/" + code + "/rounds/" + round + "/objections"
        case .feedBatches(let feed): base + "/department/feeds/" + feed + "/batches"
        case .claims: base + "/department/claims"
        case .claimDecision(let id): base + "/department/claims/" + id + "/decision"
        }
    }

    var components: [PathComponent] { path.pathComponents }

    /// Every route with its parameters as placeholders.
    static let patterns: [ApiRoute] = [
        .openapi, .reference, .standards, .standard(":code"), .programs, .program(":code"), .publicity(":code", ":round"), .consultations, .estimate,
        .citizenSession, .me, .myPoints, .myPrograms, .myApplications, .myApplication(":program"),
        .myResidence, .myDeclarations, .myWeChat, .objections(":code", ":round"),
        .feedBatches(":feed"), .claims, .claimDecision(":id"),
    ]

    /// The routes that are not operations of the document (the document itself and its page).
    static let documentation: Set<String> = [openapi.path, reference.path]
}

extension RoutesBuilder {
    /// Registers an API route with its access rule (`.anyone` or a bearer token).
    @discardableResult
    func api<Response: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ api: ApiRoute, access: Access, body: HTTPBodyStreamStrategy = .collect,
        use handler: @Sendable @escaping (Request) async throws -> Response
    ) -> Route {
        let route = self.on(method, api.components, body: body, use: handler)
        route.userInfo[.init(Access.userInfoKey)] = access
        if case .collect(let maxSize) = body, let maxSize { route.userInfo[.init(Access.bodyLimitKey)] = maxSize.value }
        return route
    }
}

/// The API's routes, one registration each.
enum ApiController {
    static func register(_ routes: any RoutesBuilder) {
        ApiDocument.register(routes)
        PublicAPI.register(routes)
        CitizenAPI.register(routes)
        DepartmentAPI.register(routes)
    }
}
