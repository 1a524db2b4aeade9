import Foundation
import Logging
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import ProviderdCore

/// The `SegmentCommitter` against a real PostgreSQL, without the daemon: one
/// segment's transaction, and what happens to its ids afterwards.
@Suite("Segment commits, exactly once", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct SegmentCommitterTests {
    static let day: Int64 = 1_795_564_800

    struct Setup {
        let database: TestDatabase
        let connection: PostgresConnection
        let directory: TemporaryDirectory
        let loops: MultiThreadedEventLoopGroup
        let spool: Spool
        let idLog: IdLog
        var committer: SegmentCommitter

        init() throws {
            database = try TestDatabase()
            connection = try database.connect()
            _ = try MigrationRunner(logger: Logger(label: "test")).run(on: connection)
            directory = try TemporaryDirectory()
            let state = try StateDirectory(path: directory.file("state"))
            loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let instance = UUID().uuidString.lowercased()
            spool = Spool(
                files: try SpoolFiles(directory: state.file("spool"), instance: instance), loop: loops.next(), stats: UsageStatsBoard())
            idLog = IdLog(directory: state)
            committer = SegmentCommitter(spool: spool, idLog: idLog, instance: instance, logger: Logger(label: "test"))
        }

        /// One sealed segment holding these records (ids `<service>-<n>`).
        func segment(_ services: [String]) async throws -> (name: String, flush: SegmentFlush) {
            var bytes: [UInt8] = []
            for (n, service) in services.enumerated() {
                var record = UsageRecord(serviceName: service, modelString: "openai:gpt-4o", inputTokens: 10, outputTokens: 1)
                record.id = "\(service)-\(n)"
                bytes += SpoolLine.encode(record, timestamp: SegmentCommitterTests.day + 10, acceptedAt: SegmentCommitterTests.day + 20)
            }
            try await spool.append(bytes)
            let name = try await spool.seal().last!
            var pricer = UsagePricer(table: try PriceTable.builtIn(), unknown: .zero)
            return (name, SegmentFlush(segment: try await spool.read(name), pricer: &pricer))
        }

        func requests(_ service: String) throws -> Int {
            try connection.query("SELECT COALESCE(sum(request_count), 0) AS n FROM model_usage WHERE service_name = $1", [service])
                .rows.first.map { Int(try $0.string("n")) ?? -1 } ?? -1
        }
    }

    @Test("a segment is committed once: its rows and its flush-log row; committed again (a crash before its removal) it is found flushed and adds nothing")
    func once() async throws {
        let setup = try Setup()
        let (name, flush) = try await setup.segment(["a", "a", "b"])
        let first = try await setup.committer.commit(flush, segment: name, store: UsageFlushStore(connection: setup.connection))
        #expect(!first.alreadyFlushed)
        #expect(first.ids.count == 3)
        #expect(try setup.requests("a") == 2 && setup.requests("b") == 1)
        let again = try await setup.committer.commit(flush, segment: name, store: UsageFlushStore(connection: setup.connection))
        #expect(again.alreadyFlushed)
        #expect(try setup.requests("a") == 2 && setup.requests("b") == 1)
        try await setup.loops.shutdownGracefully()
    }

    @Test("rows the database refuses for good go to quarantine before COMMIT; the others count")
    func refused() async throws {
        let setup = try Setup()
        try setup.connection.query("ALTER TABLE model_usage ADD CONSTRAINT test_refuse CHECK (service_name <> 'refused')")
        let (name, flush) = try await setup.segment(["ok", "refused", "refused"])
        let result = try await setup.committer.commit(flush, segment: name, store: UsageFlushStore(connection: setup.connection))
        #expect(result.quarantined.count == 1)
        #expect(try setup.requests("ok") == 1 && setup.requests("refused") == 0)
        let setAside = try String(contentsOfFile: setup.spool.quarantineDirectory + "/" + name, encoding: .utf8)
        #expect(setAside.split(separator: "\n").count == 2)
        #expect(setAside.contains("refused-1") && setAside.contains("refused-2") && !setAside.contains("ok-0"))
        try await setup.loops.shutdownGracefully()
    }

    @Test("ids that ids.log cannot take are kept in memory, then written at the next chance; a checkpoint forgets them")
    func idsKept() async throws {
        var setup = try Setup()
        let ids = [(id: "x-1", acceptedAt: Self.day), (id: "x-2", acceptedAt: Self.day)]
        // ids.log cannot be written: a directory stands in for the file (root ignores modes).
        try FileManager.default.createDirectory(atPath: setup.idLog.path, withIntermediateDirectories: false)
        let logged = setup.committer.log(ids)
        #expect(!logged)
        setup.committer.keep(ids, logged: logged)
        #expect(setup.committer.unlogged.map(\.id) == ["x-1", "x-2"])
        #expect(setup.committer.logKept() == 0, "still refused")
        try FileManager.default.removeItem(atPath: setup.idLog.path)
        #expect(setup.committer.logKept() == 2)
        #expect(setup.committer.unlogged.isEmpty)
        #expect(try setup.idLog.load(now: Self.day, window: 86_400).live.map(\.id) == ["x-1", "x-2"])

        try FileManager.default.removeItem(atPath: setup.idLog.path)
        try FileManager.default.createDirectory(atPath: setup.idLog.path, withIntermediateDirectories: false)
        setup.committer.keep(ids, logged: false)
        setup.committer.checkpointed()
        #expect(setup.committer.unlogged.isEmpty)
        try await setup.loops.shutdownGracefully()
    }
}
