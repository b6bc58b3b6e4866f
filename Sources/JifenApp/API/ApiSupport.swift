import Fluent
import Foundation
import JifenCore
import NIOConcurrencyHelpers
import Vapor

/// A refused API request as an RFC 9457 problem document (`application/problem+json`): a type
/// that names the problem, its title and detail in Chinese and in English, and each field at
/// fault (with its index in a batch).
struct ApiProblem: Error, Sendable {
    struct FieldError: Codable, Sendable, Equatable {
        let field: String
        var index: Int?
        let detail: String
        let detailEn: String

        enum CodingKeys: String, CodingKey { case field, index, detail, detailEn = "detail_en" }
    }

    var status: HTTPStatus
    /// The last part of the type, `urn:jifen:problem:<code>`.
    var code: String
    var title, titleEn: String
    var detail, detailEn: String?
    var errors: [FieldError] = []
    var retryAfter: Int?

    struct Document: Codable, Sendable {
        let type: String
        let title: String
        let titleEn: String
        let status: Int
        let detail: String?
        let detailEn: String?
        let errors: [FieldError]?

        enum CodingKeys: String, CodingKey { case type, title, titleEn = "title_en", status, detail, detailEn = "detail_en", errors }
    }

    var document: Document {
        Document(type: "urn:jifen:problem:" + code, title: title, titleEn: titleEn, status: Int(status.code), detail: detail, detailEn: detailEn,
                 errors: errors.isEmpty ? nil : errors)
    }

    func response() -> Response {
        let response = Response(status: status)
        response.headers.contentType = HTTPMediaType(type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        if let retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
        if status == .unauthorized { response.headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer realm=\"jifen\"") }
        response.body = .init(data: (try? ApiJSON.encoder.encode(document)) ?? Data())
        return response
    }

    /// The problem an HTTP status stands for, worded from the site's error texts.
    static func status(_ status: HTTPStatus, _ catalog: Catalog, code: String? = nil) -> ApiProblem {
        var key = "error_\(status.code)"
        if catalog.entries[key] == nil { key = status.code >= 500 ? "error_500" : "error_400" }
        return ApiProblem(status: status, code: code ?? Self.codes[status.code] ?? "http\(status.code)",
                          title: catalog.text(key, .zh), titleEn: catalog.text(key, .en),
                          detail: catalog.text(key + "_detail", .zh), detailEn: catalog.text(key + "_detail", .en))
    }

    /// The problem of an HTTP status with its own code and its detail worded by a catalog key.
    static func status(_ status: HTTPStatus, _ catalog: Catalog, code: String, detail key: String) -> ApiProblem {
        var problem = Self.status(status, catalog, code: code)
        problem.detail = catalog.text(key, .zh)
        problem.detailEn = catalog.text(key, .en)
        return problem
    }

    static let codes: [UInt: String] = [
        400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "notFound", 405: "methodNotAllowed", 409: "conflict",
        413: "tooLarge", 415: "unsupportedMediaType", 422: "refused", 429: "tooManyRequests", 500: "serverError", 503: "unavailable",
    ]

    /// A request whose fields are at fault: 400, each field named.
    static func invalid(_ errors: [FieldError], _ catalog: Catalog) -> ApiProblem {
        var problem = status(.badRequest, catalog, code: "validation")
        problem.detail = "请求中有 \(errors.count) 处需要修改。"
        problem.detailEn = "\(errors.count) field(s) of the request must be corrected."
        problem.errors = errors
        return problem
    }

    /// One field at fault, worded by a catalog key (in both languages).
    static func field(_ name: String, _ key: String, _ catalog: Catalog) -> FieldError {
        field(name, key, [:], catalog)
    }

    static func field(_ name: String, _ key: String, _ arguments: [String: String], index: Int? = nil, _ catalog: Catalog) -> FieldError {
        FieldError(field: name, index: index, detail: catalog.text(key, .zh, arguments), detailEn: catalog.text(key, .en, arguments))
    }

    static func field(_ name: String, wording: Wording, index: Int? = nil, _ catalog: Catalog) -> FieldError {
        FieldError(field: name, index: index, detail: wording.text(catalog, .zh), detailEn: wording.text(catalog, .en))
    }

    /// `中文 / English` (or `中文）/ English`) as its two halves; the whole text twice when it has no English half.
    static func split(_ text: String) -> (zh: String, en: String) {
        guard let range = text.range(of: " / ") ?? text.range(of: "/ ") else { return (text, text) }
        return (String(text[..<range.lowerBound]), String(text[range.upperBound...]))
    }

    /// A request the rules refuse (422), with each reason in both languages.
    static func refused(_ reasons: [(zh: String, en: String)], field: String, _ catalog: Catalog) -> ApiProblem {
        var problem = status(.unprocessableEntity, catalog, code: "refused")
        problem.title = "申请未被受理"
        problem.titleEn = "The request was refused"
        problem.detail = reasons.map(\.zh).joined(separator: "；")
        problem.detailEn = reasons.map(\.en).joined(separator: "; ")
        problem.errors = reasons.map { FieldError(field: field, index: nil, detail: $0.zh, detailEn: $0.en) }
        return problem
    }
}

/// The API's JSON: keys as documented, times in ISO 8601 with the Asia/Shanghai offset.
enum ApiJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ApiJSON.time(date))
        }
        return encoder
    }()

    static let decoder = JSONDecoder()

    /// `2026-09-21T10:00:00+08:00`.
    static func time(_ date: Date) -> String { ShanghaiTime.format(date, "yyyy-MM-dd'T'HH:mm:ssxxx") }

    /// A JSON answer. With `etag`, the answer carries a strong validator of its bytes and a
    /// request whose `If-None-Match` holds it gets 304 with no body.
    static func response<T: Encodable>(_ value: T, status: HTTPStatus = .ok, etag: Bool = false, on req: Request) throws -> Response {
        let data = try encoder.encode(value)
        let response = Response(status: status)
        response.headers.contentType = .json
        // His own data and tokens are kept by no cache; public lists are revalidated by their tag.
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        if etag {
            let tag = "\"" + String(sha256Hex(String(decoding: data, as: UTF8.self)).prefix(32)) + "\""
            response.headers.replaceOrAdd(name: .eTag, value: tag)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
            let sent = req.headers[.ifNoneMatch].flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            if sent.contains(tag) || sent.contains("*") {
                response.status = .notModified
                return response
            }
        }
        response.body = .init(data: data)
        return response
    }

    /// Decodes a JSON body; a missing or malformed body, or a field of the wrong type, is a
    /// problem that names the field.
    static func body<T: Decodable>(_ type: T.Type, _ req: Request) throws -> T {
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw ApiProblem.invalid([ApiProblem.field("body", "api_body_required", req.application.catalog)], req.application.catalog)
        }
        if let contentType = req.headers.contentType, contentType.type != "application" || !(contentType.subType == "json" || contentType.subType.hasSuffix("+json")) {
            throw ApiProblem.status(.unsupportedMediaType, req.application.catalog)
        }
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            let catalog = req.application.catalog
            let (path, key): ([any CodingKey], String) = switch error {
            case .keyNotFound(let key, let context): (context.codingPath + [key], "api_field_required")
            case .typeMismatch(_, let context), .valueNotFound(_, let context): (context.codingPath, "api_field_type")
            case .dataCorrupted(let context): (context.codingPath, context.codingPath.isEmpty ? "api_body_json" : "api_field_type")
            @unknown default: ([], "api_body_json")
            }
            let name = path.isEmpty ? "body" : path.map { $0.intValue.map { "[\($0)]" } ?? ("." + $0.stringValue) }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            let index = path.first { $0.intValue != nil }?.intValue
            throw ApiProblem.invalid([ApiProblem.field(name, key, ["field": name], index: index, catalog)], catalog)
        }
    }
}

/// A list page of the API: the items and, when more follow, the cursor of the next page.
struct ApiList<Item: Encodable>: Encodable {
    let items: [Item]
    let nextCursor: String?
}

/// Cursor paging: `?cursor=` (opaque, from the previous page's `nextCursor`) and `?limit=` (1–100,
/// default 20).
struct ApiPaging: Sendable {
    let offset: Int
    let limit: Int

    init(_ req: Request, defaultLimit: Int = 20) throws {
        let catalog = req.application.catalog
        var errors: [ApiProblem.FieldError] = []
        var limit = defaultLimit
        if let raw = req.query[String.self, at: "limit"] {
            if let n = Int(raw), (1...100).contains(n) { limit = n } else { errors.append(ApiProblem.field("limit", "api_limit", catalog)) }
        }
        var offset = 0
        if let raw = req.query[String.self, at: "cursor"] {
            if let n = Self.decode(raw) { offset = n } else { errors.append(ApiProblem.field("cursor", "api_cursor", catalog)) }
        }
        if !errors.isEmpty { throw ApiProblem.invalid(errors, catalog) }
        self.offset = offset
        self.limit = limit
    }

    /// Fetch one more than the page holds: the extra says whether a next page exists.
    var fetch: Int { limit + 1 }

    func page<Item: Encodable>(_ fetched: [Item]) -> ApiList<Item> {
        ApiList(items: Array(fetched.prefix(limit)), nextCursor: fetched.count > limit ? Self.encode(offset + limit) : nil)
    }

    /// A page of a list already in memory.
    func page<Item: Encodable>(of all: [Item]) -> ApiList<Item> {
        page(Array(all.dropFirst(offset).prefix(fetch)))
    }

    static func encode(_ offset: Int) -> String {
        Data("o:\(offset)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> Int? {
        guard cursor.count <= 40 else { return nil }
        var text = cursor
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let plain = String(data: data, encoding: .utf8), plain.hasPrefix("o:"),
              let n = Int(plain.dropFirst(2)), n >= 0, n <= 10_000_000 else { return nil }
        return n
    }
}

/// Requests counted per minute for each token and each address, in this process.
final class ApiRateLimiter: Sendable {
    private let counts = NIOLockedValueBox<(window: Int, counts: [String: Int])>((0, [:]))

    /// Counts a request under `key`; nil when it may go on, else the seconds until the next minute.
    func take(_ key: String, limit: Int, now: Date) -> Int? {
        let seconds = Int(now.timeIntervalSince1970)
        let window = seconds / 60
        return counts.withLockedValue { state in
            if state.window != window { state = (window, [:]) }
            let n = (state.counts[key] ?? 0) + 1
            state.counts[key] = n
            return n > limit ? max(1, 60 - seconds % 60) : nil
        }
    }
}

extension Application {
    private struct ApiLimiterKey: StorageKey { typealias Value = ApiRateLimiter }
    var apiLimiter: ApiRateLimiter {
        get {
            if let limiter = storage[ApiLimiterKey.self] { return limiter }
            let limiter = ApiRateLimiter()
            storage[ApiLimiterKey.self] = limiter
            return limiter
        }
        set { storage[ApiLimiterKey.self] = newValue }
    }
}

/// Who calls the API: a department's system with its token, or a citizen with his session.
enum ApiClient: Sendable {
    case department(ApiTokenGrant)
    case citizen(CurrentUser)

    var limitKey: String {
        switch self {
        case .department(let token): "token:" + token.id.uuidString
        case .citizen(let user): "session:" + user.sessionID.uuidString
        }
    }
}

/// What a department token allows, as the request sees it.
struct ApiTokenGrant: Sendable {
    let id: UUID
    let name: String
    let department: String
    let scopes: Set<ApiScope>
}

/// What a department token may do.
public enum ApiScope: String, Sendable, CaseIterable, Codable {
    /// Push its department's feed records.
    case feeds
    /// Read its department's review queue and decide its items.
    case reviews
}

extension Request {
    private struct ApiClientKey: StorageKey { typealias Value = ApiClient }

    var apiClient: ApiClient? {
        get { storage[ApiClientKey.self] }
        set { storage[ApiClientKey.self] = newValue }
    }

    var isAPI: Bool { url.path.hasPrefix("/api/") }

    /// The department token of this request (the route's access has already required one).
    func requireDepartment() throws -> ApiTokenGrant {
        guard case .department(let grant) = apiClient else { throw ApiProblem.status(.unauthorized, application.catalog) }
        return grant
    }
}

/// The API's front door, for `/api/` paths only: counts the request against the address's and
/// then the token's limit, resolves the bearer token, and turns every error below it into a
/// problem document. Cookies play no part in the API (so it needs no CSRF token).
struct ApiMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.isAPI else { return try await next.respond(to: request) }
        let catalog = request.application.catalog
        let config = request.application.jifenConfig
        do {
            try limit("address:" + request.clientAddress, config.apiPerAddressMinute, request)
            try await ApiAuthentication.authenticate(request)
            if let client = request.apiClient { try limit(client.limitKey, config.apiPerTokenMinute, request) }
            let response = try await next.respond(to: request)
            try await ApiAuthentication.recordUse(request, status: response.status)
            return response
        } catch let problem as ApiProblem {
            try? await ApiAuthentication.recordUse(request, status: problem.status)
            return problem.response()
        } catch let abort as any AbortError {
            try? await ApiAuthentication.recordUse(request, status: abort.status)
            return ApiProblem.status(abort.status, catalog).response()
        } catch {
            request.logger.error("API request failed", metadata: ["path": .string(request.url.path), "error": .string(String(reflecting: error))])
            return ApiProblem.status(.internalServerError, catalog).response()
        }
    }

    private func limit(_ key: String, _ limit: Int, _ request: Request) throws {
        if let wait = request.application.apiLimiter.take(key, limit: limit, now: request.now) {
            var problem = ApiProblem.status(.tooManyRequests, request.application.catalog)
            problem.retryAfter = wait
            throw problem
        }
    }
}
