import Synchronization

/// The one home of `UsageStats`: the intake, the spool and the flusher each write
/// their own fields; the socket's stats request and STATUS read the same copy.
package final class UsageStatsBoard: Sendable {
    private let state = Mutex(UsageStats())

    package init() {}

    package var current: UsageStats { state.withLock { $0 } }

    package func update(_ change: (inout UsageStats) -> Void) {
        state.withLock { change(&$0) }
    }
}
