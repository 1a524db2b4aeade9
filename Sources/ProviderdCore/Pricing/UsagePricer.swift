#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Prices records with a `PriceTable`, remembering each model string's lookup.
/// One pricer per flush pass, used on one thread (it owns a `RegexCache`).
///
/// A model the table does not know is still counted: it is reported unpriced and
/// costs the seed's fallback (0.001 / 0.002 USD per 1,000 input / output tokens,
/// as the replaced UsageTracker charged) or nothing, by `prices.unknown`.
package struct UsagePricer {
    package enum UnknownPolicy: Sendable { case seedFallback, zero }

    /// The seed's fallback, USD per token.
    static let fallbackInput = Decimal(sign: .plus, exponent: -6, significand: 1)
    static let fallbackOutput = Decimal(sign: .plus, exponent: -6, significand: 2)

    package let table: PriceTable
    package let unknown: UnknownPolicy
    private let regexes = RegexCache()
    private var resolved: [String: PriceTable.Resolution] = [:]

    /// `resolved`: model strings already resolved against `table` (another pricer's
    /// `resolutions`), so that this one starts warm.
    package init(table: PriceTable, unknown: UnknownPolicy, resolved: [String: PriceTable.Resolution] = [:]) {
        self.table = table
        self.unknown = unknown
        self.resolved = resolved
    }

    /// What this pricer has resolved so far (Sendable, unlike the pricer and its regexes).
    package var resolutions: [String: PriceTable.Resolution] { resolved }

    package mutating func resolution(of modelString: String) -> PriceTable.Resolution {
        if let known = resolved[modelString] { return known }
        let found = table.resolve(modelString, regexes: regexes)
        resolved[modelString] = found
        return found
    }

    /// How a record is priced when records are priced in bulk (`PendingSpend`).
    package enum Bulk: Sendable {
        /// At these rates, linear in the counts: `slot` tells the schedule's entries apart.
        case linear(slot: Int, PriceRates)
        /// The model has no price: the fallback (linear too), counted unpriced.
        case unknown
        /// A local model: nothing.
        case free
        /// Tiered: each record on its own.
        case single
    }

    package mutating func bulk(_ record: UsageRecord, at timestamp: Int64) -> Bulk {
        switch resolution(of: record.modelString) {
        case .priced(_, _, let schedule, _):
            let index = schedule.index(at: timestamp)
            let rates = schedule.entries[index].rates
            return rates.isLinear ? .linear(slot: index, rates) : .single
        case .local:
            return .free
        case .unknown:
            return .unknown
        }
    }

    /// What `prices.unknown` charges for a record (or a sum of records) of a model with no price.
    package func unknownCost(of record: UsageRecord) -> Decimal {
        guard unknown == .seedFallback else { return 0 }
        return Decimal(record.inputTokens) * Self.fallbackInput + Decimal(record.outputTokens) * Self.fallbackOutput
    }

    /// The cost of one record at its timestamp (Unix seconds), and whether its
    /// model had a price.
    package mutating func price(_ record: UsageRecord, at timestamp: Int64) -> (cost: Decimal, priced: Bool) {
        switch resolution(of: record.modelString) {
        case .priced(_, _, let schedule, _):
            return (schedule.rates(at: timestamp).cost(of: record), true)
        case .local:
            return (0, true)
        case .unknown:
            return (unknownCost(of: record), false)
        }
    }
}
