/// Records acknowledged in one write round, as the `BudgetBoard` takes them: as
/// they are, priced later by `BudgetBoard.settle` on the refresher's thread.
package struct PendingRecords: Sendable {
    package var records: [UsageRecord]
    /// The ack time, the timestamp of records that carry none.
    package var now: Int64
}
