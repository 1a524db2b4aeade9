/// The answer to "may this service call this model now?": every active budget
/// that applies, and the blocking ones that say no, each with its reason. One
/// function for the socket's `budget` op, the acks and `budgets status`, so an
/// agent and an operator always see the same decision.
package struct BudgetVerdict: Sendable, Equatable {
    package enum Reason: String, Sendable, Equatable {
        /// The spend has reached the limit.
        case exceeded
        /// The spend could not be read lately and `budgets.fail_closed` is set.
        case stale
        /// The model has no price and `budgets.unpriced` is `block`.
        case unpriced
    }

    package struct Refusal: Sendable, Equatable {
        package var budget: String
        package var reason: Reason
    }

    /// The budgets that apply (all active ones when no service or model is given).
    package var budgets: [BudgetStatus]
    /// Blocking budgets that refuse, in the order of `budgets`.
    package var refusals: [Refusal]

    package var allowed: Bool { refusals.isEmpty }

    /// The refusal's budget name when no budget has been read yet and
    /// `budgets.fail_closed` is set: which budgets exist is unknown.
    package static let unknownBudgets = "(budgets not read yet)"

    /// No budget read since start, the database unreachable: with fail-closed,
    /// refuse (the budgets that would apply are unknown); else allow.
    package static func unread(policy: Policy) -> BudgetVerdict {
        BudgetVerdict(budgets: [], refusals: policy.failClosed ? [Refusal(budget: unknownBudgets, reason: .stale)] : [])
    }

    private init(budgets: [BudgetStatus], refusals: [Refusal]) {
        self.budgets = budgets
        self.refusals = refusals
    }

    package struct Policy: Sendable, Equatable {
        package var failClosed = false
        package var blockUnpriced = false

        package init(failClosed: Bool = false, blockUnpriced: Bool = false) {
            self.failClosed = failClosed
            self.blockUnpriced = blockUnpriced
        }
    }

    /// `modelPriced` is whether the price table knows `model` (only read when
    /// `policy.blockUnpriced`). Only `block` budgets refuse; `withhold_key` acts
    /// on the env file instead, and `alert` only alerts.
    package init(statuses: [BudgetStatus], service: String?, model: String?, policy: Policy, modelPriced: Bool = true) {
        budgets = statuses.filter { status in
            guard status.budget.isActive else { return false }
            guard let service, let model else { return true }
            return status.budget.scope.applies(service: service, model: model)
        }
        refusals = budgets.compactMap { status in
            guard status.budget.action == .block else { return nil }
            if status.state == .exceeded { return Refusal(budget: status.budget.name, reason: .exceeded) }
            if status.stale && policy.failClosed { return Refusal(budget: status.budget.name, reason: .stale) }
            if policy.blockUnpriced && !modelPriced && model != nil { return Refusal(budget: status.budget.name, reason: .unpriced) }
            return nil
        }
    }
}
