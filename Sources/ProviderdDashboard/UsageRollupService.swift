import Logging
import ProviderdCore
import ServiceLifecycle

/// Moves the usage deltas into the per-day rollups every 5 s while the dashboard
/// runs (`UsageRollup.compact`), so that a report adds up at most a few seconds of
/// deltas beside the rollup rows. The sidecars' flushers compact too; one
/// compaction runs at a time across all of them.
///
/// A database without the rollups (before migration 005) is said once and looked
/// up again every 10 minutes (`UsageRollup.Availability`): the reports then read
/// `model_usage` itself, exact but slower.
struct UsageRollupService: Service {
    let database: DashboardDatabase
    let logger: Logger
    var interval: Duration = .seconds(5)

    func run() async throws {
        var failing = FailureLatch()
        var availability = UsageRollup.Availability()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let current = availability
                let (available, checked) = try await database.withConnection { connection in
                    var check = current
                    return (try check.check(on: connection, now: MonotonicSeconds.now(), logger: logger), check)
                }
                availability = checked
                // A full batch: a bulk load left more; go on at once, one batch per call.
                var moved = available ? UsageRollup.batch : 0
                while moved == UsageRollup.batch, !Task.isShuttingDownGracefully {
                    moved = try await database.withConnection { try UsageRollup.compact(on: $0) } ?? 0
                    if moved > 0 { logger.debug("usage deltas moved into the rollups", metadata: ["rows": "\(moved)"]) }
                }
                failing.succeeded()
            } catch {
                if failing.failed() {
                    logger.notice(
                        "cannot move usage deltas into the rollups; reports stay exact, only slower",
                        metadata: ["error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
