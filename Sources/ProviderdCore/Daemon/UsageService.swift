import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The usage half of `providerd run`: the socket (serving from the start, whether
/// PostgreSQL is reachable or not) and the flusher. On graceful shutdown it stops
/// accepting, then makes one bounded flush attempt; what it cannot write stays
/// spooled for the next start.
package struct UsageService: Service, CustomStringConvertible {
    /// What swift-service-lifecycle logs for this service: its name, never its settings.
    package var description: String { "UsageService" }

    let settings: ProviderdSettings
    let intake: UsageIntake
    let flusher: UsageFlusher
    let group: any EventLoopGroup
    let inherited: InheritedDescriptors
    let logger: Logger

    /// `inherited`: what was open when the process started (`InheritedDescriptors.atStart`).
    package init(
        settings: ProviderdSettings, intake: UsageIntake, flusher: UsageFlusher, group: any EventLoopGroup,
        inherited: InheritedDescriptors = InheritedDescriptors(descriptors: []), logger: Logger
    ) {
        self.settings = settings
        self.inherited = inherited
        self.intake = intake
        self.flusher = flusher
        self.group = group
        self.logger = logger
    }

    package func run() async throws {
        let options = UsageServer.Options(settings: settings, inheritedDescriptors: inherited.count)
        let server = try await UsageServer.start(options: options, intake: intake, group: group)
        let connections = UsageServer.connectionLimit(configured: settings.maxConnections, inherited: inherited.count)
        logger.info(
            "usage socket listening",
            metadata: [
                "socket": "\(server.activated ? "from systemd" : settings.socket)", "max_connections": "\(connections)",
            ])
        if inherited.count > 0 {
            logger.notice(
                "descriptors inherited from the process that started providerd are open (not close-on-exec); they count against LimitNOFILE",
                metadata: [
                    "count": "\(inherited.count)",
                    "fds": "\(inherited.descriptors.prefix(16).map(String.init).joined(separator: ","))\(inherited.count > 16 ? ",..." : "")",
                ])
        }
        if connections < settings.maxConnections {
            logger.notice(
                "fewer connections than usage.max_connections: the descriptor limit is lower (raise LimitNOFILE=)",
                metadata: ["usage.max_connections": "\(settings.maxConnections)", "served": "\(connections)"])
        }
        await flusher.run()
        await server.close()
        await flusher.finalFlush()
        let left = intake.spooledBytes
        logger.info("usage intake stopped", metadata: ["spooled_bytes": "\(left)"])
    }
}
