#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a file so that a reader sees the old bytes or the new bytes, never a
/// partial or missing file: temp file in the same directory, created with its
/// final mode from the first byte (whatever the umask), owner/group set before
/// the rename, fsync, rename over the target, fsync of the directory.
///
/// (NIO's FileSystem "atomic replace" removes the old file before linking the new
/// one, leaving a moment with no file; this does not.)
package struct AtomicFileWriter: Sendable {
    package var mode: mode_t
    package var owner: uid_t?
    package var group: gid_t?

    package init(mode: mode_t, owner: uid_t? = nil, group: gid_t? = nil) {
        self.mode = mode
        self.owner = owner
        self.group = group
    }

    /// The file's bytes, or nil when it does not exist.
    package static func read(_ path: String, limit: Int = 64 << 20) throws(SystemError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw SystemError("open", path: path)
        }
        defer { close(fd) }
        return try DescriptorIO.readAll(fd, limit: limit, path: path)
    }

    /// Writes `bytes` to `path` unless the file already holds exactly them, and
    /// fixes mode and owner when they differ. Returns whether bytes were written.
    /// `deferSync`: see `write`.
    @discardableResult
    package func writeIfChanged(_ bytes: [UInt8], to path: String, deferSync: Bool = false) throws(SystemError) -> Bool {
        // Only a regular file of ours is kept: a symlink (or anything else) at the
        // output path is replaced by the rename, never followed, never chmod'ed.
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let current = try Self.read(path), current == bytes {
            try fixAttributes(path)
            return false
        }
        try write(bytes, to: path, deferSync: deferSync)
        return true
    }

    /// `deferSync` leaves durability to the caller, who calls `sync(_:)` once
    /// readers may see the file: for derived files that every start rewrites
    /// before anyone reads them, so that readers need not wait on the disk. A kill
    /// changes nothing (the page cache keeps the bytes); a power cut before the
    /// caller's sync may leave the file short, which the next start repairs.
    package func write(_ bytes: [UInt8], to path: String, deferSync: Bool = false) throws(SystemError) {
        let directory = Self.directory(of: path)
        var template = Array("\(path).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemError("create temporary file for", path: path) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var renamed = false
        defer {
            if !renamed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            // Mode and owner before the first byte: the secret is never readable by others.
            guard fchmod(fd, mode) == 0 else { throw SystemError("chmod", path: temporary) }
            if owner != nil || group != nil {
                guard fchown(fd, owner ?? uid_t.max, group ?? gid_t.max) == 0 else {
                    throw SystemError("chown", path: temporary)
                }
            }
            try DescriptorIO.writeAll(fd, bytes, path: temporary)
            if !deferSync {
                guard fsync(fd) == 0 else { throw SystemError("fsync", path: temporary) }
            }
        }
        guard rename(temporary, path) == 0 else { throw SystemError("rename to", path: path) }
        renamed = true
        if !deferSync { try Self.syncDirectory(directory) }
    }

    /// Removes the temporary files (`<path>.tmp-XXXXXX`) a write killed before its
    /// rename left beside `path`: they may hold old secrets, and nothing else would
    /// ever remove them. Only while no other writer of `path` can run (the state
    /// directory's lock is held). Returns the paths removed.
    @discardableResult
    package static func removeStaleTemporaries(of path: String) -> [String] {
        let directory = directory(of: path)
        let prefix = DirectoryListing.name(of: path) + ".tmp-"
        // mkstemp's names: the prefix and six characters.
        let names = ((try? DirectoryListing.names(in: directory, prefix: prefix)) ?? []).filter { $0.utf8.count == prefix.utf8.count + 6 }
        let removed = names.map { directory + "/" + $0 }.filter { unlink($0) == 0 }
        if !removed.isEmpty { try? syncDirectory(directory) }
        return removed
    }

    /// Mode and owner of the file itself (`O_NOFOLLOW`: a symlink swapped in since
    /// the check is refused, not followed).
    private func fixAttributes(_ path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError("stat", path: path) }
        if info.st_mode & 0o7777 != mode {
            guard fchmod(fd, mode) == 0 else { throw SystemError("chmod", path: path) }
        }
        let wantOwner = owner ?? info.st_uid, wantGroup = group ?? info.st_gid
        if info.st_uid != wantOwner || info.st_gid != wantGroup {
            guard fchown(fd, wantOwner, wantGroup) == 0 else { throw SystemError("chown", path: path) }
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Makes files written with `deferSync` durable: each file's bytes, then each
    /// of their directories (the renames). A file that is gone is skipped.
    package static func sync(_ paths: [String]) throws(SystemError) {
        for path in paths {
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { continue }
                throw SystemError("open", path: path)
            }
            defer { close(fd) }
            guard fsync(fd) == 0 else { throw SystemError("fsync", path: path) }
        }
        var synced: Set<String> = []
        for directory in paths.map(directory(of:)) where synced.insert(directory).inserted {
            try syncDirectory(directory)
        }
    }

    /// Makes a rename durable.
    package static func syncDirectory(_ directory: String) throws(SystemError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open directory", path: directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError("fsync directory", path: directory) }
    }
}
