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

    static let perMillion = Decimal(sign: .plus, exponent: -6, significand: 1)
    static let perThousand = Decimal(sign: .plus, exponent: -3, significand: 1)

    /// USD for one record. The request fee is charged per request: genai-prices
    /// prices one call, a record may stand for several.
    package func cost(of record: UsageRecord) -> Decimal {
        let totalInput = record.inputTokens
        let cacheRead = self.cacheRead == nil ? 0 : record.cacheReadTokens
        let cacheWrite = self.cacheWrite == nil ? 0 : record.cacheWriteTokens
        var tokens = Decimal(0)
        func add(_ value: Value?, _ count: Int64) {
            guard let value, count != 0 else { return }
            tokens += value.rate(totalInput: totalInput) * Decimal(count)
        }
        add(input, totalInput - cacheRead - cacheWrite)
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

/// A model's prices over time, as genai-prices' list of `ConditionalPrice`s: the
/// last entry whose condition holds at the record's timestamp applies, the first
/// when none does. Conditions are a start date (UTC) or a daily UTC window
/// (deepseek's off-peak hours), tested against the record's timestamp.
package struct PriceSchedule: Sendable, Equatable {
    package enum Condition: Sendable, Equatable {
        /// From this Unix second (UTC midnight of the start date) on.
        case from(Int64)
        /// Seconds of the UTC day, `[start, end)`; wraps past midnight when end < start.
        case dailyWindow(start: Int64, end: Int64)

        func holds(at timestamp: Int64) -> Bool {
            switch self {
            case .from(let start):
                return timestamp >= start
            case .dailyWindow(let start, let end):
                let second = ((timestamp % 86_400) + 86_400) % 86_400
                return end < start ? (second >= start || second < end) : (start <= second && second < end)
            }
        }
    }

    package struct Entry: Sendable, Equatable {
        package var condition: Condition?
        package var rates: PriceRates
    }

    package var entries: [Entry]

    package init(entries: [Entry]) {
        precondition(!entries.isEmpty, "a schedule needs at least one price")
        self.entries = entries
    }

    package init(always rates: PriceRates) {
        self.entries = [Entry(condition: nil, rates: rates)]
    }

    package func rates(at timestamp: Int64) -> PriceRates {
        for entry in entries.reversed() where entry.condition?.holds(at: timestamp) ?? true {
            return entry.rates
        }
        return entries[0].rates
    }
}
