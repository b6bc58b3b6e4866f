import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import JifenApp
import JifenCore
import SQLKit
import XCTest

/// Runs the built `jifen` binary as a real server process.
final class ServerProcess {
    let process = Process()
    let logPath: String
    let port: Int

    /// The `jifen` binary beside this test bundle (SwiftPM builds both into one folder).
    static var binary: URL {
        let me = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        return me.deletingLastPathComponent().appendingPathComponent("jifen")
    }

    init(dataDirectory: String, port: Int, arguments extraArguments: [String] = [], environment extra: [String: String] = [:]) throws {
        self.port = port
        logPath = dataDirectory + "/server-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = Self.binary
        process.arguments = ["serve", "--hostname", "127.0.0.1", "--port", String(port)] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["JIFEN_DATA_DIR"] = dataDirectory
        environment["JIFEN_SECRET_KEY"] = extraArguments.contains("--demo") ? nil : testSecretHex
        // These servers answer plain HTTP on loopback: cookies without `Secure`, as the demo's.
        environment["JIFEN_SECURE_COOKIES"] = "false"
        environment["JIFEN_BCRYPT_COST"] = "4"
        environment["DATABASE_URL"] = nil
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// A port nothing listens on now: the kernel picks it for a socket bound to port 0. (A random
    /// number can be one another process holds.)
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NSError(domain: "jifen", code: 3) }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw NSError(domain: "jifen", code: 4) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func waitUntilReady(timeout: TimeInterval = 90) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let (_, status) = try? await HTTP.get("http://127.0.0.1:\(port)/readyz"), status == 200 { return }
            guard process.isRunning else { throw NSError(domain: "jifen", code: 1, userInfo: [NSLocalizedDescriptionKey: "server exited: \(log)"]) }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        throw NSError(domain: "jifen", code: 2, userInfo: [NSLocalizedDescriptionKey: "server not ready: \(log)"])
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}

/// Plain HTTP over loopback, without following redirects, with a cookie jar.
enum HTTP {
    final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    static let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)

    static func get(_ url: String, cookies: String = "") async throws -> (String, Int) {
        var request = URLRequest(url: URL(string: url)!)
        if !cookies.isEmpty { request.setValue(cookies, forHTTPHeaderField: "Cookie") }
        let (data, response) = try await session.data(for: request)
        return (String(decoding: data, as: UTF8.self), (response as! HTTPURLResponse).statusCode)
    }

    static func post(_ url: String, form: [String: String], cookies: String) async throws -> (Int, String?) {
        let (status, location, _) = try await postKeepingCookies(url, form: form, cookies: cookies)
        return (status, location)
    }

    /// The same, also returning the `jifen_…` cookies the answer sets.
    static func postKeepingCookies(_ url: String, form: [String: String], cookies: String) async throws -> (Int, String?, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue(cookies, forHTTPHeaderField: "Cookie")
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        request.httpBody = Data(form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
        let (_, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        let set = (http.value(forHTTPHeaderField: "Set-Cookie") ?? "").components(separatedBy: ",").compactMap { $0.split(separator: ";").first }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("jifen_") }.joined(separator: "; ")
        return (http.statusCode, http.value(forHTTPHeaderField: "Location"), set)
    }

    /// Opens the sign-in form, signs in with a demo account and returns the session's cookies.
    static func signedIn(_ base: String, login: String, password: String = "demo12345") async throws -> String {
        let (loginPage, cookies) = try await setCookies(base + "/login")
        let csrf = try XCTUnwrap(Browser.firstMatch(#"name="_csrf" value="([^"]+)""#, in: loginPage))
        return try await signIn(base, login: login, password: password, csrf: csrf, cookies: cookies)
    }

    /// Signs in and returns the cookies of the signed-in session.
    static func signIn(_ base: String, login: String, password: String, csrf: String, cookies: String) async throws -> String {
        var request = URLRequest(url: URL(string: base + "/login")!)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue(cookies, forHTTPHeaderField: "Cookie")
        request.httpBody = Data("_csrf=\(csrf)&login=\(login)&password=\(password)".utf8)
        let (_, response) = try await session.data(for: request)
        let header = (response as! HTTPURLResponse).value(forHTTPHeaderField: "Set-Cookie") ?? ""
        let fresh = header.components(separatedBy: ",").compactMap { $0.split(separator: ";").first }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("jifen_session=") || $0.hasPrefix("__Host-jifen_session=") }
        return ([cookies] + fresh).joined(separator: "; ")
    }

    static func upload(_ url: String, fields: [String: String], file: (name: String, filename: String, data: Data), cookies: String) async throws -> (Int, String?) {
        let boundary = "----jifen-boundary-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
        body.append(file.data)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        request.setValue(cookies, forHTTPHeaderField: "Cookie")
        request.httpBody = body
        let (_, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, http.value(forHTTPHeaderField: "Location"))
    }

    static func setCookies(_ url: String) async throws -> (body: String, cookies: String) {
        let (data, response) = try await session.data(from: URL(string: url)!)
        let header = (response as! HTTPURLResponse).value(forHTTPHeaderField: "Set-Cookie") ?? ""
        let cookies = header.components(separatedBy: ",").compactMap { $0.split(separator: ";").first }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("jifen_") }.joined(separator: "; ")
        return (String(decoding: data, as: UTF8.self), cookies)
    }
}

final class DurabilityTests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    func testAnAcknowledgedWriteSurvivesKill9AndRestart() async throws {
        guard FileManager.default.isExecutableFile(atPath: ServerProcess.binary.path) else {
            return XCTFail("the jifen binary was not built beside the tests: \(ServerProcess.binary.path)")
        }
        // setup
        let directory = try makeTemporaryDirectory("jifen-kill")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try ServerProcess.freePort()
        let base = "http://127.0.0.1:\(port)"

        let first = try ServerProcess(dataDirectory: directory, port: port)
        defer { first.stop() }
        try await first.waitUntilReady()
        let (form, cookies) = try await HTTP.setCookies(base + "/register")
        let csrf = try XCTUnwrap(Browser.firstMatch(#"name="_csrf" value="([^"]+)""#, in: form))

        // MUT: an acknowledged write, then the process dies without any chance to flush
        let (status, location, codeCookie) = try await HTTP.postKeepingCookies(base + "/register", form: [
            "_csrf": csrf, "phone": "13700001111", "displayName": "赵敏", "password": "zhaomin2026", "passwordConfirm": "zhaomin2026", "acceptPrivacy": "on",
        ], cookies: cookies)
        XCTAssertTrue(codeCookie.hasPrefix("jifen_code="), "the code is bound to this browser")
        XCTAssertEqual(status, 303)
        XCTAssertEqual(location, "/register/verify?phone=13700001111")
        first.kill9()
        XCTAssertFalse(first.log.contains("13700001111"), "the log shows the number masked")
        // The text waits in the outbox, written in the same transaction as the account: it is
        // where the code is read from, as a delivery worker would.
        struct Text: Decodable { let body: String }
        let texts = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT body FROM outbox_messages WHERE recipient = '13700001111' AND kind = 'verificationCode'").all(decoding: Text.self)
        }
        XCTAssertEqual(texts.count, 1, "one text, and it survived the kill")
        // Sealed under the server's key: a delivery worker with the key opens it.
        let data = PersonalData(keys: Keys(secret: try XCTUnwrap(AppConfig.decodeKey(testSecretHex))))
        let code = try XCTUnwrap(texts.first.flatMap { Browser.firstMatch("([0-9]{6})", in: try data.open($0.body)) })

        // validate: a new process finds the account and its code
        let second = try ServerProcess(dataDirectory: directory, port: port)
        defer { second.stop() }
        try await second.waitUntilReady()
        let (_, cookies2) = try await HTTP.setCookies(base + "/register/verify?phone=13700001111")
        let (verifyPage, _) = try await HTTP.get(base + "/register/verify?phone=13700001111", cookies: cookies2)
        let csrf2 = try XCTUnwrap(Browser.firstMatch(#"name="_csrf" value="([^"]+)""#, in: verifyPage))
        let (confirmed, home) = try await HTTP.post(base + "/register/verify", form: ["_csrf": csrf2, "phone": "13700001111", "code": code], cookies: cookies2 + "; " + codeCookie)
        XCTAssertEqual(confirmed, 303)
        XCTAssertEqual(home, "/home")
        second.stop()

        // and after an orderly restart the confirmed account signs in
        let third = try ServerProcess(dataDirectory: directory, port: port)
        defer { third.stop() }
        try await third.waitUntilReady()
        let (loginPage, cookies3) = try await HTTP.setCookies(base + "/login")
        let csrf3 = try XCTUnwrap(Browser.firstMatch(#"name="_csrf" value="([^"]+)""#, in: loginPage))
        let (signedIn, target) = try await HTTP.post(base + "/login", form: ["_csrf": csrf3, "login": "13700001111", "password": "zhaomin2026"], cookies: cookies3)
        XCTAssertEqual(signedIn, 303)
        XCTAssertEqual(target, "/home")
    }

    /// A large write's commit does not copy the log back into the database file (the request
    /// that made it does not wait for that); the checkpointer does, soon after, and the rows are
    /// there to read throughout.
    func testTheCheckpointerNotTheCommitCopiesTheLogIntoTheDatabase() async throws {
        try await withApp { ctx in
            guard case .sqlite(let path) = ctx.app.jifenConfig.database else { return XCTFail("a SQLite file") }
            try await Checkpoints.start(ctx.app, interval: .seconds(3))
            let sql = ctx.app.db as! any SQLDatabase
            struct Setting: Decodable { let wal_autocheckpoint: Int }
            for loop in ctx.app.eventLoopGroup.makeIterator() {
                let db = try XCTUnwrap(ctx.app.databases.database(logger: ctx.app.logger, on: loop) as? any SQLDatabase)
                let setting = try await db.raw("PRAGMA wal_autocheckpoint").first(decoding: Setting.self)
                XCTAssertEqual(setting?.wal_autocheckpoint, 0, "no checkpoint at commit on any event loop's connection")
            }
            func size() throws -> Int { (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
            try await sql.raw("CREATE TABLE checkpoint_probe (v BLOB)").run()
            let before = try size()
            // MUT: eight megabytes in one transaction (2,000 pages, twice SQLite's mark for a
            // checkpoint at commit)
            try await sql.raw("""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                INSERT INTO checkpoint_probe SELECT randomblob(4000) FROM n
                """).run()
            XCTAssertLessThan(try size(), before + 1_000_000, "the commit left the new pages in the log")
            struct Count: Decodable { let n: Int }
            let written = try await sql.raw("SELECT count(*) AS n FROM checkpoint_probe").first(decoding: Count.self)?.n
            XCTAssertEqual(written, 2000)
            var grown = false
            for _ in 0..<40 where !grown {
                try await Task.sleep(for: .milliseconds(250))
                grown = try size() >= before + 8_000_000
            }
            XCTAssertTrue(grown, "the checkpointer copied the log into the database file within ten seconds")
            let kept = try await sql.raw("SELECT count(*) AS n FROM checkpoint_probe").first(decoding: Count.self)?.n
            XCTAssertEqual(kept, 2000)
        }
    }

    func testAfterTheDemoNoIDNumberIsInClearInTheDatabaseTheFilesOrTheLogs() async throws {
        let directory = try makeTemporaryDirectory("jifen-privacy")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try ServerProcess.freePort()
        let server = try ServerProcess(dataDirectory: directory, port: port, arguments: ["--demo"], environment: ["JIFEN_LOG_LEVEL": "debug"])
        defer { server.stop() }
        try await server.waitUntilReady()
        // setup: a window clerk's work with full numbers: one opened in full, a lookup by
        // number, a points application filed and submitted at the window for that person.
        let base = "http://127.0.0.1:\(port)"
        let session = try await HTTP.signedIn(base, login: "clerk.yangshe")
        let (list, listStatus) = try await HTTP.get(base + "/registrations", cookies: session)
        XCTAssertEqual(listStatus, 200, "signed in")
        var filed = false
        for link in Array(Set(Browser.allMatches(#"href="(/residents/[0-9A-Fa-f-]{36})""#, in: list))).sorted() {
            let (page, _) = try await HTTP.get(base + link + "?show=id", cookies: session)
            let number = try XCTUnwrap(Browser.firstMatch(#"<code class="id-number">([0-9X]{18})</code>"#, in: page), "the full number is shown")
            let token = try XCTUnwrap(Browser.firstMatch(#"name="_csrf" value="([^"]+)""#, in: page))
            let (found, at) = try await HTTP.post(base + "/residents/lookup", form: ["_csrf": token, "idNumber": number], cookies: session)
            XCTAssertEqual(found, 303)
            XCTAssertEqual(at, link, "the lookup finds the same person")
            let (opened, application) = try await HTTP.post(base + "/points/applications", form: ["_csrf": token, "idNumber": number], cookies: session)
            guard opened == 303, let application else { continue }  // he applied already this year
            let (claimed, _) = try await HTTP.post(base + application + "/claims", form: ["_csrf": token, "item": "socialInsuranceMonths", "value": "36"], cookies: session)
            XCTAssertEqual(claimed, 303)
            let (submitted, _) = try await HTTP.post(base + application + "/submit", form: ["_csrf": token], cookies: session)
            XCTAssertEqual(submitted, 303)
            filed = true
            break
        }
        XCTAssertTrue(filed, "an application was filed at the window")
        // A citizen signs in by his phone number: the statement that finds him is logged, the
        // number it was given is not.
        _ = try await HTTP.signedIn(base, login: "13800000001")
        server.stop()
        // (The demo prints its accounts for whoever started it, the phone numbers among them:
        // those lines are its instructions, not log records.)
        let records = server.log.split(separator: "\n").filter { $0.range(of: #"^\d{4}-\d{2}-\d{2}T"#, options: .regularExpression) != nil }
        XCTAssertTrue(records.contains { $0.contains("Executing query") }, "the debug log has the statements")
        XCTAssertTrue(records.contains { $0.contains("action=read") && $0.contains("schema=users") }, "and Fluent's queries")
        XCTAssertEqual(records.filter { $0.contains("13800000001") }, [], "a phone number in the log")
        XCTAssertEqual(records.filter { $0.contains("binds=") || $0.contains("filters=") || $0.contains("input=") }, [], "values of statements and queries in the log")

        // MUT: every value of every table, read through SQLite
        let database = try await withSQLiteFile(directory + "/jifen.sqlite") { try await PrivacyScan.scan($0) }
        // and every file of the data directory (stored uploads and evidence, the database's own
        // files, the server's debug log). The one exception is the demo's sample feed file,
        // written for trying the upload page: its people are invented.
        let files = PrivacyScan.scanFiles(in: directory, skipping: ["demo/social-insurance-demo.csv"])

        // validate
        XCTAssertEqual(database.findings, [], "values holding ID numbers in clear")
        XCTAssertEqual(files.findings, [], "files holding ID numbers in clear")
        XCTAssertGreaterThan(database.values, 10_000, "the database was there to scan")
        XCTAssertTrue((FileManager.default.subpaths(atPath: directory) ?? []).contains { $0.hasPrefix("evidence/") }, "the demo's evidence files were there to scan")
        XCTAssertTrue(records.contains { $0.contains("action=create") && $0.contains("schema=access_log") }, "the debug log saw the full views it must not leak")
        let accessLog = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT count(*) AS n FROM access_log WHERE field IN ('idNumber', 'idNumberLookup')").first(decoding: Count.self)?.n ?? 0
        }
        XCTAssertGreaterThanOrEqual(accessLog, 3, "the full view, the lookup and the window's search are logged")
        let count = try await ServerProcessStats.residents(directory: directory)
        XCTAssertEqual(count, 1000 + DemoCommunity.tenants.count + DemoOffers.residents, "the demo has 1000 generated residents, those its landlords declared and its parent with an offer")
    }

    struct Count: Decodable { let n: Int }

    /// Request bodies stream into a real server (in-memory tests hand them over whole): an upload
    /// larger than the default 16 KB body limit must still reach a route that allows it.
    func testALargeUploadReachesTheRouteThatAllowsIt() async throws {
        let directory = try makeTemporaryDirectory("jifen-upload")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try ServerProcess.freePort()
        let server = try ServerProcess(dataDirectory: directory, port: port, arguments: ["--demo"])
        defer { server.stop() }
        try await server.waitUntilReady()
        let base = "http://127.0.0.1:\(port)"
        let session = try await HTTP.signedIn(base, login: "admin")
        let (form, _) = try await HTTP.get(base + "/standards/new", cookies: session)
        let csrf2 = try XCTUnwrap(Browser.firstMatch(#"name="_csrf" value="([^"]+)""#, in: form))
        let yaml = try String(contentsOfFile: JifenResourcesPath.standards + "zhangjiagang-2021.yaml", encoding: .utf8)
            .replacingOccurrences(of: "id: zhangjiagang-2021", with: "id: zhangjiagang-2031")
        XCTAssertGreaterThan(yaml.utf8.count, 16_384)
        let (status, location) = try await HTTP.upload(base + "/standards", fields: ["_csrf": csrf2, "yaml": ""],
                                                       file: ("file", "zjg.yaml", Data(yaml.utf8)), cookies: session)
        XCTAssertEqual(status, 303)
        XCTAssertEqual(location, "/standards/zhangjiagang-2031")
    }

    /// A server told to stop (SIGTERM, as systemd or `kill` sends) while it is busy with a
    /// citizen's pages exits cleanly: the databases close after the last handler is done, not
    /// under it — also the handlers of clients that have already gone (a closed connection does
    /// not stop its handler). Before, such a handler reached its database after the close and
    /// the process crashed. (Whether a handler is left without its client at the moment of the
    /// stop depends on timing here; `scripts/restart-under-load.sh` on the city dataset meets that
    /// case every time.)
    func testAServerStoppedUnderLoadAnswersWhatItTookAndExitsCleanly() async throws {
        // setup: a demo server and a signed-in citizen
        let directory = try makeTemporaryDirectory("jifen-stop")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try ServerProcess.freePort()
        let server = try ServerProcess(dataDirectory: directory, port: port, arguments: ["--demo"])
        defer { server.stop() }
        try await server.waitUntilReady()
        let base = "http://127.0.0.1:\(port)"
        let cookies = try await HTTP.signedIn(base, login: "13800000001")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        let client = URLSession(configuration: configuration)
        var request = URLRequest(url: URL(string: base + "/me/points")!)
        request.setValue(cookies, forHTTPHeaderField: "Cookie")

        // MUT: 64 clients ask for 我的积分 again and again for two seconds
        let pid = server.process.processIdentifier
        // (Each client stops at the deadline by itself: cancelling a task while Foundation's
        // URLSession finishes its request can deadlock the two on Linux.)
        let deadline = Date().addingTimeInterval(2)
        let answers = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<64 {
                group.addTask { [request] in
                    var statuses: [Int] = []
                    while Date() < deadline {
                        guard let (_, response) = try? await client.data(for: request) else { break }
                        statuses.append((response as! HTTPURLResponse).statusCode)
                    }
                    return statuses
                }
            }
            return await group.reduce(into: [Int]()) { $0 += $1 }
        }
        client.finishTasksAndInvalidate()
        // Then 200 clients ask at once; the server is told to stop while it works on them, and
        // they hang up: their handlers are still at work with no connection left
        let asking = Self.ask(200, port: port, path: "/me/points", cookies: cookies)
        try await Task.sleep(nanoseconds: 100_000_000)
        kill(pid, SIGTERM)
        try await Task.sleep(nanoseconds: 20_000_000)
        for fd in asking { close(fd) }
        server.process.waitUntilExit()

        // validate
        XCTAssertGreaterThan(answers.count, 64, "the load was running when the server was told to stop")
        XCTAssertEqual(answers.filter { $0 != 200 }.count, 0, "every request the server answered was answered whole: \(Set(answers))")
        XCTAssertEqual(server.process.terminationReason, .exit, "the server exited rather than crashed: \(server.log.suffix(3000))")
        XCTAssertEqual(server.process.terminationStatus, 0)
    }

    /// Opens `count` connections, then sends one GET on each at once; the open sockets, for the
    /// caller to close without reading an answer.
    static func ask(_ count: Int, port: Int, path: String, cookies: String) -> [Int32] {
        var sockets: [Int32] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { continue }
            var address = loopback(port: port)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if connected == 0 { sockets.append(fd) } else { close(fd) }
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: \(cookies)\r\n\r\n".utf8)
        for fd in sockets { _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        return sockets
    }

    /// Runs `jifen ARGS` to the end; returns its exit status, standard output and standard error.
    func run(_ arguments: [String], directory: String, input: String? = nil, logLevel: String = "warning") throws -> (Int32, String, String) {
        try runJifen(arguments, environment: ["JIFEN_DATA_DIR": directory, "JIFEN_SECRET_KEY": testSecretHex, "JIFEN_BCRYPT_COST": "4",
                                              "JIFEN_LOG_LEVEL": logLevel], input: input)
    }

    func testAdminCreateMakesTheFirstCenterAdminOfAnEmptySystem() throws {
        let directory = try makeTemporaryDirectory("jifen-admin")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // An empty system has no city: the command says which options it needs.
        let (refused, _, refusal) = try run(["admin", "create", "--login", "chief", "--name", "中心主任"], directory: directory, logLevel: "info")
        XCTAssertNotEqual(refused, 0)
        XCTAssertTrue(refusal.contains("--city"), refusal)
        // MUT
        let (status, output, _) = try run(["admin", "create", "--login", "chief", "--name", "中心主任", "--city", "张家港市",
                                         "--city-code", "320582", "--password-stdin"], directory: directory, input: "chief2026pw\n")
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("chief"))
        // validate
        let (_, stats, _) = try run(["stats"], directory: directory, logLevel: "info")
        let lines = stats.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.allSatisfy { $0.range(of: #"^[a-z_]+ [0-9]+$"#, options: .regularExpression) != nil }, "only name-value lines on stdout: \(stats)")
        XCTAssertEqual(Array(lines.prefix(8)).map { $0.split(separator: " ").first.map(String.init) ?? "" },
                       ["residents", "residence_registrations", "rental_houses", "permits", "points_archives", "applications", "schools", "seats"])
        XCTAssertTrue(lines.contains("users 1"), stats)
        XCTAssertTrue(lines.contains("jurisdictions 1"), stats)
        // The same login twice is refused.
        let (again, _, message) = try run(["admin", "create", "--login", "chief", "--name", "又一个"], directory: directory)
        XCTAssertNotEqual(again, 0)
        XCTAssertTrue(message.contains("已存在"), message)
    }

    func testABadSettingStopsTheStartNamingIt() throws {
        let (status, _, output) = try runJifen(["serve"], environment: ["JIFEN_SECRET_KEY": testSecretHex, "JIFEN_PORT": "not-a-port"])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(output.contains("JIFEN_PORT"), output)
    }
}

/// Reads the count of residents of a stopped server's data directory with `jifen stats`.
enum ServerProcessStats {
    static func residents(directory: String) async throws -> Int {
        let text = try runJifen(["stats", "--demo"], environment: ["JIFEN_DATA_DIR": directory]).output
        let line = text.split(separator: "\n").first { $0.hasPrefix("residents ") }
        return line.flatMap { Int($0.dropFirst("residents ".count)) } ?? -1
    }
}

/// The IPv4 address of `port` on this machine (0: any free port, when binding).
func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}
