import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("The id table follows usage.spool_max_bytes and usage.id_window across restarts")
struct IdTableResizeTests {
    /// A table file made for `window` and `capacity`, holding `ids` (id, accepted at), written out.
    static func table(
        in directory: TemporaryDirectory, window: Int64, capacity: Int, ids: [(String, Int64)]
    ) throws -> (path: String, made: IdTableResize.Outcome?) {
        let path = directory.file("ids.table")
        let (table, outcome) = try IdTableResize.open(path: path, window: window, capacity: capacity, now: 0)
        for (id, acceptedAt) in ids { table.insert(id, acceptedAt: acceptedAt, now: acceptedAt) }
        try table.syncer.sync()
        return (path, outcome)
    }

    @Test("a larger spool bound: the table grows and every live id is still a duplicate")
    func grows() throws {
        let directory = try TemporaryDirectory()
        let (path, made) = try Self.table(in: directory, window: 1_000, capacity: 1_000, ids: (0..<500).map { ("id-\($0)", 10) })
        #expect(made == nil)
        let (large, outcome) = try IdTableResize.open(path: path, window: 1_000, capacity: 100_000, now: 20)
        #expect(outcome?.slotsBefore == IdWindow.slots(forCapacity: 1_000))
        #expect(outcome?.slotsAfter == IdWindow.slots(forCapacity: 100_000))
        #expect(outcome?.carried == 500)
        #expect(large.slotCount == IdWindow.slots(forCapacity: 100_000))
        #expect((0..<500).allSatisfy { large.contains("id-\($0)", now: 20) })
        #expect(!large.contains("id-500", now: 20))
        #expect(!FileManager.default.fileExists(atPath: path + ".resize"))
        // Opened again with the same settings: nothing to do.
        #expect(try IdTableResize.open(path: path, window: 1_000, capacity: 100_000, now: 30).1 == nil)
    }

    @Test("a smaller spool bound: the table shrinks to its quarter again, with its ids")
    func shrinks() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.table(in: directory, window: 1_000, capacity: 100_000, ids: (0..<300).map { ("id-\($0)", 10) }).path
        let (small, outcome) = try IdTableResize.open(path: path, window: 1_000, capacity: 1_000, now: 20)
        #expect(outcome?.carried == 300)
        #expect(small.diskBytes < 100_000)
        #expect((0..<300).allSatisfy { small.contains("id-\($0)", now: 20) })
    }

    @Test("a changed id window moves every expiry: a longer one keeps ids the old one had let go, a shorter one drops them")
    func window() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.table(in: directory, window: 100, capacity: 1_000, ids: [("early", 0), ("late", 90)]).path
        let (longer, grown) = try IdTableResize.open(path: path, window: 1_000, capacity: 1_000, now: 150)
        #expect(grown?.windowBefore == 100)
        #expect(grown?.windowAfter == 1_000)
        #expect(longer.contains("early", now: 150))
        #expect(longer.contains("late", now: 1_000))
        #expect(!longer.contains("late", now: 1_090))
        _ = consume longer
        let (shorter, _) = try IdTableResize.open(path: path, window: 50, capacity: 1_000, now: 100)
        #expect(!shorter.contains("early", now: 100))
        #expect(shorter.contains("late", now: 100))
    }
}
