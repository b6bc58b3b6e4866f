import Foundation
import JifenCore
import NIOConcurrencyHelpers
import Vapor

/// The public pages as a visitor who is not signed in sees them, kept for a few seconds
/// (`JIFEN_PAGE_CACHE_SECONDS`, default 5; 0 turns it off): on opening day thousands read the same
/// publicity list, the same program and the same standard, and each node renders each of them
/// once every few seconds instead of once a request.
///
/// Only routes registered with `.cachedForVisitors()`, only GET, only 200 answers, only for a
/// visitor without a session. The key is the address with its query, the reader's language and
/// today's date in Shanghai. The page is rendered with a placeholder where each browser's
/// form token goes, and the placeholder is replaced on the way out: a cached page never carries
/// another browser's token. What these pages show is changed by staff, so a change made by staff
/// on this node (any request of theirs other than GET or HEAD) empties the cache; a change made on
/// another node shows here within the configured seconds (and the time one render takes). When a
/// kept page is due, one request renders it again while the others still get the kept copy, so
/// the moment of expiry is not a crowd of renders; a page not kept yet (a node just started under
/// load) is rendered by one request while the others wait for it.
final class PageCache: Sendable {
    struct Entry: Sendable {
        let body: [UInt8]
        let contentType: String
        let stored: Date
        /// A request is rendering the page again since then.
        var refreshing: Date? = nil
    }

    /// `pending`: another request is rendering the page, not kept yet: `wait` for it.
    enum Lookup { case hit(Entry), miss, pending }

    /// Renders of pages not kept yet: since when, and who waits for each.
    private struct Render { let since: Date; var waiting: [CheckedContinuation<Entry?, Never>] = [] }

    /// What the form-token field holds in a page rendered for the cache.
    static let tokenPlaceholder = "\u{1}jifen-form-token\u{1}"
    static let maxEntries = 2_000
    /// A render that has not come back by then is taken over by the next request.
    static let refreshTimeout: TimeInterval = 10

    let seconds: Int
    private struct State { var entries: [String: Entry] = [:]; var renders: [String: Render] = [:] }
    private let state = NIOLockedValueBox(State())

    init(seconds: Int) { self.seconds = seconds }

    /// The kept page, or a miss — in which case the caller renders it and `store`s it (or
    /// `abandon`s it). A page due again is a miss for the first caller and still a hit for the
    /// others until he is done; a page not kept yet is a miss for the first caller and `pending`
    /// for the others until he is done.
    func lookup(_ key: String, now: Date) -> Lookup {
        state.withLockedValue { state in
            guard var found = state.entries[key] else {
                if let render = state.renders[key], now.timeIntervalSince(render.since) < Self.refreshTimeout { return .pending }
                state.renders[key] = Render(since: now, waiting: state.renders[key]?.waiting ?? [])
                return .miss
            }
            let age = now.timeIntervalSince(found.stored)
            if age >= 0, age < Double(seconds) { return .hit(found) }
            if let since = found.refreshing, now.timeIntervalSince(since) < Self.refreshTimeout, age >= 0 { return .hit(found) }
            found.refreshing = now
            state.entries[key] = found
            return .miss
        }
    }

    /// The page another request is rendering, once he is done; nil if it was not kept (the
    /// caller renders his own).
    func wait(_ key: String) async -> Entry? {
        await withCheckedContinuation { continuation in
            let ready: Entry?? = state.withLockedValue { state in
                guard state.renders[key] != nil else { return .some(state.entries[key]) }
                state.renders[key]!.waiting.append(continuation)
                return .none
            }
            if case .some(let entry) = ready { continuation.resume(returning: entry) }
        }
    }

    func store(_ key: String, _ entry: Entry) {
        let waiting = state.withLockedValue { state in
            if state.entries.count >= Self.maxEntries, state.entries[key] == nil { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = entry
            return state.renders.removeValue(forKey: key)?.waiting ?? []
        }
        for w in waiting { w.resume(returning: entry) }
    }

    /// The render the caller was doing gave nothing to keep (an error, another status): whoever
    /// waits for it renders his own.
    func abandon(_ key: String) {
        let waiting = state.withLockedValue { $0.renders.removeValue(forKey: key)?.waiting ?? [] }
        for w in waiting { w.resume(returning: nil) }
    }

    func removeAll() { state.withLockedValue { $0.entries.removeAll(keepingCapacity: true) } }

    var count: Int { state.withLockedValue { $0.entries.count } }
}

extension Application {
    private struct PageCacheKey: StorageKey { typealias Value = PageCache }
    var pageCache: PageCache {
        get { storage[PageCacheKey.self] ?? PageCache(seconds: 0) }
        set { storage[PageCacheKey.self] = newValue }
    }
}

extension Route {
    static let visitorCacheKey = "jifen.visitorCache"
    /// Marks a public page whose visitors' copy may be kept a few seconds (`PageCache`).
    @discardableResult
    func cachedForVisitors() -> Route {
        userInfo[.init(Self.visitorCacheKey)] = true
        return self
    }

    var isCachedForVisitors: Bool { userInfo[.init(Self.visitorCacheKey)] as? Bool ?? false }

    static let everyoneCacheKey = "jifen.everyoneCache"
    /// Marks a public page that shows nothing of its reader (a print for a notice board, drawn in
    /// `shared/print-base`, with no header, no form and no name): signed in or not, everyone may
    /// get the kept copy, so a whole city's list is not rendered again for each signed-in reader.
    @discardableResult
    func cachedForEveryone() -> Route {
        userInfo[.init(Self.visitorCacheKey)] = true
        userInfo[.init(Self.everyoneCacheKey)] = true
        return self
    }

    var isCachedForEveryone: Bool { userInfo[.init(Self.everyoneCacheKey)] as? Bool ?? false }
}

extension Request {
    private struct RenderingForCacheKey: StorageKey { typealias Value = Bool }
    /// The page being rendered goes into the cache: its form token is the placeholder.
    var isRenderingForCache: Bool {
        get { storage[RenderingForCacheKey.self] ?? false }
        set { storage[RenderingForCacheKey.self] = newValue }
    }
}

/// Serves and fills `PageCache`; runs after the session, access and form-token middleware, so it
/// knows who asks and what his form token is.
struct PageCacheMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let cache = request.application.pageCache
        guard cache.seconds > 0 else { return try await next.respond(to: request) }
        guard request.method == .GET || request.method == .HEAD else {
            // What staff change here shows at once on this node.
            let staff = request.currentUser?.role.isStaff ?? false
            defer { if staff { cache.removeAll() } }
            return try await next.respond(to: request)
        }
        guard request.method == .GET, let route = request.route, route.isCachedForVisitors,
              route.isCachedForEveryone || (request.currentUser == nil && request.sessionToken == nil) else {
            return try await next.respond(to: request)
        }
        let now = request.now
        let key = request.language.rawValue + (request.careMode ? " care " : " ") + ShanghaiDate.today(now).description + " " + request.url.string
        let token = request.csrfToken
        switch cache.lookup(key, now: now) {
        case .hit(let entry): return Self.response(entry, token: token)
        case .pending:
            if let entry = await cache.wait(key) { return Self.response(entry, token: token) }
            return try await next.respond(to: request)
        case .miss: break
        }
        request.isRenderingForCache = true
        let response: Response
        do { response = try await next.respond(to: request) } catch { cache.abandon(key); throw error }
        guard response.status == .ok, let contentType = response.headers.first(name: .contentType), contentType.hasPrefix("text/html"),
              var buffer = response.body.buffer, let bytes = buffer.readBytes(length: buffer.readableBytes)
        else { cache.abandon(key); return response }
        let entry = PageCache.Entry(body: bytes, contentType: contentType, stored: now)
        cache.store(key, entry)
        let filled = Self.response(entry, token: token)
        for (name, value) in response.headers where name.lowercased() != "content-length" && name.lowercased() != "content-type" {
            filled.headers.replaceOrAdd(name: name, value: value)
        }
        return filled
    }

    static func response(_ entry: PageCache.Entry, token: String) -> Response {
        let body = replacing(Array(PageCache.tokenPlaceholder.utf8), with: Array(token.utf8), in: entry.body)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "html", parameters: ["charset": "utf-8"])
        headers.replaceOrAdd(name: .contentType, value: entry.contentType)
        return Response(status: .ok, headers: headers, body: .init(buffer: ByteBuffer(bytes: body)))
    }

    /// `body` with every occurrence of `needle` replaced by `replacement`.
    static func replacing(_ needle: [UInt8], with replacement: [UInt8], in body: [UInt8]) -> [UInt8] {
        guard let first = needle.first else { return body }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 8 * replacement.count)
        var start = 0, i = 0
        let n = body.count, m = needle.count
        while let at = body[i...].firstIndex(of: first) {
            if at + m <= n, body[at..<(at + m)].elementsEqual(needle) {
                out.append(contentsOf: body[start..<at])
                out.append(contentsOf: replacement)
                start = at + m
                i = start
            } else {
                i = at + 1
            }
            if i >= n { break }
        }
        out.append(contentsOf: body[start..<n])
        return out
    }
}
