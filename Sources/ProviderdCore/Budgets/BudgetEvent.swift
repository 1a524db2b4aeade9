#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One row of `budget_events`: a threshold a budget's spend reached in a period,
/// recorded once for all hosts by the transaction whose usage reached it.
package struct BudgetEvent: Sendable, Equatable {
    package var budget: String
    /// Unix seconds.
    package var periodStart: Int64
    package var threshold: Decimal
    /// The spend and the limit when it was recorded.
    package var spent: Decimal
    package var limit: Decimal
    package var crossedAt: String
    /// The providerd instance that announced it (log, hook, metric); nil until one has.
    package var announcedBy: String?
}
