import Foundation
import Testing
@testable import ProviderdCore

@Suite("Spool lines and the idempotency window")
struct SpoolLineAndIdWindowTests {
    @Test("a spooled record reads back exactly, odd strings included; a torn line is no record")
    func roundTrip() throws {
        var record = UsageRecord(serviceName: "svc \"quoted\" \\ é🔑 \u{2028}", modelString: "ollama:llama3:8b")
        record.inputTokens = 1_000_000_000
        record.outputTokens = 7
        record.cacheReadTokens = 3
        record.cacheWriteTokens = 4
        record.requestCount = 0
        record.id = "id-\u{1}-x"
        let line = SpoolLine.encode(record, timestamp: 1_795_600_000)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        let decoded = try #require(SpoolLine.decode(line.dropLast()))
        var expected = record
        expected.timestamp = 1_795_600_000
        #expect(decoded.record == expected)
        #expect(decoded.timestamp == 1_795_600_000)
        #expect(SpoolLine.decode(line.prefix(line.count / 2)) == nil)
        // The parser reads a spool line as valid JSON too.
        #expect((try? JSONSerialization.jsonObject(with: Data(line))) != nil)
    }

    @Test("ids are duplicates within the window, forgotten after it, and capped")
    func window() {
        var ids = IdWindow(window: 100, capacity: 3)
        do { let inserted = ids.insert("a", acceptedAt: 0, now: 0); #expect(inserted) }
        do { let inserted = ids.insert("a", acceptedAt: 50, now: 50); #expect(!inserted) }
        #expect(ids.contains("a", now: 99))
        #expect(!ids.contains("a", now: 100))
        do { let inserted = ids.insert("a", acceptedAt: 100, now: 100); #expect(inserted) }
        do { let inserted = ids.insert("b", acceptedAt: 101, now: 101); #expect(inserted) }
        do { let inserted = ids.insert("c", acceptedAt: 102, now: 102); #expect(inserted) }
        do { let inserted = ids.insert("d", acceptedAt: 103, now: 103); #expect(inserted) }
        #expect(ids.count == 3)
        #expect(!ids.contains("a", now: 103))  // evicted: over capacity
        #expect(ids.entries.map(\.id) == ["b", "c", "d"])
        #expect(ids.entries.map(\.acceptedAt) == [101, 102, 103])
        // An id accepted long ago (replayed from disk) that has already expired is not kept.
        do { let inserted = ids.insert("old", acceptedAt: 0, now: 500); #expect(inserted) }
        #expect(!ids.contains("old", now: 500))
    }
}
