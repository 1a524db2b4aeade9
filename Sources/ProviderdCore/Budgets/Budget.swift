#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One row of `budgets`, as read. Amounts are `Decimal`, never floating point:
/// they are compared with sums of `numeric` costs, and a limit of $0.30 must not
/// become 0.29999999999999998.
package struct Budget: Sendable, Equatable {
    package var id: Int64
    package var name: String
    package var scope: BudgetScope
    package var period: BudgetPeriod
    package var limit: Decimal
    /// Fractions of `limit`, ascending.
    package var thresholds: [Decimal]
    package var action: BudgetAction
    package var isActive: Bool
    package var updatedAt: String?
    package var updatedBy: String?

    package init(
        id: Int64, name: String, scope: BudgetScope, period: BudgetPeriod, limit: Decimal, thresholds: [Decimal],
        action: BudgetAction, isActive: Bool = true, updatedAt: String? = nil, updatedBy: String? = nil
    ) {
        self.id = id
        self.name = name
        self.scope = scope
        self.period = period
        self.limit = limit
        self.thresholds = thresholds
        self.action = action
        self.isActive = isActive
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    package static let defaultThresholds: [Decimal] = [Decimal(string: "0.5")!, Decimal(string: "0.8")!, Decimal(string: "0.9")!, 1]
}
