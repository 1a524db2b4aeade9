import Testing

@testable import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite("Model recommendations: the service's tokens priced under every model")
struct ModelRecommenderTests {
    static let table = try! PriceTable.builtIn()
    /// Three days of December 2026.
    static let days: [Int64] = [1_796_083_200, 1_796_169_600, 1_796_256_000]

    static let rows = days.enumerated().map { index, day in
        ServiceTokens(
            day: day, model: "openai:gpt-4o", requests: 100 + Int64(index), input: 400_000 + Int64(index) * 1_000, output: 50_000,
            cacheRead: 100_000, cacheWrite: 0)
    }

    @Test("each candidate's cost equals pricing each day's tokens under it with UsagePricer, one model at a time; the saving is against the current model")
    func equalsOneModelAtATime() throws {
        let report = ModelRecommender(table: Self.table).recommend(service: "rag", currentModel: "openai:gpt-4o", rows: Self.rows)
        func expected(_ model: String) -> Decimal {
            var pricer = UsagePricer(table: Self.table, unknown: .seedFallback)
            return Self.rows.reduce(Decimal(0)) { sum, row in
                sum
                    + pricer.price(
                        UsageRecord(
                            serviceName: "x", modelString: model, inputTokens: row.input, outputTokens: row.output,
                            cacheReadTokens: row.cacheRead, cacheWriteTokens: row.cacheWrite, requestCount: row.requests), at: row.day
                    ).cost
            }
        }
        #expect(report.currentCostUSD == expected("openai:gpt-4o"))
        #expect(report.currentCostUSD > 0)
        for model in ["openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest", "openai:gpt-4.1-nano"] {
            guard let candidate = report.candidates.first(where: { $0.model == model }) else { continue }
            #expect(candidate.costUSD == expected(model), "\(model)")
            #expect(candidate.savingUSD == report.currentCostUSD - candidate.costUSD)
        }
        #expect(report.tokens.requests == 303 && report.tokens.cacheRead == 300_000)
        #expect(report.candidates.count > 20)
    }

    @Test("a year of rows of two models: every candidate costs exactly its rows priced one by one, linear or tiered (the sums are exact)")
    func yearOfRowsSummedExactly() throws {
        let rows = (0..<730).map { (index: Int) -> ServiceTokens in
            let i = Int64(index)
            let day: Int64 = 1_764_547_200 + (i / 2) * 86_400
            let model = index % 2 == 0 ? "openai:gpt-4o" : "openai:gpt-4o-mini"
            let input: Int64 = 123_457 + i * 997
            let output: Int64 = 9_871 + (i % 31) * 101
            return ServiceTokens(day: day, model: model, requests: 7 + i % 13, input: input, output: output, cacheRead: (i % 5) * 10_007, cacheWrite: 0)
        }
        let report = ModelRecommender(table: Self.table).recommend(service: "rag", currentModel: "nosuch:model", rows: rows)
        var checked = 0
        for candidate in report.candidates where !candidate.tieredEstimate {
            var pricer = UsagePricer(table: Self.table, unknown: .seedFallback)
            let expected = rows.reduce(Decimal(0)) { sum, row in
                sum
                    + pricer.price(
                        UsageRecord(
                            serviceName: "x", modelString: candidate.model, inputTokens: row.input, outputTokens: row.output,
                            cacheReadTokens: row.cacheRead, cacheWriteTokens: row.cacheWrite, requestCount: row.requests), at: row.day
                    ).cost
            }
            #expect(candidate.costUSD == expected, "\(candidate.model)" as Comment)
            checked += 1
        }
        #expect(checked > 100)
        // Tiered candidates: each row as `requests` requests of its average size, as before any sums.
        var tieredChecked = 0
        for candidate in report.candidates where candidate.tieredEstimate {
            var pricer = UsagePricer(table: Self.table, unknown: .seedFallback)
            var expected = Decimal(0)
            for row in rows {
                let n = max(1, row.requests)
                let whole = UsageRecord(
                    serviceName: "x", modelString: candidate.model, inputTokens: row.input, outputTokens: row.output,
                    cacheReadTokens: row.cacheRead, cacheWriteTokens: row.cacheWrite, requestCount: n)
                // A schedule may be tiered on some days and linear on others (a price change).
                if case .linear = pricer.bulk(whole, at: row.day) {
                    expected += pricer.price(whole, at: row.day).cost
                    continue
                }
                let average = UsageRecord(
                    serviceName: "x", modelString: candidate.model, inputTokens: row.input / n, outputTokens: row.output / n,
                    cacheReadTokens: row.cacheRead / n, cacheWriteTokens: row.cacheWrite / n, requestCount: 1)
                expected += pricer.price(average, at: row.day).cost * Decimal(n)
            }
            #expect(candidate.costUSD == expected, "\(candidate.model) (tiered)" as Comment)
            tieredChecked += 1
        }
        #expect(tieredChecked > 0, "the built-in table has tiered models")
        let pricer = UsagePricer(table: Self.table, unknown: .seedFallback)
        let fallback = rows.reduce(Decimal(0)) { sum, row in
            sum
                + pricer.unknownCost(
                    of: UsageRecord(
                        serviceName: "x", modelString: "nosuch:model", inputTokens: row.input, outputTokens: row.output,
                        cacheReadTokens: row.cacheRead, cacheWriteTokens: 0, requestCount: row.requests))
        }
        #expect(report.currentCostUSD == fallback, "an unpriced current model: the prices.unknown fallback, summed exactly")
    }

    @Test("a report from resolutions made once (as the dashboard keeps them) equals one that resolves every model itself")
    func warmResolutions() {
        let recommender = ModelRecommender(table: Self.table)
        let resolutions = recommender.resolutions()
        #expect(resolutions.count == Set(Self.table.pricedModelStrings).count)
        let warm = recommender.recommend(service: "rag", currentModel: "openai:gpt-4o", rows: Self.rows, resolutions: resolutions)
        #expect(warm == recommender.recommend(service: "rag", currentModel: "openai:gpt-4o", rows: Self.rows))
    }

    @Test("the current provider's models first, each group by cost; other providers marked as estimates")
    func order() {
        let report = ModelRecommender(table: Self.table).recommend(service: "rag", currentModel: "openai:gpt-4o", rows: Self.rows)
        let firstOther = report.candidates.firstIndex { !$0.sameProvider } ?? report.candidates.count
        #expect(firstOther > 0)
        #expect(report.candidates[..<firstOther].allSatisfy { $0.model.hasPrefix("openai:") && !$0.otherTokenizer })
        #expect(report.candidates[firstOther...].allSatisfy { !$0.sameProvider && $0.otherTokenizer })
        for group in [report.candidates[..<firstOther], report.candidates[firstOther...]] {
            #expect(zip(group, group.dropFirst()).allSatisfy { $0.costUSD <= $1.costUSD })
        }
        #expect(report.caveats.contains { $0.contains("List prices only") })
    }

    @Test("a model with no price for a token kind the service used is left out, and the report says which kind")
    func missingKinds() {
        let report = ModelRecommender(table: Self.table).recommend(service: "rag", currentModel: "openai:gpt-4o", rows: Self.rows)
        // Cache reads were used: every candidate left in has a cache read price.
        var pricer = UsagePricer(table: Self.table, unknown: .seedFallback)
        for candidate in report.candidates {
            guard case .priced(_, _, let schedule, _) = pricer.resolution(of: candidate.model) else {
                Issue.record("\(candidate.model) is not priced")
                continue
            }
            #expect(schedule.rates(at: Self.days[2]).cacheRead != nil, "\(candidate.model)")
        }
        #expect(report.excluded.contains { $0.reason == "no price for cache read tokens, which rag used" })
        // Without cache reads, those models come back.
        let plain = Self.rows.map { row in
            var row = row
            row.cacheRead = 0
            return row
        }
        let wider = ModelRecommender(table: Self.table).recommend(service: "rag", currentModel: "openai:gpt-4o", rows: plain)
        #expect(wider.candidates.count > report.candidates.count)
    }
}
