/// City → town/district → community → grid. Each node has a code that extends its parent's
/// code with `-` and a segment, so "lies under" is a prefix test that needs no tree walk and can be
/// pushed into a database query (`code = X OR code LIKE 'X-%'`).
public enum JurisdictionLevel: String, CaseIterable, Codable, Sendable, Comparable {
    case city, town, community, grid

    public var depth: Int {
        switch self {
        case .city: 0
        case .town: 1
        case .community: 2
        case .grid: 3
        }
    }

    public var child: JurisdictionLevel? {
        switch self {
        case .city: .town
        case .town: .community
        case .community: .grid
        case .grid: nil
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.depth < rhs.depth }
}

public struct JurisdictionCode: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Segments are ASCII letters and digits; a code has one to four of them (one per level).
    public init?(_ rawValue: String) {
        let segments = rawValue.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...4).contains(segments.count),
              segments.allSatisfy({ !$0.isEmpty && $0.count <= 12 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public var level: JurisdictionLevel {
        JurisdictionLevel.allCases[rawValue.split(separator: "-").count - 1]
    }

    public var parent: JurisdictionCode? {
        guard let cut = rawValue.lastIndex(of: "-") else { return nil }
        return JurisdictionCode(String(rawValue[..<cut]))
    }

    public func child(_ segment: String) -> JurisdictionCode? {
        JurisdictionCode(rawValue + "-" + segment)
    }

    /// True when `other` is this node or lies anywhere beneath it.
    public func contains(_ other: JurisdictionCode) -> Bool {
        other.rawValue == rawValue || other.rawValue.hasPrefix(rawValue + "-")
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
