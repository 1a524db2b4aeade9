#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Per (service, model, UTC day) totals of spooled records: one row of
/// `model_usage` each. A plain value type; the flusher writes it in one
/// transaction.
package struct UsageAggregate: Sendable, Equatable {
    package struct Key: Hashable, Comparable, Sendable {
        package var service: String
        package var model: String
        /// Unix seconds of the UTC midnight starting the day.
        package var day: Int64

        package static func < (a: Key, b: Key) -> Bool { (a.service, a.model, a.day) < (b.service, b.model, b.day) }
    }

    package struct Totals: Sendable, Equatable {
        package var requests: Int64 = 0
        package var inputTokens: Int64 = 0
        package var outputTokens: Int64 = 0
        package var cacheReadTokens: Int64 = 0
        package var cacheWriteTokens: Int64 = 0
        package var unpricedRequests: Int64 = 0
        package var cost: Decimal = 0
        package var records = 0
        /// Input + output, as the seed's `total_tokens`.
        package var totalTokens: Int64 { inputTokens + outputTokens }
    }

    package private(set) var rows: [Key: Totals] = [:]
    package private(set) var records = 0
    package private(set) var unpricedModels: Set<String> = []

    package init() {}

    /// The row a record belongs to: its service, model and UTC day.
    package static func key(for record: UsageRecord, timestamp: Int64) -> Key {
        let day = timestamp - ((timestamp % 86_400) + 86_400) % 86_400
        return Key(service: record.serviceName, model: record.modelString, day: day)
    }

    /// Adds one record, priced per record at its own timestamp (tiers apply per
    /// record, time-of-day prices by its time).
    package mutating func add(_ record: UsageRecord, timestamp: Int64, pricer: inout UsagePricer) {
        let key = Self.key(for: record, timestamp: timestamp)
        var totals = rows[key] ?? Totals()
        let (cost, priced) = pricer.price(record, at: timestamp)
        totals.requests += record.requestCount
        totals.inputTokens += record.inputTokens
        totals.outputTokens += record.outputTokens
        totals.cacheReadTokens += record.cacheReadTokens
        totals.cacheWriteTokens += record.cacheWriteTokens
        totals.cost += cost
        totals.records += 1
        if !priced {
            totals.unpricedRequests += record.requestCount
            unpricedModels.insert(record.modelString)
        }
        rows[key] = totals
        records += 1
    }

    /// Rows in key order, so that concurrent flushers lock rows in the same order.
    package var sorted: [(key: Key, totals: Totals)] { rows.keys.sorted().map { ($0, rows[$0]!) } }
}
