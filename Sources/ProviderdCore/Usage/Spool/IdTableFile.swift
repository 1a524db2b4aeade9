import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The id table's file as the intake and the flusher share it: the flusher writes
/// it out (`sync`, a checkpoint), the intake counts the disk it takes against
/// `usage.spool_max_bytes` (the table is sparse: it grows as ids land on new pages,
/// and a checkpoint is when that is measured again).
package final class IdTableFile: Sendable {
    private let syncer: IdWindowSyncer
    /// Other files of the state directory that take the spool's disk (a kept copy
    /// of a damaged table).
    private let reservedBytes: Int
    private let disk: Atomic<Int>

    package init(ids: borrowing IdWindow, reservedBytes: Int = 0) {
        syncer = ids.syncer
        self.reservedBytes = reservedBytes
        disk = Atomic(ids.diskBytes + reservedBytes)
    }

    /// Bytes the table (and the reserved files) take on disk, as of the last `sync`.
    package var diskBytes: Int { disk.load(ordering: .relaxed) }

    /// Writes the table's pages to disk (`msync`), from the caller's thread, and
    /// measures its disk again. After it, `ids.log` may be emptied.
    package func sync() throws(SystemError) {
        try syncer.sync()
        guard let path = syncer.path else { return }
        var info = stat()
        if stat(path, &info) == 0 { disk.store(Int(info.st_blocks) * 512 + reservedBytes, ordering: .relaxed) }
    }
}
