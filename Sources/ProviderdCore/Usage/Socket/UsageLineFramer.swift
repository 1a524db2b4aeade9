import NIOCore
import Synchronization

/// Splits the usage socket's byte stream into lines (`\n`, an optional `\r`
/// before it is dropped). A line longer than the limit produces `.tooLong` once,
/// an unfinished line the shared budget cannot hold `.overBudget`; the connection
/// handler answers either and closes.
package struct UsageLineFramer: ByteToMessageDecoder {
    package enum Frame: Sendable {
        case line(ByteBuffer)
        case tooLong
        case overBudget
    }
    package typealias InboundOut = Frame

    let maxLineBytes: Int
    let budget: LineBudget?
    private var scanned = 0
    private var failed = false
    /// Bytes of the unfinished line counted in `budget`.
    private var held = 0

    package init(maxLineBytes: Int, budget: LineBudget? = nil) {
        self.maxLineBytes = maxLineBytes
        self.budget = budget
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !failed else {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        if let newline = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            scanned = 0
            release()
            // The limit counts the line's own bytes: a CR before the newline is not one.
            let carriageReturn = length > 0 && view[newline - 1] == UInt8(ascii: "\r") ? 1 : 0
            guard length - carriageReturn <= maxLineBytes else { return fail(.tooLong, context: context, buffer: &buffer) }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: length - 1)! }
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        scanned = view.count
        if view.count > maxLineBytes + 1 { return fail(.tooLong, context: context, buffer: &buffer) }
        if let budget, view.count > held {
            guard budget.take(view.count - held) else { return fail(.overBudget, context: context, buffer: &buffer) }
            held = view.count
        }
        return .needMoreData
    }

    private mutating func release() {
        if held > 0 { budget?.give(held) }
        held = 0
    }

    private mutating func fail(_ frame: Frame, context: ChannelHandlerContext, buffer: inout ByteBuffer) -> DecodingState {
        failed = true
        release()
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        context.fireChannelRead(wrapInboundOut(frame))
        return .needMoreData
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A last line without a newline is answered too.
        while try decode(context: context, buffer: &buffer) == .continue {}
        release()
        if buffer.readableBytes > 0 && !failed {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .needMoreData
    }

    package mutating func decoderRemoved(context: ChannelHandlerContext) {
        release()
    }
}
