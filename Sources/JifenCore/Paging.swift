/// One page of a list: which rows to fetch and what to say about the rest.
public struct Paging: Sendable, Equatable {
    public let page, perPage, total: Int

    public init(page requested: Int?, perPage: Int = 20, total: Int) {
        self.perPage = max(1, perPage)
        self.total = max(0, total)
        let last = max(1, (self.total + self.perPage - 1) / self.perPage)
        self.page = min(max(1, requested ?? 1), last)
    }

    public var pageCount: Int { max(1, (total + perPage - 1) / perPage) }
    public var offset: Int { (page - 1) * perPage }
    public var hasPrevious: Bool { page > 1 }
    public var hasNext: Bool { page < pageCount }
}
