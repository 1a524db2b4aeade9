import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Id checkpoints: when the table goes to disk and ids.log is emptied")
struct IdCheckpointerTests {
    /// A state directory, an id table in it and `ids.log`, fresh for each test.
    let directory: TemporaryDirectory
    let state: StateDirectory
    let ids: IdWindow
    let table: IdTableFile
    let log: IdLog

    init() throws {
        directory = try TemporaryDirectory()
        state = try StateDirectory(path: directory.file("state"))
        ids = try IdWindow(window: 86_400, capacity: 100_000, path: state.file("ids.table"))
        table = IdTableFile(ids: ids)
        log = IdLog(directory: state)
    }

    @Test("every minute; every 5 s while ids.log is over 8 MiB; never sooner unless forced (a stop)")
    func due() throws {
        let checkpointer = IdCheckpointer(table: table, idLog: log, now: 1_000)
        #expect(!checkpointer.isDue(now: 1_004, logBytes: 9 << 20))
        #expect(checkpointer.isDue(now: 1_005, logBytes: 9 << 20))
        #expect(!checkpointer.isDue(now: 1_059, logBytes: 1 << 20))
        #expect(checkpointer.isDue(now: 1_060, logBytes: 0))
        var forced = checkpointer
        #expect(forced.checkpoint(force: false, now: 1_001) == .skipped)
        #expect(forced.checkpoint(force: true, now: 1_001) == .written)
        #expect(!forced.isDue(now: 1_059, logBytes: 0), "counted from the last checkpoint")
    }

    @Test("a checkpoint writes the table out, empties ids.log, and measures the table's disk again for the spool bound")
    func written() throws {
        var checkpointer = IdCheckpointer(table: table, idLog: log, now: 0)
        let before = table.diskBytes
        let entries = (0..<5_000).map { (id: "ck-\($0)", acceptedAt: Int64(1_000)) }
        for entry in entries { ids.insert(entry.id, acceptedAt: entry.acceptedAt, now: 1_000) }
        try log.append(entries)
        #expect(log.size > 0)
        #expect(checkpointer.checkpoint(force: false, now: 60) == .written)
        #expect(log.size == 0)
        #expect(table.diskBytes > before, "\(table.diskBytes) bytes after 5,000 ids, \(before) before")
        let reopened = try IdWindow(window: 86_400, capacity: 100_000, path: state.file("ids.table"))
        #expect(entries.allSatisfy { reopened.contains($0.id, now: 1_000) })
    }

    @Test("a failure is reported once per run of failures and tried again at the next interval, not at every pass")
    func failure() throws {
        var checkpointer = IdCheckpointer(table: table, idLog: log, now: 0)
        // ids.log cannot be emptied: a directory stands in for the file (root
        // ignores file modes).
        _ = try? FileManager.default.removeItem(atPath: log.path)
        try FileManager.default.createDirectory(atPath: log.path, withIntermediateDirectories: false)
        guard case .failed(_, report: true) = checkpointer.checkpoint(force: false, now: 60) else {
            Issue.record("the first failure is reported")
            return
        }
        #expect(checkpointer.checkpoint(force: false, now: 61) == .skipped, "not again at the next pass")
        guard case .failed(_, report: false) = checkpointer.checkpoint(force: false, now: 120) else {
            Issue.record("the second failure of the run is not reported again")
            return
        }
        try FileManager.default.removeItem(atPath: log.path)
        #expect(checkpointer.checkpoint(force: true, now: 121) == .written)
        try FileManager.default.removeItem(atPath: log.path)
        try FileManager.default.createDirectory(atPath: log.path, withIntermediateDirectories: false)
        guard case .failed(_, report: true) = checkpointer.checkpoint(force: true, now: 122) else {
            Issue.record("after a success, a new failure is reported again")
            return
        }
    }
}
