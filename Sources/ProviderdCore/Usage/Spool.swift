import NIOCore

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
    package func append(_ bytes: [UInt8]) throws(SystemError) {
        try files.append(bytes)
        note(quarantine: false)
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

    /// Keeps the lines of refused rows and unreadable lines of `segment` in
    /// `spool/quarantine/<segment>`; the flusher calls it before its COMMIT.
    package func quarantine(lines: [UInt8], of segment: String) throws(SystemError) {
        try AtomicFileWriter(mode: 0o600).write(lines, to: quarantineDirectory + "/" + segment)
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
