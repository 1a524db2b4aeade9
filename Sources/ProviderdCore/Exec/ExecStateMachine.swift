#if canImport(Glibc)
    import Glibc
#endif

/// `providerd exec`'s decisions, with no I/O: when the child starts, when a change
/// restarts or signals it, how a stop goes (signal, kill timeout, SIGKILL to the
/// whole group, wait until the group is empty), and what providerd exits with.
///
/// `ExecSupervisor` feeds it events (a render, the child started or exited, a
/// signal, a check of the process group, the clock reaching `deadline`) and
/// performs the actions it returns, in order. Time comes in with the events, so
/// every rule is tested without a process or a clock (`ExecStateMachineTests`).
///
/// The rules the issue trackers of similar tools taught:
/// - no restart when the child's environment is unchanged (the generation is not
///   part of it), and a burst of changes is one restart (debounce, spacing);
/// - a new child starts only when no process of the old group is left, so the old
///   one has released its port;
/// - SIGKILL goes to the group, not to a `sh` wrapper only;
/// - providerd exits with the child's own status, or 128 + its signal.
package struct ExecStateMachine: Sendable {
    package enum Action: Equatable, Sendable {
        /// Spawn the child, in a process group of its own, with this environment.
        /// Its outcome is `started` or `startFailed`.
        case start(ChildEnvironment)
        /// Send a signal to the child's process group.
        case signalGroup(pid: Int32, signal: Int32)
        /// Is any process of the group left? The answer is `groupChecked`.
        case checkGroup(pid: Int32)
        /// Note, for the log: processes SIGKILL could not end are left behind.
        case groupAbandoned(pid: Int32)
        /// Note, for the log: why a change does not restart now.
        case changeDeferred(until: Double)
        /// Note, for the log: the environment changed and `--on-change none` keeps it.
        case changeIgnored
        /// providerd ends with this status.
        case exit(Int32)
    }

    package enum StopPurpose: Equatable, Sendable {
        /// A change: a new child follows with the latest environment.
        case restart
        /// The child exited by itself and `--restart-on-exit` starts it again after a delay.
        case restartAfterExit
        /// The child exited by itself: providerd ends with its status once the group is empty.
        case exitWithChild
        /// providerd was asked to stop (a signal, or another part failed).
        case shutdown
    }

    package struct Child: Equatable, Sendable {
        package var pid: Int32
        /// The environment the child last got (at start, or with a change signal).
        package var environment: ChildEnvironment
        package var startedAt: Double
    }

    package struct Stop: Equatable, Sendable {
        package var child: Child
        package var purpose: StopPurpose
        /// When the stop signal went to the group (nil: not yet; the child exited by itself).
        package var signaledAt: Double?
        /// When SIGKILL went to the group.
        package var killedAt: Double?
        package var killed: Bool { killedAt != nil }
        /// The child's own status, once it has exited.
        package var status: Int32?
        /// When to look again whether the group is empty (after the child exited).
        package var nextCheck: Double?
    }

    package enum State: Equatable, Sendable {
        /// No child: before the first render, or between an exit and its restart.
        case waiting(until: Double?)
        /// Spawning; `stopBy` is a stop signal that arrived meanwhile.
        case starting(ChildEnvironment, stopBy: Int32?)
        case running(Child)
        case stopping(Stop)
        case finished(Int32)
    }

    package let policy: ExecPolicy
    package private(set) var state: State = .waiting(until: nil)
    /// The most recent render's environment.
    package private(set) var latest: ChildEnvironment?
    /// A change not acted on yet: when the burst began and when it was last seen.
    private var pendingChange: (first: Double, last: Double)?
    private var lastStart: Double?
    private var backoff: Backoff
    /// How often the group is checked while it empties.
    package static let groupPollInterval = 0.02

    private let random: @Sendable (ClosedRange<Double>) -> Double

    /// `random` picks each backoff delay within its range (tests pass a fixed choice).
    package init(policy: ExecPolicy, random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) {
        self.policy = policy
        self.random = random
        self.backoff = Backoff(base: policy.restartBackoffBase, cap: policy.restartBackoffCap)
    }

    package var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// The pid of the child's group while a child may be running.
    package var groupLeader: Int32? {
        switch state {
        case .running(let child): return child.pid
        case .stopping(let stop): return stop.child.pid
        default: return nil
        }
    }

    /// When the supervisor should call `tick`, if ever.
    package var deadline: Double? {
        switch state {
        case .waiting(let until): return until
        case .starting, .finished: return nil
        case .running(let child):
            // With --on-change none a pending change is only remembered, to be said once.
            guard policy.onChange != .none, let pending = pendingChange else { return nil }
            return changeDue(pending, child: child)
        case .stopping(let stop):
            if stop.status != nil { return stop.nextCheck }  // the group check drives it now
            guard let signaled = stop.signaledAt, !stop.killed else { return nil }
            return signaled + policy.killTimeout
        }
    }

    private func changeDue(_ pending: (first: Double, last: Double), child: Child) -> Double {
        let settled = min(pending.last + policy.debounce, pending.first + policy.maxDelay)
        return max(settled, child.startedAt + policy.minRestartInterval)
    }

    // MARK: - Events

    /// A render succeeded (from the database, the sealed state or the env file).
    package mutating func rendered(_ environment: ChildEnvironment, now: Double) -> [Action] {
        let previous = latest
        latest = environment
        switch state {
        case .waiting(let until):
            guard until == nil else { return [] }  // a restart's backoff runs; it starts with `latest`
            return startChild(environment, now: now)
        case .running(let child):
            if environment.sameValues(as: child.environment) {
                // Changed and changed back before it was acted on: nothing to do.
                pendingChange = nil
                return []
            }
            // The same change published again (a poll, a budget's re-render, a model row):
            // not a new change, so it neither restarts nor extends the debounce.
            if pendingChange != nil, let previous, previous.sameValues(as: environment) { return [] }
            if policy.onChange == .none {
                if pendingChange == nil {
                    pendingChange = (now, now)
                    return [.changeIgnored]
                }
                return []
            }
            let first = pendingChange?.first ?? now
            pendingChange = (first, now)
            return [.changeDeferred(until: changeDue(pendingChange!, child: child))]
        case .starting, .stopping, .finished:
            // The next child starts with `latest`.
            return []
        }
    }

    package mutating func started(pid: Int32, now: Double) -> [Action] {
        guard case .starting(let environment, let stopBy) = state else { return [] }
        let child = Child(pid: pid, environment: environment, startedAt: now)
        lastStart = now
        pendingChange = nil
        state = .running(child)
        if let stopBy { return requestStop(signal: stopBy, now: now) }
        // A change that came while it was spawning is a change like any other.
        if let latest, !latest.sameValues(as: environment) { return rendered(latest, now: now) }
        return []
    }

    /// The child could not be spawned (no such program, not executable).
    package mutating func startFailed(status: Int32, now: Double) -> [Action] {
        guard case .starting = state else { return [] }
        if policy.restartOnExit, lastStart != nil {
            state = .waiting(until: now + backoff.next(random: random))
            return []
        }
        state = .finished(status)
        return [.exit(status)]
    }

    /// The child itself (the group's leader) exited with `status` (128 + signal when killed).
    package mutating func childExited(status: Int32, now: Double) -> [Action] {
        switch state {
        case .running(let child):
            pendingChange = nil
            let purpose: StopPurpose = policy.restartOnExit ? .restartAfterExit : .exitWithChild
            if purpose == .restartAfterExit, now - child.startedAt >= policy.restartBackoffReset { backoff.reset() }
            state = .stopping(Stop(child: child, purpose: purpose, signaledAt: nil, status: status))
            return [.checkGroup(pid: child.pid)]
        case .stopping(var stop):
            stop.status = status
            state = .stopping(stop)
            return [.checkGroup(pid: stop.child.pid)]
        default:
            return []
        }
    }

    /// The answer to `checkGroup`: whether any process of the group is left.
    package mutating func groupChecked(alive: Bool, now: Double) -> [Action] {
        guard case .stopping(var stop) = state, let status = stop.status else { return [] }
        if alive {
            // What the child left behind gets the stop signal, then SIGKILL at the timeout.
            var actions: [Action] = []
            stop.nextCheck = now + Self.groupPollInterval
            if stop.signaledAt == nil {
                stop.signaledAt = now
                actions.append(.signalGroup(pid: stop.child.pid, signal: policy.stopSignal))
            } else if let killedAt = stop.killedAt, now >= killedAt + policy.killTimeout {
                // Only what SIGKILL cannot end is left: a process stuck in the kernel
                // (or, where /proc cannot be read, a zombie nobody reaps). It runs
                // no code; waiting longer helps nobody.
                state = .stopping(stop)
                return [.groupAbandoned(pid: stop.child.pid)] + groupChecked(alive: false, now: now)
            } else if !stop.killed, now >= stop.signaledAt! + policy.killTimeout {
                stop.killedAt = now
                actions.append(.signalGroup(pid: stop.child.pid, signal: SIGKILL))
            }
            state = .stopping(stop)
            return actions
        }
        switch stop.purpose {
        case .restart:
            state = .waiting(until: nil)
            return startChild(latest ?? stop.child.environment, now: now)
        case .restartAfterExit:
            state = .waiting(until: now + backoff.next(random: random))
            return []
        case .exitWithChild, .shutdown:
            state = .finished(status)
            return [.exit(status)]
        }
    }

    /// A signal providerd received and forwards (`ExecSignal.forwarded`).
    package mutating func signalReceived(_ signal: Int32, now: Double) -> [Action] {
        if ExecSignal.stopping.contains(signal) { return requestStop(signal: signal, now: now) }
        guard let pid = groupLeader else { return [] }
        return [.signalGroup(pid: pid, signal: signal)]
    }

    /// Another part of providerd failed or the service group is stopping: stop the
    /// child with the stop signal, as for SIGTERM.
    package mutating func shutdownRequested(now: Double) -> [Action] {
        requestStop(signal: policy.stopSignal, now: now)
    }

    /// The clock reached `deadline`.
    package mutating func tick(now: Double) -> [Action] {
        switch state {
        case .waiting(let until):
            guard let until, now >= until else { return [] }
            state = .waiting(until: nil)
            guard let latest else { return [] }
            return startChild(latest, now: now)
        case .running(var child):
            guard let pending = pendingChange, now >= changeDue(pending, child: child), let latest else { return [] }
            pendingChange = nil
            switch policy.onChange {
            case .none:
                return []
            case .signal(let signal):
                child.environment = latest
                child.startedAt = now  // spacing counts from the last signal too
                state = .running(child)
                return [.signalGroup(pid: child.pid, signal: signal)]
            case .restart:
                state = .stopping(Stop(child: child, purpose: .restart, signaledAt: now))
                return [.signalGroup(pid: child.pid, signal: policy.stopSignal)]
            }
        case .stopping(var stop):
            if stop.status != nil {
                guard let next = stop.nextCheck, now >= next else { return [] }
                stop.nextCheck = nil
                state = .stopping(stop)
                return [.checkGroup(pid: stop.child.pid)]
            }
            guard let signaled = stop.signaledAt, !stop.killed, now >= signaled + policy.killTimeout else { return [] }
            stop.killedAt = now
            state = .stopping(stop)
            return [.signalGroup(pid: stop.child.pid, signal: SIGKILL)]
        case .starting, .finished:
            return []
        }
    }

    // MARK: - Helpers

    private mutating func startChild(_ environment: ChildEnvironment, now: Double) -> [Action] {
        state = .starting(environment, stopBy: nil)
        return [.start(environment)]
    }

    private mutating func requestStop(signal: Int32, now: Double) -> [Action] {
        switch state {
        case .waiting:
            let status = ExecPolicy.status(forSignal: signal)
            state = .finished(status)
            return [.exit(status)]
        case .starting(let environment, _):
            state = .starting(environment, stopBy: signal)
            return []
        case .running(let child):
            pendingChange = nil
            state = .stopping(Stop(child: child, purpose: .shutdown, signaledAt: now))
            return [.signalGroup(pid: child.pid, signal: signal)]
        case .stopping(var stop):
            if stop.purpose == .restartAfterExit {
                // The child is gone already; what is left of its group is being stopped.
                stop.purpose = .shutdown
                state = .stopping(stop)
                return []
            }
            stop.purpose = stop.purpose == .exitWithChild ? .exitWithChild : .shutdown
            if stop.signaledAt == nil { stop.signaledAt = now }
            state = .stopping(stop)
            // A second Ctrl-C reaches the child too; SIGKILL still comes at the timeout.
            return [.signalGroup(pid: stop.child.pid, signal: signal)]
        case .finished:
            return []
        }
    }
}
