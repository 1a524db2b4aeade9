import NIOCore
import NIOEmbedded
import Testing

@testable import ProviderdCore

/// The framer on NIO's `EmbeddedChannel`: bytes in, frames out, no socket.
@Suite("Usage line framing: the limit, the budget, a half-close")
struct UsageLineFramerTests {
    static func channel(maxLineBytes: Int, budget: LineBudget? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(UsageLineFramer(maxLineBytes: maxLineBytes, budget: budget)))
        return channel
    }

    /// What came out: each line as text, the failures by name.
    static func frames(_ channel: EmbeddedChannel) throws -> [String] {
        var out: [String] = []
        while let frame = try channel.readInbound(as: UsageLineFramer.Frame.self) {
            switch frame {
            case .line(let buffer): out.append(String(buffer: buffer))
            case .tooLong: out.append("<too long>")
            case .overBudget: out.append("<over budget>")
            }
        }
        return out
    }

    @Test("lines split across reads come out whole, CR before LF dropped, empty lines kept")
    func split() throws {
        let channel = try Self.channel(maxLineBytes: 64)
        try channel.writeInbound(ByteBuffer(string: "{\"a\":"))
        #expect(try Self.frames(channel).isEmpty)
        try channel.writeInbound(ByteBuffer(string: "1}\r\n\n{\"b\":2}\n{\"c\""))
        #expect(try Self.frames(channel) == ["{\"a\":1}", "", "{\"b\":2}"])
        try channel.writeInbound(ByteBuffer(string: ":3}\n"))
        #expect(try Self.frames(channel) == ["{\"c\":3}"])
        _ = try channel.finish()
    }

    @Test("a line of exactly the limit passes (a CR not counted); one byte more is too long, once, and the rest is dropped")
    func limit() throws {
        let channel = try Self.channel(maxLineBytes: 8)
        try channel.writeInbound(ByteBuffer(string: "12345678\r\n12345678\n"))
        #expect(try Self.frames(channel) == ["12345678", "12345678"])
        try channel.writeInbound(ByteBuffer(string: "123456789\nafter\n"))
        #expect(try Self.frames(channel) == ["<too long>"])
        try channel.writeInbound(ByteBuffer(string: "more\n"))
        #expect(try Self.frames(channel).isEmpty)
        _ = try channel.finish()
    }

    @Test("an unfinished line longer than the limit is too long before its newline arrives")
    func tooLongWithoutNewline() throws {
        let channel = try Self.channel(maxLineBytes: 8)
        try channel.writeInbound(ByteBuffer(string: "1234567890"))
        #expect(try Self.frames(channel) == ["<too long>"])
        _ = try channel.finish()
    }

    @Test("unfinished lines share one budget across connections: past it, over budget; a finished line gives its bytes back")
    func budget() throws {
        let budget = LineBudget(limit: 10)
        let first = try Self.channel(maxLineBytes: 64, budget: budget)
        let second = try Self.channel(maxLineBytes: 64, budget: budget)
        try first.writeInbound(ByteBuffer(string: "123456"))
        #expect(budget.inUse == 6)
        try second.writeInbound(ByteBuffer(string: "12345"))
        #expect(try Self.frames(second) == ["<over budget>"])
        try first.writeInbound(ByteBuffer(string: "\n"))
        #expect(try Self.frames(first) == ["123456"])
        #expect(budget.inUse == 0)
        _ = try first.finish()
        _ = try second.finish()
    }

    @Test("at a half-close the unterminated last line is passed on, and its budget given back")
    func halfClose() throws {
        let budget = LineBudget(limit: 100)
        let channel = try Self.channel(maxLineBytes: 64, budget: budget)
        try channel.writeInbound(ByteBuffer(string: "{\"x\":1}\n{\"y\":2}"))
        #expect(try Self.frames(channel) == ["{\"x\":1}"])
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try Self.frames(channel) == ["{\"y\":2}"])
        #expect(budget.inUse == 0)
        _ = try channel.finish()
    }
}
