import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Why the daemon stopped on its own.
public struct DaemonError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// `providerd run`'s main job: keeps the env file and the model map in step with
/// `api_keys` and `model_config`.
///
/// LISTEN `providerd_config` sees a committed change at once; a poll every
/// `poll.interval` (±10%) asks one tiny query (`providerd_config_version`) and reads
/// the tables only when it moved. Every (re)connection starts with a full read,
/// since NOTIFYs sent while disconnected are lost. libpq blocks, so every database
/// call runs on a dedicated thread of `pool`; the wait for NOTIFY is a `poll()` that
/// a `Wakeup` interrupts for shutdown and reload.
///
/// READY=1 is sent here, after the first render has put both files in place: from
/// the database, or, when it is unreachable at start, from the sealed last-known-good
/// state (STATUS then says the values are stale and since when).
public actor ConfigRenderService: Service, CustomStringConvertible {
    /// What swift-service-lifecycle logs for this service: its name, never its settings.
    public nonisolated var description: String { "ConfigRenderService" }

    private var settings: ProviderdSettings
    private var keyring: FernetKeyring
    private var renderer: ConfigRenderer
    private var generations: GenerationStore
    private let state: StateDirectory
    private let pool: NIOThreadPool
    private let wakeup: Wakeup
    private let beacon: ProgressBeacon
    private let notifier: SystemdNotifier
    private let logger: Logger
    /// The loop wakes at least this often (seconds), so the watchdog sees progress.
    private let tick: Double
    private let startedAt = ConfigRenderService.now()

    private var status = DaemonStatus()
    private var ready = false
    private var seenVersion: Int64?
    private var sealedDigest: String?
    private var publishFailed = false
    private var reportedServices: Set<ServiceProblem> = []
    private var reported: Set<ProviderProblem> = []
    private var databaseFailures = RepeatingFailureLog()
    private var publishFailures = RepeatingFailureLog()
    private var pendingReload: (settings: ProviderdSettings, keyring: FernetKeyring)?
    private var lastStatusSent = ""
    private var warnedPollingOnly = false

    public init(settings: ProviderdSettings, keyring: FernetKeyring, state: StateDirectory, pool: NIOThreadPool,
                notifier: SystemdNotifier, beacon: ProgressBeacon, watchdogInterval: Duration?, logger: Logger) throws {
        self.settings = settings
        self.keyring = keyring
        self.renderer = ConfigRenderer(table: EnvNameTable(overrides: settings.envNameOverrides))
        self.generations = try GenerationStore(directory: state)
        self.state = state
        self.pool = pool
        self.wakeup = try Wakeup()
        self.beacon = beacon
        self.notifier = notifier
        self.logger = logger
        let watchdogSeconds = watchdogInterval.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        self.tick = min(1.0, (watchdogSeconds ?? 4) / 4)
    }

    public func run() async throws {
        let wakeup = self.wakeup
        try await withGracefulShutdownHandler {
            try await self.mainLoop()
        } onGracefulShutdown: {
            wakeup.signal()
        }
    }

    /// SIGHUP with a configuration that loaded: apply it, re-render, then READY=1.
    public func reload(settings: ProviderdSettings, keyring: FernetKeyring) {
        pendingReload = (settings, keyring)
        wakeup.signal()
    }

    /// SIGHUP whose configuration did not load: the running one stays.
    public func reloadFailed(_ error: any Error) {
        logger.error("reload refused; keeping the running configuration", metadata: ["error": "\(error)"])
        sendReady()
    }

    public var isReady: Bool { ready }

    /// The usage flusher's summary for STATUS (quarantined records must show there).
    public func setUsageStatus(_ text: String) {
        guard status.usage != text else { return }
        status.usage = text
        if ready { sendStatus(status.line) }
    }

    /// `providerd render`: one connection, one full read, both files, then return.
    /// Throws when the database cannot be read or the files cannot be written.
    public func renderOnce() async throws -> RenderResult {
        ready = true  // a one-shot render is not the daemon becoming ready
        let settings = self.settings
        let session = try await pool.runIfActive { try DatabaseSession(settings: settings, probeListen: false) }
        let result = try await fullRender(session)
        if publishFailed { throw DaemonError(description: "cannot write \(settings.modelMap) and \(settings.envFile); see the log") }
        return result
    }

    // MARK: - Loop

    private func mainLoop() async throws {
        var backoff = Backoff()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let reload = pendingReload {
                pendingReload = nil
                apply(reload)
                if !ready { sendStatus(status.line) } else { sendReady() }
            }
            let settings = self.settings
            let session: DatabaseSession
            do {
                session = try await pool.runIfActive { try DatabaseSession(settings: settings) }
            } catch is CancellationError {
                break  // the group stops (another service failed): not a database failure
            } catch {
                let delay = backoff.next()
                try databaseFailed(error, retryIn: delay)
                await pause(seconds: delay)
                continue
            }
            do {
                try await serve(session)
                backoff.reset()
            } catch is CancellationError {
                break
            } catch let error where !(error is DaemonError) {
                let delay = backoff.next()
                try databaseFailed(error, retryIn: delay)
                await pause(seconds: delay)
            }
        }
        notifier.stopping(status: "stopping; " + status.line)
        logger.info("stopping")
    }

    /// Serves one connected session until shutdown, a reload that needs a new
    /// connection, or a database error (thrown).
    private func serve(_ session: DatabaseSession) async throws {
        noteListen(verified: session.listenVerified)
        try await fullRender(session)
        var nextPoll = Self.now() + Backoff.jittered(settings.pollInterval)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let reload = pendingReload {
                pendingReload = nil
                let reconnect = reload.settings.databaseURL != settings.databaseURL
                    || reload.settings.listenURL != settings.listenURL
                apply(reload)
                if reconnect { return }
                try await fullRender(session)
                sendReady()
                nextPoll = Self.now() + Backoff.jittered(settings.pollInterval)
                continue
            }
            let timeout = max(0, min(nextPoll - Self.now(), tick))
            let wakeDescriptor = wakeup.descriptor
            let outcome = try await pool.runIfActive {
                try session.listener.waitForNotifications(timeout: .milliseconds(Int64(timeout * 1000)), wakeDescriptor: wakeDescriptor)
            }
            beacon.tick()
            switch outcome {
            case .notified:
                try await debounce(session)
                try await fullRender(session)
            case .woken:
                wakeup.drain()
            case .timedOut:
                guard Self.now() >= nextPoll else { continue }
                nextPoll = Self.now() + Backoff.jittered(settings.pollInterval)
                let version = try await pool.runIfActive { try ConfigSnapshotQuery.version(on: session.queries) }
                contact()
                if version == nil || version != seenVersion || publishFailed {
                    try await fullRender(session)
                } else {
                    sendStatus(status.line)
                }
            }
        }
    }

    /// A burst of changes (a script updating many rows) becomes one render: keep
    /// collecting while NOTIFYs arrive within 10 ms of each other, for at most 200 ms.
    private func debounce(_ session: DatabaseSession) async throws {
        let deadline = Self.now() + 0.2
        let wakeDescriptor = wakeup.descriptor
        while Self.now() < deadline {
            let outcome = try await pool.runIfActive {
                try session.listener.waitForNotifications(timeout: .milliseconds(10), wakeDescriptor: wakeDescriptor)
            }
            guard case .notified = outcome else { return }
        }
    }

    /// One warning when LISTEN turns out to deliver nothing (a transaction pooler),
    /// one info line when it works again; STATUS says so meanwhile.
    private func noteListen(verified: Bool) {
        status.pollingOnly = !verified
        if !verified && !warnedPollingOnly {
            warnedPollingOnly = true
            logger.warning(
                "LISTEN receives no notifications on this connection (a transaction pooler?): changes are seen at the next poll only; set database.listen_url to a direct (session) connection",
                metadata: ["database.listen_url": "\(settings.listenURL == nil ? "unset" : PostgresConnection.redacted(settings.listenURL))",
                           "poll_interval": "\(settings.pollInterval)"])
        } else if verified && warnedPollingOnly {
            warnedPollingOnly = false
            logger.info("LISTEN receives notifications again")
        }
    }

    private func pause(seconds: Double) async {
        let until = Self.now() + seconds
        while Self.now() < until, !Task.isShuttingDownGracefully, !Task.isCancelled, pendingReload == nil {
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: .milliseconds(Int64(min(self.tick, until - Self.now()) * 1000)))
            }
            beacon.tick()
        }
    }

    // MARK: - Rendering

    @discardableResult
    private func fullRender(_ session: DatabaseSession) async throws -> RenderResult {
        let (snapshot, version) = try await pool.runIfActive { try ConfigSnapshotQuery.read(on: session.queries) }
        contact()
        seenVersion = version
        let candidates = ProviderDecryptor.decrypt(snapshot.keys, keyring: keyring)
        let result = renderer.render(candidates: candidates, services: snapshot.services)
        report(result)
        publish(result, sealing: snapshot.services)
        return result
    }

    private func report(_ result: RenderResult) {
        let current = Set(result.problems)
        for problem in result.problems where !reported.contains(problem) {
            let fallback = result.staleProviders.contains(problem.provider) ? "keeping its last good value" : "left out of the env file"
            logger.warning("provider value refused; \(fallback)", metadata: [
                "provider": "\(problem.provider)", "reason": "\(problem.reason)", "key_ids": "\(keyring.keyIDs.joined(separator: ","))",
            ])
        }
        for problem in reported.subtracting(current) where !current.contains(where: { $0.provider == problem.provider }) {
            logger.info("provider value accepted again", metadata: ["provider": "\(problem.provider)"])
        }
        reported = current
        let services = Set(result.serviceProblems)
        for problem in result.serviceProblems where !reportedServices.contains(problem) {
            let fallback = result.services[problem.service] != nil ? "keeping its last good entry" : "left out of the model map"
            logger.warning("model_config row cannot be written; \(fallback)", metadata: [
                "service": "\(problem.service)", "reason": "\(problem.reason)",
            ])
        }
        reportedServices = services
    }

    /// Writes both files (model map first, env file second) when their bytes
    /// change, seals the state when it came from the database, sends READY once.
    private func publish(_ result: RenderResult, sealing services: [ServiceConfig]?) {
        let now = Self.now()
        do {
            let previous = generations.generation
            let generation = try generations.generation(for: result.digest)
            let mapWriter = AtomicFileWriter(mode: settings.modelMapMode, owner: settings.outputOwner, group: settings.outputGroup)
            let envWriter = AtomicFileWriter(mode: 0o600, owner: settings.outputOwner, group: settings.outputGroup)
            let wroteMap = try mapWriter.writeIfChanged(Array(result.modelMap(generation: generation).utf8), to: settings.modelMap)
            let wroteEnv = try envWriter.writeIfChanged(Array(result.envFile(generation: generation).utf8), to: settings.envFile)
            if let services, result.digest != sealedDigest {
                // Rows the map cannot carry (a NaN temperature) are not sealed either.
                let sealed = SealedState(providers: renderer.lastGood.values.sorted { $0.provider < $1.provider },
                                         services: services.filter { $0.temperature?.isFinite ?? true }, lastContact: Int64(now))
                try sealed.seal(with: keyring, into: state)
                sealedDigest = result.digest
            }
            if let duration = publishFailures.recovered(at: now) {
                logger.notice("files written again", metadata: ["after_seconds": "\(Int(duration))"])
            }
            publishFailed = false
            status.generation = generation
            status.providers = result.providersWithKeys.count
            status.services = result.services.count
            status.degradedProviders = Array(Set(result.problems.map(\.provider))).sorted()
            if generation != previous || wroteMap || wroteEnv {
                logger.info("rendered", metadata: [
                    "generation": "\(generation)", "providers": "\(status.providers)", "services": "\(status.services)",
                    "env_file": "\(settings.envFile)", "model_map": "\(settings.modelMap)",
                ])
            }
            if !ready {
                ready = true
                sendReady()
                logger.info("ready", metadata: ["generation": "\(generation)", "stale": "\(status.staleSince != nil)"])
            } else {
                sendStatus(status.line)
            }
        } catch {
            publishFailed = true
            let (log, skipped) = publishFailures.failed(at: now)
            if log { logger.error("cannot write the output files", metadata: ["error": "\(error)", "repeats": "\(skipped)"]) }
            sendStatus(status.line + "; cannot write files: \(error)")
        }
    }

    /// With the database unreachable at start, the sealed last-known-good state
    /// renders the same files so agents can start; STATUS says they are stale.
    private func restoreSealedState() -> Bool {
        let sealed: SealedState?
        do {
            sealed = try SealedState.unseal(with: keyring, from: state)
        } catch {
            logger.warning("the sealed last-known-good state cannot be opened with the configured keys; ignoring it",
                           metadata: ["error": "\(error)", "key_ids": "\(keyring.keyIDs.joined(separator: ","))"])
            return false
        }
        guard let sealed else { return false }
        let candidates = Dictionary(uniqueKeysWithValues: sealed.providers.map { ($0.provider, Result<ProviderSecrets, ProviderProblem>.success($0)) })
        let result = renderer.render(candidates: candidates, services: sealed.services)
        status.staleSince = Double(sealed.lastContact)
        status.lastContact = Double(sealed.lastContact)
        sealedDigest = result.digest
        publish(result, sealing: nil)
        return ready
    }

    private func databaseFailed(_ error: any Error, retryIn delay: Double) throws {
        let now = Self.now()
        let (log, skipped) = databaseFailures.failed(at: now)
        if log {
            logger.error("database unreachable; files left as they are", metadata: [
                "error": "\(error)", "retry_in_seconds": "\(String(format: "%.1f", delay))", "repeats": "\(skipped)",
            ])
        }
        status.databaseError = "\(error)"
        if status.staleSince == nil { status.staleSince = status.lastContact ?? now }
        if !ready && !restoreSealedState() {
            let waited = now - startedAt
            guard waited < settings.startupWait else {
                throw DaemonError(description: "no database within startup.wait (\(Int(settings.startupWait)) s) and no sealed state to render from: \(error)")
            }
            notifier.extendTimeout(seconds: Int(delay) + 30, status: "waiting for the database (\(Int(waited)) s): \(error)")
            return
        }
        sendStatus(status.line)
    }

    private func contact() {
        let now = Self.now()
        if let duration = databaseFailures.recovered(at: now) {
            logger.notice("database reachable again", metadata: ["after_seconds": "\(Int(duration))"])
        }
        status.lastContact = now
        status.databaseError = nil
        status.staleSince = nil
    }

    private func apply(_ reload: (settings: ProviderdSettings, keyring: FernetKeyring)) {
        if reload.settings.stateDir != settings.stateDir {
            logger.warning("state.dir changes only on restart", metadata: ["running": "\(settings.stateDir)"])
        }
        var next = reload.settings
        next.stateDir = settings.stateDir
        settings = next
        keyring = reload.keyring
        renderer.table = EnvNameTable(overrides: next.envNameOverrides)
        logger.info("configuration reloaded", metadata: ["key_ids": "\(keyring.keyIDs.joined(separator: ","))"])
    }

    private func sendReady() {
        lastStatusSent = status.line
        notifier.ready(status: status.line)
    }

    /// STATUS= only when the line changed.
    private func sendStatus(_ line: String) {
        guard line != lastStatusSent else { return }
        lastStatusSent = line
        notifier.status(line)
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
