import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// `providerd exec`, assembled in one place: where the values come from (the
/// database, as `run` reads it, or a sidecar's env file), the optional usage
/// socket, budgets, and the supervisor of the child.
///
/// The supervisor is the group's last service, so a stop reaches it first: the
/// child is stopped and waited for while the usage socket still takes its last
/// records; then the rest stops in reverse order (the final flush last).
package enum ProviderdExec {
    package struct Configuration: Sendable {
        package enum Source: Sendable, Equatable {
            /// `api_keys` and `model_config`, with LISTEN, polls and the sealed state.
            case database
            /// A file a sidecar `providerd run` keeps (`--from-env-file`).
            case envFile(String)
        }

        package var argv: [String]
        package var policy: ExecPolicy
        package var source: Source
        /// Database mode only: files written as `run` writes them (none by default).
        package var outputs: ConfigPublisher.Outputs
        /// Serve the usage socket here, in this process.
        package var usageSocket: String?

        package init(argv: [String], policy: ExecPolicy, source: Source, outputs: ConfigPublisher.Outputs, usageSocket: String?) {
            self.argv = argv
            self.policy = policy
            self.source = source
            self.outputs = outputs
            self.usageSocket = usageSocket
        }

        /// Whether a state directory (and its lock) is needed: for the sealed
        /// state, and for the usage spool.
        var needsState: Bool { source == .database || usageSocket != nil }
    }

    /// Runs the child until it exits (returns its status, or 128 + its signal) or
    /// providerd is stopped (the child first). Throws when a part fails.
    /// `keyring`: database mode only.
    package static func run(
        configuration: Configuration, settings: ProviderdSettings, keyring: FernetKeyring?, prices: PriceTable?,
        environment: [String: String], inherited: InheritedDescriptors, logger: Logger
    ) async throws -> Int32 {
        var settings = settings
        if let socket = configuration.usageSocket { settings.socket = socket }
        // Taking the terminal back from the child's group must not stop providerd.
        signal(SIGTTOU, SIG_IGN)

        // No systemd made /run/providerd: the directories of what exec writes are made
        // here (0755), as a container's fresh file system needs.
        for path in [configuration.outputs.envFile, configuration.outputs.modelMap, configuration.usageSocket].compactMap({ $0 }) {
            try makeDirectories(AtomicFileWriter.directory(of: path))
        }
        let state = try configuration.needsState ? StateDirectory(path: settings.stateDir) : nil
        let lock = try state.map { try StateDirectoryLock(directory: $0) }
        let reporter = StatusReporter(notifier: SystemdNotifier())
        var extra: [String: String] = [:]
        if let socket = configuration.usageSocket { extra["PROVIDERD_SOCKET"] = socket }
        if let map = configuration.outputs.modelMap { extra["PROVIDERD_MODEL_MAP"] = map }
        // In database mode a map is written only when asked for: a PROVIDERD_MODEL_MAP
        // of providerd's own environment would name a file nobody keeps.
        let unwritten: Set<String> = configuration.source == .database && configuration.outputs.modelMap == nil ? ["PROVIDERD_MODEL_MAP"] : []
        let supervisor = ExecSupervisor(
            policy: configuration.policy, argv: configuration.argv, base: environment, extra: extra, managed: unwritten, logger: logger)

        // Budgets always come with the database; the socket only when asked for.
        var stack: UsageStack?
        if let state {
            stack = try await UsageStack(
                settings: settings, state: state, prices: prices, reporter: reporter,
                withSocket: configuration.usageSocket != nil, inherited: inherited, logger: logger)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let usage = stack?.usageService { services.append(.init(service: usage)) }
        var renderLoop: MultiThreadedEventLoopGroup?
        switch configuration.source {
        case .database:
            guard let state, let keyring else { throw ExecError(.badOptions, "the database mode needs a state directory and a key") }
            let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            renderLoop = loop
            let table = EnvNameTable(overrides: settings.envNameOverrides)
            let service = try ConfigRenderService(
                settings: settings, keyring: keyring, state: state, loop: loop.next(), reporter: reporter,
                beacon: ProgressBeacon(), watchdogInterval: nil, logger: logger, budgets: stack?.board,
                outputs: configuration.outputs,
                onPublished: { result, generation in
                    supervisor.rendered(
                        Result { () throws(ExecError) in try ChildEnvironment(render: result, generation: generation) },
                        managed: withheldNames(result, table: table))
                })
            stack?.board.onChange { service.budgetsChanged() }
            services.append(.init(service: service))
        case .envFile(let path):
            let watcher = try EnvFileWatcher(path: path, interval: min(settings.pollInterval, 5), logger: logger) { supervisor.rendered($0) }
            services.append(.init(service: watcher))
        }
        if let stack { services.append(.init(service: stack.refresher)) }
        services.append(.init(service: supervisor, successTerminationBehavior: .gracefullyShutdownGroup))

        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
        logger.info(
            "starting",
            metadata: [
                "version": "\(ProviderdVersion.current)", "program": "\(configuration.argv[0])",
                "source": "\(configuration.source == .database ? "database" : "env file")",
                "usage_socket": "\(configuration.usageSocket ?? "none")",
            ])
        do {
            try await group.run()
        } catch {
            try await renderLoop?.shutdownGracefully()
            try await stack?.shutdown()
            throw error
        }
        try await renderLoop?.shutdownGracefully()
        try await stack?.shutdown()
        withExtendedLifetime(lock) {}
        return supervisor.outcome.status ?? 1
    }

    /// `mkdir -p`: each missing directory of `path`, mode 0755.
    static func makeDirectories(_ path: String) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw SystemError("create directory", path: current) }
        }
    }

    /// Every variable of the providers a budget withholds: kept out of what the
    /// child inherits from providerd's environment, so the key cannot come back that way.
    static func withheldNames(_ result: RenderResult, table: EnvNameTable) -> Set<String> {
        var names = Set<String>()
        for provider in result.withheldProviders.keys {
            guard let own = try? table.names(for: provider) else { continue }
            names.formUnion(own.ownKeyNames + own.aliasKeyNames + [own.baseURLName, own.headersName])
        }
        return names
    }
}
