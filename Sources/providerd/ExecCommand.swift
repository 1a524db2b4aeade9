import ArgumentParser
import ProviderdCore

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run one program with the provider keys in its environment; restart or signal it when they change.",
        discussion: """
            For containers and development, where there is no systemd. The program starts after the first \
            render, in a process group of its own; SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and \
            SIGWINCH are forwarded to that group. providerd exits with the program's status (128 + N for \
            signal N). Values come from the database (as `run` reads them; nothing is written unless \
            --env-file or --model-map is given) or from --from-env-file, a file a `providerd run` keeps.
              providerd exec -- python agent.py
              providerd exec --from-env-file /run/providerd/providers.env --on-change signal:SIGHUP -- ./agent
            """)

    @OptionGroup var settings: SettingsOptions

    @Option(name: .customLong("from-env-file"), help: "Take the values from this env file (kept by `providerd run`) instead of the database.")
    var fromEnvFile: String?

    @Option(name: .customLong("env-file"), help: "Database mode: also write the env file here, as `run` does.")
    var envFile: String?

    @Option(name: .customLong("model-map"), help: "Database mode: also write the model map here; the program gets PROVIDERD_MODEL_MAP.")
    var modelMap: String?

    @Option(name: .customLong("usage-socket"), help: "Also serve the usage socket here; the program gets PROVIDERD_SOCKET.")
    var usageSocket: String?

    @Option(name: .customLong("on-change"), help: "restart (default), signal:NAME (e.g. signal:SIGHUP) or none.")
    var onChange = "restart"

    @Option(name: .customLong("stop-signal"), help: "Signal that stops the program for a restart (default SIGTERM).")
    var stopSignal = "SIGTERM"

    @Option(name: .customLong("kill-timeout"), help: "Seconds from the stop signal to SIGKILL for the whole process group (default 10).")
    var killTimeout = 10.0

    @Option(help: "Seconds without a further change before acting on one (default 2).")
    var debounce = 2.0

    @Option(name: .customLong("min-restart-interval"), help: "Least seconds from a start to the restart a change causes (default 5).")
    var minRestartInterval = 5.0

    @Flag(name: .customLong("restart-on-exit"), help: "Start the program again when it exits by itself, with a backoff, instead of exiting.")
    var restartOnExit = false

    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("name the program to run after --, e.g. providerd exec -- python agent.py") }
        for (name, value) in [("--kill-timeout", killTimeout), ("--debounce", debounce), ("--min-restart-interval", minRestartInterval)]
        where !value.isFinite || value < 0 || value > 86_400 {
            throw ValidationError("\(name) must be a number of seconds from 0 to 86400")
        }
        if fromEnvFile != nil, envFile != nil || modelMap != nil {
            throw ValidationError("--env-file and --model-map write what the database holds; with --from-env-file the sidecar writes them")
        }
        // Before any key or database is looked for: a typo is said first.
        do { _ = try policy() } catch { throw ValidationError("\(error)") }
    }

    func policy() throws -> ExecPolicy {
        var policy = ExecPolicy()
        policy.onChange = try ExecSignal.parseOnChange(onChange)
        policy.stopSignal = try ExecSignal.parse(stopSignal, flag: "--stop-signal")
        policy.killTimeout = killTimeout
        policy.debounce = debounce
        policy.minRestartInterval = minRestartInterval
        policy.restartOnExit = restartOnExit
        return policy
    }

    func run() async throws {
        let inherited = InheritedDescriptors.atStart(listenDescriptors: 0)
        MemoryTrim.configure()
        let loader = try settings.loader()
        let loaded = try await loader.load()
        let logger = LoggerBootstrap.logger(level: loaded.logLevel)
        let environment = settings.environment
        let source: ProviderdExec.Configuration.Source = fromEnvFile.map { .envFile($0) } ?? .database
        // Only the database mode decrypts; a sidecar's env file needs no key.
        let keyring =
            source == .database
            ? try KeyringLoader(keyFile: loaded.keyFile, environment: environment, fallbackFile: KeyringLoader.installedKeyFile).load().keyring
            : nil
        let prices = try loaded.pricesFile.map { try PriceTable.load(file: $0) }
        let configuration = ProviderdExec.Configuration(
            argv: command, policy: try policy(), source: source,
            outputs: ConfigPublisher.Outputs(envFile: envFile, modelMap: modelMap), usageSocket: usageSocket)
        let status = try await ProviderdExec.run(
            configuration: configuration, settings: loaded, keyring: keyring, prices: prices, environment: environment,
            inherited: inherited, logger: logger)
        throw ExitCode(status)
    }
}
