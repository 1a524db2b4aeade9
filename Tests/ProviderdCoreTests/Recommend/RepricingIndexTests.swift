import Testing

@testable import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite("The rows arranged for repricing")
struct RepricingIndexTests {
    /// 60 days of three models' rows, of varied sizes.
    static let rows = (0..<180).map { (index: Int) -> ServiceTokens in
        let i = Int64(index)
        return ServiceTokens(
            day: 1_796_083_200 + (i / 3) * 86_400, model: "m\(index % 3)", requests: 1 + i % 7, input: 1_000 + (i * 7_919) % 300_000,
            output: 10 + i * 3, cacheRead: (i % 4) * 100, cacheWrite: 0)
    }

    /// The rows of `days` grouped one by one, as before the index.
    func grouped(_ rows: [ServiceTokens], starts: [Int64]) -> [Int: TokenSum] {
        var groups: [Int: TokenSum] = [:]
        for row in rows {
            let n = max(1, row.requests)
            groups[starts.count { row.input / n > $0 }, default: TokenSum()].addAverage(of: row, requests: n)
        }
        return groups
    }

    func same(_ a: TokenSum, _ b: TokenSum) -> Bool {
        (a.requests, a.input, a.output, a.cacheRead, a.cacheWrite, a.any) == (b.requests, b.input, b.output, b.cacheRead, b.cacheWrite, b.any)
    }

    @Test("tier groups over every day and over some days, read off running sums, equal the rows grouped one by one")
    func tierGroups() {
        var index = RepricingIndex(Self.rows)
        for starts: [Int64] in [[], [200_000], [1_000, 32_000, 128_000, 200_000], [0, 5_000_000]] {
            for range in [index.days.indices, 10..<25, 0..<1, 59..<60] {
                let days = Set(index.days[range])
                let expected = grouped(Self.rows.filter { days.contains($0.day) }, starts: starts)
                let groups = index.tiers(days: range, starts: starts)
                #expect(groups.map(\.tiers) == expected.keys.sorted(), "\(starts) \(range)")
                for group in groups {
                    #expect(same(group.sum, expected[group.tiers]!), "\(starts) \(range) tier \(group.tiers)")
                    // The group's average passes exactly `tiers` starts.
                    #expect(starts.count { group.averageInput > $0 } == group.tiers)
                }
            }
        }
    }

    @Test("runs of days at one schedule entry follow the price changes; their linear sums add up to the rows")
    func runsAndSums() throws {
        let index = RepricingIndex(Self.rows)
        let rates = PriceRates(input: .flat(1), output: .flat(2))
        let change = Self.rows[90].day
        let schedule = PriceSchedule(entries: [
            .init(condition: nil, rates: rates), .init(condition: .from(change), rates: rates),
        ])
        let runs = index.runs(of: schedule)
        #expect(runs.map(\.entry) == [0, 1])
        #expect(index.days[runs[1].days.lowerBound] == change)
        var total = TokenSum()
        for run in runs { total.add(index.sum(days: run.days)) }
        var expected = TokenSum()
        for row in Self.rows { expected.add(row) }
        #expect(same(total, expected))
        #expect(index.runs(of: PriceSchedule(always: rates)).map(\.days) == [index.days.indices])
    }

    @Test("candidates in order: the current provider's first, then by exact cost (ties the nearest Double cannot tell apart included), then by name")
    func order() {
        func candidate(_ model: String, _ cost: String, same: Bool) -> ModelRecommender.Candidate {
            .init(
                model: model, costUSD: Decimal(string: cost)!, savingUSD: 0, sameProvider: same, otherTokenizer: !same, tieredEstimate: false)
        }
        // Two costs one digit apart in the 30th place: the same Double.
        var candidates = [
            candidate("a", "1.000000000000000000000000000002", same: false), candidate("b", "1.000000000000000000000000000001", same: false),
            candidate("z", "9", same: true), candidate("c", "0.5", same: false), candidate("y", "2", same: true), candidate("d", "0.5", same: false),
        ]
        ModelRecommender.order(&candidates)
        // b costs less than a, though the nearest Doubles tie and a sorts first by name.
        #expect(candidates.map(\.model) == ["y", "z", "c", "d", "b", "a"])
    }
}
