import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// `providerd run`'s main job: keeps the env file and the model map in step with
/// `api_keys` and `model_config`.
///
/// LISTEN `providerd_config` sees a committed change at once; a poll every
/// `poll.interval` (±10%) asks one tiny query (`providerd_config_version`) and reads
/// the tables only when it moved. Every (re)connection starts with a full read,
/// since NOTIFYs sent while disconnected are lost.
///
/// The decisions are `RenderLoopStateMachine`'s; this actor performs its actions.
/// Its executor is a dedicated event loop thread that serves nothing else: libpq's
/// blocking calls and the wait for NOTIFY (a `poll()` that a `Wakeup` interrupts
/// for shutdown and reload) run on it directly, so they never hold up another part
/// of the daemon. For the same reason `reload` and `reloadFailed` are nonisolated:
/// SIGHUP never waits for a blocked call.
/// Files are written by `ConfigPublisher`, and systemd is told through
/// `StatusReporter`: READY=1 after the first render has put both files in place,
/// from the database or, when it is unreachable at start, from the sealed
/// last-known-good state (STATUS then says the values are stale and since when).
package actor ConfigRenderService: Service, CustomStringConvertible {
    /// What swift-service-lifecycle logs for this service: its name, never its settings.
    package nonisolated var description: String { "ConfigRenderService" }

    var settings: ProviderdSettings
    private var publisher: ConfigPublisher
    private var machine: RenderLoopStateMachine
    private let loop: any EventLoop
    private let wakeup: Wakeup
    private let beacon: ProgressBeacon
    let reporter: StatusReporter
    let logger: Logger
    /// Monotonic seconds, for deadlines, pauses and durations (`MonotonicSeconds`).
    private let clock: @Sendable () -> Double
    /// Wall-clock seconds, for what STATUS and the sealed state show (`UTCTimestamp`).
    private let wallClock: @Sendable () -> Double
    /// The loop wakes at least this often (seconds), so the watchdog sees progress.
    private let tick: Double

    private var session: DatabaseSession?
    /// The statement the loop runs now: a stop aborts it, and so does its bound.
    private nonisolated let running = RunningStatement()
    /// Beyond the statement timeout, before the loop aborts a statement itself:
    /// the server's timeout fires first whenever the server is alive.
    static let statementGrace = 5.0
    /// Set by `reload` from outside the actor; taken where the loop would wait.
    private nonisolated let pendingReload = Mutex<(settings: ProviderdSettings, keyring: FernetKeyring)?>(nil)
    private var takenReload: (settings: ProviderdSettings, keyring: FernetKeyring)?
    private var lastDatabaseError = ""
    private var databaseFailures = RepeatingFailureLog()
    var listenDelivery = ListenDeliveryTracker()
    /// The budgets' view of the files (states, withheld keys); nil without budgets.
    private let budgets: BudgetBoard?
    /// Set by `budgetsChanged` from outside the actor: a budget's state moved, so
    /// the files are rendered again as after a NOTIFY.
    private nonisolated let budgetChange = Mutex(false)
    var withheldLog = WithheldKeyLog()
    /// Told every published render (`providerd exec` builds its child's environment
    /// from it), on this actor's thread: it must return at once.
    let onPublished: (@Sendable (RenderResult, Int) -> Void)?

    package init(
        settings: ProviderdSettings, keyring: FernetKeyring, state: StateDirectory, loop: any EventLoop,
        reporter: StatusReporter, beacon: ProgressBeacon, watchdogInterval: Duration?, logger: Logger,
        budgets: BudgetBoard? = nil, outputs: ConfigPublisher.Outputs? = nil,
        onPublished: (@Sendable (RenderResult, Int) -> Void)? = nil,
        clock: @escaping @Sendable () -> Double = MonotonicSeconds.now,
        wallClock: @escaping @Sendable () -> Double = UTCTimestamp.now
    ) throws {
        self.settings = settings
        self.budgets = budgets
        self.onPublished = onPublished
        self.publisher = try ConfigPublisher(settings: settings, keyring: keyring, state: state, logger: logger, outputs: outputs)
        self.machine = RenderLoopStateMachine(
            startedAt: clock(), startupWait: settings.startupWait,
            pollInterval: settings.pollInterval)
        self.loop = loop
        self.wakeup = try Wakeup()
        self.beacon = beacon
        self.reporter = reporter
        self.logger = logger
        self.clock = clock
        self.wallClock = wallClock
        let watchdogSeconds = watchdogInterval.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        self.tick = min(1.0, (watchdogSeconds ?? 4) / 4)
    }

    package nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    package func run() async throws {
        let wakeup = self.wakeup
        let running = self.running
        try await withGracefulShutdownHandler {
            try await self.drive()
        } onGracefulShutdown: {
            // A statement waiting on a lock or a frozen server ends now, not at its
            // timeout: the stop stays within a second.
            running.cancel()
            wakeup.signal()
        }
    }

    /// SIGHUP with a configuration that loaded: apply it, re-render, then READY=1.
    package nonisolated func reload(settings: ProviderdSettings, keyring: FernetKeyring) {
        pendingReload.withLock { $0 = (settings, keyring) }
        wakeup.signal()
    }

    /// A budget's state changed (a threshold, a period turning): `models.json`
    /// and a withheld key follow at once, through a render as after a NOTIFY.
    package nonisolated func budgetsChanged() {
        budgetChange.withLock { $0 = true }
        wakeup.signal()
    }

    /// SIGHUP whose configuration did not load: the running one stays.
    package nonisolated func reloadFailed(_ error: any Error) {
        logger.error("reload refused; keeping the running configuration", metadata: ["error": "\(error)"])
        reporter.ready()
    }

    // MARK: - Performing the machine's actions

    private func drive() async throws {
        var actions = machine.start()
        while !actions.isEmpty {
            var action = actions.removeFirst()
            if Task.isShuttingDownGracefully || Task.isCancelled, !machine.isStopped {
                actions = machine.shutdown()
                continue
            }
            // A reload is taken where the loop would otherwise wait.
            if action.isWaitPoint, let reload = pendingReload.withLock({ $0.take() }) {
                takenReload = reload
                let reconnect =
                    reload.settings.databaseURL != settings.databaseURL
                    || reload.settings.listenURL != settings.listenURL
                actions = machine.reloadRequested(reconnect: reconnect, pollInterval: reload.settings.pollInterval, now: clock())
                guard !actions.isEmpty else { continue }
                action = actions.removeFirst()
            }
            switch action {
            case .connect:
                let settings = self.settings
                do {
                    let opened = try DatabaseSession(settings: settings)
                    session = opened
                    noteListen(opened.listen)
                    actions = machine.connected(now: clock())
                } catch {
                    actions = databaseFailed(error)
                }
            case .disconnect:
                session = nil
            case .collectNotifications:
                do { try collectNotifications() } catch { actions = databaseFailed(error) }
            case .render:
                do {
                    let session = try currentSession()
                    let (snapshot, version) = try bounded(session) { try ConfigSnapshotQuery.read(on: session.queries) }
                    contact()
                    let view = budgets?.renderView(now: wallClock()) ?? BudgetRenderView()
                    let published = record(publisher.publish(snapshot, budgets: view, now: wallClock()))
                    actions = machine.rendered(version: version, published: published)
                } catch {
                    actions = databaseFailed(error)
                }
            case .readVersion:
                do {
                    let session = try currentSession()
                    let version = try bounded(session) { try ConfigSnapshotQuery.version(on: session.queries) }
                    contact()
                    actions = machine.versionRead(version)
                } catch {
                    actions = databaseFailed(error)
                }
            case .waitForChange(let until):
                do { actions = try waitForChange(until: until) } catch { actions = databaseFailed(error) }
            case .restoreSealedState:
                var published = false
                if let restored = publisher.restoreSealedState(now: wallClock()) {
                    reporter.update {
                        $0.staleSince = restored.lastContact
                        $0.lastContact = restored.lastContact
                    }
                    published = record(restored.outcome)
                }
                actions = machine.sealedStateRestored(published, now: clock())
            case .pause(let seconds):
                pause(seconds: seconds)
                actions = machine.pauseEnded()
            case .applyReload:
                if let reload = takenReload { apply(reload) }
                takenReload = nil
            case .announceReady:
                reporter.ready()
                let status = reporter.status
                logger.info("ready", metadata: ["generation": "\(status.generation)", "stale": "\(status.staleSince != nil)"])
            case .sendReady:
                reporter.ready()
            case .sendStatus:
                reporter.sendStatus()
            case .extendStartTimeout(let seconds, let waited):
                reporter.extendStartTimeout(seconds: seconds, status: "waiting for the database (\(waited) s): \(lastDatabaseError)")
            case .stop(.shutdown):
                reporter.stopping()
                logger.info("stopping")
            case .stop(.noDatabase(let waited)):
                throw DaemonError(description: "no database within startup.wait (\(waited) s) and no sealed state to render from: \(lastDatabaseError)")
            }
        }
    }

    /// Runs one statement of the loop with a bound: the statement timeout plus
    /// `statementGrace`. Meanwhile the watchdog counts the loop as alive; past the
    /// bound (a server too frozen for its own timeout to fire) the statement is
    /// aborted, the loop sees a lost connection and reconnects with backoff. A stop
    /// aborts it at once.
    private func bounded<T>(_ session: DatabaseSession, _ body: () throws -> T) throws -> T {
        let timeout = Double(settings.connectionOptions.statementTimeoutMilliseconds) / 1000
        let bound = (timeout > 0 ? timeout : 30) + Self.statementGrace
        let running = self.running
        guard running.set(session.queries.canceller) else { throw CancellationError() }
        let sequence = running.sequence
        beacon.blocked(for: bound)
        let deadline = Task.detached {
            try await Task.sleep(for: .milliseconds(Int64(bound * 1000)))
            running.abort(ifStill: sequence)
        }
        defer {
            deadline.cancel()
            running.set(nil)
            beacon.unblocked()
            beacon.tick()
        }
        return try body()
    }

    private func currentSession() throws -> DatabaseSession {
        guard let session else { throw DaemonError(description: "no database session") }
        return session
    }

    /// Logs the failure (once a minute while it lasts), marks STATUS stale, and
    /// asks the machine what next. A cancellation is the group stopping, not the database.
    private func databaseFailed(_ error: any Error) -> [RenderLoopStateMachine.Action] {
        session = nil
        // A stop aborts the statement in progress: that is no database failure.
        if error is CancellationError || Task.isShuttingDownGracefully || Task.isCancelled { return machine.shutdown() }
        let now = clock()
        let actions = machine.databaseFailed(now: now)
        let delay = machine.retryIn
        let (log, skipped) = databaseFailures.failed(at: now)
        if log {
            var metadata: Logger.Metadata = ["error": "\(error)", "repeats": "\(skipped)"]
            if let delay { metadata["retry_in_seconds"] = "\(Double(Int(delay * 10)) / 10)" }
            logger.error("database unreachable; files left as they are", metadata: metadata)
        }
        lastDatabaseError = "\(error)"
        let wall = wallClock()
        reporter.update {
            $0.databaseError = "\(error)"
            if $0.staleSince == nil { $0.staleSince = $0.lastContact ?? wall }
        }
        return actions
    }

    /// The database answered.
    private func contact() {
        let now = clock()
        if let duration = databaseFailures.recovered(at: now) {
            logger.notice("database reachable again", metadata: ["after_seconds": "\(Int(duration))"])
        }
        let wall = wallClock()
        reporter.update {
            $0.lastContact = wall
            $0.databaseError = nil
            $0.staleSince = nil
        }
    }

    private func waitForChange(until: Double) throws -> [RenderLoopStateMachine.Action] {
        let session = try currentSession()
        let timeout = max(0, min(until - clock(), tick))
        let outcome = try session.listener.waitForNotifications(
            timeout: .milliseconds(Int64(timeout * 1000)), wakeDescriptor: wakeup.descriptor)
        beacon.tick()
        switch outcome {
        case .notified: return machine.notified()
        case .woken:
            wakeup.drain()
            if budgetChange.withLock({ changed in
                defer { changed = false }
                return changed
            }) {
                return machine.notified()
            }
            return [.waitForChange(until: until)]
        case .timedOut: return machine.waitTimedOut(now: clock())
        }
    }

    /// Takes the NOTIFYs already delivered, without waiting for more: the render
    /// starts at once (an agent waits on it). A burst (a script updating many rows)
    /// still costs few renders: what arrives during a render is taken here in one
    /// go before the next. Bounded, so that a flood cannot hold the loop.
    private func collectNotifications() throws {
        let session = try currentSession()
        let deadline = clock() + 0.2
        while clock() < deadline {
            let outcome = try session.listener.waitForNotifications(timeout: .zero, wakeDescriptor: wakeup.descriptor)
            guard case .notified = outcome else { return }
        }
    }

    /// The backoff between reconnects: blocks this actor's own thread in `poll()` on
    /// the wakeup pipe (which a stop or a reload signals), a tick at a time, until
    /// `seconds` have passed on the monotonic clock. Neither the deadline nor the
    /// wait depends on the wall clock.
    private func pause(seconds: Double) {
        let until = clock() + seconds
        while clock() < until, !Task.isShuttingDownGracefully, !Task.isCancelled, pendingReload.withLock({ $0 == nil }) {
            if wakeup.wait(seconds: min(tick, until - clock())) { wakeup.drain() }
            beacon.tick()
        }
    }

    private func apply(_ reload: (settings: ProviderdSettings, keyring: FernetKeyring)) {
        if reload.settings.stateDir != settings.stateDir {
            logger.warning("state.dir changes only on restart", metadata: ["running": "\(settings.stateDir)"])
        }
        var next = reload.settings
        next.stateDir = settings.stateDir
        settings = next
        publisher.apply(settings: next, keyring: reload.keyring)
        logger.info("configuration reloaded", metadata: ["key_ids": "\(reload.keyring.keyIDs.joined(separator: ","))"])
    }
}
