import NIOCore
import ServiceLifecycle
import Synchronization

/// Progress of the main loop, counted by the loop and read by the watchdog.
///
/// A statement blocked on the database (a held lock, a slow server) is not a
/// wedged loop: while the loop waits in one, within its bound (the statement
/// timeout plus a grace, after which the loop aborts it itself), the beacon
/// reads as alive. Only a loop that neither moves nor waits within a bound goes
/// silent, and systemd restarts it. So a lock held for as long as `WatchdogSec`
/// never races the kill.
package final class ProgressBeacon: Sendable {
    private let counter = Atomic<Int>(0)
    /// Monotonic nanoseconds (`NIODeadline`'s clock) until which the loop waits in a
    /// bounded statement; 0 when it waits in none.
    private let blockedUntil = Atomic<UInt64>(0)
    package init() {}
    package func tick() { counter.add(1, ordering: .relaxed) }
    package var value: Int { counter.load(ordering: .relaxed) }

    /// The loop enters a statement it will end itself after `seconds`.
    package func blocked(for seconds: Double) {
        blockedUntil.store(Self.now() + UInt64(max(0, seconds) * 1e9), ordering: .relaxed)
    }

    package func unblocked() { blockedUntil.store(0, ordering: .relaxed) }

    /// Whether the loop waits in a statement whose bound has not passed.
    package var waitingWithinBound: Bool {
        let until = blockedUntil.load(ordering: .relaxed)
        return until != 0 && Self.now() < until
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}
