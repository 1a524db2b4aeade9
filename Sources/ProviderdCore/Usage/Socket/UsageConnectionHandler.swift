import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One connection of the usage socket: each line is parsed on the event loop
/// (pure, linear in its bytes), records go to the intake (many lines in flight
/// share one fsync), and replies are written strictly in the order of the lines.
///
/// Backpressure: while a few bursts of replies are owed, or the peer does not read
/// what was written (the channel is not writable), nothing more is read from it,
/// so a client that never reads its replies costs a bounded amount of memory.
/// A half-close is served: every line before it, and an unterminated last line,
/// is answered, then the connection closes.
final class UsageConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = UsageLineFramer.Frame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Reply bytes (estimated while they are being made) a connection may be owed
    /// before it is read no further: pipelined records (a reply of a dozen bytes
    /// each) flow freely, a flood of lines answered with errors does not.
    static let maxOwedBytes = 1 << 20

    let intake: UsageIntake
    let policy: PeerPolicy
    let maxLineBytes: Int
    let connections: ConnectionRegistry
    /// This connection's place in the registry; nil when it was refused one.
    private var place: Int?
    let limits: @Sendable () -> UsageLimits
    /// Completes when the previous reply has been written; the next one waits for it.
    private var tail: EventLoopFuture<Void>?
    /// Succeeds once the peer passed the allow-list; no line is answered (or
    /// spooled) before.
    private var admitted: EventLoopFuture<Void>?
    private var owedBytes = 0
    /// Bursts whose replies are still being made (the intake has not answered).
    private var answering = 0
    private var readHeld = false
    private var inputClosed = false
    private var context: ChannelHandlerContext?

    init(
        intake: UsageIntake, policy: PeerPolicy, maxLineBytes: Int, connections: ConnectionRegistry,
        limits: @escaping @Sendable () -> UsageLimits
    ) {
        self.intake = intake
        self.policy = policy
        self.maxLineBytes = maxLineBytes
        self.connections = connections
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let policy = self.policy
        guard let place = connections.enter(channel) else {
            let reply = UsageReply.error("too many connections (usage.max_connections is \(connections.limit)); try again later")
            // Closed as soon as the line is written: a refused connection must not hold
            // a descriptor the daemon's own files need (the peer may then see a reset).
            let written = channel.writeAndFlush(ByteBuffer(bytes: reply))
            // Closed whether the write worked or not (a peer gone already fails it).
            written.whenComplete { _ in channel.close(promise: nil) }
            admitted = written.flatMap { channel.eventLoop.makeFailedFuture(ChannelError.alreadyClosed) }
            tail = admitted
            return
        }
        self.place = place
        guard let provider = channel as? any SocketOptionProvider else {
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
                    return Self.refuse(channel, reply)
                }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
        tail = admitted
        context.fireChannelActive()
    }

    /// Writes the refusal and ends the connection both ways: output at once (the
    /// peer reads the error, then end of file), the whole channel two seconds later,
    /// so that what the peer had already sent is read and dropped, not answered
    /// with a reset that would hide the error from it.
    static func refuse(_ channel: any Channel, _ reply: [UInt8], linger: TimeAmount = .seconds(2)) -> EventLoopFuture<Void> {
        channel.writeAndFlush(ByteBuffer(bytes: reply)).flatMap { channel.close(mode: .output) }
            .always { _ in
                // Whatever became of the write: the whole channel closes after `linger`.
                channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
            }
            .flatMap { channel.eventLoop.makeFailedFuture(ChannelError.alreadyClosed) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let place {
            self.place = nil
            connections.leave(place)
        }
        context.fireChannelInactive()
    }

    // MARK: backpressure

    func read(context: ChannelHandlerContext) {
        if owedBytes >= Self.maxOwedBytes || !context.channel.isWritable {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReading()
        context.fireChannelWritabilityChanged()
    }

    private func resumeReading() {
        guard readHeld, let context, owedBytes < Self.maxOwedBytes, context.channel.isWritable else { return }
        readHeld = false
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The framer has passed on the last (even unterminated) line: answer
            // everything, then close.
            inputClosed = true
            channelReadComplete(context: context)
            let channel = context.channel
            (tail ?? context.eventLoop.makeSucceededVoidFuture()).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        if event is IdleStateHandler.IdleStateEvent {
            // Silent for usage.idle_timeout: the place and its descriptor go to others.
            // Not while a reply is still being made: then the wait is providerd's.
            if answering == 0 { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// One request line of the current read burst, parsed.
    enum Item: Sendable {
        case reply([UInt8])
        case record(UsageRecord)
        case batch([UsageRecord])
        case stats
        case budget(service: String, model: String)
        case metrics
    }

    /// Lines parsed since the last `channelReadComplete`: submitted together, so
    /// a burst of pipelined lines costs one task, one actor call and one write.
    private var burst: [Item] = []
    private var refusedInBurst = 0
    private var closeAfterBurst = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closeAfterBurst else { return }
        switch unwrapInboundIn(data) {
        case .tooLong:
            closeAfterBurst = true
            refusedInBurst += 1
            burst.append(.reply(UsageReply.error("line longer than \(maxLineBytes) bytes; closing the connection")))
        case .overBudget:
            closeAfterBurst = true
            refusedInBurst += 1
            burst.append(.reply(UsageReply.error("providerd holds too many unfinished lines of all clients; closing the connection, send again later")))
        case .line(let buffer):
            let parser = UsageLineParser(limits: limits())
            do {
                let request = try buffer.withUnsafeReadableBytes { raw throws(UsageLineError) in
                    try parser.parse(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
                }
                switch request {
                case .ping: burst.append(.reply(UsageReply.pong))
                case .stats: burst.append(.stats)
                case .budget(let service, let model): burst.append(.budget(service: service, model: model))
                case .metrics: burst.append(.metrics)
                case .batch(let records) where records.isEmpty: burst.append(.reply(UsageReply.count(0, duplicates: 0)))
                case .batch(let records): burst.append(.batch(records))
                case .record(let record): burst.append(.record(record))
                }
            } catch {
                refusedInBurst += 1
                burst.append(.reply(UsageReply.error(error.message)))
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !burst.isEmpty else { return }
        let items = burst, refused = refusedInBurst, closeAfter = closeAfterBurst
        burst = []
        refusedInBurst = 0
        let channel = context.channel
        let eventLoop = context.eventLoop
        let intake = self.intake
        let now = limits().now
        // Nothing is submitted before the peer passed the allow-list.
        let reply = (admitted ?? eventLoop.makeSucceededVoidFuture()).flatMap { () -> EventLoopFuture<[UInt8]> in
            let promise = eventLoop.makePromise(of: [UInt8].self)
            promise.completeWithTask { await Self.answer(items, refused: refused, intake: intake, now: now) }
            return promise.futureResult
        }
        let previous = tail ?? eventLoop.makeSucceededVoidFuture()
        let estimate = items.reduce(0) { sum, item in
            switch item {
            case .reply(let bytes): sum + bytes.count
            case .record: sum + 16
            case .batch: sum + 48
            case .stats: sum + 256
            case .budget: sum + 1_024
            case .metrics: sum + 16_384
            }
        }
        owedBytes += estimate
        answering += 1
        let place = self.place, connections = self.connections
        if let place { connections.began(place) }
        let answered = NIOLoopBound(self, eventLoop: eventLoop)
        reply.whenComplete { _ in answered.value.answering -= 1 }
        let owed = previous.flatMap { reply }
            .flatMap { bytes in channel.writeAndFlush(ByteBuffer(bytes: bytes)) }
        // After an over-long line: stop writing, keep reading (and discarding)
        // until the client closes, so it reads the error instead of a reset.
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        let written = owed.flatMap {
            closeAfter && !handler.value.inputClosed ? channel.close(mode: .output) : eventLoop.makeSucceededVoidFuture()
        }
        written.whenComplete { _ in
            if let place { connections.ended(place) }
            handler.value.owedBytes -= estimate
            handler.value.resumeReading()
        }
        tail = written
    }

    /// The replies of one burst, in line order.
    static func answer(_ items: [Item], refused: Int, intake: UsageIntake, now: Int64) async -> [UInt8] {
        var groups: [UsageIntake.Line] = []
        groups.reserveCapacity(items.count)
        for item in items {
            switch item {
            case .record(let record): groups.append(.one(record))
            case .batch(let records): groups.append(.many(records))
            default: break
            }
        }
        let results = groups.isEmpty ? [] : await intake.submit(lines: groups, now: now)
        var refusedTotal = refused
        var out: [UInt8] = []
        var next = 0
        for item in items {
            switch item {
            case .reply(let bytes):
                out += bytes
            case .stats:
                out += UsageReply.stats(intake.stats.current.fields)
            case .budget(let service, let model):
                out += UsageReply.budget(intake.budgets?.verdict(service: service, model: model, now: UTCTimestamp.now()))
            case .metrics:
                out += UsageReply.metrics(intake.metrics?.text() ?? "")
            case .record, .batch:
                switch results[next] {
                case .success(let outcome):
                    // The money was spent and is counted; the ack says when a blocking
                    // budget it falls under is exceeded.
                    let exceeded = intake.budgets.flatMap { board in board.exceeded(for: item.records, now: UTCTimestamp.now()) }
                    if case .batch(let records) = item {
                        out += UsageReply.count(records.count, duplicates: outcome.duplicates, exceeded: exceeded)
                    } else if let exceeded {
                        out += UsageReply.acknowledged(duplicate: outcome.duplicates > 0, exceeded: exceeded)
                    } else {
                        out += outcome.duplicates > 0 ? UsageReply.duplicate : UsageReply.ok
                    }
                case .failure(let refusal):
                    refusedTotal += 1
                    out += UsageReply.error(refusal.description)
                }
                next += 1
            }
        }
        if refusedTotal > 0 { intake.noteRefused(refusedTotal) }
        return out
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension UsageConnectionHandler.Item {
    /// The records of a record or batch line.
    var records: [UsageRecord] {
        switch self {
        case .record(let record): [record]
        case .batch(let records): records
        default: []
        }
    }
}
