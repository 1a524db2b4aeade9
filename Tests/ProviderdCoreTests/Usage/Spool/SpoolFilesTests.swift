import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Spool files: segments, sealing, an unacknowledged tail that could not be cut back")
struct SpoolFilesTests {
    static func line(_ n: Int) -> [UInt8] {
        var record = UsageRecord(serviceName: "svc", modelString: "openai:gpt-4o")
        record.inputTokens = Int64(n)
        record.id = "r\(n)"
        var out: [UInt8] = []
        SpoolLine.encode(record, timestamp: 1_795_600_000, acceptedAt: 1_795_600_000, into: &out)
        return out
    }

    @Test("a failed write that cannot be cut back: the segment is read only up to its last acknowledged byte, also after a restart")
    func abandonedTail() throws {
        let directory = try TemporaryDirectory()
        let spool = directory.file("spool")
        let files = try SpoolFiles(directory: spool, instance: "host-a")
        try files.append(Self.line(1) + Self.line(2))
        let acknowledged = Self.line(1) + Self.line(2)
        let first = files.activeName
        // What a failed write leaves behind: a whole line never acknowledged, and a torn one.
        let fd = open(spool + "/" + first, O_WRONLY | O_APPEND)
        #expect(fd >= 0)
        let tail = Self.line(3) + Array(Self.line(4).prefix(10))
        #expect(tail.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == tail.count)
        close(fd)
        files.abandonActive()

        #expect(!files.broken)
        #expect(files.activeName != first)
        #expect(files.sealed == [first])
        #expect(try files.read(first) == acknowledged)
        #expect(files.totalBytes == acknowledged.count)
        #expect(FileManager.default.fileExists(atPath: spool + "/" + first + ".valid"))
        // Appends go on, in the next segment.
        try files.append(Self.line(5))
        #expect(try files.read(files.activeName) == Self.line(5))

        // A restart (crash before the flush) reads no further either.
        let restarted = try SpoolFiles(directory: spool, instance: "host-a")
        #expect(try restarted.read(first) == acknowledged)
        #expect(restarted.sealed.contains(first))
        #expect(restarted.totalBytes == acknowledged.count + Self.line(5).count)
        let records = try restarted.read(first).split(separator: UInt8(ascii: "\n")).compactMap { SpoolLine.decode($0)?.record.id }
        #expect(records == ["r1", "r2"])

        // Flushed: the segment and its length record go together.
        try restarted.remove(first)
        #expect(!FileManager.default.fileExists(atPath: spool + "/" + first))
        #expect(!FileManager.default.fileExists(atPath: spool + "/" + first + ".valid"))
    }

    @Test("a segment that reaches its size is sealed and the next one started; every record is read back once")
    func rotation() throws {
        let directory = try TemporaryDirectory()
        let files = try SpoolFiles(directory: directory.file("spool"), instance: "host-a", segmentBytes: 1_000)
        for n in 0..<100 { try files.append(Self.line(n)) }
        #expect(files.sealed.count >= 5)
        _ = try files.seal()
        var ids: [String] = []
        for segment in files.sealed {
            let bytes = try files.read(segment)
            #expect(bytes.count < 1_000 + Self.line(99).count)
            SpoolLine.forEachLine(in: bytes) { ids.append(SpoolLine.decode($0)?.record.id ?? "?") }
        }
        #expect(ids == (0..<100).map { "r\($0)" })
        #expect(files.totalBytes == (0..<100).reduce(0) { $0 + Self.line($1).count })
    }
}
