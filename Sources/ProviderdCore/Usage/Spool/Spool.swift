import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The one owner of the spool directory: the segment files, their byte count and
/// the quarantine. `UsageIntake` appends to it, `UsageFlusher` seals, reads,
/// removes and quarantines through it; nothing else touches `spool/` while the
/// daemon runs (`providerd usage requeue` refuses to run beside it).
///
/// Its executor is a dedicated event loop thread: every file call blocks that
/// thread only, and the compiler keeps `SpoolFiles` (not `Sendable`) inside. The
/// loop must serve nothing else, least of all the usage socket.
package actor Spool {
    private let files: SpoolFiles
    private let loop: any EventLoop
    private let stats: UsageStatsBoard
    package nonisolated let directory: String
    /// Where refused records are kept for the operator.
    package nonisolated let quarantineDirectory: String

    package nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// `files` as opened at start (after its unflushed contents were read for the id window).
    package init(files: sending SpoolFiles, loop: any EventLoop, stats: UsageStatsBoard) {
        self.directory = files.directory
        self.quarantineDirectory = files.directory + "/quarantine"
        let stored = Int64(files.totalBytes), quarantined = Int64(files.quarantined.count)
        self.files = files
        self.loop = loop
        self.stats = stats
        stats.update {
            $0.storedBytes = stored
            $0.quarantinedFiles = quarantined
        }
    }

    /// Appends and makes durable (`SpoolFiles.append`: write, then `fdatasync`).
    /// Returns the segment the bytes went to.
    @discardableResult
    package func append(_ bytes: [UInt8]) throws(SystemError) -> String {
        let segment = try files.append(bytes)
        note(quarantine: false)
        return segment
    }

    /// Seals the active segment (unless `active` is false) and lists the sealed
    /// ones, oldest first. Never interleaves with an append.
    package func seal(active: Bool = true) throws(SystemError) -> [String] {
        if active { _ = try files.seal() }
        return files.sealed
    }

    package func read(_ name: String) throws(SystemError) -> [UInt8] {
        try files.read(name)
    }

    /// A segment whose records are in `model_usage` (or never will be) leaves the spool.
    package func remove(_ name: String) throws(SystemError) {
        _ = try files.remove(name)
        note()
    }

    /// Moves a whole segment the database refused to `spool/quarantine`.
    package func quarantine(_ name: String) throws(SystemError) {
        _ = try files.quarantine(name)
        note()
    }

    /// Makes `spool/quarantine/<segment>` hold exactly `lines` (refused rows' and
    /// unreadable lines): written when there are any, removed when there are none.
    /// The flusher calls it before every COMMIT of `segment`, so that what an
    /// earlier attempt set aside and then rolled back (its COMMIT failed) never
    /// stays beside rows this attempt counts: `usage requeue` would count them twice.
    package func quarantine(lines: [UInt8], of segment: String) throws(SystemError) {
        let path = quarantineDirectory + "/" + segment
        if !lines.isEmpty {
            try AtomicFileWriter(mode: 0o600).write(lines, to: path)
        } else {
            guard unlink(path) == 0 else {
                if errno == ENOENT { return }
                throw SystemError("remove the quarantine file of a rolled-back flush", path: path)
            }
            try AtomicFileWriter.syncDirectory(quarantineDirectory)
        }
        note()
    }

    /// Puts the byte count (and, after a quarantine change, the file count) on the board.
    private func note(quarantine: Bool = true) {
        let stored = Int64(files.totalBytes)
        let quarantined = quarantine ? Int64(files.quarantined.count) : nil
        stats.update {
            $0.storedBytes = stored
            if let quarantined { $0.quarantinedFiles = quarantined }
        }
    }
}
