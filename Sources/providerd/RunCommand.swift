import ArgumentParser
import Logging
import NIOPosix
import ProviderdCore
import ServiceLifecycle
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: keep the env file and model map in step with PostgreSQL.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        // Before anything of the daemon's own is open.
        let inherited = InheritedDescriptors.atStart(listenDescriptors: UsageServer.listenDescriptorCount())
        MemoryTrim.configure()
        let loader = try options.loader()
        let settings = try await loader.load()
        let logger = LoggerBootstrap.logger(level: settings.logLevel)
        let environment = options.environment
        let keyring = try KeyringLoader(keyFile: settings.keyFile, environment: environment, fallbackFile: KeyringLoader.installedKeyFile).load().keyring
        // A price file of the operator's is checked before anything starts (a bad one
        // is exit 2); the built-in table is known good and loads at the first flush.
        let prices = try settings.pricesFile.map { try PriceTable.load(file: $0) }
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
        let service = try ConfigRenderService(
            settings: settings, keyring: keyring, state: state, loop: renderLoop.next(),
            reporter: reporter, beacon: beacon, watchdogInterval: watchdog, logger: logger)
        // Usage: one event loop for the socket, and two threads that each run one actor
        // and nothing else: the `Spool` (blocking file calls) and the `UsageFlusher` (libpq).
        let spoolLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let flushLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let usage = try UsageService.makeIntake(settings: settings, state: state, loop: spoolLoop.next(), logger: logger)
        let flusher = UsageFlusher(
            intake: usage.intake, idLog: usage.idLog, instance: usage.instance, loop: flushLoop.next(),
            settings: settings, prices: prices, logger: logger)
        await flusher.reportStatus(to: reporter)
        let usageService = UsageService(
            settings: settings, intake: usage.intake, flusher: flusher, group: eventLoops,
            inherited: inherited, logger: logger)
        var services = [
            ServiceGroupConfiguration.ServiceConfiguration(service: usageService),
            ServiceGroupConfiguration.ServiceConfiguration(service: service),
        ]
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
        withExtendedLifetime(lock) {}
    }
}
