import CSystemd
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The usage socket: a stream Unix socket at `usage.socket` (mode and group as
/// configured), or the one systemd hands over (`providerd.socket`, `sd_listen_fds`).
/// It serves from the start, whether PostgreSQL is reachable or not.
public struct UsageServer: Sendable {
    public let channel: any Channel
    /// True when the socket came from systemd (then its file is systemd's to manage).
    public let activated: Bool

    public struct Options: Sendable {
        public var path: String
        public var mode: mode_t
        public var group: gid_t?
        public var policy: PeerPolicy
        public var maxLineBytes: Int
        public var timestampWindow: Int64

        public init(settings: ProviderdSettings) {
            path = settings.socket
            mode = settings.socketMode
            group = settings.socketGroup
            policy = PeerPolicy(uids: settings.allowUIDs, gids: settings.allowGIDs)
            maxLineBytes = settings.maxLineBytes
            timestampWindow = Int64(settings.timestampWindow)
        }
    }

    public static func start(options: Options, intake: UsageIntake, group: any EventLoopGroup) async throws -> UsageServer {
        let window = options.timestampWindow
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(UsageLineFramer(maxLineBytes: options.maxLineBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        UsageConnectionHandler(intake: intake, policy: options.policy, maxLineBytes: options.maxLineBytes) {
                            UsageLimits(now: Int64(time(nil)), windowBack: window)
                        })
                }
            }
        if let descriptor = Self.activatedSocket() {
            let channel = try await bootstrap.withBoundSocket(descriptor).get()
            return UsageServer(channel: channel, activated: true)
        }
        let channel = try await bootstrap.bind(unixDomainSocketPath: options.path, cleanupExistingSocketFile: true).get()
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

    /// The first socket systemd passed (`LISTEN_FDS`), if any.
    static func activatedSocket() -> Int32? {
        let count = sd_listen_fds(1)
        guard count >= 1 else { return nil }
        return SD_LISTEN_FDS_START
    }

    public func close() async {
        try? await channel.close()
    }
}
