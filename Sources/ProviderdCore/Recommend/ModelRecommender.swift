#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Cost-based model recommendations: the tokens a service recorded over a period,
/// priced again under every model the price table prices for the token kinds it
/// used, with the flusher's own pricing (`UsagePricer`), sorted by cost. A value
/// type over rows already read; no I/O.
///
/// `model_usage` keeps days, not requests: a day's tokens are priced as one sum at
/// linear rates (exactly what its requests would cost), and at tiered rates as
/// `requests` requests of the day's average size (the tier of the average
/// request; an estimate, said so).
package struct ModelRecommender {
    package struct Candidate: Sendable, Equatable, Encodable {
        package var model: String
        package var costUSD: Decimal
        /// What it saves against the current model (negative: costs more).
        package var savingUSD: Decimal
        package var sameProvider: Bool
        /// Another provider's model: its tokenizer may count the same text as many
        /// more (or fewer) tokens, so the cost is an estimate.
        package var otherTokenizer: Bool
        /// Some day was priced at a tiered rate by its average request.
        package var tieredEstimate: Bool

        enum CodingKeys: String, CodingKey {
            case model
            case costUSD = "cost_usd"
            case savingUSD = "saving_usd"
            case sameProvider = "same_provider"
            case otherTokenizer = "other_tokenizer"
            case tieredEstimate = "tiered_estimate"
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            try container.encode("\(costUSD)", forKey: .costUSD)
            try container.encode("\(savingUSD)", forKey: .savingUSD)
            try container.encode(sameProvider, forKey: .sameProvider)
            try container.encode(otherTokenizer, forKey: .otherTokenizer)
            try container.encode(tieredEstimate, forKey: .tieredEstimate)
        }
    }

    package struct Excluded: Sendable, Equatable, Encodable {
        package var model: String
        package var reason: String
    }

    package struct Report: Sendable, Equatable, Encodable {
        package var service: String
        package var currentModel: String
        package var currentCostUSD: Decimal
        package var tokens: Totals
        /// The current provider's models first, then every other, each by cost.
        package var candidates: [Candidate]
        package var excluded: [Excluded]
        package var caveats: [String]

        enum CodingKeys: String, CodingKey {
            case service, tokens, candidates, excluded, caveats
            case currentModel = "current_model"
            case currentCostUSD = "current_cost_usd"
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(service, forKey: .service)
            try container.encode(currentModel, forKey: .currentModel)
            try container.encode("\(currentCostUSD)", forKey: .currentCostUSD)
            try container.encode(tokens, forKey: .tokens)
            try container.encode(candidates, forKey: .candidates)
            try container.encode(excluded, forKey: .excluded)
            try container.encode(caveats, forKey: .caveats)
        }
    }

    package struct Totals: Sendable, Equatable, Encodable {
        package var requests: Int64 = 0
        package var input: Int64 = 0
        package var output: Int64 = 0
        package var cacheRead: Int64 = 0
        package var cacheWrite: Int64 = 0

        enum CodingKeys: String, CodingKey {
            case requests, input, output
            case cacheRead = "cache_read"
            case cacheWrite = "cache_write"
        }
    }

    package static let caveats = [
        "List prices only (genai-prices): not quality, latency or limits.",
        "Models of another provider count tokens with another tokenizer; the same text can take 1.5 to 2.6 times the tokens, so their costs are estimates.",
        "model_usage keeps daily totals: tiered prices are taken at each day's average request size.",
    ]

    let table: PriceTable
    let unknown: UsagePricer.UnknownPolicy

    package init(table: PriceTable, unknown: UsagePricer.UnknownPolicy = .seedFallback) {
        self.table = table
        self.unknown = unknown
    }

    /// The report for `service`, whose model is `currentModel`, over `rows`.
    /// `resolutions`: every priced model string already resolved (`resolutions()`;
    /// a server keeps them, so that no request matches them all again).
    package func recommend(
        service: String, currentModel: String, rows: [ServiceTokens], resolutions: [String: PriceTable.Resolution] = [:]
    ) -> Report {
        var totals = Totals()
        for row in rows {
            totals.requests += row.requests
            totals.input += row.input
            totals.output += row.output
            totals.cacheRead += row.cacheRead
            totals.cacheWrite += row.cacheWrite
        }
        var pricer = UsagePricer(table: table, unknown: unknown, resolved: resolutions)
        let days = Self.days(rows)
        let current = price(days, as: currentModel, pricer: &pricer)
        let currentProvider = ModelString.split(currentModel)?.provider ?? currentModel
        let currentPriced = table.resolve(currentModel, regexes: RegexCache())
        var candidates: [Candidate] = []
        var excluded: [Excluded] = []
        var seen: Set<String> = []
        let latest = rows.map(\.day).max() ?? 0
        for model in table.pricedModelStrings where seen.insert(model).inserted {
            if let missing = missingKind(model, totals: totals, at: latest, pricer: &pricer) {
                excluded.append(Excluded(model: model, reason: "no price for \(missing) tokens, which \(service) used"))
                continue
            }
            let priced = price(days, as: model, pricer: &pricer)
            let provider = ModelString.split(model)?.provider ?? model
            let family = { (name: String) in (table.aliasOf(name)) }
            candidates.append(
                Candidate(
                    model: model, costUSD: priced.cost, savingUSD: current.cost - priced.cost,
                    sameProvider: family(provider) == family(currentProvider), otherTokenizer: family(provider) != family(currentProvider),
                    tieredEstimate: priced.tiered))
        }
        candidates.sort { a, b in
            if a.sameProvider != b.sameProvider { return a.sameProvider }
            return (a.costUSD, a.model) < (b.costUSD, b.model)
        }
        var notes = Self.caveats
        if case .unknown = currentPriced { notes.insert("\(currentModel) has no list price: its cost is the prices.unknown fallback.", at: 0) }
        return Report(
            service: service, currentModel: currentModel, currentCostUSD: current.cost, tokens: totals, candidates: candidates,
            excluded: excluded.sorted { $0.model < $1.model }, caveats: notes)
    }

    /// Every priced model string resolved against the table (matching them all
    /// against the table's patterns is otherwise a large part of each report).
    package func resolutions() -> [String: PriceTable.Resolution] {
        var pricer = UsagePricer(table: table, unknown: unknown)
        for model in table.pricedModelStrings { _ = pricer.resolution(of: model) }
        return pricer.resolutions
    }

    /// The token kind the service used that `model` has no price for (at `day`).
    func missingKind(_ model: String, totals: Totals, at day: Int64, pricer: inout UsagePricer) -> String? {
        guard case .priced(_, _, let schedule, _) = pricer.resolution(of: model) else { return "any" }
        let rates = schedule.rates(at: day)
        if totals.input - totals.cacheRead - totals.cacheWrite > 0, rates.input == nil { return "input" }
        if totals.output > 0, rates.output == nil { return "output" }
        if totals.cacheRead > 0, rates.cacheRead == nil { return "cache read" }
        if totals.cacheWrite > 0, rates.cacheWrite == nil { return "cache write" }
        return nil
    }

    /// One day of the service's rows: their sum (what linear rates price) and the
    /// rows themselves (what tiered rates price, one by one).
    struct Day {
        var day: Int64
        var sum = TokenSum()
        var rows: [ServiceTokens] = []
    }

    /// The rows grouped by day, oldest first; empty rows left out.
    static func days(_ rows: [ServiceTokens]) -> [Day] {
        var days: [Int64: Day] = [:]
        for row in rows where row.requests > 0 || row.input > 0 || row.output > 0 {
            days[row.day, default: Day(day: row.day)].sum.add(row)
            days[row.day]!.rows.append(row)
        }
        return days.values.sorted { $0.day < $1.day }
    }

    /// `days` priced as `model` would have been (see the type's note).
    ///
    /// At linear rates a sum of rows costs exactly what the rows cost one by one, so
    /// each day's rows are summed, the days at the same entry of the model's price
    /// schedule are summed again, and each sum is priced once: a year of a service's
    /// rows under hundreds of models stays milliseconds. At tiered rates each row is
    /// `requests` requests of its average size, and the rows whose average falls in
    /// the same tiers are summed the same way.
    func price(_ days: [Day], as model: String, pricer: inout UsagePricer) -> (cost: Decimal, tiered: Bool) {
        switch pricer.resolution(of: model) {
        case .local:
            return (0, false)
        case .unknown:
            var total = TokenSum()
            for day in days { total.add(day.sum) }
            return (total.any ? pricer.unknownCost(of: total.record(model)) : 0, false)
        case .priced(_, _, let schedule, _):
            // Per day only the entry's index is looked up; each entry's rates are
            // looked at once (copying them per day cost more than the sums).
            let entries = schedule.entries
            var linear = [TokenSum](repeating: TokenSum(), count: entries.count)
            var isLinear = [Bool?](repeating: nil, count: entries.count)
            var starts = [[Int64]?](repeating: nil, count: entries.count)
            // Tiered rates: each row as `requests` requests of its average size; the
            // rows whose average falls in the same tiers are summed and priced once.
            var inTiers: [TierKey: (tierInput: Int64, sum: TokenSum)] = [:]
            for day in days {
                let index = schedule.index(at: day.day)
                let linearHere = isLinear[index] ?? entries[index].rates.isLinear
                isLinear[index] = linearHere
                if linearHere {
                    linear[index].add(day.sum)
                    continue
                }
                let bounds = starts[index] ?? entries[index].rates.tierStarts
                starts[index] = bounds
                for row in day.rows {
                    let n = max(1, row.requests)
                    let averageInput = row.input / n
                    let key = TierKey(slot: index, tiers: bounds.count { averageInput > $0 })
                    inTiers[key, default: (averageInput, TokenSum())].sum.addAverage(of: row, requests: n)
                }
            }
            var cost = Decimal(0)
            for index in entries.indices where linear[index].any {
                cost += entries[index].rates.cost(of: linear[index].record(model))
            }
            for key in inTiers.keys.sorted(by: { ($0.slot, $0.tiers) < ($1.slot, $1.tiers) }) {
                let (tierInput, sum) = inTiers[key]!
                cost += entries[key.slot].rates.cost(of: sum.record(model), tierInput: tierInput)
            }
            return (cost, !inTiers.isEmpty)
        }
    }

    /// A schedule entry and how many of its tier starts an average request passes.
    struct TierKey: Hashable {
        var slot: Int
        var tiers: Int
    }

    /// Token counts added up over rows priced at the same rates.
    struct TokenSum {
        var requests: Int64 = 0
        var input: Int64 = 0
        var output: Int64 = 0
        var cacheRead: Int64 = 0
        var cacheWrite: Int64 = 0
        var any = false

        mutating func add(_ other: TokenSum) {
            requests += other.requests
            input += other.input
            output += other.output
            cacheRead += other.cacheRead
            cacheWrite += other.cacheWrite
            any = any || other.any
        }

        /// `requests` requests of the row's average size (integer division, as each is priced).
        mutating func addAverage(of row: ServiceTokens, requests n: Int64) {
            requests += n
            input += row.input / n * n
            output += row.output / n * n
            cacheRead += row.cacheRead / n * n
            cacheWrite += row.cacheWrite / n * n
            any = true
        }

        mutating func add(_ row: ServiceTokens) {
            requests += max(1, row.requests)
            input += row.input
            output += row.output
            cacheRead += row.cacheRead
            cacheWrite += row.cacheWrite
            any = true
        }

        func record(_ model: String) -> UsageRecord {
            UsageRecord(
                serviceName: "-", modelString: model, inputTokens: input, outputTokens: output, cacheReadTokens: cacheRead,
                cacheWriteTokens: cacheWrite, requestCount: requests)
        }
    }
}
