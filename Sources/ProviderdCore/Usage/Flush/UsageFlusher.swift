import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Moves spooled usage into `model_usage`: the pass scheduler. Every
/// `usage.flush_interval` it seals the active segment and hands each sealed one
/// (oldest first) to the `SegmentCommitter`, which writes it in its own
/// transaction; the `IdCheckpointer` writes the id table out now and then.
/// Connection loss, serialization failures and deadlocks are retried with
/// backoff; a segment the database refuses for good (a constraint, a permission,
/// an overflow) is quarantined and the rest flows on. A segment leaves the spool
/// only after its transaction committed. Each pass ends with a STATUS summary; a
/// stop gets one bounded last pass (`finalFlush`).
///
/// Its executor is a dedicated event loop thread that serves nothing else (least
/// of all the usage socket): libpq, the `ids.log` fsyncs and the id table's msync
/// block it directly. What others call while a statement may be blocked (`update`
/// on SIGHUP, `finalFlush`'s timeout) is nonisolated.
package actor UsageFlusher {
    private let spool: Spool
    private let stats: UsageStatsBoard
    private let loop: any EventLoop
    private let logger: Logger
    private var settings: ProviderdSettings
    /// Set by `update` from outside the actor; applied before the next segment.
    private nonisolated let pendingUpdate = Mutex<(settings: ProviderdSettings, prices: PriceTable?)?>(nil)
    /// nil until `run` has parsed the built-in table (half a megabyte of JSON), which
    /// it does at start beside the first render, off the path to READY.
    private var prices: PriceTable?
    private var connection: PostgresConnection?
    private var failures = RepeatingFailureLog()
    private var backoff = Backoff(base: 0.5, cap: 30)
    private var unpricedWarnings = UnpricedModelWarnings()
    private var reporter: StatusReporter?
    /// The cancel request of the connection a statement is running on, so that a
    /// stop can interrupt a flush blocked on a lock or a slow server.
    private nonisolated let running = RunningStatement()
    private var committer: SegmentCommitter
    private var checkpointer: IdCheckpointer
    private var firstPass = true
    private var registration: InstanceRegistration
    private var compaction = RollupCompaction()
    /// Budgets' view, told each segment's ledger values and pending spend's end.
    private let budgets: BudgetBoard?
    /// Counts what each committed segment added (cost, tokens, requests).
    private let metrics: ProviderdMetrics?
    /// Whether the current connection's database has migration 003 (nil: not asked yet).
    private var budgetSchema: Bool?
    private var budgetSchemaWarned = false

    /// `storage`: the spool, stats, id table and `ids.log` the intake fills, opened
    /// once (`UsageStorage.open`).
    package init(
        storage: UsageStorage, loop: any EventLoop, settings: ProviderdSettings, prices: PriceTable?, budgets: BudgetBoard? = nil,
        metrics: ProviderdMetrics? = nil, logger: Logger
    ) {
        self.budgets = budgets
        self.metrics = metrics
        self.registration = InstanceRegistration(instance: storage.instance, host: storage.host)
        self.spool = storage.spool
        self.stats = storage.stats
        self.committer = SegmentCommitter(spool: storage.spool, idLog: storage.idLog, instance: storage.instance, logger: logger)
        self.checkpointer = IdCheckpointer(table: storage.idTable, idLog: storage.idLog, now: MonotonicSeconds.now())
        self.loop = loop
        self.settings = settings
        self.prices = prices
        self.logger = logger
    }

    package nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// Where a one-line usage summary goes after each pass (the daemon's STATUS).
    package func reportStatus(to reporter: StatusReporter) {
        self.reporter = reporter
    }

    /// SIGHUP: new settings and prices apply from the next segment on, a new
    /// `database.url` from the next connection, which is made at once. Unknown
    /// models are warned about again, since the new table may price them.
    package nonisolated func update(settings: ProviderdSettings, prices: PriceTable?) {
        pendingUpdate.withLock { $0 = (settings, prices) }
    }

    private func applyPendingUpdate() {
        guard let (settings, prices) = pendingUpdate.withLock({ $0.take() }) else { return }
        if settings.databaseURL != self.settings.databaseURL {
            connection = nil
            logger.info(
                "usage goes to the new database.url from the next flush",
                metadata: ["database.url": "\(PostgresConnection.redacted(settings.databaseURL))"])
        }
        self.settings = settings
        self.prices = prices
        unpricedWarnings = UnpricedModelWarnings()
    }

    /// Flushes until graceful shutdown; waits `flush_interval`, or the backoff after
    /// a database failure, between passes.
    package func run() async {
        // The built-in prices load now, on the flusher's thread, beside the first
        // render rather than before it. (The id table is not faulted in ahead: that
        // made every page resident and dirty, 256 MiB of RSS and of writeback at
        // each start with the default spool bound; a page costs one fault at its
        // first id instead.)
        do {
            _ = try priceTable()
        } catch {
            logger.error("cannot load the built-in prices; usage stays spooled until they load", metadata: ["error": "\(error)"])
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A stop interrupts a statement that waits (a held lock): the flush fails
            // as retryable, nothing is quarantined, and the final flush takes over.
            let running = self.running
            let sealActive = !firstPass
            firstPass = false
            let ok = await withGracefulShutdownHandler {
                await flushAll(fresh: false, sealActive: sealActive)
            } onGracefulShutdown: {
                running.cancel()
            }
            applyPendingUpdate()
            let delay = ok ? settings.flushInterval : backoff.next()
            if ok { backoff.reset() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) }
        }
    }

    /// The last attempt at shutdown: a fresh connection, no backoff, bounded by
    /// `usage.stop_flush_timeout`. What it cannot write stays spooled for the next start.
    package nonisolated func finalFlush() async {
        let timeout = await stopFlushTimeout()
        let running = self.running
        running.reset()
        enum Outcome {
            case flushed(Bool)
            case timedOut
        }
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask { .flushed(await self.flushAll(fresh: true)) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            // Past the timeout: interrupt the statement in progress, so the group
            // (which waits for its tasks) ends now rather than when the lock is gone.
            if case .timedOut = first { running.cancel() }
            group.cancelAll()
            return first
        }
        await checkpointIDs(force: true)
        if case .flushed(true) = outcome { return }
        logger.warning(
            "usage not fully flushed at shutdown; it stays spooled for the next start",
            metadata: ["timeout_seconds": "\(timeout)"])
    }

    private func stopFlushTimeout() -> Double {
        applyPendingUpdate()
        return settings.stopFlushTimeout
    }

    /// One pass over the spool. Returns false when the database failed.
    /// The first pass of a run takes only what a previous run left sealed; the
    /// active segment waits for `usage.flush_interval` like any other.
    package func flushAll(fresh: Bool, sealActive: Bool = true) async -> Bool {
        let segments: [String]
        do {
            segments = try await spool.seal(active: sealActive)
        } catch {
            logger.error("cannot seal the usage spool", metadata: ["error": "\(error)"])
            return false
        }
        let relogged = committer.logKept()
        if relogged > 0 {
            logger.notice("ids of flushed usage written to ids.log again", metadata: ["ids": "\(relogged)"])
        }
        var committed = false
        for segment in segments {
            if Task.isCancelled { return false }
            applyPendingUpdate()
            do {
                let prices = try priceTable()
                let connection = try connect(fresh: fresh)
                let bytes = try await spool.read(segment)
                let unknown: UsagePricer.UnknownPolicy = settings.unknownPrice == .zero ? .zero : .seedFallback
                defer { running.set(nil) }
                guard running.set(connection.canceller), !Task.isCancelled else { return false }
                var pricer = UsagePricer(table: prices, unknown: unknown)
                let flush = SegmentFlush(segment: bytes, pricer: &pricer)
                let store = UsageFlushStore(connection: connection)
                let result = try await committer.commit(flush, segment: segment, store: store, budgets: try budgetsAvailable(store))
                budgets?.committed(segment: segment, ledger: result.ledger)
                if !result.alreadyFlushed { metrics?.flushed(result.aggregate, refused: Set(result.quarantined.map(\.key))) }
                // Committed: from here the segment must leave the spool whatever happens,
                // or a full disk holds it (and the space it takes) for ever.
                let logged = committer.log(result.ids)
                try await spool.remove(segment)
                committer.keep(result.ids, logged: logged)
                record(result, segment: segment)
                committed = committed || !result.alreadyFlushed
            } catch let error as PostgresError where error.isRetryable {
                connection = nil
                let (log, skipped) = failures.failed(at: MonotonicSeconds.now())
                if log { logger.error("cannot flush usage; retrying", metadata: ["error": "\(error)", "repeats": "\(skipped)"]) }
                return false
            } catch let error as PostgresError {
                logger.error(
                    "database refused a usage segment; quarantined",
                    metadata: [
                        "segment": "\(segment)", "error": "\(error)", "sqlstate": "\(error.sqlState ?? "-")",
                    ])
                stats.update { $0.quarantinedThisRun += 1 }
                try? await spool.quarantine(segment)
                budgets?.discard(segment: segment)
            } catch {
                logger.error("cannot flush usage", metadata: ["segment": "\(segment)", "error": "\(error)"])
                return false
            }
        }
        reporter?.setUsage(stats.current.statusText)
        if let connection, registration.isDue(now: MonotonicSeconds.now()) {
            registration.refresh(on: connection, now: MonotonicSeconds.now(), logger: logger)
        }
        if committed, let connection, compaction.isDue(now: MonotonicSeconds.now()) {
            compaction.run(on: connection, now: MonotonicSeconds.now(), logger: logger)
        }
        checkpointIDs(force: false)
        if !segments.isEmpty, stats.current.spooledBytes == 0 {
            // A burst is over: hand the allocator's free pages back to the system.
            MemoryTrim.now()
        }
        if let duration = failures.recovered(at: MonotonicSeconds.now()) {
            logger.notice("usage flushing again", metadata: ["after_seconds": "\(Int(duration))"])
        }
        return true
    }

    /// The id table out and `ids.log` emptied, when the `IdCheckpointer` finds it due
    /// (or `force`: a stop).
    func checkpointIDs(force: Bool) {
        switch checkpointer.checkpoint(force: force, now: MonotonicSeconds.now()) {
        case .skipped:
            break
        case .written:
            committer.checkpointed()
        case .failed(let error, let report):
            if report {
                logger.error("cannot write the id table out; ids.log keeps the ids meanwhile", metadata: ["error": "\(error)"])
            }
        }
    }

    private func record(_ result: SegmentFlush.Result, segment: String) {
        let now = Int64(UTCTimestamp.now())
        stats.update { $0.lastFlush = now }
        if result.alreadyFlushed {
            // Committed by an earlier pass (or process) that could not remove it: its
            // records are in model_usage, and this is where they are counted.
            stats.update { $0.flushed += Int64(result.aggregate.records) }
            logger.notice("segment already in the flush log; removed without counting it again", metadata: ["segment": "\(segment)"])
            return
        }
        for (key, error) in result.quarantined {
            stats.update { $0.quarantinedThisRun += 1 }
            logger.error(
                "database refused usage rows; their records are quarantined",
                metadata: [
                    "service": "\(key.service)", "model": "\(key.model)", "error": "\(error)",
                    "sqlstate": "\(error.sqlState ?? "-")", "file": "\(spool.quarantineDirectory)/\(segment)",
                ])
        }
        if result.unreadableLines > 0 {
            stats.update { $0.quarantinedThisRun += 1 }
            logger.error(
                "spool lines that do not read as usage records were not counted; they are quarantined",
                metadata: [
                    "lines": "\(result.unreadableLines)", "file": "\(spool.quarantineDirectory)/\(segment)",
                ])
        }
        if result.tornBytes > 0 {
            logger.notice(
                "an unfinished last spool line (never acknowledged) was dropped",
                metadata: [
                    "segment": "\(segment)", "bytes": "\(result.tornBytes)",
                ])
        }
        let flushed = Int64(result.aggregate.records - result.quarantined.reduce(0) { $0 + (result.aggregate.rows[$1.key]?.records ?? 0) })
        let unpriced = result.aggregate.rows.values.reduce(Int64(0)) { $0 + $1.unpricedRequests }
        stats.update {
            $0.flushed += flushed
            $0.unpriced += unpriced
        }
        let warn = unpricedWarnings.take(result.aggregate.unpricedModels)
        for model in warn.models {
            logger.warning(
                "no price for model; counted as unpriced",
                metadata: [
                    "model": "\(model)", "priced_as": "\(settings.unknownPrice.rawValue)",
                ])
        }
        if warn.capReached {
            logger.warning(
                "more models without a price; no longer named one by one (see unpriced in stats)",
                metadata: ["named": "\(unpricedWarnings.limit)"])
        }
        logger.debug("flushed usage", metadata: ["segment": "\(segment)", "records": "\(result.aggregate.records)"])
    }

    /// The prices in force, loading the built-in table if it is not loaded yet (on
    /// the flusher's thread). If it cannot be read, nothing is flushed: records stay
    /// spooled, the error is logged, and the next pass tries again.
    private func priceTable() throws -> PriceTable {
        if let prices { return prices }
        let table = try PriceTable.builtIn()
        logger.info(
            "prices loaded",
            metadata: [
                "from": "\(table.origin)", "source": "\(table.source)",
                "models": "\(table.modelCount)",
            ])
        prices = table
        budgets?.pricesLoaded(table)
        return table
    }

    /// Whether this connection's database keeps budgets (migration 003), asked once
    /// per connection; without it usage flows as before, and the log says why
    /// budgets see no spend.
    private func budgetsAvailable(_ store: UsageFlushStore) throws(PostgresError) -> Bool {
        if let budgetSchema { return budgetSchema }
        let present = try store.budgetsAvailable()
        budgetSchema = present
        if !present && !budgetSchemaWarned {
            budgetSchemaWarned = true
            logger.warning("migration 003 is not applied: usage is flushed, but no budget counts it; run `providerd migrate`")
        }
        return present
    }

    private func connect(fresh: Bool) throws -> PostgresConnection {
        if !fresh, let connection, connection.isHealthy { return connection }
        budgetSchema = nil
        var options = settings.connectionOptions
        // The stop's last attempt cannot abort a connection being made: bound it by
        // usage.stop_flush_timeout (libpq's least is 2 s).
        if fresh { options.connectTimeout = max(2, min(options.connectTimeout, Int(settings.stopFlushTimeout.rounded(.up)))) }
        let connection = try PostgresConnection(options)
        self.connection = connection
        registration.refresh(on: connection, now: MonotonicSeconds.now(), logger: logger)
        return connection
    }
}
