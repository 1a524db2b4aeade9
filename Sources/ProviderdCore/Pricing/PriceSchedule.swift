#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

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
        entries[index(at: timestamp)].rates
    }

    /// The entry in force at `timestamp`.
    package func index(at timestamp: Int64) -> Int {
        for index in entries.indices.reversed() where entries[index].condition?.holds(at: timestamp) ?? true {
            return index
        }
        return 0
    }
}
