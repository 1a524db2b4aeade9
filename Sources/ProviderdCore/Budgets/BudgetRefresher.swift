import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Reads every budget's spend from the database into the `BudgetBoard` each
/// `budgets.refresh_interval` (that is how one host sees another's flushed
/// usage), and claims the threshold events no providerd has announced yet, for
/// the `BudgetAnnouncer`. Between reads, every `settleInterval`, it prices the
/// records this host has acknowledged (`BudgetBoard.settle`), off the ack path. A failed read leaves the board's last values and makes
/// its answers stale.
///
/// Its executor is a thread of its own, with a connection of its own: libpq
/// blocks it, and neither the render loop nor the flusher should wait on a
/// budget read. A stop ends a statement in flight (`RunningStatement`).
package actor BudgetRefresher: Service {
    private let board: BudgetBoard
    private let reporter: StatusReporter?
    private let announcer: BudgetAnnouncer
    private let instance: String
    private let loop: any EventLoop
    private let logger: Logger
    private var settings: ProviderdSettings
    private nonisolated let pendingSettings = Mutex<ProviderdSettings?>(nil)
    private var connection: PostgresConnection?
    private var schema: Bool?
    private var failures = RepeatingFailureLog()
    private nonisolated let running = RunningStatement()
    /// Seconds one refresh may take (its statements' timeout is 5 s).
    static let bound = 8.0
    /// Seconds between pricings of this host's new acks (`BudgetBoard.settle`).
    static let settleInterval = 0.2

    package init(
        board: BudgetBoard, announcer: BudgetAnnouncer, instance: String, loop: any EventLoop, settings: ProviderdSettings,
        reporter: StatusReporter? = nil, logger: Logger
    ) {
        self.board = board
        self.reporter = reporter
        self.announcer = announcer
        self.instance = instance
        self.loop = loop
        self.settings = settings
        self.logger = logger
    }

    package nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// SIGHUP: the interval, and a new `database.url` from the next read.
    package nonisolated func update(settings: ProviderdSettings) {
        pendingSettings.withLock { $0 = settings }
    }

    package func run() async throws {
        // The render loop connects first: a role whose connection limit is tight
        // must not lose its READY to the budgets' connection. Acks made meanwhile
        // wait, unpriced, on the board.
        while let reporter, !reporter.isReady, !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(100)) }
        }
        var nextRead = 0.0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if MonotonicSeconds.now() >= nextRead {
                let running = self.running
                await withGracefulShutdownHandler {
                    await refresh()
                } onGracefulShutdown: {
                    running.cancel()
                }
                nextRead = MonotonicSeconds.now() + settings.budgetsRefreshInterval
            }
            // This host's acks, priced here rather than on the ack path.
            board.settle()
            try? await cancelWhenGracefulShutdown { [settings] in
                try await Task.sleep(for: .milliseconds(Int64(min(Self.settleInterval, settings.budgetsRefreshInterval) * 1000)))
            }
        }
    }

    /// One read: the statuses, then the events to announce.
    package func refresh() async {
        if let next = pendingSettings.withLock({ $0.take() }) {
            if next.databaseURL != settings.databaseURL { connection = nil }
            settings = next
        }
        let at = UTCTimestamp.now()
        do {
            let connection = try connect()
            guard running.set(connection.canceller) else { return }
            // A server that stops answering (frozen, a dead peer) never trips the
            // statement timeout, which is the server's: past the bound the read is
            // ended here, and the next one reconnects.
            let running = self.running, sequence = running.sequence
            let deadline = Task.detached {
                try await Task.sleep(for: .milliseconds(Int64(Self.bound * 1000)))
                running.abort(ifStill: sequence)
            }
            defer {
                deadline.cancel()
                running.set(nil)
            }
            if schema == nil {
                schema = try UsageFlushStore(connection: connection).budgetsAvailable()
            }
            guard schema == true else {
                board.refreshed([], at: at)
                return
            }
            let store = BudgetStore(connection: connection)
            board.refreshed(try store.statuses(now: Int64(at)), at: at)
            let events = try store.claimEvents(instance: instance)
            if let duration = failures.recovered(at: MonotonicSeconds.now()) {
                logger.notice("budget spend read again", metadata: ["after_seconds": "\(Int(duration))"])
            }
            for event in events { announcer.announce(event, now: at) }
            let statuses = board.statuses(now: at).filter(\.budget.isActive)
            let exceeded = statuses.filter { $0.state == .exceeded }.map(\.budget.name)
            let warning = statuses.filter { $0.state == .warning }.map(\.budget.name)
            reporter?.update {
                $0.exceededBudgets = exceeded
                $0.warningBudgets = warning
            }
            reporter?.sendStatus()
        } catch {
            connection = nil
            board.refreshFailed()
            let (log, skipped) = failures.failed(at: MonotonicSeconds.now())
            if log {
                logger.warning(
                    "cannot read budget spend; budget answers are stale until it can", metadata: ["error": "\(error)", "repeats": "\(skipped)"])
            }
        }
    }

    private func connect() throws -> PostgresConnection {
        if let connection, connection.isHealthy { return connection }
        var options = settings.connectionOptions
        // A stop cannot interrupt a connection being made: keep that short (libpq's least).
        options.connectTimeout = 2
        options.statementTimeoutMilliseconds = 5_000
        options.applicationName = "providerd-budgets"
        let connection = try PostgresConnection(options)
        self.connection = connection
        schema = nil
        return connection
    }
}
