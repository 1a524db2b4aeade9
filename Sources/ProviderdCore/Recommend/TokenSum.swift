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

extension TokenSum {
    /// The counts of a range of a running sum: `self` (the running sum at its end)
    /// less `start` (at its start). `any`: whether the range holds a row.
    func since(_ start: TokenSum, any: Bool) -> TokenSum {
        TokenSum(
            requests: requests - start.requests, input: input - start.input, output: output - start.output,
            cacheRead: cacheRead - start.cacheRead, cacheWrite: cacheWrite - start.cacheWrite, any: any)
    }
}
