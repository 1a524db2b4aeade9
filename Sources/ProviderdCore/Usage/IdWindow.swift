/// Idempotency ids remembered for a window (default 24 h, at most 10 million):
/// a record whose id was already accepted is answered `duplicate` and not counted
/// again. A plain value type; `UsageSpool` persists what it holds.
public struct IdWindow: Sendable {
    public var window: Int64
    public var capacity: Int
    private var expiry: [String: Int64] = [:]
    /// Ids in acceptance order, for expiry and eviction (oldest first).
    private var order: [(id: String, expires: Int64)] = []
    private var head = 0

    public init(window: Int64, capacity: Int = 10_000_000) {
        self.window = window
        self.capacity = capacity
    }

    public var count: Int { expiry.count }

    public func contains(_ id: String, now: Int64) -> Bool {
        guard let expires = expiry[id] else { return false }
        return expires > now
    }

    /// Remembers `id` as accepted at `acceptedAt`. Returns false when it was
    /// already there (a duplicate).
    @discardableResult
    public mutating func insert(_ id: String, acceptedAt: Int64, now: Int64) -> Bool {
        expire(now: now)
        let expires = acceptedAt + window
        guard expires > now else { return !contains(id, now: now) }
        // One hash of the id: insert, or find the live entry already there.
        if let previous = expiry.updateValue(expires, forKey: id), previous > now {
            expiry[id] = previous
            return false
        }
        order.append((id, expires))
        while expiry.count > capacity { evictOldest() }
        return true
    }

    /// Forgets an id whose record did not become durable (the client will resend).
    public mutating func remove(_ id: String) {
        expiry.removeValue(forKey: id)
    }

    public mutating func expire(now: Int64) {
        while head < order.count, order[head].expires <= now { evictOldest() }
        if head > 4096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    private mutating func evictOldest() {
        guard head < order.count else { return }
        let entry = order[head]
        head += 1
        if expiry[entry.id] == entry.expires { expiry.removeValue(forKey: entry.id) }
    }

    /// Live ids with their acceptance time, oldest first (for compaction).
    public var entries: [(id: String, acceptedAt: Int64)] {
        order[head...].filter { expiry[$0.id] == $0.expires }.map { ($0.id, $0.expires - window) }
    }
}
