import Synchronization

/// The processes providerd spawned itself (the exec child, budget hooks), so that
/// `OrphanReaper` never reaps one of them: swift-subprocess waits for each through
/// its pidfd, and a reaped child would make that wait fail.
///
/// A spawn is announced before it happens and its pid recorded as soon as it is
/// known; while one is in between, the reaper skips its round (the next one is a
/// second later). Reaping and registering take the same lock.
package final class SpawnRegistry: Sendable {
    package static let shared = SpawnRegistry()

    private struct State {
        var spawning = 0
        var children: Set<Int32> = []
    }

    private let state = Mutex(State())

    package init() {}

    private func willSpawn() { state.withLock { $0.spawning += 1 } }

    private func spawned(_ pid: Int32) {
        state.withLock {
            $0.spawning -= 1
            $0.children.insert(pid)
        }
    }

    /// The spawn failed: no pid to record.
    private func spawnFailed() { state.withLock { $0.spawning -= 1 } }

    /// swift-subprocess has waited for it.
    private func ended(_ pid: Int32) { _ = state.withLock { $0.children.remove(pid) } }

    /// Runs one spawn: `spawn` calls `started` with the pid as soon as it has it
    /// (first thing in swift-subprocess's body), and returns once the process has
    /// been waited for.
    package func tracking<R>(_ spawn: (_ started: @escaping @Sendable (Int32) -> Void) async throws -> R) async throws -> R {
        let ticket = Ticket()
        willSpawn()
        defer {
            if let pid = ticket.pid.withLock({ $0 }) { ended(pid) } else { spawnFailed() }
        }
        return try await spawn { pid in
            ticket.pid.withLock { $0 = pid }
            self.spawned(pid)
        }
    }

    private final class Ticket: Sendable {
        let pid = Mutex<Int32?>(nil)
    }

    /// Runs `body` with the registered pids, unless a spawn is in progress (nil).
    package func withChildren<T>(_ body: (Set<Int32>) -> T) -> T? {
        state.withLock { $0.spawning == 0 ? body($0.children) : nil }
    }
}
