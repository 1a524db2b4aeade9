#if canImport(Glibc)
    import Glibc
#endif

/// The usage spool on disk: append-only segments in `spool/` under the state
/// directory, named `<instance>-<seq>-<nonce>.ndjson` (`SegmentName`: a name is
/// never used twice, whatever happened to the directory). A record is acknowledged only after the
/// bytes holding it are written and `fdatasync`ed. Each start opens a new segment,
/// so a torn last line left by a crash (never acknowledged) is never appended to.
///
/// Not `Sendable`: it owns an open descriptor and counters. At start it is read
/// for the id window (`unflushedContents`), then handed to the `Spool` actor,
/// which alone uses it from then on.
package final class SpoolFiles {
    package let directory: String
    package let instance: String
    private var active: Int32 = -1
    private var activeSegment = SegmentName(instance: "", sequence: 0, nonce: nil)
    private var activeSize = 0
    private var sealedSizes: [String: Int] = [:]
    /// Segments whose tail past this length was never acknowledged (a failed
    /// write that could not be cut back): only this prefix is ever read.
    private var validLengths: [String: Int] = [:]

    /// A segment this large is sealed and the next one started, so that a flush
    /// (which reads one segment at a time) holds a bounded amount in memory.
    package let segmentBytes: Int

    package init(directory: String, instance: String, segmentBytes: Int = 16 << 20) throws(SystemError) {
        self.directory = directory
        self.instance = instance
        self.segmentBytes = segmentBytes
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw SystemError("create spool directory", path: directory) }
        if mkdir(directory + "/quarantine", 0o700) != 0 && errno != EEXIST {
            throw SystemError("create quarantine directory", path: directory + "/quarantine")
        }
        var highest: UInt64 = 0
        // Every segment, whatever instance wrote it: after the state directory took
        // another identity (`StateDirectory.instanceID`), the old one's segments
        // still flush, under their own names.
        for name in try Self.list(directory) {
            guard let parsed = SegmentName(parsing: name) else { continue }
            highest = max(highest, parsed.sequence)
            let size = try Self.size(directory + "/" + name)
            if let valid = Self.readValidLength(directory + "/" + name) {
                validLengths[name] = min(valid, size)
            }
            sealedSizes[name] = validLengths[name] ?? size
        }
        try open(sequence: SegmentName.next(after: highest))
    }

    deinit {
        if active >= 0 { close(active) }
    }

    /// The sealed segments' and the quarantined files' bytes: the records whose ids
    /// must stay taken at start. An unreadable one throws, naming it (skipping it
    /// would let a resend count, and a later requeue count it again).
    package func unflushedContents() throws(SystemError) -> [[UInt8]] {
        var contents: [[UInt8]] = []
        for name in sealed { contents.append(try read(name)) }
        for name in quarantined {
            if let bytes = try AtomicFileWriter.read(directory + "/quarantine/" + name, limit: 1 << 34) { contents.append(bytes) }
        }
        return contents
    }

    /// Bytes in every segment not yet flushed (the spool bound counts these).
    package var totalBytes: Int { activeSize + sealedSizes.values.reduce(0, +) }

    package var activeName: String { activeSegment.description }

    /// Appends and makes durable: write everything, then `fdatasync`. On failure
    /// the segment is cut back to its previous length, so nothing unacknowledged
    /// stays behind to be counted later (the client resends it).
    /// Returns the segment the bytes went to.
    @discardableResult
    package func append(_ bytes: [UInt8]) throws(SystemError) -> String {
        guard !broken else {
            throw SystemError("append (a failed write could not be undone; restart providerd)", path: directory + "/" + activeName, code: EIO)
        }
        if active < 0 { try open(sequence: SegmentName.next(after: activeSegment.sequence)) }  // a seal whose next segment failed to open
        do throws(SystemError) {
            try DescriptorIO.writeAll(active, bytes, path: directory + "/" + activeName)
            guard fdatasync(active) == 0 else { throw SystemError("fdatasync", path: directory + "/" + activeName) }
        } catch {
            if ftruncate(active, off_t(activeSize)) != 0 { abandonActive() }
            throw error
        }
        activeSize += bytes.count
        let written = activeName
        if activeSize >= segmentBytes {
            // Durable already; if the next segment cannot be opened now, the next append retries.
            _ = try? seal()
        }
        return written
    }

    /// Set when a failed append could not be cut back and no new segment could
    /// be opened: appends are refused until a restart.
    package private(set) var broken = false

    /// A failed append left bytes that cannot be cut back: the segment is sealed
    /// at its last acknowledged length, recorded beside it (`<segment>.valid`) so
    /// that a restart reads no further either, and appends go on in a new segment.
    func abandonActive() {
        let name = activeName
        close(active)
        active = -1
        validLengths[name] = activeSize
        sealedSizes[name] = activeSize
        // Best effort: without it only a crash before this segment is flushed could
        // count the unacknowledged tail.
        try? AtomicFileWriter(mode: 0o600).write(Array("\(activeSize)\n".utf8), to: directory + "/" + name + ".valid")
        do {
            try open(sequence: SegmentName.next(after: activeSegment.sequence))
        } catch {
            broken = true
        }
    }

    /// Closes the active segment (if it holds anything) and starts the next one.
    /// Returns the sealed segment's name.
    @discardableResult
    package func seal() throws(SystemError) -> String? {
        guard activeSize > 0 else { return nil }
        let name = activeName
        close(active)
        active = -1
        sealedSizes[name] = activeSize
        activeSize = 0
        try open(sequence: SegmentName.next(after: activeSegment.sequence))
        return name
    }

    /// Sealed segments waiting for a flush, oldest first.
    package var sealed: [String] { sealedSizes.keys.sorted() }

    package func read(_ name: String) throws(SystemError) -> [UInt8] {
        let bytes = try AtomicFileWriter.read(directory + "/" + name, limit: 1 << 34) ?? []
        guard let valid = validLengths[name], valid < bytes.count else { return bytes }
        return Array(bytes[..<valid])
    }

    /// After its rows are committed: the segment is gone for good. Returns the
    /// bytes it counted for in `totalBytes`.
    @discardableResult
    package func remove(_ name: String) throws(SystemError) -> Int {
        guard unlink(directory + "/" + name) == 0 || errno == ENOENT else { throw SystemError("remove", path: directory + "/" + name) }
        let size = sealedSizes.removeValue(forKey: name) ?? 0
        forgetValidLength(name)
        try AtomicFileWriter.syncDirectory(directory)
        return size
    }

    /// A segment the database refuses for good (a constraint, an overflow) moves
    /// aside, kept for the operator, and stops blocking the others. Returns the
    /// bytes it counted for in `totalBytes`.
    @discardableResult
    package func quarantine(_ name: String) throws(SystemError) -> Int {
        guard rename(directory + "/" + name, directory + "/quarantine/" + name) == 0 else {
            throw SystemError("quarantine", path: directory + "/" + name)
        }
        if validLengths[name] != nil {
            _ = rename(directory + "/" + name + ".valid", directory + "/quarantine/" + name + ".valid")
            validLengths.removeValue(forKey: name)
        }
        let size = sealedSizes.removeValue(forKey: name) ?? 0
        try AtomicFileWriter.syncDirectory(directory)
        return size
    }

    package var quarantined: [String] { (try? Self.list(directory + "/quarantine")) ?? [] }

    /// Opens a new segment under a fresh name. `O_EXCL`: a name that exists
    /// (64 random bits made it impossible in practice) is never appended to.
    private func open(sequence: UInt64) throws(SystemError) {
        let segment = try SegmentName.fresh(instance: instance, sequence: sequence)
        let path = directory + "/" + segment.description
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        active = fd
        activeSegment = segment
        activeSize = 0
        try AtomicFileWriter.syncDirectory(directory)
    }

    private func forgetValidLength(_ name: String) {
        guard validLengths.removeValue(forKey: name) != nil else { return }
        _ = unlink(directory + "/" + name + ".valid")
    }

    static func readValidLength(_ segmentPath: String) -> Int? {
        guard let bytes = try? AtomicFileWriter.read(segmentPath + ".valid", limit: 64) else { return nil }
        return Int(String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
    }

    static func list(_ directory: String) throws(SystemError) -> [String] {
        try DirectoryListing.names(in: directory).filter { $0.hasSuffix(".ndjson") }
    }

    static func size(_ path: String) throws(SystemError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemError("stat", path: path) }
        return Int(info.st_size)
    }
}
