/// How `providerd exec` treats its child: what a change of the rendered values
/// does, how a stop is carried out, and whether an exit ends providerd. Set from
/// the command line once; the decisions are `ExecStateMachine`'s.
package struct ExecPolicy: Sendable, Equatable {
    /// What a change of the child's environment does.
    package enum OnChange: Sendable, Equatable {
        /// Stop the child (its whole process group), then start a new one.
        case restart
        /// Send this signal to the child's process group; it re-reads what it needs.
        case signal(Int32)
        /// Nothing: the child keeps the environment it started with.
        case none
    }

    package var onChange: OnChange = .restart
    /// Sent to the child's process group to stop it for a restart, and to what is
    /// left of the group after the child itself exited.
    package var stopSignal: Int32 = ExecSignal.named("TERM")!
    /// Seconds from the stop signal to SIGKILL for the whole group.
    package var killTimeout: Double = 10
    /// A change is acted on once no other change came for this many seconds
    /// (trailing), and at the latest `maxDelay` after the first change of a burst.
    package var debounce: Double = 2
    /// Seconds between the start of one child and the restart (or signal) that a
    /// change causes: a storm of changes cannot restart the agent in a loop.
    package var minRestartInterval: Double = 5
    /// Start the child again when it exits by itself, after `Backoff`'s delay
    /// (from `restartBackoffBase`, doubling to `restartBackoffCap`), instead of
    /// exiting with its status.
    package var restartOnExit = false
    package var restartBackoffBase = 1.0
    package var restartBackoffCap = 60.0
    /// A child that ran this long before exiting starts the backoff over.
    package var restartBackoffReset = 60.0

    package init() {}

    /// The latest a change waits: a steady trickle of changes still gets acted on.
    package var maxDelay: Double { max(10, debounce * 5) }

    /// Exit status of a child killed by `signal`, as a shell reports it.
    package static func status(forSignal signal: Int32) -> Int32 { 128 + signal }
}
