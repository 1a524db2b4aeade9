import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Usage intake: durable spool with group commit and idempotency ids")
struct UsageIntakeTests {
    static let now: Int64 = 1_795_600_000

    func record(_ n: Int, id: String? = nil) -> UsageRecord {
        var record = UsageRecord(serviceName: "svc\(n % 3)", modelString: "openai:gpt-4o")
        record.inputTokens = Int64(n)
        record.outputTokens = 1
        record.id = id
        return record
    }

    @Test("2,000 records from 50 concurrent clients: all acknowledged, all on disk, sharing fsyncs")
    func concurrent() async throws {
        let directory = try TemporaryDirectory()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let files = try SpoolFiles(directory: directory.file("spool"), instance: "host-a")
        let intake = try UsageIntake(files: files, loop: loops.next(), maxBytes: 1 << 30, idWindow: 86_400, now: Self.now)
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<50 {
                group.addTask {
                    var accepted = 0
                    for n in 0..<40 {
                        accepted += try await intake.submit([self.record(client * 40 + n)], now: Self.now).accepted
                    }
                    return accepted
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(total == 2_000)
        #expect(intake.stats.current.accepted == 2_000)
        let commits = await intake.commits
        #expect(commits < 2_000, "no group commit: \(commits) fsyncs")
        let stored = try await intake.spool.sealedRecords()
        #expect(stored.count == 2_000)
        #expect(Set(stored.map(\.inputTokens)) == Set((0..<2_000).map(Int64.init)))
        try await loops.shutdownGracefully()
    }

    @Test("a resent id is a duplicate, in one batch or across batches and restarts")
    func duplicates() async throws {
        let directory = try TemporaryDirectory()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let files = try SpoolFiles(directory: directory.file("spool"), instance: "host-a")
        let firstActive = files.activeName
        let intake = try UsageIntake(files: files, loop: loops.next(), maxBytes: 1 << 30, idWindow: 86_400, now: Self.now)
        #expect(try await intake.submit([record(1, id: "a")], now: Self.now) == .init(accepted: 1, duplicates: 0))
        #expect(try await intake.submit([record(1, id: "a")], now: Self.now) == .init(accepted: 0, duplicates: 1))
        #expect(
            try await intake.submit([record(2, id: "b"), record(3, id: "b"), record(4)], now: Self.now)
                == .init(accepted: 2, duplicates: 1))

        // A new process on the same state directory remembers the ids on disk.
        let reopened = try SpoolFiles(directory: directory.file("spool"), instance: "host-a")
        #expect(reopened.activeName != firstActive)
        let again = try UsageIntake(files: reopened, loop: loops.next(), maxBytes: 1 << 30, idWindow: 86_400, now: Self.now + 60)
        #expect(try await again.submit([record(1, id: "a"), record(5, id: "c")], now: Self.now + 60) == .init(accepted: 1, duplicates: 1))
        // ...but not beyond the window.
        let later = try UsageIntake(
            files: try SpoolFiles(directory: directory.file("spool"), instance: "host-a"), loop: loops.next(),
            maxBytes: 1 << 30, idWindow: 86_400, now: Self.now + 90_000)
        #expect(try await later.submit([record(1, id: "a")], now: Self.now + 90_000) == .init(accepted: 1, duplicates: 0))
        try await loops.shutdownGracefully()
    }

    @Test("a full spool refuses new records without remembering their ids")
    func spoolFull() async throws {
        let directory = try TemporaryDirectory()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let files = try SpoolFiles(directory: directory.file("spool"), instance: "host-a")
        let intake = try UsageIntake(files: files, loop: loops.next(), maxBytes: 400, idWindow: 86_400, now: Self.now)
        var accepted = 0
        var refused: UsageIntake.Refusal?
        for n in 0..<20 {
            do {
                accepted += try await intake.submit([record(n, id: "id-\(n)")], now: Self.now).accepted
            } catch let error as UsageIntake.Refusal {
                refused = error
                break
            }
        }
        #expect(refused == .spoolFull)
        #expect(accepted > 0 && accepted < 20)
        // Once flushed (sealed segments removed), the refused id is accepted, not a duplicate.
        for segment in try await intake.spool.seal() { try await intake.spool.remove(segment) }
        #expect(try await intake.submit([record(accepted, id: "id-\(accepted)")], now: Self.now) == .init(accepted: 1, duplicates: 0))
        try await loops.shutdownGracefully()
    }
}
