/// Who holds the usage socket's places (`usage.max_connections`, fewer under a low
/// descriptor limit), and who gives one up when they are all taken.
///
/// A full table must not lock real clients out: anyone in the socket's group can
/// open a thousand connections and say nothing, and `usage.idle_timeout` (600 s)
/// is long. So a newcomer at the cap takes the place of the connection idle the
/// longest, if that one has no request pending and has been idle at least
/// `minimumIdle` (connections that just arrived are not pushed out by the next
/// arrival). Only when every connection is busy, or freshly active, is the
/// newcomer refused. A client whose idle connection was closed finds it closed at
/// its next send and reconnects (the Python client does, with the same ids).
///
/// A value type over opaque handles: the rules are tested without sockets.
package struct ConnectionTable<Handle> {
    struct Entry {
        var handle: Handle
        /// Monotonic nanoseconds of the connection's last request or reply.
        var lastActive: UInt64
        /// Requests read and not yet answered and written.
        var pending: Int
    }

    package enum Admission {
        case admitted(id: Int)
        /// Admitted in the place of `evicted`, which the caller closes.
        case admittedEvicting(id: Int, evicted: Handle)
        case refused
    }

    private var entries: [Int: Entry] = [:]
    private var nextID = 0
    package let minimumIdle: UInt64

    package init(minimumIdle: UInt64 = 1_000_000_000) {
        self.minimumIdle = minimumIdle
    }

    package var count: Int { entries.count }

    package mutating func admit(_ handle: Handle, now: UInt64, limit: Int) -> Admission {
        if entries.count < limit { return .admitted(id: insert(handle, now: now)) }
        var victim: (id: Int, lastActive: UInt64)?
        for (id, entry) in entries where entry.pending == 0 && now &- entry.lastActive >= minimumIdle {
            if victim == nil || entry.lastActive < victim!.lastActive { victim = (id, entry.lastActive) }
        }
        guard let victim, let evicted = entries.removeValue(forKey: victim.id) else { return .refused }
        return .admittedEvicting(id: insert(handle, now: now), evicted: evicted.handle)
    }

    /// A request was read on `id`.
    package mutating func began(_ id: Int, now: UInt64) {
        entries[id]?.pending += 1
        entries[id]?.lastActive = now
    }

    /// A request's reply was written (or failed).
    package mutating func ended(_ id: Int, now: UInt64) {
        guard entries[id] != nil else { return }
        entries[id]!.pending = max(0, entries[id]!.pending - 1)
        entries[id]!.lastActive = now
    }

    /// The connection closed (whoever closed it); an evicted one is gone already.
    package mutating func leave(_ id: Int) {
        entries.removeValue(forKey: id)
    }

    private mutating func insert(_ handle: Handle, now: UInt64) -> Int {
        let id = nextID
        nextID += 1
        entries[id] = Entry(handle: handle, lastActive: now, pending: 0)
        return id
    }
}
