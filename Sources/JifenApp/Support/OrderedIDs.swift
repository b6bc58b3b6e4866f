import Foundation

/// Ids that grow in the order they are made, in UUID version 7's layout: the milliseconds since
/// 1970 when the generator was made, the version, then a random start plus the id's position. A million rows stored with them go at the end of the primary key's index rather than all
/// over it, so a bulk write touches a few pages of that index instead of every one.
struct OrderedIDs: Sendable {
    private let high: UInt64
    private let low: UInt64

    init(now: Date) {
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000)) & 0xFFFF_FFFF_FFFF
        high = milliseconds << 16 | 0x7000 | UInt64.random(in: 0...0xFFF)
        // The variant's two bits (10), then 62 bits: a random start below 2^61 leaves room for
        // 2^61 ids before the count could reach the variant.
        low = 0x8000_0000_0000_0000 | UInt64.random(in: 0..<(1 << 61))
    }

    /// The id at `position` (0, 1, 2, …): each larger than the one before.
    func id(_ position: Int) -> UUID {
        let h = high.bigEndian, l = (low + UInt64(position)).bigEndian
        return withUnsafeBytes(of: (h, l)) { bytes in
            UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                        bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        }
    }
}
