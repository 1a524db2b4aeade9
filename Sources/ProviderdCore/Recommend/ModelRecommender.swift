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
    package func recommend(service: String, currentModel: String, rows: [ServiceTokens]) -> Report {
        var totals = Totals()
        for row in rows {
            totals.requests += row.requests
            totals.input += row.input
            totals.output += row.output
            totals.cacheRead += row.cacheRead
            totals.cacheWrite += row.cacheWrite
        }
        var pricer = UsagePricer(table: table, unknown: unknown)
        let current = price(rows, as: currentModel, pricer: &pricer)
        let currentProvider = ModelString.split(currentModel)?.provider ?? currentModel
        let currentPriced = table.resolve(currentModel, regexes: RegexCache())
        var candidates: [Candidate] = []
        var excluded: [Excluded] = []
        var seen: Set<String> = []
        for model in table.pricedModelStrings where seen.insert(model).inserted {
            let latest = rows.map(\.day).max() ?? 0
            if let missing = missingKind(model, totals: totals, at: latest, pricer: &pricer) {
                excluded.append(Excluded(model: model, reason: "no price for \(missing) tokens, which \(service) used"))
                continue
            }
            let priced = price(rows, as: model, pricer: &pricer)
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

    /// `rows` priced as `model` would have been, day by day (see the type's note).
    func price(_ rows: [ServiceTokens], as model: String, pricer: inout UsagePricer) -> (cost: Decimal, tiered: Bool) {
        var cost = Decimal(0)
        var tiered = false
        for row in rows where row.requests > 0 || row.input > 0 || row.output > 0 {
            let sum = UsageRecord(
                serviceName: "-", modelString: model, inputTokens: row.input, outputTokens: row.output, cacheReadTokens: row.cacheRead,
                cacheWriteTokens: row.cacheWrite, requestCount: max(1, row.requests))
            switch pricer.bulk(sum, at: row.day) {
            case .linear(_, let rates):
                cost += rates.cost(of: sum)
            case .unknown:
                cost += pricer.unknownCost(of: sum)
            case .free:
                break
            case .single:
                tiered = true
                let n = max(1, row.requests)
                let average = UsageRecord(
                    serviceName: "-", modelString: model, inputTokens: row.input / n, outputTokens: row.output / n,
                    cacheReadTokens: row.cacheRead / n, cacheWriteTokens: row.cacheWrite / n, requestCount: 1)
                cost += pricer.price(average, at: row.day).cost * Decimal(n)
            }
        }
        return (cost, tiered)
    }
}
