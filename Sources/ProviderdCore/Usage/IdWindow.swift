/// Idempotency ids remembered for a window (default 24 h, at most 10 million):
/// a record whose id was already accepted is answered `duplicate` and not counted
/// again. A plain value type; the spool and `ids.log` persist the ids themselves,
/// and the window is rebuilt from them at start.
///
/// Ids are held as 128-bit keyed digests of their bytes (two SipHash values under
/// this process's random seed), 48 bytes each however long the id: 10 million ids
/// take about half a gigabyte rather than twice that. Two different ids share a
/// digest with a probability far below one in 10^20 at the full 10 million.
public struct IdWindow: Sendable {
    /// An id as the window holds it. Callers that test and then insert the same
    /// id compute it once.
    public struct Digest: Hashable, Sendable {
        var high: UInt64
        var low: UInt64

        public init(_ id: String) {
            var first = Hasher(), second = Hasher()
            first.combine(0x9E37_79B9_7F4A_7C15 as UInt64)
            second.combine(0xC2B2_AE3D_27D4_EB4F as UInt64)
            var id = id
            id.withUTF8 { bytes in
                first.combine(bytes: UnsafeRawBufferPointer(bytes))
                second.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
            high = UInt64(UInt(bitPattern: first.finalize()))
            low = UInt64(UInt(bitPattern: second.finalize()))
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(low)  // already a keyed hash of the id
        }
    }

    public var window: Int64
    public var capacity: Int
    private var expiry: [Digest: Int64] = [:]
    /// Ids in acceptance order, for expiry and eviction (oldest first).
    private var order: [(digest: Digest, expires: Int64)] = []
    private var head = 0

    public init(window: Int64, capacity: Int = 10_000_000) {
        self.window = window
        self.capacity = capacity
    }

    public var count: Int { expiry.count }

    public func contains(_ id: String, now: Int64) -> Bool {
        contains(Digest(id), now: now)
    }

    public func contains(_ digest: Digest, now: Int64) -> Bool {
        guard let expires = expiry[digest] else { return false }
        return expires > now
    }

    /// Remembers `id` as accepted at `acceptedAt`. Returns false when it was
    /// already there (a duplicate).
    @discardableResult
    public mutating func insert(_ id: String, acceptedAt: Int64, now: Int64) -> Bool {
        insert(Digest(id), acceptedAt: acceptedAt, now: now)
    }

    @discardableResult
    public mutating func insert(_ digest: Digest, acceptedAt: Int64, now: Int64) -> Bool {
        expire(now: now)
        let expires = acceptedAt + window
        guard expires > now else { return (expiry[digest] ?? now) <= now }
        // One lookup: insert, or find the live entry already there.
        if let previous = expiry.updateValue(expires, forKey: digest), previous > now {
            expiry[digest] = previous
            return false
        }
        order.append((digest, expires))
        while expiry.count > capacity { evictOldest() }
        return true
    }

    /// Forgets an id whose record did not become durable (the client will resend).
    public mutating func remove(_ digest: Digest) {
        expiry.removeValue(forKey: digest)
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
        if expiry[entry.digest] == entry.expires { expiry.removeValue(forKey: entry.digest) }
    }
}
