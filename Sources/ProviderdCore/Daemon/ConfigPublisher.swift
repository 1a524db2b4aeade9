import Logging

/// Turns what the database holds (or the sealed last-known-good state) into the
/// two files agents read: decrypts the keys, renders, writes the model map and then
/// the env file when their bytes change, and seals the state that came from the
/// database. Shared by the daemon's render loop and `providerd render`.
///
/// Each refused provider or service row is logged once, when it first appears, and
/// once when it is accepted again; repeated write failures are logged at most once
/// a minute.
package struct ConfigPublisher {
    /// The files a publish writes. `run` and `render` write both, from the
    /// settings; `providerd exec` writes only those named on its command line
    /// (none by default: the child gets the values in its environment).
    package struct Outputs: Sendable, Equatable {
        package var envFile: String?
        package var modelMap: String?

        package init(envFile: String?, modelMap: String?) {
            self.envFile = envFile
            self.modelMap = modelMap
        }

        init(_ settings: ProviderdSettings) { self.init(envFile: settings.envFile, modelMap: settings.modelMap) }

        var paths: [String] { [modelMap, envFile].compactMap { $0 } }
    }

    /// The outcome of one publish.
    enum Outcome {
        /// Both files hold this render (written now, or already identical).
        case published(RenderResult, generation: Int)
        /// A file could not be written; the previous files stay in place.
        /// `delivered`: the generation agents already see (both outputs were
        /// renamed into place, or there are none) when only what makes it durable
        /// failed (an fsync, the generation counter, the sealed state); `providerd
        /// exec` hands it to its child all the same.
        case failed(RenderResult, reason: String, delivered: Int?)
    }

    private(set) var settings: ProviderdSettings
    private(set) var keyring: FernetKeyring
    /// Set by `providerd exec`; nil: the settings' two files.
    private let fixedOutputs: Outputs?
    var outputs: Outputs { fixedOutputs ?? Outputs(settings) }
    private var renderer: ConfigRenderer
    /// Rows decrypted at the last publish, reused while unchanged (this keyring's).
    private var decryptions = DecryptionCache()
    private var generations: GenerationStore
    private let state: StateDirectory
    private let logger: Logger
    private var sealedDigest: String?
    private var reported: Set<ProviderProblem> = []
    private var reportedServices: Set<ServiceProblem> = []
    private var failures = RepeatingFailureLog()
    private var publishedOnce = false
    /// An output was written and not yet fsynced (that failed): the next publish
    /// syncs again even when the bytes are unchanged.
    private var outputsToSync = false
    /// Providers shown before `api_keys` went empty; 0 while rows show.
    private var vanishedFrom = 0

    init(settings: ProviderdSettings, keyring: FernetKeyring, state: StateDirectory, logger: Logger, outputs: Outputs? = nil) throws {
        self.settings = settings
        self.keyring = keyring
        self.fixedOutputs = outputs
        let outputs = outputs ?? Outputs(settings)
        self.renderer = ConfigRenderer(table: EnvNameTable(overrides: settings.envNameOverrides))
        var generations = try GenerationStore(directory: state)
        generations.raise(toAtLeast: OutputGeneration.highest(envFile: outputs.envFile, modelMap: outputs.modelMap))
        self.generations = generations
        self.state = state
        self.logger = logger
        // A write killed before its rename (SIGKILL, a power cut) leaves its
        // temporary file, which may hold keys since replaced. The lock is held.
        let written = outputs.paths + ["generation", SealedState.fileName].map(state.file)
        let stale = written.flatMap { AtomicFileWriter.removeStaleTemporaries(of: $0) }
        if !stale.isEmpty {
            logger.notice("removed temporary files an interrupted write left behind", metadata: ["files": "\(stale.joined(separator: ","))"])
        }
    }

    /// A reload's settings and keys. `state.dir` is fixed for the process's life.
    mutating func apply(settings next: ProviderdSettings, keyring: FernetKeyring) {
        var next = next
        next.stateDir = settings.stateDir
        settings = next
        self.keyring = keyring
        decryptions = DecryptionCache()
        renderer.table = EnvNameTable(overrides: next.envNameOverrides)
    }

    /// Renders and writes a snapshot read from the database, and seals it.
    ///
    /// A read that shows no `api_keys` row at all where the last one (or, at the
    /// first read, the sealed state) had providers is rendered as read, but said:
    /// a dropped row-level-security policy or a revoked grant looks exactly like
    /// that. It is logged once, shown in STATUS until rows show again, and not
    /// sealed, so that the sealed state keeps the last keys seen.
    mutating func publish(_ snapshot: ConfigSnapshot, budgets: BudgetRenderView = BudgetRenderView(), now: Double) -> Outcome {
        // Only an empty read needs the count (and opening the sealed state at start).
        let before = !snapshot.keys.isEmpty ? 0 : publishedOnce ? renderer.lastGood.count : sealedProviderCount()
        publishedOnce = true
        if snapshot.keys.isEmpty, before > 0, vanishedFrom == 0 {
            vanishedFrom = before
            logger.warning(
                "api_keys shows no rows where it showed providers; a row-level security policy or a grant may hide them from this role (providerd check says more)",
                metadata: ["providers_before": "\(before)"])
        } else if !snapshot.keys.isEmpty, vanishedFrom > 0 {
            vanishedFrom = 0
            logger.notice("api_keys shows rows again", metadata: ["rows": "\(snapshot.keys.count)"])
        }
        let candidates = decryptions.decrypt(snapshot.keys, keyring: keyring)
        var result = renderer.render(candidates: candidates, services: snapshot.services, budgets: budgets)
        result.vanishedProviders = vanishedFrom
        report(result)
        return write(result, sealing: vanishedFrom > 0 ? nil : snapshot.services, now: now)
    }

    /// Providers in the sealed state, or 0 when there is none or it does not open.
    private func sealedProviderCount() -> Int {
        ((try? SealedState.unseal(with: keyring, from: state)) ?? nil)?.providers.count ?? 0
    }

    /// Renders the sealed state, for a start without the database. Nil when there is
    /// none, or it does not open with the configured keys (logged).
    mutating func restoreSealedState(now: Double) -> (outcome: Outcome, lastContact: Double)? {
        let sealed: SealedState?
        do {
            sealed = try SealedState.unseal(with: keyring, from: state)
        } catch {
            logger.warning(
                "the sealed last-known-good state cannot be opened with the configured keys; ignoring it",
                metadata: ["error": "\(error)", "key_ids": "\(keyring.keyIDs.joined(separator: ","))"])
            return nil
        }
        guard let sealed else { return nil }
        let candidates = Dictionary(
            uniqueKeysWithValues: sealed.providers.map {
                ($0.provider, Result<ProviderSecrets, ProviderProblem>.success($0))
            })
        let result = renderer.render(candidates: candidates, services: sealed.services)
        let digest = result.digest
        sealedDigest = digest
        return (write(result, digest: digest, sealing: nil, now: now), Double(sealed.lastContact))
    }

    /// `digest`: `result.digest`, computed once per publish by the caller (a JSON
    /// encoding and a SHA-256 of both files' content).
    ///
    /// The order is what agents wait on, then what a restart needs:
    /// 1. the model map, then the env file (each: temp file, rename), so that a
    ///    reader who sees generation N in the env file finds a map at N or later.
    ///    Nothing is fsynced before: both files are derived, and every start
    ///    renders and rewrites them before READY=1, so no agent reads a copy a
    ///    power cut left short;
    /// 2. then, off that path: both files and their directories fsynced, the
    ///    generation counter, and the sealed state, each durable before the next.
    /// A kill anywhere leaves each file whole (the page cache keeps what was
    /// written). Between the two renames the map is one ahead of the env file until
    /// the next start, which numbers from the highest generation either file
    /// carries (`OutputGeneration`) and rewrites both.
    private mutating func write(_ result: RenderResult, digest: String? = nil, sealing services: [ServiceConfig]?, now: Double) -> Outcome {
        let digest = digest ?? result.digest
        var delivered: Int?
        do {
            let previous = generations.generation
            let generation = generations.next(for: digest)
            // Root rendering for the service (cron) writes files the service can
            // replace: owned as configured, else as the state directory is.
            let owner = settings.outputOwner ?? state.adoptedOwner?.uid
            let group = settings.outputGroup ?? state.adoptedOwner?.gid
            let mapWriter = AtomicFileWriter(mode: settings.modelMapMode, owner: owner, group: group)
            let envWriter = AtomicFileWriter(mode: 0o600, owner: owner, group: group)
            let outputs = self.outputs
            let wroteMap = try outputs.modelMap.map {
                try mapWriter.writeIfChanged(Array(result.modelMap(generation: generation).utf8), to: $0, deferSync: true)
            }
            let wroteEnv = try outputs.envFile.map {
                try envWriter.writeIfChanged(Array(result.envFile(generation: generation).utf8), to: $0, deferSync: true)
            }
            // Agents see the change from here on; the rest makes it durable.
            delivered = generation
            outputsToSync = outputsToSync || wroteMap == true || wroteEnv == true
            if outputsToSync {
                try AtomicFileWriter.sync(outputs.paths)
                outputsToSync = false
            }
            try generations.persist(generation, digest: digest)
            if let services, digest != sealedDigest {
                // Rows the map cannot carry (a NaN temperature) are not sealed either.
                let sealed = SealedState(
                    providers: renderer.lastGood.values.sorted { $0.provider < $1.provider },
                    services: services.filter { $0.temperature?.isFinite ?? true }, lastContact: Int64(now))
                try sealed.seal(with: keyring, into: state)
                sealedDigest = digest
            }
            if let duration = failures.recovered(at: MonotonicSeconds.now()) {
                logger.notice("files written again", metadata: ["after_seconds": "\(Int(duration))"])
            }
            if generation != previous || wroteMap == true || wroteEnv == true {
                logger.info(
                    "rendered",
                    metadata: [
                        "generation": "\(generation)", "providers": "\(result.providersWithKeys.count)",
                        "services": "\(result.services.count)", "env_file": "\(outputs.envFile ?? "none")",
                        "model_map": "\(outputs.modelMap ?? "none")",
                    ])
            }
            return .published(result, generation: generation)
        } catch {
            let (log, skipped) = failures.failed(at: MonotonicSeconds.now())
            if log { logger.error("cannot write the output files", metadata: ["error": "\(error)", "repeats": "\(skipped)"]) }
            return .failed(result, reason: "\(error)", delivered: delivered)
        }
    }

    private mutating func report(_ result: RenderResult) {
        let current = Set(result.problems)
        for problem in result.problems where !reported.contains(problem) {
            let fallback = result.staleProviders.contains(problem.provider) ? "keeping its last good value" : "left out of the env file"
            logger.warning(
                "provider value refused; \(fallback)",
                metadata: [
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
            logger.warning(
                "model_config row cannot be written; \(fallback)",
                metadata: [
                    "service": "\(problem.service)", "reason": "\(problem.reason)",
                ])
        }
        reportedServices = services
    }
}

extension ConfigPublisher {
    /// `providerd render`: one connection, one full read, both files. Throws when
    /// the database cannot be read or the files cannot be written.
    package static func renderOnce(
        settings: ProviderdSettings, keyring: FernetKeyring, state: StateDirectory,
        logger: Logger
    ) throws -> RenderResult {
        let connection = try PostgresConnection(settings.connectionOptions)
        let (snapshot, _) = try ConfigSnapshotQuery.read(on: connection)
        var publisher = try ConfigPublisher(settings: settings, keyring: keyring, state: state, logger: logger)
        switch publisher.publish(snapshot, now: UTCTimestamp.now()) {
        case .published(let result, _):
            return result
        case .failed:
            throw DaemonError(description: "cannot write \(settings.modelMap) and \(settings.envFile); see the log")
        }
    }
}
