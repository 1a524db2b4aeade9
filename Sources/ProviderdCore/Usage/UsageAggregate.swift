import Foundation

/// Per (service, model, UTC day) totals of spooled records: one row of
/// `model_usage` each. A plain value type; the flusher writes it in one
/// transaction.
public struct UsageAggregate: Sendable, Equatable {
    public struct Key: Hashable, Comparable, Sendable {
        public var service: String
        public var model: String
        /// Unix seconds of the UTC midnight starting the day.
        public var day: Int64

        public static func < (a: Key, b: Key) -> Bool { (a.service, a.model, a.day) < (b.service, b.model, b.day) }
    }

    public struct Totals: Sendable, Equatable {
        public var requests: Int64 = 0
        public var inputTokens: Int64 = 0
        public var outputTokens: Int64 = 0
        public var cacheReadTokens: Int64 = 0
        public var cacheWriteTokens: Int64 = 0
        public var unpricedRequests: Int64 = 0
        public var cost: Decimal = 0
        public var records = 0
        /// Input + output, as the seed's `total_tokens`.
        public var totalTokens: Int64 { inputTokens + outputTokens }
    }

    public private(set) var rows: [Key: Totals] = [:]
    public private(set) var records = 0
    public private(set) var unpricedModels: Set<String> = []

    public init() {}

    /// The row a record belongs to: its service, model and UTC day.
    public static func key(for record: UsageRecord, timestamp: Int64) -> Key {
        let day = timestamp - ((timestamp % 86_400) + 86_400) % 86_400
        return Key(service: record.serviceName, model: record.modelString, day: day)
    }

    /// Adds one record, priced per record at its own timestamp (tiers apply per
    /// record, time-of-day prices by its time).
    public mutating func add(_ record: UsageRecord, timestamp: Int64, pricer: inout UsagePricer) {
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
    public var sorted: [(key: Key, totals: Totals)] { rows.keys.sorted().map { ($0, rows[$0]!) } }
}
