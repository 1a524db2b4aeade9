import ProviderdCore
import Testing

/// The pure half of a flush: what a segment's bytes add to `model_usage`, with
/// no database. The SQL half is covered by the integration tests.
@Suite("Segment flush: aggregation, ids, torn tails and unreadable lines, without a database")
struct SegmentFlushTests {
    static let day: Int64 = 1_795_564_800  // a UTC midnight
    static let prices = try! PriceTable.builtIn()

    func record(_ service: String, _ model: String = "openai:gpt-4o", input: Int64 = 10, id: String? = nil) -> UsageRecord {
        var record = UsageRecord(serviceName: service, modelString: model, inputTokens: input, outputTokens: 1)
        record.id = id
        return record
    }

    func line(_ record: UsageRecord, at timestamp: Int64, acceptedAt: Int64 = day + 50) -> [UInt8] {
        SpoolLine.encode(record, timestamp: timestamp, acceptedAt: acceptedAt)
    }

    /// The row key of `service`'s records at `timestamp` (any time of that UTC day).
    func key(_ service: String, _ timestamp: Int64) -> UsageAggregate.Key {
        UsageAggregate.key(for: record(service), timestamp: timestamp)
    }

    func flush(_ bytes: [UInt8]) -> SegmentFlush {
        var pricer = UsagePricer(table: Self.prices, unknown: .zero)
        return SegmentFlush(segment: bytes, pricer: &pricer)
    }

    @Test("records become one row per (service, model, UTC day), with their ids and acceptance times")
    func aggregates() {
        let bytes =
            line(record("a", input: 10, id: "x"), at: Self.day + 1) + line(record("a", input: 5), at: Self.day + 86_399)
            + line(record("a", input: 7, id: "y"), at: Self.day + 86_400, acceptedAt: Self.day + 86_401)
            + line(record("b", input: 1), at: Self.day)
        let flush = flush(bytes)
        let rows = flush.aggregate.sorted
        #expect(
            rows.map(\.key) == [
                key("a", Self.day), key("a", Self.day + 86_400), key("b", Self.day),
            ])
        #expect(rows.map(\.totals.requests) == [2, 1, 1])
        #expect(rows.map(\.totals.inputTokens) == [15, 7, 1])
        #expect(flush.ids.map(\.id) == ["x", "y"])
        #expect(flush.ids.map(\.acceptedAt) == [Self.day + 50, Self.day + 86_401])
        #expect(flush.tornBytes == 0 && flush.unreadableLines == 0 && flush.unreadable.isEmpty)
    }

    @Test("an unfinished last line is dropped and counted as torn; it adds nothing")
    func tornTail() {
        let whole = line(record("a"), at: Self.day)
        let torn = Array(line(record("a", input: 99, id: "never-acked"), at: Self.day).dropLast(7))
        let flush = flush(whole + torn)
        #expect(flush.tornBytes == torn.count)
        #expect(flush.aggregate.sorted.map(\.totals.inputTokens) == [10])
        #expect(flush.ids.isEmpty)
        #expect(flush.unreadableLines == 0)
        // Only a torn line: nothing at all.
        #expect(self.flush(torn).aggregate.sorted.isEmpty)
        #expect(self.flush(torn).tornBytes == torn.count)
    }

    @Test("whole lines that do not read as records are kept byte for byte for quarantine, not counted")
    func unreadableLines() {
        let bad1 = Array("not a record\n".utf8), bad2 = Array("{\"v\":99}\n".utf8)
        let flush = flush(bad1 + line(record("a"), at: Self.day) + bad2)
        #expect(flush.unreadableLines == 2)
        #expect(flush.unreadable == bad1 + bad2)
        #expect(flush.aggregate.sorted.count == 1)
        #expect(flush.setAside(refused: []) == bad1 + bad2)
    }

    @Test("the lines of refused rows are found again in the segment, and only theirs")
    func linesOfRefusedRows() {
        let a1 = line(record("a", input: 1), at: Self.day), b = line(record("b"), at: Self.day)
        let a2 = line(record("a", input: 2), at: Self.day + 3_600), aNextDay = line(record("a"), at: Self.day + 86_400)
        let flush = flush(a1 + b + a2 + aNextDay)
        #expect(flush.lines(of: [key("a", Self.day + 7)]) == a1 + a2)
        #expect(flush.lines(of: []).isEmpty)
    }

    @Test("an already flushed segment reports no quarantine and no unreadable lines")
    func alreadyFlushed() {
        let flush = flush(Array("junk\n".utf8) + line(record("a"), at: Self.day))
        let result = flush.result(alreadyFlushed: true, refused: [])
        #expect(result.alreadyFlushed && result.unreadableLines == 0 && result.quarantined.isEmpty)
        #expect(flush.result(alreadyFlushed: false, refused: []).unreadableLines == 1)
    }
}
