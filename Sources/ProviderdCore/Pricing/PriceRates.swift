#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The prices one model charges at one moment, as genai-prices' `ModelPrice`
/// restricted to what a usage record carries: USD per million input, output,
/// cache-read and cache-write tokens, and a fee per thousand requests.
///
/// The cost follows `calc_price`: cache tokens are priced apart only when the
/// model has a price for them, otherwise they stay in (and are priced as) input;
/// a tiered price takes the rate of the highest tier the record's whole input
/// (cache tokens included) exceeds, for all its tokens. Decimal throughout.
package struct PriceRates: Sendable, Equatable {
    package struct Tier: Sendable, Equatable {
        /// The tier applies when input tokens exceed this.
        package var start: Int64
        package var price: Decimal
    }

    package enum Value: Sendable, Equatable {
        case flat(Decimal)
        /// Tiers sorted by `start`.
        case tiered(base: Decimal, tiers: [Tier])

        func rate(totalInput: Int64) -> Decimal {
            switch self {
            case .flat(let price):
                return price
            case .tiered(let base, let tiers):
                return tiers.last { totalInput > $0.start }?.price ?? base
            }
        }
    }

    package var input: Value?
    package var output: Value?
    package var cacheRead: Value?
    package var cacheWrite: Value?
    /// USD per 1,000 requests (perplexity's request fee).
    package var requestsPerThousand: Value?

    package init(
        input: Value? = nil, output: Value? = nil, cacheRead: Value? = nil, cacheWrite: Value? = nil,
        requestsPerThousand: Value? = nil
    ) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
        self.requestsPerThousand = requestsPerThousand
    }

    /// The input-token counts at which some rate changes tier, ascending: two
    /// requests with as many of these below their input count pay the same rates.
    package var tierStarts: [Int64] {
        var starts: Set<Int64> = []
        for value in [input, output, cacheRead, cacheWrite, requestsPerThousand] {
            if case .tiered(_, let tiers) = value { starts.formUnion(tiers.map(\.start)) }
        }
        return starts.sorted()
    }

    /// Whether the cost is linear in a record's counts (no tier): a sum of records
    /// then costs the sum of their costs, and may be priced at once.
    package var isLinear: Bool {
        [input, output, cacheRead, cacheWrite, requestsPerThousand].allSatisfy { value in
            if case .tiered = value { return false }
            return true
        }
    }

    static let perMillion = Decimal(sign: .plus, exponent: -6, significand: 1)
    static let perThousand = Decimal(sign: .plus, exponent: -3, significand: 1)

    /// USD for one record. The request fee is charged per request: genai-prices
    /// prices one call, a record may stand for several.
    package func cost(of record: UsageRecord) -> Decimal {
        cost(of: record, tierInput: record.inputTokens)
    }

    /// The cost of `record`'s counts at the tiers a request of `tierInput` input
    /// tokens falls in: a sum of records that all fall in the same tiers costs the
    /// sum of their costs (what `ModelRecommender` prices at once).
    package func cost(of record: UsageRecord, tierInput totalInput: Int64) -> Decimal {
        let cacheRead = self.cacheRead == nil ? 0 : record.cacheReadTokens
        let cacheWrite = self.cacheWrite == nil ? 0 : record.cacheWriteTokens
        var tokens = Decimal(0)
        func add(_ value: Value?, _ count: Int64) {
            guard let value, count != 0 else { return }
            tokens += value.rate(totalInput: totalInput) * Decimal(count)
        }
        add(input, record.inputTokens - cacheRead - cacheWrite)
        add(self.cacheRead, cacheRead)
        add(self.cacheWrite, cacheWrite)
        add(output, record.outputTokens)
        var total = tokens * Self.perMillion
        if let fee = requestsPerThousand, record.requestCount != 0 {
            total += fee.rate(totalInput: totalInput) * Decimal(record.requestCount) * Self.perThousand
        }
        return total
    }
}
