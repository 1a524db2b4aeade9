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

    /// Opens the spool and the id window from the state directory.
    package static func makeIntake(
        settings: ProviderdSettings, state: StateDirectory, loop: any EventLoop, logger: Logger
    )
        throws -> (intake: UsageIntake, instance: String, idLog: IdLog)
    {
        let id = try state.instanceID()
        if let why = id.recovered {
            logger.warning("instance-id was \(why); recovered from the spool's segment names", metadata: ["instance": "\(id.value)"])
        }
        if let previous = id.previous {
            logger.warning(
                "the state directory was made on another host (copied, cloned or restored there); this host takes an instance id of its own, and segments of the old id still flush once under their own names",
                metadata: [
                    "instance": "\(id.value)", "previous_instance": "\(previous)",
                    "made_on": "\(id.previousHost ?? "-")", "this_host": "\(HostIdentity.current.line.trimmingWhitespace())",
                ])
        }
        let instance = id.value
        let files = try SpoolFiles(directory: state.file("spool"), instance: instance)
        let idLog = IdLog(directory: state)
        let now = Int64(UTCTimestamp.now())
        let window = Int64(settings.idWindow)
        let logged = try idLog.load(now: now, window: window)
        if logged.damagedLines > 0 {
            logger.warning(
                "ids.log had damaged lines; they were dropped (a resend of those ids may count again)",
                metadata: ["lines": "\(logged.damagedLines)", "file": "\(idLog.path)"])
        }
        let table = state.file("ids.table")
        let capacity = Self.idCapacity(spoolMaxBytes: settings.spoolMaxBytes)
        let ids: IdWindow
        do {
            ids = try IdWindow(window: window, capacity: capacity, path: table)
        } catch let damaged as IdWindow.Damaged {
            // Kept for a look, replaced by a new table with what ids.log and the spool hold.
            let aside = table + ".damaged-\(Int(now))"
            _ = rename(table, aside)
            logger.error(
                "the id table cannot be read; a new one is made from ids.log and the spool (resends of ids flushed before the last checkpoint may count again)",
                metadata: ["error": "\(damaged)", "kept_as": "\(aside)"])
            ids = try IdWindow(window: window, capacity: capacity, path: table)
        }
        let intake = try UsageIntake(
            files: files, ids: ids, loop: loop, maxBytes: settings.spoolMaxBytes, now: now, idLog: logged.live)
        return (intake, instance, idLog)
    }

    /// Ids the table holds: a quarter of `usage.spool_max_bytes` at 16 bytes a slot
    /// and 60% load, at most 10 million (256 MiB of table with the 1 GiB default).
    package static func idCapacity(spoolMaxBytes: Int) -> Int {
        min(10_000_000, max(64, Int(Double(spoolMaxBytes / 4 / 16) * 0.6)))
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
