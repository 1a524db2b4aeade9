#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// The JSON shapes of budgets, one for every place that shows them (`budgets
// list/status --json`, the socket's `budget` op, `models.json`). Amounts in USD
// are strings of the exact decimal ("0.30", never 0.29999999999999998): a
// client parses them with its decimal type. Times are RFC 3339 UTC.

extension Budget: Encodable {
    enum CodingKeys: String, CodingKey {
        case name, scope, period, action, thresholds
        case limitUSD = "limit_usd"
        case isActive = "is_active"
        case updatedAt = "updated_at"
        case updatedBy = "updated_by"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode("\(scope)", forKey: .scope)
        try container.encode(period.rawValue, forKey: .period)
        try container.encode(action.rawValue, forKey: .action)
        try container.encode(thresholds, forKey: .thresholds)
        try container.encode("\(limit)", forKey: .limitUSD)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(updatedBy, forKey: .updatedBy)
    }
}

extension BudgetStatus: Encodable {
    enum CodingKeys: String, CodingKey {
        case name, scope, period, action, state, percent, stale
        case limitUSD = "limit_usd"
        case spentUSD = "spent_usd"
        case remainingUSD = "remaining_usd"
        case periodStart = "period_start"
        case resetsAt = "resets_at"
        case asOf = "as_of"
        case unpricedRequests = "unpriced_requests"
        case isActive = "is_active"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(budget.name, forKey: .name)
        try container.encode("\(budget.scope)", forKey: .scope)
        try container.encode(budget.period.rawValue, forKey: .period)
        try container.encode(budget.action.rawValue, forKey: .action)
        try container.encode(budget.isActive, forKey: .isActive)
        try container.encode(state.rawValue, forKey: .state)
        try container.encode("\(budget.limit)", forKey: .limitUSD)
        try container.encode("\(spent)", forKey: .spentUSD)
        try container.encode("\(remaining)", forKey: .remainingUSD)
        try container.encode(percent, forKey: .percent)
        try container.encode(UTCTimestamp.iso8601(Double(periodStart)), forKey: .periodStart)
        try container.encode(UTCTimestamp.iso8601(Double(resetsAt)), forKey: .resetsAt)
        try container.encode(UTCTimestamp.iso8601(asOf), forKey: .asOf)
        try container.encode(stale, forKey: .stale)
        try container.encode(unpricedRequests, forKey: .unpricedRequests)
    }
}

extension BudgetEvent: Encodable {
    enum CodingKeys: String, CodingKey {
        case budget, threshold
        case periodStart = "period_start"
        case spentUSD = "spent_usd"
        case limitUSD = "limit_usd"
        case crossedAt = "crossed_at"
        case announcedBy = "announced_by"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(budget, forKey: .budget)
        try container.encode(threshold, forKey: .threshold)
        try container.encode(UTCTimestamp.iso8601(Double(periodStart)), forKey: .periodStart)
        try container.encode("\(spent)", forKey: .spentUSD)
        try container.encode("\(limit)", forKey: .limitUSD)
        try container.encode(crossedAt, forKey: .crossedAt)
        try container.encode(announcedBy, forKey: .announcedBy)
    }
}
