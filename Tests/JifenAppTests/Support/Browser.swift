import Foundation
import NIOCore
@testable import JifenApp
import XCTVapor

/// A little browser over the in-memory server: keeps cookies, remembers the last form's CSRF
/// token, does not follow redirects.
final class Browser {
    struct Page {
        let status: HTTPStatus
        let headers: HTTPHeaders
        let body: String
        var location: String? { headers.first(name: .location) }
    }

    let app: Application
    /// The TCP peer the server sees (nil: none, as an in-memory request has).
    let peer: SocketAddress?
    /// Headers sent with every request (a proxy's `X-Forwarded-For`).
    var extraHeaders = HTTPHeaders()
    private(set) var cookies: [String: String] = [:]
    private(set) var csrf: String?

    init(_ app: Application, peer: String? = nil) {
        self.app = app
        self.peer = peer.flatMap { try? SocketAddress(ipAddress: $0, port: 40_000) }
    }

    @discardableResult
    func get(_ path: String) async throws -> Page {
        try await send(.GET, path, body: nil)
    }

    /// Posts a form; the CSRF token of the last page is added unless `csrf` is false.
    @discardableResult
    func post(_ path: String, _ form: [String: String], csrf includeToken: Bool = true) async throws -> Page {
        var fields = form
        if includeToken, let csrf, fields["_csrf"] == nil { fields["_csrf"] = csrf }
        let encoded = fields.sorted { $0.key < $1.key }
            .map { key, value in Self.escape(key) + "=" + Self.escape(value) }
            .joined(separator: "&")
        return try await send(.POST, path, body: encoded)
    }

    /// Posts a multipart form with one file, as a browser's file upload does.
    @discardableResult
    func upload(_ path: String, fields: [String: String], file: (name: String, filename: String, contents: String)) async throws -> Page {
        try await upload(path, fields: fields, file: (name: file.name, filename: file.filename, bytes: Array(file.contents.utf8)))
    }

    /// The same with the file's bytes as they are (images, PDFs).
    @discardableResult
    func upload(_ path: String, fields: [String: String], file: (name: String, filename: String, bytes: [UInt8])) async throws -> Page {
        let boundary = "----jifen-test-boundary"
        var fields = fields
        if let csrf, fields["_csrf"] == nil { fields["_csrf"] = csrf }
        var body: [UInt8] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += file.bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return try await send(.POST, path, bytes: body, contentType: HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": boundary]))
    }

    /// Posts a form body as given (fields may repeat, as checkboxes do); adds the CSRF token.
    @discardableResult
    func postRaw(_ path: String, _ body: String) async throws -> Page {
        let token = csrf.map { "_csrf=" + Self.escape($0) + "&" } ?? ""
        return try await send(.POST, path, body: token + body)
    }

    /// Signs in through the login form; returns the answer to the POST.
    @discardableResult
    func signIn(_ login: String, _ password: String) async throws -> Page {
        try await get("/login")
        return try await post("/login", ["login": login, "password": password])
    }

    private static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    private func send(_ method: HTTPMethod, _ path: String, body: String?, contentType: HTTPMediaType = .urlEncodedForm) async throws -> Page {
        try await send(method, path, bytes: body.map { Array($0.utf8) }, contentType: contentType)
    }

    private func send(_ method: HTTPMethod, _ path: String, bytes body: [UInt8]?, contentType: HTTPMediaType = .urlEncodedForm) async throws -> Page {
        var headers = extraHeaders
        if !cookies.isEmpty {
            headers.add(name: .cookie, value: cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        if let body {
            headers.contentType = contentType
            buffer.writeBytes(body)
        }
        headers.replaceOrAdd(name: .contentLength, value: String(buffer.readableBytes))
        let request = Request(application: app, method: method, url: URI(path: path), headers: headers,
                              collectedBody: buffer.readableBytes == 0 ? nil : buffer, remoteAddress: peer,
                              logger: app.logger, on: app.eventLoopGroup.next())
        let answer = try await app.responder.respond(to: request).get()
        let response = (status: answer.status, headers: answer.headers,
                        body: try await answer.body.collect(on: request.eventLoop).get() ?? ByteBufferAllocator().buffer(capacity: 0))
        for (name, value) in response.headers.setCookie?.all ?? [:] {
            if let expires = value.expires, expires < Date() { cookies[name] = nil } else { cookies[name] = value.string }
        }
        let text = response.body.getString(at: response.body.readerIndex, length: response.body.readableBytes) ?? ""
        if let token = Self.firstMatch(#"name="_csrf" value="([^"]+)""#, in: text) { csrf = token }
        return Page(status: response.status, headers: response.headers, body: text)
    }

    /// The first group of every match, in order.
    static func allMatches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            guard match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: text) else { return nil }
            return String(text[range])
        }
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }
}
