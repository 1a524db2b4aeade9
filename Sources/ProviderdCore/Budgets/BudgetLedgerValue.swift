#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A ledger row as a flush's transaction left it (`providerd_budget_add`).
package struct BudgetLedgerValue: Sendable, Equatable {
    package var budgetID: Int64
    /// Unix seconds.
    package var periodStart: Int64
    package var spent: Decimal
    package var unpricedRequests: Int64

    package init(budgetID: Int64, periodStart: Int64, spent: Decimal, unpricedRequests: Int64) {
        self.budgetID = budgetID
        self.periodStart = periodStart
        self.spent = spent
        self.unpricedRequests = unpricedRequests
    }
}
