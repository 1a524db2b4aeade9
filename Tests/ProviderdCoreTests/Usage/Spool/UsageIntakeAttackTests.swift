import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Usage intake under attack: resends racing a failing write, hostile ids, a damaged ids.log")
struct UsageIntakeAttackTests {
    static let now: Int64 = 1_795_600_000

    func record(_ n: Int, id: String?) -> UsageRecord {
        var record = UsageRecord(serviceName: "svc", modelString: "openai:gpt-4o")
        record.inputTokens = Int64(n)
        record.id = id
        return record
    }

    @Test(
        "a resend racing its original on a full disk is never answered duplicate; after space returns both ids count once",
        .enabled(if: SmallDisk.available))
    func resendWhileWriteFails() async throws {
        let disk = try SmallDisk(bytes: 256 << 10)
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let files = try SpoolFiles(directory: disk.path + "/spool", instance: "host-a")
        let intake = try UsageIntake(files: files, loop: loops.next(), maxBytes: 1 << 30, idWindow: 86_400, now: Self.now)
        disk.fill()
        // Each pair: the original and its resend, in one burst (as two pipelined lines
        // or a client retry arrive) and from two concurrent clients.
        let pairs = 200
        var lines: [UsageIntake.Line] = []
        for n in 0..<pairs { lines += [.one(record(n, id: "pair-\(n)")), .one(record(n, id: "pair-\(n)"))] }
        async let burst = intake.submit(lines: lines, now: Self.now)
        async let other = intake.submit(lines: (0..<pairs).map { .one(record($0, id: "pair-\($0)")) }, now: Self.now)
        let results = await burst + other
        let duplicates = results.filter { if case .success(let o) = $0 { o.duplicates > 0 } else { false } }.count
        let failures = results.filter { if case .failure = $0 { true } else { false } }.count
        #expect(duplicates == 0, "\(duplicates) resends were answered duplicate while their original was not on disk")
        #expect(failures == results.count)

        disk.free()
        let again = await intake.submit(lines: (0..<pairs).map { .one(record($0, id: "pair-\($0)")) }, now: Self.now)
        let accepted = again.reduce(0) { $0 + ((try? $1.get().accepted) ?? 0) }
        #expect(accepted == pairs)
        let resent = await intake.submit(lines: (0..<pairs).map { .one(record($0, id: "pair-\($0)")) }, now: Self.now)
        #expect(resent.allSatisfy { (try? $0.get()) == .init(accepted: 0, duplicates: 1) })
        let stored = try await intake.spool.sealedRecords().compactMap(\.id)
        #expect(stored.count == pairs)
        #expect(Set(stored).count == pairs)
        try await loops.shutdownGracefully()
    }

    @Test("a resend while the original's fsync is still running waits for it, then is a duplicate")
    func resendDuringWrite() async throws {
        let directory = try TemporaryDirectory()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let files = try SpoolFiles(directory: directory.file("spool"), instance: "host-a")
        let intake = try UsageIntake(files: files, loop: loops.next(), maxBytes: 1 << 30, idWindow: 86_400, now: Self.now)
        let results = try await withThrowingTaskGroup(of: UsageIntake.Outcome.self) { group in
            for _ in 0..<20 { group.addTask { try await intake.submit([self.record(1, id: "same")], now: Self.now) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0.accepted == 1 }.count == 1)
        #expect(results.filter { $0.duplicates == 1 }.count == 19)
        try await loops.shutdownGracefully()
    }

    @Test("an id with a control character is refused at the door")
    func controlCharactersInIds() throws {
        let parser = UsageLineParser(limits: UsageLimits(now: Self.now, windowBack: 86_400))
        for id in ["inj\\n99999999999 victim", "tab\\there", "nul\\u0000", "del\\u007f", "c1\\u0085"] {
            let line = #"{"service_name":"s","model_string":"openai:gpt-4o","id":"\#(id)"}"#
            #expect(throws: UsageLineError.self) { try parser.parse(line) }
            do { _ = try parser.parse(line) } catch { #expect(error.message == "id must not contain control characters") }
        }
        #expect(throws: Never.self) { try parser.parse(#"{"service_name":"s","model_string":"openai:gpt-4o","id":"ok id é"}"#) }
    }

    @Test("ids.log holds any id unambiguously: a planted newline forges no record, a damaged line is dropped")
    func idLogFormat() throws {
        let directory = try TemporaryDirectory()
        let log = IdLog(directory: try StateDirectory(path: directory.path))
        let hostile = "inj\n99999999999 victim"
        try log.append([(hostile, Self.now), ("plain", Self.now), ("with space", Self.now)])
        let loaded = try log.load(now: Self.now + 1, window: 86_400)
        #expect(loaded.live.map(\.id) == [hostile, "plain", "with space"])
        #expect(loaded.damagedLines == 0)
        #expect(!loaded.live.contains { $0.id == "victim" })

        // A flipped byte and a torn tail: each line is checked on its own.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: log.path)))
        let secondLine = bytes.firstIndex(of: UInt8(ascii: "\n"))! + 5
        bytes[secondLine] = bytes[secondLine] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        bytes += Array("2 \(Self.now) 7669".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: log.path))
        let damaged = try log.load(now: Self.now + 1, window: 86_400)
        #expect(damaged.live.map(\.id) == [hostile, "with space"])
        #expect(damaged.damagedLines == 2)
        // The damaged lines are gone from the rewritten file.
        #expect(try log.load(now: Self.now + 1, window: 86_400).damagedLines == 0)
    }

    @Test("ids.log of the first format is still read")
    func idLogFirstFormat() throws {
        let directory = try TemporaryDirectory()
        let log = IdLog(directory: try StateDirectory(path: directory.path))
        try Data("\(Self.now) old-id\n\(Self.now - 100_000) expired\n".utf8).write(to: URL(fileURLWithPath: log.path))
        #expect(try log.load(now: Self.now + 1, window: 86_400).live.map(\.id) == ["old-id"])
    }
}
