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
        // Budgets and the usage socket (`UsageStack`). A budget state that moves
        // re-renders the files (models.json, withheld keys).
        let stack = try await UsageStack(
            settings: settings, state: state, prices: prices, reporter: reporter, withSocket: true, inherited: inherited, logger: logger)
        let board = stack.board
        let service = try ConfigRenderService(
            settings: settings, keyring: keyring, state: state, loop: renderLoop.next(),
            reporter: reporter, beacon: beacon, watchdogInterval: watchdog, logger: logger, budgets: board)
        board.onChange { service.budgetsChanged() }
        let flusher = stack.flusher!
        let refresher = stack.refresher
        let announcer = stack.announcer
        let metrics = stack.metrics
        var services = [
            ServiceGroupConfiguration.ServiceConfiguration(service: stack.usageService!),
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
        try await stack.shutdown()
        withExtendedLifetime(lock) {}
    }
}
