import CSystemd
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The usage socket: a stream Unix socket at `usage.socket` (mode and group as
/// configured), or the one systemd hands over (`providerd.socket`, `sd_listen_fds`).
/// It serves from the start, whether PostgreSQL is reachable or not.
package struct UsageServer: Sendable {
    package let channel: any Channel
    /// True when the socket came from systemd (then its file is systemd's to manage).
    package let activated: Bool

    package struct Options: Sendable {
        package var path: String
        package var mode: mode_t
        package var group: gid_t?
        package var policy: PeerPolicy
        package var maxLineBytes: Int
        package var timestampWindow: Int64
        package var maxConnections: Int
        package var idleTimeout: Double
        /// Bytes of unfinished lines held for all connections together: 64 lines
        /// at `maxLineBytes`, at least 16 MiB.
        package var lineBudget: Int
        /// Descriptors open since the process started, which connections must leave.
        package var inheritedDescriptors: Int
        /// At the cap, a connection idle this long (seconds, no request pending)
        /// gives its place to a newcomer (`ConnectionTable`).
        package var evictableAfter: Double = 1

        package init(settings: ProviderdSettings, inheritedDescriptors: Int = 0) {
            self.inheritedDescriptors = inheritedDescriptors
            path = settings.socket
            mode = settings.socketMode
            group = settings.socketGroup
            policy = PeerPolicy(uids: settings.allowUIDs, gids: settings.allowGIDs)
            maxLineBytes = settings.maxLineBytes
            timestampWindow = Int64(settings.timestampWindow)
            maxConnections = settings.maxConnections
            idleTimeout = settings.idleTimeout
            lineBudget = max(16 << 20, settings.maxLineBytes * 64)
        }
    }

    package static func start(options: Options, intake: UsageIntake, group: any EventLoopGroup) async throws -> UsageServer {
        let window = options.timestampWindow
        let connections = ConnectionRegistry(
            limit: options.maxConnections, inherited: options.inheritedDescriptors,
            minimumIdle: UInt64(options.evictableAfter * 1e9))
        let budget = LineBudget(limit: options.lineBudget)
        let idle = TimeAmount.milliseconds(Int64(options.idleTimeout * 1000))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            // Out of descriptors (EMFILE), accepting again at once would spin the one
            // event loop and starve every connection: back off instead.
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler())
                }
            }
            // A client that half-closes still reads the replies to what it sent.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(UsageLineFramer(maxLineBytes: options.maxLineBytes, budget: budget)))
                    try channel.pipeline.syncOperations.addHandler(
                        UsageConnectionHandler(
                            intake: intake, policy: options.policy, maxLineBytes: options.maxLineBytes,
                            connections: connections
                        ) {
                            UsageLimits(now: Int64(time(nil)), windowBack: window)
                        })
                }
            }
        if let descriptor = Self.activatedSocket() {
            let channel = try await bootstrap.withBoundSocket(descriptor).get()
            return UsageServer(channel: channel, activated: true)
        }
        try claim(options.path)
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(unixDomainSocketPath: options.path, cleanupExistingSocketFile: false).get()
        } catch let error as IOError {
            throw SystemError("listen on usage socket", path: options.path, code: error.errnoCode)
        }
        // NIO creates the socket file with the umask's mode: set the configured one.
        guard chmod(options.path, options.mode) == 0 else {
            try? await channel.close()
            throw SystemError("chmod", path: options.path)
        }
        if let group = options.group, chown(options.path, uid_t.max, group) != 0 {
            try? await channel.close()
            throw SystemError("chgrp", path: options.path)
        }
        return UsageServer(channel: channel, activated: false)
    }

    /// Descriptors kept for the daemon's own files (spool, database, env file) when
    /// the process limit is lower than `usage.max_connections` allows for: its five
    /// threads' event loops, its three database connections (render, flusher,
    /// budgets), the files it writes, with room to spare.
    static let reservedDescriptors = 72

    /// `usage.max_connections`, or fewer when `RLIMIT_NOFILE` could not hold them:
    /// idle clients must never take the descriptors a render or a flush needs, nor
    /// those the process inherited from its launcher (`inherited`), which stay open.
    package static func connectionLimit(configured: Int, inherited: Int = 0) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int.max) else { return configured }
        return max(1, min(configured, Int(limit.rlim_cur) - reservedDescriptors - inherited))
    }

    /// Makes `path` free for a new socket: nothing there, or a stale socket file
    /// nobody listens on (left by a killed process), which is removed. A live
    /// listener (another providerd with another state directory) or a file that is
    /// not a socket is refused with an error naming the path.
    static func claim(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw SystemError("inspect usage socket path", path: path)
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ConfigurationError("usage.socket \(path) exists and is not a socket; remove it or choose another path")
        }
        if UsageClient.isListening(path) {
            throw ConfigurationError(
                "usage.socket \(path) is in use: another process listens on it (a second providerd?); stop it or choose another usage.socket")
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemError("remove stale usage socket", path: path) }
    }

    /// How many sockets systemd passed (`LISTEN_FDS` for this process), leaving the
    /// environment as it is for `activatedSocket()`.
    package static func listenDescriptorCount() -> Int {
        max(0, Int(sd_listen_fds(0)))
    }

    /// The first socket systemd passed (`LISTEN_FDS`), if any.
    static func activatedSocket() -> Int32? {
        let count = sd_listen_fds(1)
        guard count >= 1 else { return nil }
        return SD_LISTEN_FDS_START
    }

    package func close() async {
        try? await channel.close()
    }
}
