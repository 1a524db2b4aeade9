import ProviderdCore
import Testing

@Suite("Usage stats: one board, the stats reply's fields and the STATUS text")
struct UsageStatsTests {
    @Test("spooled bytes are stored plus queued; the reply's fields keep their order; STATUS names a quarantine")
    func fieldsAndStatus() {
        let board = UsageStatsBoard()
        board.update {
            $0.accepted = 5
            $0.storedBytes = 100
            $0.queuedBytes = 20
            $0.flushed = 3
        }
        let stats = board.current
        #expect(stats.spooledBytes == 120)
        #expect(stats.fields.map(\.0) == ["accepted", "refused", "duplicates", "spooled_bytes", "quarantined", "flushed", "unpriced", "last_flush"])
        #expect(stats.fields.map(\.1) == [5, 0, 0, 120, 0, 3, 0, nil])
        #expect(stats.statusText == "usage: 3 flushed, 120 bytes spooled")
        board.update { $0.quarantinedThisRun = 2 }
        #expect(board.current.statusText == "usage: 3 flushed, 120 bytes spooled, QUARANTINED 2 (see spool/quarantine)")
    }

    @Test("writers on many threads lose no increment")
    func concurrentUpdates() async {
        let board = UsageStatsBoard()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1_000 { board.update { $0.accepted += 1 } } } }
        }
        #expect(board.current.accepted == 8_000)
    }
}
