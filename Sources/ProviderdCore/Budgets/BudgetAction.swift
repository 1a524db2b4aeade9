/// What a budget does once its spend reaches its limit. Every budget records
/// its threshold events and alerts; `block` also makes the socket answer
/// `allowed: false` to agents under it, and `withhold_key` takes the provider's
/// key out of the env file until the period turns.
package enum BudgetAction: String, Sendable, Equatable, CaseIterable {
    case alert
    case block
    case withholdKey = "withhold_key"

    /// Whether `scope` allows this action: a key can only be withheld for one
    /// provider, or for all (global).
    package func isAllowed(for scope: BudgetScope) -> Bool {
        switch (self, scope) {
        case (.withholdKey, .service), (.withholdKey, .model): return false
        default: return true
        }
    }
}
