#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An event this providerd took to announce (`BudgetStore.claimEvents`), with
/// what an alert says beside the event itself.
package struct ClaimedBudgetEvent: Sendable, Equatable {
    package var event: BudgetEvent
    package var scope: String
    package var action: String
    /// Unix seconds: when the event's period ends.
    package var resetsAt: Int64

    /// Spent as a percentage of the limit when the event was recorded, two decimals.
    package var percent: Double {
        guard event.limit > 0 else { return 0 }
        return ((Double("\(event.spent / event.limit * 100)") ?? 0) * 100).rounded() / 100
    }
}
