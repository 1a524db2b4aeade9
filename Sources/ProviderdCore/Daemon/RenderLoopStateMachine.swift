/// The render loop's decisions, with no I/O: when to connect, render, poll, fall
/// back to the sealed state, give up at start, and say READY or STATUS.
///
/// `ConfigRenderService` feeds it what happened (connected, a database call failed,
/// a NOTIFY, the poll is due, the files were published, a reload, shutdown) and
/// performs the actions it returns, in order. An action that produces a result
/// (connect, render, readVersion, restoreSealedState, waitForChange, pause) is
/// always the last of its list; its outcome is the next event. Time comes in with
/// the events and randomness through `random`, so every path is tested without a
/// database or a clock (`RenderLoopStateMachineTests`).
struct RenderLoopStateMachine: Sendable {
    enum Action: Equatable, Sendable {
        /// Open a database session (LISTEN included).
        case connect
        /// Drop the session (a reload moved the database).
        case disconnect
        /// Keep reading NOTIFYs while they arrive close together, then go on with
        /// the next action: a burst of changes becomes one render.
        case collectNotifications
        /// Read both tables and publish the files.
        case render
        /// Read the one-row change counter.
        case readVersion
        /// Wait for a NOTIFY, a wakeup (reload, shutdown) or the poll time.
        case waitForChange(until: Double)
        /// The database is unreachable before the first render: publish from the
        /// sealed last-known-good state.
        case restoreSealedState
        /// Back off before the next connection attempt (a reload or shutdown ends it early).
        case pause(seconds: Double)
        /// Take in the reloaded settings and keys.
        case applyReload
        /// The first READY=1: the files are in place.
        case announceReady
        /// READY=1 again: a reload is done.
        case sendReady
        /// STATUS= with the current summary.
        case sendStatus
        /// Still waiting for the database at start: extend systemd's start timeout.
        case extendStartTimeout(seconds: Int, waited: Int)
        case stop(StopReason)
    }

    enum StopReason: Equatable, Sendable {
        case shutdown
        /// No database within `startup.wait` seconds and no sealed state to render from.
        case noDatabase(waitedSeconds: Int)
    }

    private enum State: Equatable, Sendable {
        case idle
        case connecting
        /// A database call failed; `retryIn` is the backoff before the next attempt.
        case failed(retryIn: Double)
        case serving(nextPoll: Double)
        case stopped
    }

    let startedAt: Double
    let startupWait: Double
    private(set) var pollInterval: Double
    /// Whether the first READY has been sent (from the database or the sealed state).
    private(set) var ready = false
    /// The last publish failed: the next poll renders even when nothing changed.
    private(set) var publishFailed = false
    private var state = State.idle
    private var backoff = Backoff()
    private var seenVersion: Int64?
    /// A reload was applied after READY: systemd waits for READY=1 again, which is
    /// sent when the next render (or the failure to reach the database) says how it went.
    private var readyOwed = false
    private let random: @Sendable (ClosedRange<Double>) -> Double

    init(
        startedAt: Double, startupWait: Double, pollInterval: Double,
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) {
        self.startedAt = startedAt
        self.startupWait = startupWait
        self.pollInterval = pollInterval
        self.random = random
    }

    var isStopped: Bool { state == .stopped }

    /// The backoff before the next connection attempt, after a failure.
    var retryIn: Double? {
        if case .failed(let delay) = state { return delay }
        return nil
    }

    /// When the next poll is due while serving.
    var nextPoll: Double? {
        if case .serving(let nextPoll) = state { return nextPoll }
        return nil
    }

    mutating func start() -> [Action] {
        state = .connecting
        return [.connect]
    }

    mutating func connected(now: Double) -> [Action] {
        state = .serving(nextPoll: now + jittered(pollInterval))
        return [.render]
    }

    /// Connecting, reading or the LISTEN wait failed: the session is gone.
    mutating func databaseFailed(now: Double) -> [Action] {
        let delay = backoff.next(random: random)
        state = .failed(retryIn: delay)
        if !ready { return [.restoreSealedState] }
        return [takeReadyOwed() ? .sendReady : .sendStatus, .pause(seconds: delay)]
    }

    /// The outcome of `.restoreSealedState`: whether its files were published.
    mutating func sealedStateRestored(_ published: Bool, now: Double) -> [Action] {
        guard case .failed(let delay) = state else { return [] }
        if published {
            ready = true
            return [.announceReady, .pause(seconds: delay)]
        }
        let waited = now - startedAt
        guard waited < startupWait else {
            state = .stopped
            return [.stop(.noDatabase(waitedSeconds: Int(startupWait)))]
        }
        return [.extendStartTimeout(seconds: Int(delay) + 30, waited: Int(waited)), .pause(seconds: delay)]
    }

    mutating func pauseEnded() -> [Action] {
        state = .connecting
        return [.connect]
    }

    /// The outcome of `.render`: the snapshot's version, and whether both files
    /// were written (or already held these bytes).
    mutating func rendered(version: Int64?, published: Bool) -> [Action] {
        seenVersion = version
        publishFailed = !published
        backoff.reset()  // the database answered: the next outage starts from the shortest delay
        let next: Action = nextPoll.map { .waitForChange(until: $0) } ?? .connect
        if published && !ready {
            ready = true
            readyOwed = false
            return [.announceReady, next]
        }
        return [takeReadyOwed() ? .sendReady : .sendStatus, next]
    }

    mutating func notified() -> [Action] {
        [.collectNotifications, .render]
    }

    /// The wait ended without a NOTIFY (a watchdog tick or the poll time).
    mutating func waitTimedOut(now: Double) -> [Action] {
        guard let due = nextPoll else { return [] }
        guard now >= due else { return [.waitForChange(until: due)] }
        state = .serving(nextPoll: now + jittered(pollInterval))
        return [.readVersion]
    }

    /// The outcome of `.readVersion` (nil: the counter table is missing).
    mutating func versionRead(_ version: Int64?) -> [Action] {
        if version == nil || version != seenVersion || publishFailed { return [.render] }
        return [.sendStatus] + (nextPoll.map { [.waitForChange(until: $0)] } ?? [])
    }

    /// SIGHUP with settings that loaded. `reconnect`: the database or LISTEN URL changed.
    mutating func reloadRequested(reconnect: Bool, pollInterval: Double, now: Double) -> [Action] {
        self.pollInterval = pollInterval
        switch state {
        case .serving:
            readyOwed = ready
            if reconnect {
                backoff.reset()
                state = .connecting
                return [.applyReload, .disconnect, .connect]
            }
            state = .serving(nextPoll: now + jittered(pollInterval))
            return [.applyReload, .render]
        case .idle, .connecting, .failed:
            state = .connecting
            return [.applyReload, ready ? .sendReady : .sendStatus, .connect]
        case .stopped:
            return []
        }
    }

    mutating func shutdown() -> [Action] {
        guard state != .stopped else { return [] }
        state = .stopped
        return [.stop(.shutdown)]
    }

    private mutating func takeReadyOwed() -> Bool {
        defer { readyOwed = false }
        return readyOwed
    }

    private func jittered(_ seconds: Double) -> Double {
        random((seconds * 0.9)...(seconds * 1.1))
    }
}

extension RenderLoopStateMachine.Action {
    /// Where the loop would wait: a pending reload is taken before these.
    var isWaitPoint: Bool {
        switch self {
        case .connect, .waitForChange, .pause: true
        default: false
        }
    }
}
