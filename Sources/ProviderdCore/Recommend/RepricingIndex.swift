/// A service's rows arranged once per report so that pricing them under each of
/// hundreds of models costs a pass over the days, not over the rows.
///
/// - At linear rates a sum of rows costs what the rows cost one by one, so each
///   run of days at the same entry of a model's price schedule is read off running
///   sums of the days (`daySums`): two lookups per run.
/// - At tiered rates each row is `requests` requests of its average size, and
///   rows whose average falls in the same tiers are summed. Models share a few
///   sets of tier starts (200k input tokens, say): for each set met, the rows are
///   grouped once into running sums per tier over the days, and a run's groups are
///   read off them: two lookups per tier.
///
/// The sums are the ones a row-by-row addition makes, so the costs are the same to
/// the last digit (`ModelRecommenderTests`).
struct RepricingIndex {
    /// One row as a tiered price sees it: its average request's input, and the
    /// counts of `requests` requests of that size.
    struct AverageRow {
        var averageInput: Int64
        var counts: TokenSum
    }

    /// The days with usage, ascending (Unix seconds of their UTC midnight).
    let days: [Int64]
    /// `daySums[i]`: the rows of `days[0..<i]` added up (`days.count + 1` sums).
    let daySums: [TokenSum]
    /// The rows, in day order; `rowStart[i]` is the first of `days[i]`'s
    /// (`days.count + 1` entries).
    let rows: [AverageRow]
    let rowStart: [Int]
    /// Per set of tier starts met so far: for each tier, the running sums over the
    /// days of the rows whose average passes that many starts, and how many rows.
    private var tierSums: [[Int64]: (sums: [[TokenSum]], rows: [[Int]])] = [:]

    init(_ tokens: [ServiceTokens]) {
        var byDay: [Int64: [ServiceTokens]] = [:]
        for row in tokens where row.requests > 0 || row.input > 0 || row.output > 0 { byDay[row.day, default: []].append(row) }
        days = byDay.keys.sorted()
        var daySums = [TokenSum()]
        var rows: [AverageRow] = []
        var rowStart: [Int] = []
        for day in days {
            rowStart.append(rows.count)
            var sum = daySums.last!
            for row in byDay[day]! {
                sum.add(row)
                let n = max(1, row.requests)
                var counts = TokenSum()
                counts.addAverage(of: row, requests: n)
                rows.append(AverageRow(averageInput: row.input / n, counts: counts))
            }
            daySums.append(sum)
        }
        rowStart.append(rows.count)
        self.daySums = daySums
        self.rows = rows
        self.rowStart = rowStart
    }

    /// The runs of consecutive days at the same entry of `schedule`, in day order.
    func runs(of schedule: PriceSchedule) -> [(entry: Int, days: Range<Int>)] {
        guard schedule.entries.count > 1 else { return days.isEmpty ? [] : [(0, days.indices)] }
        var runs: [(entry: Int, days: Range<Int>)] = []
        var start = 0
        var entry = 0
        for (i, day) in days.enumerated() {
            let here = schedule.index(at: day)
            if i > 0, here != entry {
                runs.append((entry, start..<i))
                start = i
            }
            entry = here
        }
        if !days.isEmpty { runs.append((entry, start..<days.count)) }
        return runs
    }

    /// The linear sum of the rows of `range`'s days.
    func sum(days range: Range<Int>) -> TokenSum {
        daySums[range.upperBound].since(daySums[range.lowerBound], any: !range.isEmpty)
    }

    /// The rows of `range`'s days by how many of `starts` (ascending) their
    /// average input passes, with an input that passes as many: every input that
    /// passes the same starts prices at the same tiers (`Value.rate` takes the last
    /// tier whose start the input passes).
    mutating func tiers(days range: Range<Int>, starts: [Int64]) -> [(tiers: Int, averageInput: Int64, sum: TokenSum)] {
        let running = tierSums[starts] ?? groupedByTier(starts)
        tierSums[starts] = running
        var groups: [(tiers: Int, averageInput: Int64, sum: TokenSum)] = []
        for tiers in 0...starts.count where running.rows[tiers][range.upperBound] > running.rows[tiers][range.lowerBound] {
            let input = tiers == 0 ? (starts.first ?? 0) : starts[tiers - 1] + 1
            groups.append((tiers, input, running.sums[tiers][range.upperBound].since(running.sums[tiers][range.lowerBound], any: true)))
        }
        return groups
    }

    /// The running sums per tier over the days, for one set of tier starts.
    private func groupedByTier(_ starts: [Int64]) -> (sums: [[TokenSum]], rows: [[Int]]) {
        var sums = [[TokenSum]](repeating: [TokenSum()], count: starts.count + 1)
        var rows = [[Int]](repeating: [0], count: starts.count + 1)
        for day in days.indices {
            var sum = sums.map { $0.last! }
            var count = rows.map { $0.last! }
            for row in self.rows[rowStart[day]..<rowStart[day + 1]] {
                let tiers = starts.count { row.averageInput > $0 }
                sum[tiers].add(row.counts)
                count[tiers] += 1
            }
            for tiers in sums.indices {
                sums[tiers].append(sum[tiers])
                rows[tiers].append(count[tiers])
            }
        }
        return (sums, rows)
    }
}
