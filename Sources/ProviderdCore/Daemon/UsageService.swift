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
        throws -> (intake: UsageIntake, instance: String, host: HostIdentity, idLog: IdLog)
    {
        let host = HostIdentity.current
        let id = try state.instanceID(host: host)
        if let why = id.recovered {
            logger.warning("instance-id was \(why); recovered from the spool's segment names", metadata: ["instance": "\(id.value)"])
        }
        if let previous = id.previous {
            logger.warning(
                "the state directory was made on another host (copied, cloned or restored there); this host takes an instance id of its own, and segments of the old id still flush once under their own names",
                metadata: [
                    "instance": "\(id.value)", "previous_instance": "\(previous)",
                    "made_on": "\(id.previousHost ?? "-")", "this_host": "\(host.line.trimmingWhitespace())",
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
        let ids = try Self.openIdTable(path: table, window: window, capacity: capacity, now: now, logger: logger)
        // A kept copy of a damaged table takes the same disk as the spool: counted.
        let kept = ((try? DirectoryListing.names(in: state.path, prefix: "ids.table.damaged-")) ?? []).map { state.file($0) }
        let reserved = kept.reduce(0) { $0 + Self.diskBytes($1) }
        let fixed = ids.diskBytes + reserved
        if reserved > 0 || fixed * 2 > settings.spoolMaxBytes {
            logger.warning(
                "the id table and a kept copy of a damaged one take this much of usage.spool_max_bytes; the spool gets only the rest (remove the copy once you need it no more)",
                metadata: [
                    "usage.spool_max_bytes": "\(settings.spoolMaxBytes)", "id_table_bytes": "\(ids.diskBytes)",
                    "kept_files": "\(kept.joined(separator: ","))", "kept_bytes": "\(reserved)",
                ])
        }
        let intake = try UsageIntake(
            files: files, ids: ids, loop: loop, maxBytes: settings.spoolMaxBytes, now: now, idLog: logged.live,
            reservedBytes: reserved)
        return (intake, instance, host, idLog)
    }

    /// Opens `ids.table`, fitted to the settings (`IdTableResize`). A damaged
    /// table is kept for a look as `ids.table.damaged-<time>`, one copy at most (an
    /// older copy goes: a second damage on a small disk must not leave no room for
    /// the new table), and a new one is made from `ids.log` and the spool. When the
    /// new table cannot be made, the error names the kept copy.
    static func openIdTable(path table: String, window: Int64, capacity: Int, now: Int64, logger: Logger) throws -> IdWindow {
        do {
            let (ids, resized) = try IdTableResize.open(path: table, window: window, capacity: capacity, now: now)
            if let resized {
                logger.notice(
                    "the id table was made for other settings; rebuilt for usage.spool_max_bytes and usage.id_window, live ids carried over",
                    metadata: [
                        "slots_before": "\(resized.slotsBefore)", "slots_after": "\(resized.slotsAfter)",
                        "id_window_before": "\(resized.windowBefore.map(String.init) ?? "unrecorded")",
                        "id_window_after": "\(resized.windowAfter)", "ids_carried": "\(resized.carried)",
                    ])
            }
            return ids
        } catch let damaged as IdWindow.Damaged {
            let directory = AtomicFileWriter.directory(of: table)
            let prefix = DirectoryListing.name(of: table) + ".damaged-"
            for old in (try? DirectoryListing.names(in: directory, prefix: prefix)) ?? [] {
                _ = unlink(directory + "/" + old)
                logger.notice("an older copy of a damaged id table was removed (one copy is kept)", metadata: ["file": "\(directory)/\(old)"])
            }
            let aside = table + ".damaged-\(Int(now))"
            _ = rename(table, aside)
            logger.error(
                "the id table cannot be read; a new one is made from ids.log and the spool (resends of ids flushed before the last checkpoint may count again)",
                metadata: ["error": "\(damaged)", "kept_as": "\(aside)"])
            do {
                return try IdWindow(window: window, capacity: capacity, path: table)
            } catch let error as SystemError {
                throw SystemError(
                    "\(error.operation) (the damaged copy \(aside) takes \(Self.diskBytes(aside) >> 20) MiB of the disk: remove it once you need it no more)",
                    path: error.path, code: error.code)
            }
        }
    }

    static func diskBytes(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_blocks) * 512 : 0
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
