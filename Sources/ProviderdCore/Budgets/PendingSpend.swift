#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What acknowledged records cost per (service, model, UTC day), before their
/// segment reaches the database: the part of a budget's spend only this host
/// knows. Priced as the flush will price them (`UsagePricer`, the record's own
/// timestamp), so that the amount does not jump when the segment commits.
package struct PendingSpend: Sendable, Equatable {
    package struct Key: Hashable, Sendable {
        package var service: String
        package var model: String
        /// Unix seconds of the UTC midnight starting the day.
        package var day: Int64
    }

    package struct Amount: Sendable, Equatable {
        package var cost: Decimal = 0
        package var unpricedRequests: Int64 = 0
    }

    package private(set) var amounts: [Key: Amount] = [:]

    package init() {}

    package var isEmpty: Bool { amounts.isEmpty }

    package mutating func add(_ record: UsageRecord, timestamp: Int64, pricer: inout UsagePricer) {
        let key = UsageAggregate.key(for: record, timestamp: timestamp)
        let (cost, priced) = pricer.price(record, at: timestamp)
        var amount = amounts[Key(service: key.service, model: key.model, day: key.day)] ?? Amount()
        amount.cost += cost
        if !priced { amount.unpricedRequests += record.requestCount }
        amounts[Key(service: key.service, model: key.model, day: key.day)] = amount
    }

    package mutating func merge(_ other: PendingSpend) {
        for (key, amount) in other.amounts {
            var sum = amounts[key] ?? Amount()
            sum.cost += amount.cost
            sum.unpricedRequests += amount.unpricedRequests
            amounts[key] = sum
        }
    }

    /// The part that falls in `budget`'s scope and in the period starting at `periodStart`.
    package func amount(for budget: Budget, periodStart: Int64) -> Amount {
        var total = Amount()
        for (key, amount) in amounts
        where budget.period.start(containing: key.day) == periodStart && budget.scope.applies(service: key.service, model: key.model) {
            total.cost += amount.cost
            total.unpricedRequests += amount.unpricedRequests
        }
        return total
    }
}
