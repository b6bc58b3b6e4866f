import Foundation
import NIOCore
@testable import JifenApp
import XCTVapor

/// A client of the JSON API over the in-memory server: a bearer token, JSON in and out, no cookies.
struct JSONClient {
    struct Answer {
        let status: HTTPStatus
        let headers: HTTPHeaders
        let body: String
        /// The body as a JSON object (nil when it is not one).
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
        /// The `items` of a list answer.
        var items: [[String: Any]] { json?["items"] as? [[String: Any]] ?? [] }
        /// The problem document's type code (`urn:jifen:problem:<code>`), for a refused request.
        var problem: String? { (json?["type"] as? String)?.replacingOccurrences(of: "urn:jifen:problem:", with: "") }
        var isProblem: Bool { headers.contentType?.subType == "problem+json" }
        /// The fields the problem names.
        var problemFields: [String] { (json?["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }
    }

    let app: Application
    var token: String?
    var peer: String?

    init(_ app: Application, token: String? = nil, peer: String? = nil) {
        self.app = app
        self.token = token
        self.peer = peer
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Answer {
        try await send(.GET, path, body: nil, headers: headers)
    }

    func post(_ path: String, _ body: Any, headers: [String: String] = [:]) async throws -> Answer {
        try await send(.POST, path, body: try JSONSerialization.data(withJSONObject: body), headers: headers)
    }

    func put(_ path: String, _ body: Any, headers: [String: String] = [:]) async throws -> Answer {
        try await send(.PUT, path, body: try JSONSerialization.data(withJSONObject: body), headers: headers)
    }

    func delete(_ path: String) async throws -> Answer {
        try await send(.DELETE, path, body: nil, headers: [:])
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data?, headers extra: [String: String]) async throws -> Answer {
        var headers = HTTPHeaders()
        if let token { headers.add(name: .authorization, value: "Bearer " + token) }
        for (name, value) in extra { headers.add(name: name, value: value) }
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        if let body {
            headers.contentType = .json
            buffer.writeBytes(body)
        }
        headers.replaceOrAdd(name: .contentLength, value: String(buffer.readableBytes))
        let request = Request(application: app, method: method, url: URI(path: path), headers: headers,
                              collectedBody: buffer.readableBytes == 0 ? nil : buffer,
                              remoteAddress: peer.flatMap { try? SocketAddress(ipAddress: $0, port: 40_000) },
                              logger: app.logger, on: app.eventLoopGroup.next())
        let answer = try await app.responder.respond(to: request).get()
        let bytes = try await answer.body.collect(on: request.eventLoop).get() ?? ByteBufferAllocator().buffer(capacity: 0)
        return Answer(status: answer.status, headers: answer.headers, body: bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes) ?? "")
    }

    /// Signs a citizen in through the API; the client then carries his session token.
    static func citizen(_ app: Application, phone: String, password: String, file: StaticString = #filePath, line: UInt = #line) async throws -> JSONClient {
        let answer = try await JSONClient(app).post("/api/v1/citizen/session", ["phone": phone, "password": password])
        XCTAssertEqual(answer.status, .created, "API sign-in of \(phone): \(answer.body)", file: file, line: line)
        return JSONClient(app, token: answer.json?["token"] as? String)
    }
}
