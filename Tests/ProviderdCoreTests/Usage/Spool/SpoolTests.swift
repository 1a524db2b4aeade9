import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Spool: the quarantine file of a segment holds what its last flush attempt set aside")
struct SpoolTests {
    @Test("lines set aside, then an attempt that sets nothing aside: the earlier file goes, and the count follows")
    func emptySetAsideRemovesTheEarlierFile() async throws {
        let directory = try TemporaryDirectory()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let stats = UsageStatsBoard()
        let spool = Spool(files: try SpoolFiles(directory: directory.file("spool"), instance: "host-a"), loop: loops.next(), stats: stats)
        let path = spool.quarantineDirectory + "/host-a-1.ndjson"

        try await spool.quarantine(lines: Array("refused line\n".utf8), of: "host-a-1.ndjson")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "refused line\n")
        #expect(stats.current.quarantinedFiles == 1)
        // A retry after the COMMIT failed refuses a different set: the file is replaced.
        try await spool.quarantine(lines: Array("other\n".utf8), of: "host-a-1.ndjson")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "other\n")
        // A retry that refuses nothing: none of the segment's lines stay in quarantine.
        try await spool.quarantine(lines: [], of: "host-a-1.ndjson")
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(stats.current.quarantinedFiles == 0)
        // Nothing there to begin with: nothing to do, no error.
        try await spool.quarantine(lines: [], of: "host-a-2.ndjson")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.quarantineDirectory).isEmpty)
        try await loops.shutdownGracefully()
    }
}
