import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Segment names: never the same twice, whatever the directory holds")
struct SegmentNameTests {
    let instance = "6f1c2a7e-3b1d-4c55-9a0e-2f3d4b5c6d7e"

    @Test("a name reads back as written; names from before the nonce still read")
    func roundTrip() throws {
        let name = try SegmentName.fresh(instance: instance, sequence: 42)
        #expect(SegmentName(parsing: name.description) == name)
        #expect(name.description.hasPrefix(instance + "-000000000000002a-"))
        let old = SegmentName(parsing: instance + "-000000000000002a.ndjson")
        #expect(old == SegmentName(instance: instance, sequence: 42, nonce: nil))
        #expect(SegmentName(parsing: "host-a-0000000000000001.ndjson")?.instance == "host-a")
        #expect(SegmentName(parsing: "notes.txt") == nil)
        #expect(SegmentName(parsing: "-0000000000000001.ndjson") == nil)
    }

    @Test("an emptied spool directory does not start the names again: 1,000 opens over an empty directory never repeat one")
    func emptiedDirectory() throws {
        var seen = Set<String>()
        for _ in 0..<1_000 {
            let directory = try TemporaryDirectory()
            let files = try SpoolFiles(directory: directory.file("spool"), instance: instance)
            #expect(seen.insert(files.activeName).inserted)
        }
    }

    @Test("a segment named with the largest sequence does not trap: the next one keeps the sequence and a new nonce")
    func largestSequence() throws {
        let directory = try TemporaryDirectory()
        let spool = directory.file("spool")
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        let top = instance + "-ffffffffffffffff.ndjson"
        try Data().write(to: URL(fileURLWithPath: spool + "/" + top))
        let files = try SpoolFiles(directory: spool, instance: instance)
        let active = try #require(SegmentName(parsing: files.activeName))
        #expect(active.sequence == .max)
        #expect(files.activeName != top)
        try files.append(Array("x\n".utf8))
        let sealed = try #require(try files.seal())
        #expect(sealed != files.activeName)
    }
}
