import Logging
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Says that a budget crossed a threshold, once for all hosts (the events come
/// from `BudgetStore.claimEvents`, which hands each to one claimer): a log line,
/// a warning below the limit and an error at it. An event whose period has
/// already ended (recorded while no providerd ran) is logged as late.
package final class BudgetAnnouncer: Sendable {
    private let logger: Logger
    private let announced = Mutex<Int64>(0)

    package init(logger: Logger) {
        self.logger = logger
    }

    /// Events announced by this process.
    package var count: Int64 { announced.withLock { $0 } }

    package func announce(_ claimed: ClaimedBudgetEvent, now: Double) {
        announced.withLock { $0 += 1 }
        let event = claimed.event
        let metadata: Logger.Metadata = [
            "budget": "\(event.budget)", "scope": "\(claimed.scope)", "threshold": "\(event.threshold)",
            "percent": "\(claimed.percent)", "spent_usd": "\(event.spent)", "limit_usd": "\(event.limit)",
            "period_start": "\(UTCTimestamp.iso8601(Double(event.periodStart)))",
            "resets_at": "\(UTCTimestamp.iso8601(Double(claimed.resetsAt)))", "action": "\(claimed.action)",
        ]
        if Double(claimed.resetsAt) <= now {
            logger.notice("budget threshold crossed in a period that has ended (announced late)", metadata: metadata)
        } else if event.threshold >= 1 {
            logger.error("budget limit reached", metadata: metadata)
        } else {
            logger.warning("budget threshold crossed", metadata: metadata)
        }
    }
}
