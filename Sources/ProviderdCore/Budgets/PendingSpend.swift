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

    /// `records` priced as the flush will price them, in bulk: records at the same
    /// linear rates are summed by (service, model, day) with integers and priced
    /// once (the same decimal a record-by-record sum gives); only tiered prices are
    /// priced record by record. Acks are in the path of every request, the flush
    /// is not.
    package static func priced(_ records: [UsageRecord], now: Int64, pricer: inout UsagePricer) -> PendingSpend {
        struct Group: Hashable {
            var key: Key
            var slot: Int
        }
        var sums: [Group: UsageRecord] = [:]
        var spend = PendingSpend()
        for record in records {
            let timestamp = record.timestamp ?? now
            let slot: Int
            switch pricer.bulk(record, at: timestamp) {
            case .linear(let index, _): slot = index
            case .unknown: slot = -1
            case .free:
                // Costs nothing, but is usage of its key like any other (as `add` counts it).
                let key = UsageAggregate.key(for: record, timestamp: timestamp)
                let pendingKey = Key(service: key.service, model: key.model, day: key.day)
                if spend.amounts[pendingKey] == nil { spend.amounts[pendingKey] = Amount() }
                continue
            case .single:
                spend.add(record, timestamp: timestamp, pricer: &pricer)
                continue
            }
            let day = UsageAggregate.key(for: record, timestamp: timestamp).day
            let group = Group(key: Key(service: record.serviceName, model: record.modelString, day: day), slot: slot)
            if var sum = sums[group] {
                sum.inputTokens += record.inputTokens
                sum.outputTokens += record.outputTokens
                sum.cacheReadTokens += record.cacheReadTokens
                sum.cacheWriteTokens += record.cacheWriteTokens
                sum.requestCount += record.requestCount
                sums[group] = sum
            } else {
                var sum = record
                sum.timestamp = timestamp
                sums[group] = sum
            }
        }
        for (group, sum) in sums {
            var amount = spend.amounts[group.key] ?? Amount()
            switch pricer.bulk(sum, at: sum.timestamp ?? now) {
            case .linear(_, let rates): amount.cost += rates.cost(of: sum)
            case .unknown:
                amount.cost += pricer.unknownCost(of: sum)
                amount.unpricedRequests += sum.requestCount
            case .free, .single: break
            }
            spend.amounts[group.key] = amount
        }
        return spend
    }

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
