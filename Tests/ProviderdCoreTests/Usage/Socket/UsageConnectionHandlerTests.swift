import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import TestSupport
import Testing

@testable import ProviderdCore

/// The connection handler on NIO's `NIOAsyncTestingChannel` (its replies come
/// from the intake, an actor, so the channel must take writes from other
/// threads): a real intake on a temporary spool, no socket.
@Suite("Usage connection handling: order, refusal, half-close, backpressure", .serialized)
struct UsageConnectionHandlerTests {
    static let now: Int64 = 1_795_600_000

    /// Counts the reads the handler lets through to the socket.
    final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
        // @unchecked: touched on the channel's event loop only; the count is atomic.
        typealias OutboundIn = Any
        let reads = Atomic<Int>(0)
        func read(context: ChannelHandlerContext) {
            reads.add(1, ordering: .relaxed)
            context.read()
        }
    }

    struct Setup {
        let directory: TemporaryDirectory
        let loops: MultiThreadedEventLoopGroup
        let intake: UsageIntake
        let channel: NIOAsyncTestingChannel
        let counter = ReadCounter()

        init(
            maxLineBytes: Int = 4096, connections: ConnectionRegistry = ConnectionRegistry(limit: 8), intake given: UsageIntake? = nil
        )
            async throws
        {
            directory = try TemporaryDirectory()
            loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            intake =
                try given
                ?? UsageIntake(
                    files: try SpoolFiles(directory: directory.file("spool"), instance: "host-a"), loop: loops.next(),
                    maxBytes: 1 << 30, idWindow: 86_400, now: UsageConnectionHandlerTests.now)
            channel = NIOAsyncTestingChannel()
            let intake = self.intake, counter = self.counter
            try await channel.pipeline.addHandler(counter).get()
            try await channel.pipeline.addHandler(ByteToMessageHandler(UsageLineFramer(maxLineBytes: maxLineBytes, budget: nil))).get()
            try await channel.pipeline.addHandler(
                UsageConnectionHandler(
                    intake: intake, policy: PeerPolicy(), maxLineBytes: maxLineBytes,
                    connections: connections, limits: { UsageLimits(now: UsageConnectionHandlerTests.now) })
            ).get()
            try await channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/usage-test.sock")).get()
        }

        func send(_ text: String) async throws { try await channel.writeInbound(ByteBuffer(string: text)) }

        /// Reply lines until `count` have come.
        func replies(_ count: Int) async throws -> [String] {
            var lines: [String] = []
            while lines.count < count {
                let buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
                lines += String(buffer: buffer).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            }
            return lines
        }
    }

    static func record(_ id: String) -> String {
        #"{"service_name":"svc","model_string":"openai:gpt-4o","input_tokens":1,"output_tokens":1,"id":"\#(id)"}"# + "\n"
    }

    @Test("replies come in line order across a burst: accepted, duplicate, a refused line, ping, a batch, stats")
    func order() async throws {
        let setup = try await Setup()
        try await setup.send(
            Self.record("a") + Self.record("a") + "{\"service_name\":1}\n" + #"{"op":"ping"}"# + "\n" + "[" + Self.record("b").dropLast() + "]\n"
                + #"{"op":"stats"}"# + "\n")
        let replies = try await setup.replies(6)
        #expect(replies[0] == #"{"ok":true}"#)
        #expect(replies[1] == #"{"ok":true,"duplicate":true}"#)
        #expect(replies[2].hasPrefix(#"{"ok":false,"error":"#))
        #expect(replies[3] == #"{"ok":true,"pong":true}"#)
        #expect(replies[4] == #"{"ok":true,"count":1}"#)
        #expect(replies[5].hasPrefix(#"{"ok":true,"stats":{"#) && replies[5].contains(#""accepted":2"#), "\(replies[5])")
        #expect(try await setup.intake.spool.sealedRecords().compactMap(\.id).sorted() == ["a", "b"])
        _ = try? await setup.channel.finish(acceptAlreadyClosed: true)
        try await setup.loops.shutdownGracefully()
    }

    @Test("a line over the limit: the error, then the output closes; nothing after it is spooled")
    func tooLong() async throws {
        let setup = try await Setup(maxLineBytes: 64)
        try await setup.send(Self.record("x").prefix(0) + String(repeating: "y", count: 100) + "\n" + Self.record("after"))
        let replies = try await setup.replies(1)
        #expect(replies == [#"{"ok":false,"error":"line longer than 64 bytes; closing the connection"}"#])
        #expect(try await setup.intake.spool.sealedRecords().isEmpty)
        _ = try? await setup.channel.finish(acceptAlreadyClosed: true)
        try await setup.loops.shutdownGracefully()
    }

    @Test("a half-close: every line before it and an unterminated last one are answered, then the connection closes")
    func halfClose() async throws {
        let setup = try await Setup()
        try await setup.send(Self.record("h1") + String(Self.record("h2").dropLast()))
        setup.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try await setup.replies(2) == [#"{"ok":true}"#, #"{"ok":true}"#])
        try await setup.channel.closeFuture.get()
        #expect(try await setup.intake.spool.sealedRecords().compactMap(\.id).sorted() == ["h1", "h2"])
        try await setup.loops.shutdownGracefully()
    }

    @Test("past usage.max_connections: one error line and the connection closes; the connection holding the place is served")
    func refused() async throws {
        // One place (the least the registry allows), held by a connection that is busy
        // enough not to be evicted (idle for a day at least).
        let registry = ConnectionRegistry(limit: 1, minimumIdle: 86_400_000_000_000)
        let first = try await Setup(connections: registry)
        let second = try await Setup(connections: registry, intake: first.intake)
        let replies = try await second.replies(1)
        #expect(replies[0].contains("too many connections (usage.max_connections is 1)"), "\(replies)")
        try await second.channel.closeFuture.get()
        try await first.send(Self.record("first"))
        #expect(try await first.replies(1) == [#"{"ok":true}"#])
        #expect(try await first.intake.spool.sealedRecords().compactMap(\.id) == ["first"])
        _ = try? await first.channel.finish(acceptAlreadyClosed: true)
        try await first.loops.shutdownGracefully()
        try await second.loops.shutdownGracefully()
    }

    @Test("a peer that does not read (the channel not writable): no more reads until it is writable again")
    func backpressure() async throws {
        let setup = try await Setup()
        setup.channel.isWritable = false
        let before = setup.counter.reads.load(ordering: .relaxed)
        setup.channel.read()
        setup.channel.read()
        try await setup.channel.testingEventLoop.executeInContext {}
        #expect(setup.counter.reads.load(ordering: .relaxed) == before, "a read went through while not writable")
        setup.channel.isWritable = true
        setup.channel.pipeline.fireChannelWritabilityChanged()
        try await setup.channel.testingEventLoop.executeInContext {}
        #expect(setup.counter.reads.load(ordering: .relaxed) == before + 1, "the held read resumes once")
        _ = try? await setup.channel.finish(acceptAlreadyClosed: true)
        try await setup.loops.shutdownGracefully()
    }
}
