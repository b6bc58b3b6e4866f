import Foundation
import JifenResources
import Vapor
import Yams

/// The API's description: the OpenAPI 3.1 document kept in `Resources/API/openapi.yaml`, served
/// as it is, and the same document as a readable page.
enum ApiDocument {
    static func register(_ routes: any RoutesBuilder) {
        routes.api(.GET, .openapi, access: .anyone, use: yaml)
        routes.api(.GET, .reference, access: .anyone, use: reference)
    }

    static var path: String { JifenResources.directory("API") + "openapi.yaml" }

    static func text() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static func yaml(_ req: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(string: try text()))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "yaml", parameters: ["charset": "utf-8"])
        return response
    }

    /// One operation of the document as the page lists it.
    struct Operation: Encodable {
        let method, path, summary: String
        let description: String?
        let access: String
        let parameters: [String]
        let responses: [String]
    }

    struct Section: Encodable { let tag, description: String; let operations: [Operation] }

    /// The document's operations, grouped by their first tag in the order the tags are declared.
    static func sections() throws -> (title: String, version: String, intro: String, sections: [Section]) {
        guard let root = try Yams.load(yaml: try text()) as? [String: Any],
              let info = root["info"] as? [String: Any], let paths = root["paths"] as? [String: Any] else {
            throw Abort(.internalServerError, reason: "openapi.yaml unreadable")
        }
        let tags = (root["tags"] as? [[String: Any]] ?? []).compactMap { t in (t["name"] as? String).map { ($0, t["description"] as? String ?? "") } }
        var byTag: [String: [Operation]] = [:]
        for (path, value) in paths.sorted(by: { $0.key < $1.key }) {
            guard let item = value as? [String: Any] else { continue }
            for method in ["get", "post", "put", "delete"] {
                guard let op = item[method] as? [String: Any] else { continue }
                let tag = (op["tags"] as? [String])?.first ?? ""
                let security = (op["security"] as? [[String: Any]])?.flatMap(\.keys) ?? []
                let parameters = (op["parameters"] as? [[String: Any]] ?? []).compactMap { p -> String? in
                    if let name = p["name"] as? String { return name + " (" + (p["in"] as? String ?? "") + ")" }
                    if let ref = p["$ref"] as? String { return ref.components(separatedBy: "/").last }
                    return nil
                }
                let responses = (op["responses"] as? [String: Any] ?? [:]).keys.sorted()
                byTag[tag, default: []].append(Operation(method: method.uppercased(), path: path, summary: op["summary"] as? String ?? "",
                                                         description: op["description"] as? String,
                                                         access: security.isEmpty ? "—" : security.sorted().joined(separator: ", "),
                                                         parameters: parameters, responses: responses))
            }
        }
        let sections = tags.map { Section(tag: $0.0, description: $0.1, operations: byTag[$0.0] ?? []) }
        return (info["title"] as? String ?? "", info["version"] as? String ?? "", info["description"] as? String ?? "", sections)
    }

    struct Content: Encodable {
        let heading, version, intro, document: String
        let sections: [Section]
    }

    static func reference(_ req: Request) async throws -> Response {
        let (title, version, intro, sections) = try sections()
        return try await req.render("api/api-reference", title: "api_reference_title",
                                    Content(heading: title, version: version, intro: intro, document: ApiRoute.openapi.path, sections: sections))
    }
}
