import Logging

/// The flusher's share of keeping the usage rollups small (`UsageRollup`): after
/// a pass that committed segments, at most every 10 s, it moves the deltas its
/// writes (and everyone else's) appended into the per-day rollups.
///
/// Every sidecar does this, so the deltas stay a few seconds deep whether or not
/// a dashboard runs; one compaction runs at a time across all of them (the others
/// return at once). Best effort: a compaction that fails never holds usage back;
/// that is logged once per run of failures. A database without the rollups
/// (before migration 005) is looked for in the catalog, again every 10 minutes,
/// rather than sent a call that fails into the server's log every 10 s. Reports
/// are exact without compactions, only slower.
struct RollupCompaction {
    private var last = -Double.infinity
    private var failing = FailureLatch()
    private var availability = UsageRollup.Availability()
    static let interval = 10.0

    /// Whether a compaction is due (`now` on the monotonic clock).
    func isDue(now: Double) -> Bool { now - last >= Self.interval }

    mutating func run(on connection: PostgresConnection, now: Double, logger: Logger) {
        last = now
        do {
            guard try availability.check(on: connection, now: now, logger: logger) else { return }
            if let moved = try UsageRollup.compact(on: connection), moved > 0 {
                logger.debug("usage deltas moved into the rollups", metadata: ["rows": "\(moved)"])
            }
            failing.succeeded()
        } catch {
            if failing.failed() {
                logger.notice(
                    "cannot move usage deltas into the rollups; usage flushes all the same, reports read the deltas",
                    metadata: ["error": "\(error)"])
            }
        }
    }
}
