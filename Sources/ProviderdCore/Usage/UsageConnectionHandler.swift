import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Who may report usage: everyone who can open the socket, or only the listed
/// uids and gids (`usage.allow_uids`, `usage.allow_gids`).
public struct PeerPolicy: Sendable {
    public var uids: Set<uid_t>
    public var gids: Set<gid_t>

    public init(uids: [uid_t] = [], gids: [gid_t] = []) {
        self.uids = Set(uids)
        self.gids = Set(gids)
    }

    public func allows(uid: uid_t, gid: gid_t) -> Bool {
        (uids.isEmpty && gids.isEmpty) || uids.contains(uid) || gids.contains(gid)
    }
}

/// `struct ucred` (SO_PEERCRED), declared here because glibc hides it without
/// _GNU_SOURCE.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// One connection of the usage socket: each line is parsed on the event loop
/// (pure and fast), records go to the intake (many lines in flight share one
/// fsync), and replies are written strictly in the order of the lines.
final class UsageConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = UsageLineFramer.Frame

    let intake: UsageIntake
    let policy: PeerPolicy
    let maxLineBytes: Int
    let limits: @Sendable () -> UsageLimits
    /// Completes when the previous reply has been written; the next one waits for it.
    private var tail: EventLoopFuture<Void>?
    /// Succeeds once the peer passed the allow-list; no line is answered (or
    /// spooled) before.
    private var admitted: EventLoopFuture<Void>?

    init(intake: UsageIntake, policy: PeerPolicy, maxLineBytes: Int, limits: @escaping @Sendable () -> UsageLimits) {
        self.intake = intake
        self.policy = policy
        self.maxLineBytes = maxLineBytes
        self.limits = limits
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let policy = self.policy
        guard let provider = channel as? SocketOptionProvider else {
            admitted = context.eventLoop.makeSucceededVoidFuture()
            tail = admitted
            context.fireChannelActive()
            return
        }
        // Lines that arrive before the check wait behind it.
        admitted = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            .flatMap { (credentials: PeerCredentials) -> EventLoopFuture<Void> in
                guard policy.allows(uid: credentials.uid, gid: credentials.gid) else {
                    let reply = UsageReply.error("uid \(credentials.uid) (gid \(credentials.gid)) may not report usage on this socket")
                    return channel.writeAndFlush(ByteBuffer(bytes: reply)).flatMap { channel.close(mode: .output) }
                        .flatMap { channel.eventLoop.makeFailedFuture(ChannelError.alreadyClosed) }
                }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
        tail = admitted
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let channel = context.channel
        let eventLoop = context.eventLoop
        var closeAfter = false
        let frame = unwrapInboundIn(data)
        if case .tooLong = frame { closeAfter = true }
        let intake = self.intake, limits = self.limits, maxLineBytes = self.maxLineBytes
        let reply = (admitted ?? eventLoop.makeSucceededVoidFuture()).flatMap { () -> EventLoopFuture<[UInt8]> in
            switch frame {
            case .tooLong:
                return Self.refuse("line longer than \(maxLineBytes) bytes; closing the connection", intake: intake, on: eventLoop)
            case .line(let buffer):
                return Self.answer(buffer, intake: intake, limits: limits(), on: eventLoop)
            }
        }
        let previous = tail ?? eventLoop.makeSucceededVoidFuture()
        tail = previous.flatMap { reply }
            .flatMap { bytes in channel.writeAndFlush(ByteBuffer(bytes: bytes)) }
            // After an over-long line: stop writing, keep reading (and discarding)
            // until the client closes, so it reads the error instead of a reset.
            .flatMap { closeAfter ? channel.close(mode: .output) : eventLoop.makeSucceededVoidFuture() }
    }

    private static func refuse(_ message: String, intake: UsageIntake, on eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]> {
        Task { await intake.noteRefused() }
        return eventLoop.makeSucceededFuture(UsageReply.error(message))
    }

    private static func answer(_ buffer: ByteBuffer, intake: UsageIntake, limits: UsageLimits,
                               on eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]> {
        let parser = UsageLineParser(limits: limits)
        let request: UsageRequest
        do {
            request = try buffer.withUnsafeReadableBytes { raw throws(UsageLineError) in
                try parser.parse(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            }
        } catch {
            return refuse(error.message, intake: intake, on: eventLoop)
        }
        let now = parser.limits.now
        switch request {
        case .ping:
            return eventLoop.makeSucceededFuture(UsageReply.pong)
        case .batch(let records) where records.isEmpty:
            return eventLoop.makeSucceededFuture(UsageReply.count(0, duplicates: 0))
        default:
            break
        }
        let promise = eventLoop.makePromise(of: [UInt8].self)
        switch request {
        case .ping:
            promise.succeed(UsageReply.pong)
        case .stats:
            promise.completeWithTask { UsageReply.stats(await intake.stats()) }
        case .batch(let records):
            promise.completeWithTask {
                do {
                    let outcome = try await intake.submit(records, now: now)
                    return UsageReply.count(records.count, duplicates: outcome.duplicates)
                } catch {
                    await intake.noteRefused()
                    return UsageReply.error("\(error)")
                }
            }
        case .record(let record):
            promise.completeWithTask {
                do {
                    let outcome = try await intake.submit([record], now: now)
                    return outcome.duplicates > 0 ? UsageReply.duplicate : UsageReply.ok
                } catch {
                    await intake.noteRefused()
                    return UsageReply.error("\(error)")
                }
            }
        }
        return promise.futureResult
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
