import NIOCore
import Synchronization

/// The usage socket's places, shared by every connection of one server: a
/// `ConnectionTable` of channels behind a lock (the connections live on one event
/// loop, but nothing here depends on that). The descriptor limit is read at each
/// admission: it can change under a running daemon (`prlimit`).
package final class ConnectionRegistry: Sendable {
    private let table: Mutex<ConnectionTable<any Channel>>
    package let limit: Int
    /// Descriptors the process inherited, left free like the daemon's own reserve.
    package let inherited: Int

    package init(limit: Int, inherited: Int = 0, minimumIdle: UInt64 = 1_000_000_000) {
        self.limit = limit
        self.inherited = inherited
        self.table = Mutex(ConnectionTable(minimumIdle: minimumIdle))
    }

    /// A place for `channel`, or nil when every place is taken by a connection
    /// with a request pending (or active within the last second). A connection
    /// pushed out to make room is closed here.
    func enter(_ channel: any Channel) -> Int? {
        let limit = UsageServer.connectionLimit(configured: limit, inherited: inherited)
        let now = NIODeadline.now().uptimeNanoseconds
        switch table.withLock({ $0.admit(channel, now: now, limit: limit) }) {
        case .admitted(let id):
            return id
        case .admittedEvicting(let id, let evicted):
            evicted.close(promise: nil)
            return id
        case .refused:
            return nil
        }
    }

    func began(_ id: Int) {
        let now = NIODeadline.now().uptimeNanoseconds
        table.withLock { $0.began(id, now: now) }
    }

    func ended(_ id: Int) {
        let now = NIODeadline.now().uptimeNanoseconds
        table.withLock { $0.ended(id, now: now) }
    }

    func leave(_ id: Int) { table.withLock { $0.leave(id) } }

    package var current: Int { table.withLock { $0.count } }
}
