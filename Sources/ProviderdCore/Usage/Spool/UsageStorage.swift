import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The durable half of usage, opened once from the state directory by
/// `ProviderdDaemon` and handed to both the intake (which fills it) and the
/// flusher (which empties it): the spool, the id table's file, `ids.log`, the
/// stats board, and the instance the segments are written under.
package struct UsageStorage: Sendable {
    package let spool: Spool
    package let idTable: IdTableFile
    package let idLog: IdLog
    package let stats: UsageStatsBoard
    package let instance: String
    package let host: HostIdentity

    /// Opens the spool, `ids.log` and the id table from the state directory; the
    /// spool's file calls run on `loop` (a thread of their own, never the socket's).
    /// The id window comes back beside: only the intake touches it.
    package static func open(
        settings: ProviderdSettings, state: StateDirectory, loop: any EventLoop, logger: Logger
    ) throws -> (storage: UsageStorage, ids: IdWindow) {
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
        var opened = ids
        readmit(into: &opened, logged: logged.live, unflushed: try files.unflushedContents(), now: now)
        let stats = UsageStatsBoard()
        let storage = UsageStorage(
            spool: Spool(files: files, loop: loop, stats: stats), idTable: IdTableFile(ids: opened, reservedBytes: reserved),
            idLog: idLog, stats: stats, instance: instance, host: host)
        return (storage, opened)
    }

    /// Puts back into the id window the ids of `ids.log` (flushed records) and of
    /// the spool's unflushed segments (quarantined ones included: they count once
    /// they are requeued, so their ids stay taken).
    /// (`unflushed`: `SpoolFiles.unflushedContents()`.)
    package static func readmit(
        into ids: inout IdWindow, logged: [(id: String, acceptedAt: Int64)], unflushed: [[UInt8]], now: Int64
    ) {
        for entry in logged { ids.insert(entry.id, acceptedAt: entry.acceptedAt, now: now) }
        for bytes in unflushed {
            SpoolLine.forEachLine(in: bytes) { line in
                if let stored = SpoolLine.decodeWithAcceptance(line), let id = stored.record.id {
                    ids.insert(id, acceptedAt: stored.acceptedAt, now: now)
                }
            }
        }
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
}
