import Logging
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Says that a budget crossed a threshold, once for all hosts (the events come
/// from `BudgetStore.claimEvents`, which hands each to one claimer): a log line,
/// a warning below the limit and an error at it, and `budgets.on_event` if set.
/// An event whose period has already ended (recorded while no providerd ran) is
/// logged as late, and runs no hook.
///
/// Hooks run one at a time, off the thread that claimed the events, from a
/// queue of at most `maxQueued`: a slow or hanging hook delays other hooks
/// (each bounded by its timeout), never a read, a flush or an ack.
package final class BudgetAnnouncer: Sendable {
    private let logger: Logger
    private let hook: Mutex<BudgetHook?>
    private let runner: BudgetHookRunner
    private let metrics: ProviderdMetrics?
    private let reporter: StatusReporter?

    package static let maxQueued = 256

    package init(hook: BudgetHook? = nil, metrics: ProviderdMetrics? = nil, reporter: StatusReporter? = nil, logger: Logger) {
        self.logger = logger
        self.reporter = reporter
        self.metrics = metrics
        self.hook = Mutex(hook)
        self.runner = BudgetHookRunner(logger: logger)
    }

    /// SIGHUP: a new (or no) hook, from the next event on.
    package func update(hook: BudgetHook?) {
        self.hook.withLock { $0 = hook }
    }

    package func announce(_ claimed: ClaimedBudgetEvent, now: Double) {
        let event = claimed.event
        metrics?.announced(budget: event.budget)
        if Double(claimed.resetsAt) > now {
            reporter?.update { $0.lastBudgetEvent = "\(event.budget) at \(claimed.percent)% (threshold \(event.threshold)) \(event.crossedAt)" }
            reporter?.sendStatus()
        }
        let metadata: Logger.Metadata = [
            "budget": "\(event.budget)", "scope": "\(claimed.scope)", "threshold": "\(event.threshold)",
            "percent": "\(claimed.percent)", "spent_usd": "\(event.spent)", "limit_usd": "\(event.limit)",
            "period_start": "\(UTCTimestamp.iso8601(Double(event.periodStart)))",
            "resets_at": "\(UTCTimestamp.iso8601(Double(claimed.resetsAt)))", "action": "\(claimed.action)",
        ]
        if Double(claimed.resetsAt) <= now {
            logger.notice("budget threshold crossed in a period that has ended (announced late)", metadata: metadata)
            return
        } else if event.threshold >= 1 {
            logger.error("budget limit reached", metadata: metadata)
        } else {
            logger.warning("budget threshold crossed", metadata: metadata)
        }
        if let hook = hook.withLock({ $0 }) {
            let runner = self.runner
            Task { await runner.run(hook, claimed) }
        }
    }
}

/// Runs the hooks one at a time, in the order of the events.
actor BudgetHookRunner {
    private let logger: Logger
    private var queued = 0
    private var running: Task<Void, Never>?

    init(logger: Logger) {
        self.logger = logger
    }

    func run(_ hook: BudgetHook, _ claimed: ClaimedBudgetEvent) async {
        guard queued < BudgetAnnouncer.maxQueued else {
            logger.error(
                "budgets.on_event not run: too many events are waiting for it", metadata: ["budget": "\(claimed.event.budget)", "queued": "\(queued)"])
            return
        }
        queued += 1
        let previous = running
        let logger = self.logger
        let task = Task {
            await previous?.value
            let outcome = await hook.run(claimed)
            let metadata: Logger.Metadata = [
                "budget": "\(claimed.event.budget)", "threshold": "\(claimed.event.threshold)", "command": "\(hook.argv[0])",
            ]
            switch outcome {
            case .succeeded:
                logger.info("budgets.on_event ran", metadata: metadata)
            case .failed(let status, let stderr):
                logger.error("budgets.on_event failed", metadata: metadata.merging(["status": "\(status)", "stderr": "\(stderr)"]) { $1 })
            case .timedOut(let stderr):
                logger.error(
                    "budgets.on_event timed out; its process group was killed",
                    metadata: metadata.merging(["timeout_seconds": "\(hook.timeout)", "stderr": "\(stderr)"]) { $1 })
            case .couldNotStart(let reason):
                logger.error("budgets.on_event could not start", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
            }
        }
        running = task
        await task.value
        queued -= 1
    }
}
