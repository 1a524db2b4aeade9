import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("The id table follows usage.spool_max_bytes and usage.id_window across restarts")
struct IdTableResizeTests {
    @Test("a larger spool bound: the table grows and every live id is still a duplicate")
    func grows() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ids.table")
        do {
            let (small, outcome) = try IdTableResize.open(path: path, window: 1_000, capacity: 1_000, now: 10)
            #expect(outcome == nil)
            for n in 0..<500 { small.insert("id-\(n)", acceptedAt: 10, now: 10) }
            try small.syncer.sync()
        }
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
        let path = directory.file("ids.table")
        do {
            let (large, _) = try IdTableResize.open(path: path, window: 1_000, capacity: 100_000, now: 10)
            for n in 0..<300 { large.insert("id-\(n)", acceptedAt: 10, now: 10) }
            try large.syncer.sync()
        }
        let (small, outcome) = try IdTableResize.open(path: path, window: 1_000, capacity: 1_000, now: 20)
        #expect(outcome?.carried == 300)
        #expect(small.diskBytes < 100_000)
        #expect((0..<300).allSatisfy { small.contains("id-\($0)", now: 20) })
    }

    @Test("a changed id window moves every expiry: a longer one keeps ids the old one had let go, a shorter one drops them")
    func window() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ids.table")
        do {
            let (table, _) = try IdTableResize.open(path: path, window: 100, capacity: 1_000, now: 0)
            table.insert("early", acceptedAt: 0, now: 0)
            table.insert("late", acceptedAt: 90, now: 90)
            try table.syncer.sync()
        }
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
