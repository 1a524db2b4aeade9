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
        package var costUSD: Decimal {
            didSet { costText = "\(costUSD)" }
        }
        /// `costUSD` as text, made once: the order and every output need it, and a
        /// `Decimal`'s text is slow to make (hundreds of candidates per report).
        package private(set) var costText: String
        /// What it saves against the current model (negative: costs more).
        package var savingUSD: Decimal
        package var sameProvider: Bool
        /// Another provider's model: its tokenizer may count the same text as many
        /// more (or fewer) tokens, so the cost is an estimate.
        package var otherTokenizer: Bool
        /// Some day was priced at a tiered rate by its average request.
        package var tieredEstimate: Bool

        package init(model: String, costUSD: Decimal, savingUSD: Decimal, sameProvider: Bool, otherTokenizer: Bool, tieredEstimate: Bool) {
            self.model = model
            self.costUSD = costUSD
            self.costText = "\(costUSD)"
            self.savingUSD = savingUSD
            self.sameProvider = sameProvider
            self.otherTokenizer = otherTokenizer
            self.tieredEstimate = tieredEstimate
        }

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
            try container.encode(costText, forKey: .costUSD)
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
    /// `resolutions`: every priced model string already resolved (`resolutions()`),
    /// and `models`: those strings, each once (`candidateModels()`); a server keeps
    /// both, so that no request matches or lists them all again.
    package func recommend(
        service: String, currentModel: String, rows: [ServiceTokens], resolutions: [String: PriceTable.Resolution] = [:],
        models: [String]? = nil
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
        var index = RepricingIndex(rows)
        let current = price(&index, as: currentModel, pricer: &pricer)
        let currentProvider = ModelString.split(currentModel)?.provider ?? currentModel
        let currentPriced = table.resolve(currentModel, regexes: RegexCache())
        var candidates: [Candidate] = []
        var excluded: [Excluded] = []
        let latest = rows.map(\.day).max() ?? 0
        for model in models ?? candidateModels() {
            if let missing = missingKind(model, totals: totals, at: latest, pricer: &pricer) {
                excluded.append(Excluded(model: model, reason: "no price for \(missing) tokens, which \(service) used"))
                continue
            }
            let priced = price(&index, as: model, pricer: &pricer)
            let provider = ModelString.split(model)?.provider ?? model
            let family = { (name: String) in (table.aliasOf(name)) }
            candidates.append(
                Candidate(
                    model: model, costUSD: priced.cost, savingUSD: current.cost - priced.cost,
                    sameProvider: family(provider) == family(currentProvider), otherTokenizer: family(provider) != family(currentProvider),
                    tieredEstimate: priced.tiered))
        }
        Self.order(&candidates)
        var notes = Self.caveats
        if case .unknown = currentPriced { notes.insert("\(currentModel) has no list price: its cost is the prices.unknown fallback.", at: 0) }
        return Report(
            service: service, currentModel: currentModel, currentCostUSD: current.cost, tokens: totals, candidates: candidates,
            excluded: excluded.sorted { $0.model < $1.model }, caveats: notes)
    }

    /// The current provider's models first, then by cost, then by name.
    ///
    /// `Decimal` comparisons are slow, and a sort of hundreds of candidates makes
    /// thousands. So they are sorted by each cost as the nearest `Double` first
    /// (correctly rounded from the decimal text, so never in the wrong order, only
    /// tied), then an insertion sort with the exact comparison puts ties right: on
    /// an array already in order it compares each neighbour once.
    static func order(_ candidates: inout [Candidate]) {
        let keyed = candidates.map { (candidate: $0, cost: Double($0.costText) ?? 0) }
        candidates = keyed.sorted { a, b in
            if a.candidate.sameProvider != b.candidate.sameProvider { return a.candidate.sameProvider }
            return (a.cost, a.candidate.model) < (b.cost, b.candidate.model)
        }.map(\.candidate)
        func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
            if a.sameProvider != b.sameProvider { return a.sameProvider }
            if a.costUSD != b.costUSD { return a.costUSD < b.costUSD }
            return a.model < b.model
        }
        for i in candidates.indices.dropFirst() {
            var j = i
            while j > 0, precedes(candidates[j], candidates[j - 1]) {
                candidates.swapAt(j, j - 1)
                j -= 1
            }
        }
    }

    /// Every priced model string, each once, in the table's order.
    package func candidateModels() -> [String] {
        var seen: Set<String> = []
        return table.pricedModelStrings.filter { seen.insert($0).inserted }
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

    /// The service's rows priced as `model` would have priced them (see the type's
    /// note), from `index`: per run of days at one entry of the model's price
    /// schedule, the running sums at linear rates, the tier groups at tiered rates.
    /// Each entry's sums are priced once, linear ones first, in entry order, then
    /// tier groups by entry and tier.
    func price(_ index: inout RepricingIndex, as model: String, pricer: inout UsagePricer) -> (cost: Decimal, tiered: Bool) {
        switch pricer.resolution(of: model) {
        case .local:
            return (0, false)
        case .unknown:
            let total = index.sum(days: index.days.indices)
            return (total.any ? pricer.unknownCost(of: total.record(model)) : 0, false)
        case .priced(_, _, let schedule, _):
            let entries = schedule.entries
            var linear = [TokenSum](repeating: TokenSum(), count: entries.count)
            var inTiers: [TierKey: (tierInput: Int64, sum: TokenSum)] = [:]
            for run in index.runs(of: schedule) {
                let rates = entries[run.entry].rates
                if rates.isLinear {
                    linear[run.entry].add(index.sum(days: run.days))
                    continue
                }
                for group in index.tiers(days: run.days, starts: rates.tierStarts) {
                    inTiers[TierKey(slot: run.entry, tiers: group.tiers), default: (group.averageInput, TokenSum())].sum.add(group.sum)
                }
            }
            var cost = Decimal(0)
            for slot in entries.indices where linear[slot].any {
                cost += entries[slot].rates.cost(of: linear[slot].record(model))
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
}
