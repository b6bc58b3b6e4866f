import Dispatch

/// Pure work split in parts, one part a core, on Dispatch's threads. Not a task group: where the
/// server runs async code on its event loops, a task group's children stay on the event loop
/// that made them (one core, and that loop's requests wait for the whole work).
public enum Parallel {
    /// `items` in consecutive slices for `map`: at most `parts` (one a core), none smaller than
    /// `minimum` items (less work is not worth handing to another thread), so a single slice
    /// when there is little; none when there is nothing.
    public static func slices<T>(_ items: [T], parts: Int, minimum: Int) -> [ArraySlice<T>] {
        let count = Swift.max(1, Swift.min(parts, items.count / Swift.max(1, minimum)))
        let size = Swift.max(1, (items.count + count - 1) / count)
        return stride(from: 0, to: items.count, by: size).map { items[$0..<Swift.min($0 + size, items.count)] }
    }

    /// `body` of each part, on every core and off the caller's thread; the results in the parts' order.
    public static func map<Part: Sendable, Result: Sendable>(_ parts: [Part], _ body: @escaping @Sendable (Int, Part) -> Result) async -> [Result] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: parts.count)
                results.initialize(repeating: nil)
                // Each part writes only its own slot.
                DispatchQueue.concurrentPerform(iterations: parts.count) { k in results[k] = body(k, parts[k]) }
                let done = results.map { $0! }
                results.deinitialize()
                results.deallocate()
                continuation.resume(returning: done)
            }
        }
    }
}
