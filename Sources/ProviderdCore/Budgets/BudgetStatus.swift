#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where a budget stands in its current period: one answer of `budgets status`,
/// of the socket's `budget` op and of `models.json`. A value computed from the
/// budget, the spend the database held at `asOf`, and what this host has
/// acknowledged since and not flushed yet.
package struct BudgetStatus: Sendable, Equatable {
    package enum State: String, Sendable, Equatable, Comparable {
        case ok
        /// A threshold below the limit has been reached.
        case warning
        /// The spend has reached the limit.
        case exceeded

        private var rank: Int {
            switch self {
            case .ok: return 0
            case .warning: return 1
            case .exceeded: return 2
            }
        }

        package static func < (a: State, b: State) -> Bool { a.rank < b.rank }
    }

    package var budget: Budget
    /// Unix seconds.
    package var periodStart: Int64
    package var resetsAt: Int64
    package var spent: Decimal
    /// Requests in the spend whose model had no price (priced by `prices.unknown`).
    package var unpricedRequests: Int64
    /// Unix seconds of the database read the spend comes from.
    package var asOf: Double
    /// The database could not be read lately: the spend may be behind.
    package var stale: Bool

    package init(budget: Budget, periodStart: Int64, spent: Decimal, unpricedRequests: Int64, asOf: Double, stale: Bool = false) {
        self.budget = budget
        self.periodStart = periodStart
        self.resetsAt = budget.period.end(ofPeriodStarting: periodStart)
        self.spent = spent
        self.unpricedRequests = unpricedRequests
        self.asOf = asOf
        self.stale = stale
    }

    package var remaining: Decimal { spent >= budget.limit ? 0 : budget.limit - spent }

    /// Spent as a percentage of the limit, to two decimals (for display; the
    /// decisions compare the decimals themselves).
    package var percent: Double {
        let ratio = spent / budget.limit * 100
        return ((Double("\(ratio)") ?? 0) * 100).rounded() / 100
    }

    package var state: State {
        if spent >= budget.limit { return .exceeded }
        if let lowest = budget.thresholds.first(where: { $0 < 1 }), spent >= budget.limit * lowest { return .warning }
        return .ok
    }
}
