/// Records acknowledged in one write round, as the `BudgetBoard` takes them:
/// priced, or kept as they are until the prices and the budgets are known.
package enum PendingRecords: Sendable {
    case priced(PendingSpend)
    /// `now`: the ack time, the timestamp of records that carry none.
    case raw([UsageRecord], now: Int64)
}
