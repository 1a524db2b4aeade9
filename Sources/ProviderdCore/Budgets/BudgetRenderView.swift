#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the budgets change in the two files: each service's budget state in
/// `models.json`, and the provider keys a `withhold_key` budget keeps out of the
/// env file. It holds states, limits and reset times, never the spend, so the
/// files (and their generation) change when a state changes, not on every cent.
package struct BudgetRenderView: Sendable, Equatable {
    package struct Entry: Sendable, Equatable {
        package var name: String
        package var scope: BudgetScope
        package var action: BudgetAction
        package var state: BudgetStatus.State
        package var limit: Decimal
        package var resetsAt: Int64
    }

    /// Active budgets, by name.
    package var entries: [Entry] = []

    package init() {}

    package init(statuses: [BudgetStatus]) {
        entries = statuses.filter(\.budget.isActive).map {
            Entry(
                name: $0.budget.name, scope: $0.budget.scope, action: $0.budget.action, state: $0.state, limit: $0.budget.limit,
                resetsAt: $0.resetsAt)
        }
        .sorted { $0.name < $1.name }
    }

    /// Exceeded `withhold_key` budgets: the provider whose key they withhold (nil
    /// for a global one: every key) and the budget's name.
    package var withholding: [(provider: String?, budget: String)] {
        entries.filter { $0.action == .withholdKey && $0.state == .exceeded }.map { ($0.scope.provider, $0.name) }
    }

    /// The budget withholding `provider`'s key, if one does.
    package func withholder(of provider: String) -> String? {
        withholding.first { $0.provider == nil || $0.provider == provider }?.budget
    }

    /// The state `models.json` shows for a service calling `model`: the worst of
    /// the budgets that apply (then the one that resets last), nil when none does.
    package func state(service: String, model: String) -> ServiceBudgetState? {
        let applying = entries.filter { $0.scope.applies(service: service, model: model) }
        guard
            let worst = applying.max(by: { ($0.state, $0.resetsAt, $1.name) < ($1.state, $1.resetsAt, $0.name) })
        else { return nil }
        return ServiceBudgetState(state: worst.state, budget: worst.name, limit: worst.limit, resetsAt: worst.resetsAt)
    }
}

/// A service's entry in `models.json` under `"budget"`.
package struct ServiceBudgetState: Sendable, Equatable, Encodable {
    package var state: BudgetStatus.State
    package var budget: String
    package var limit: Decimal
    package var resetsAt: Int64

    enum CodingKeys: String, CodingKey {
        case state, budget
        case limitUSD = "limit_usd"
        case resetsAt = "resets_at"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state.rawValue, forKey: .state)
        try container.encode(budget, forKey: .budget)
        try container.encode("\(limit)", forKey: .limitUSD)
        try container.encode(UTCTimestamp.iso8601(Double(resetsAt)), forKey: .resetsAt)
    }
}
