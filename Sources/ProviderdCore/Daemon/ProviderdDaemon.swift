import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// `providerd run`, assembled in one place: the state directory and its lock, the
/// five threads (render, spool, flusher, socket, budgets), the services, and the SIGHUP
/// loop. The executable parses and loads; everything the daemon is made of is
/// put together here, so that a new long-running part joins as one more service
/// in `services`.
package enum ProviderdDaemon {
    /// Runs until SIGTERM or SIGINT (then returns) or a service fails (then throws).
    /// `prices`: the operator's price file, already loaded (nil: the built-in table,
    /// which loads at the first flush). `inherited`: what was open when the process
    /// started. `loader` and `environment` are what SIGHUP reloads from.
    package static func run(
        settings: ProviderdSettings, keyring: FernetKeyring, prices: PriceTable?, loader: SettingsLoader,
        environment: [String: String], inherited: InheritedDescriptors, logger: Logger
    ) async throws {
        let state = try StateDirectory(path: settings.stateDir)
        let lock = try StateDirectoryLock(directory: state)
        // SIGHUP's default action kills the process: trap it before anything else.
        let hangups = await UnixSignalsSequence(trapping: .sighup)

        // The render loop's actor runs on a thread of its own (libpq blocks it).
        let renderLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let notifier = SystemdNotifier()
        let beacon = ProgressBeacon()
        let watchdog = notifier.watchdogInterval()
        let reporter = StatusReporter(notifier: notifier)
        // Budgets: the board the socket answers from, kept by the intake (acks not
        // flushed yet), the flusher (each segment's ledger values) and the refresher
        // (every host's spend), which has a thread and a connection of its own. A
        // state that moves re-renders the files (models.json, withheld keys).
        // budgets.unpriced: block decides on the price table from the first request:
        // the built-in table is then loaded now rather than beside the first render.
        let prices = try prices ?? (settings.budgetsBlockUnpriced ? PriceTable.builtIn() : nil)
        let board = BudgetBoard(settings: settings, prices: prices)
        let service = try ConfigRenderService(
            settings: settings, keyring: keyring, state: state, loop: renderLoop.next(),
            reporter: reporter, beacon: beacon, watchdogInterval: watchdog, logger: logger, budgets: board)
        board.onChange { service.budgetsChanged() }
        // Usage: one event loop for the socket, and two threads that each run one actor
        // and nothing else: the `Spool` (blocking file calls) and the `UsageFlusher` (libpq).
        let spoolLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let flushLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // The spool, the id table, ids.log and the stats board, opened once: the
        // intake fills them, the flusher empties them.
        let (storage, ids) = try UsageStorage.open(settings: settings, state: state, loop: spoolLoop.next(), logger: logger)
        let budgetLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Metrics: counted by the flusher and the announcer, gauges read from the
        // stats board, STATUS and the budget board; the textfile and the socket's op.
        let metrics = ProviderdMetrics(stats: storage.stats, reporter: reporter, budgets: board)
        let announcer = BudgetAnnouncer(hook: settings.budgetsOnEvent, metrics: metrics, reporter: reporter, logger: logger)
        let refresher = BudgetRefresher(
            board: board, announcer: announcer, instance: storage.instance, loop: budgetLoop.next(),
            settings: settings, reporter: reporter, logger: logger)
        let intake = UsageIntake(storage: storage, ids: ids, maxBytes: settings.spoolMaxBytes, budgets: board, metrics: metrics)
        let flusher = UsageFlusher(
            storage: storage, loop: flushLoop.next(), settings: settings, prices: prices, budgets: board, metrics: metrics, logger: logger)
        await flusher.reportStatus(to: reporter)
        let usageService = UsageService(
            settings: settings, intake: intake, flusher: flusher, group: eventLoops,
            inherited: inherited, logger: logger)
        var services = [
            ServiceGroupConfiguration.ServiceConfiguration(service: usageService),
            ServiceGroupConfiguration.ServiceConfiguration(service: service),
            ServiceGroupConfiguration.ServiceConfiguration(service: refresher),
        ]
        if let file = settings.metricsTextfile {
            services.append(.init(service: MetricsTextfileService(metrics: metrics, path: file, interval: settings.metricsInterval, logger: logger)))
        }
        if let watchdog {
            services.append(
                .init(
                    service: WatchdogService(beacon: beacon, notifier: notifier, interval: watchdog),
                    successTerminationBehavior: .ignore))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.info(
            "starting",
            metadata: [
                "version": "\(ProviderdVersion.current)", "state_dir": "\(settings.stateDir)",
                "key_ids": "\(keyring.keyIDs.joined(separator: ","))",
                "prices": "\(prices.map { "\($0.origin): \($0.source), \($0.modelCount) models" } ?? "built-in")",
            ])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                var pending = PendingRestartNotes(started: settings)
                for await _ in hangups {
                    reporter.reloading()
                    do {
                        let next = try await loader.load()
                        let nextKeys = try KeyringLoader(keyFile: next.keyFile, environment: environment, fallbackFile: KeyringLoader.installedKeyFile).load()
                            .keyring
                        let nextPrices = try next.pricesFile.map { try PriceTable.load(file: $0) }
                        for key in pending.newlyPending(in: next) {
                            logger.warning(
                                "\(key) changed in the configuration; it takes effect at the next restart (systemctl restart providerd)",
                                metadata: ["setting": "\(key)"])
                        }
                        service.reload(settings: next, keyring: nextKeys)
                        flusher.update(settings: next, prices: nextPrices)
                        board.update(settings: next, prices: nextPrices)
                        refresher.update(settings: next)
                        announcer.update(hook: next.budgetsOnEvent)
                        if let nextPrices {
                            logger.info(
                                "prices loaded",
                                metadata: [
                                    "from": "\(nextPrices.origin)",
                                    "source": "\(nextPrices.source)",
                                ])
                        }
                    } catch {
                        service.reloadFailed(error)
                    }
                }
            }
            try await tasks.next()
            tasks.cancelAll()
        }
        try await renderLoop.shutdownGracefully()
        try await spoolLoop.shutdownGracefully()
        try await flushLoop.shutdownGracefully()
        try await eventLoops.shutdownGracefully()
        try await budgetLoop.shutdownGracefully()
        withExtendedLifetime(lock) {}
    }
}
