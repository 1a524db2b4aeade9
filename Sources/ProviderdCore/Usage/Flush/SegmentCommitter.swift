import Logging

/// One sealed segment into `model_usage`, exactly once: its transaction (the
/// flush-log check, the rows, what the database refuses or cannot read set aside
/// in quarantine before COMMIT, the log row, COMMIT), then its ids into `ids.log`
/// so that resends stay duplicates once the segment is gone.
///
/// The segment leaves the spool between `log` and `keep` (the flusher removes
/// it): once committed it must go whatever happens, or a full disk holds it, and
/// the space it takes, for ever. Ids `ids.log` cannot take then stay in memory
/// (the id window has them) until a later pass or the next checkpoint.
package struct SegmentCommitter: Sendable {
    let spool: Spool
    let idLog: IdLog
    /// This daemon's instance, for a segment whose name carries none.
    let instance: String
    let logger: Logger
    /// Ids of committed segments that `ids.log` could not take yet (a full disk).
    package private(set) var unlogged: [(id: String, acceptedAt: Int64)] = []
    private var idLogFailing = FailureLatch()

    package init(spool: Spool, idLog: IdLog, instance: String, logger: Logger) {
        self.spool = spool
        self.idLog = idLog
        self.instance = instance
        self.logger = logger
    }

    /// The segment's transaction, on the caller's actor (the flusher's thread, which
    /// libpq blocks). Anything failing on the way rolls it all back, the quarantine
    /// file included (the next attempt makes it anew).
    /// `budgets`: migration 003 is in, so the rows are added to the budgets'
    /// ledger in the same transaction (and the result carries the ledger's values).
    package func commit(
        _ flush: SegmentFlush, segment: String, store: UsageFlushStore, budgets: Bool = false,
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> SegmentFlush.Result {
        // The instance the segment was written under, which its name carries: the
        // state directory may have taken another identity since (a copy on a new host).
        let instance = SegmentName(parsing: segment)?.instance ?? self.instance
        if try store.begin(instance: instance, segment: segment) {
            return flush.result(alreadyFlushed: true, refused: [])
        }
        do {
            let aggregate = flush.aggregate
            let refused = try store.add(aggregate)
            let ledger = budgets ? try store.addToBudgets(aggregate, refused: refused.map(\.key)) : []
            let setAside = flush.setAside(refused: refused)
            // Also when empty: an earlier attempt's rolled-back quarantine file goes.
            try await spool.quarantine(lines: setAside, of: segment)
            try store.commit(instance: instance, segment: segment, records: aggregate.records)
            var result = flush.result(alreadyFlushed: false, refused: refused)
            result.ledger = ledger
            return result
        } catch {
            store.rollback()
            throw error
        }
    }

    /// Appends a committed segment's ids to `ids.log` (fsync on the caller's
    /// thread). A failure is logged once per run of failures.
    package mutating func log(_ ids: [(id: String, acceptedAt: Int64)]) -> Bool {
        do {
            try idLog.append(ids)
            idLogFailing.succeeded()
            return true
        } catch {
            if idLogFailing.failed() {
                logger.error(
                    "cannot write ids.log; the segment is removed anyway and its ids are kept in memory until it can be written",
                    metadata: ["error": "\(error)"])
            }
            return false
        }
    }

    /// After the segment left the spool: ids `log` could not take get one more
    /// try (the segment's space is free now), and are kept in memory if it fails.
    package mutating func keep(_ ids: [(id: String, acceptedAt: Int64)], logged: Bool) {
        if !logged, !log(ids) { unlogged += ids }
    }

    /// Ids kept in memory, into `ids.log` now if it takes them; how many it took.
    package mutating func logKept() -> Int {
        guard !unlogged.isEmpty, log(unlogged) else { return 0 }
        defer { unlogged = [] }
        return unlogged.count
    }

    /// The id table went to disk with every id in it: none is owed to `ids.log`.
    package mutating func checkpointed() { unlogged = [] }
}
