import NIOCore
import Synchronization

/// Bytes of unfinished lines held for all connections together. Each connection
/// may buffer up to `usage.max_line_bytes` of a line it has not finished; without a
/// shared bound, many slow clients could make the daemon hold that many times
/// over.
package final class LineBudget: Sendable {
    private let used = Atomic<Int>(0)
    package let limit: Int

    package init(limit: Int) { self.limit = limit }

    func take(_ bytes: Int) -> Bool {
        if used.add(bytes, ordering: .relaxed).newValue <= limit { return true }
        used.subtract(bytes, ordering: .relaxed)
        return false
    }

    func give(_ bytes: Int) { used.subtract(bytes, ordering: .relaxed) }

    package var inUse: Int { used.load(ordering: .relaxed) }
}
