#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The state directory (`/var/lib/providerd`): generation, sealed last-known-good
/// state, instance id and the lock. It never holds a key or a secret in clear.
package final class StateDirectory: Sendable {
    package let path: String
    /// Set when root works in a directory another user owns (`providerd render` from
    /// root's cron, `usage requeue` by hand beside the service's directory): the
    /// files it makes there are given to that owner, or the service could no longer
    /// open them (`open .../generation: Permission denied`, even with the database down).
    package let adoptedOwner: (uid: uid_t, gid: gid_t)?

    package init(path: String) throws(SystemError) {
        self.path = path
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw SystemError("create state directory", path: path)
        }
        var info = Glibc.stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SystemError("use state directory", path: path, code: ENOTDIR)
        }
        adoptedOwner = geteuid() == 0 && info.st_uid != 0 ? (info.st_uid, info.st_gid) : nil
    }

    /// The writer for files of this directory: mode 0600, owned by the directory's owner.
    package var fileWriter: AtomicFileWriter {
        AtomicFileWriter(mode: 0o600, owner: adoptedOwner?.uid, group: adoptedOwner?.gid)
    }

    /// Gives a file made in this directory by other means (`open(O_CREAT)`) to the
    /// directory's owner; nothing unless root works in another user's directory.
    package func adopt(descriptor fd: Int32) {
        guard let owner = adoptedOwner else { return }
        _ = fchown(fd, owner.uid, owner.gid)
    }

    package func file(_ name: String) -> String { path + "/" + name }

    /// A random id made at first start; names this host's usage spool segments and
    /// their rows in `providerd_flush_log`, so it must never change while segments
    /// exist. A missing or damaged file is recovered from the segment names in
    /// `spool/` and `spool/quarantine/` when they name exactly one instance; with no
    /// segment left a missing file is made anew. Anything else stops the start:
    /// a silently replaced id would orphan the spool.
    ///
    /// The id belongs to this state directory *on this host*: `instance-host`
    /// records the machine id and host name it was made under. A directory that
    /// finds itself on another host (a golden VM image, a copied container volume,
    /// a backup restored elsewhere) takes a new id of its own and says so
    /// (`previous`), so that two clones never report as one sidecar. The old
    /// id's segments keep their names (`SegmentName`) and flush under them.
    package func instanceID(host: HostIdentity = .current) throws -> InstanceID {
        let id = try storedInstanceID()
        let hostPath = file("instance-host")
        let bound = try AtomicFileWriter.read(hostPath, limit: 4_096).map { String(decoding: $0, as: UTF8.self) }
        if let bound, bound != host.line {
            let fresh = UUID().uuidString.lowercased()
            try fileWriter.write(Array((fresh + "\n").utf8), to: file("instance-id"))
            try fileWriter.write(Array(host.line.utf8), to: hostPath)
            return InstanceID(
                value: fresh, recovered: nil, previous: id.value,
                previousHost: String(bound.trimmingWhitespace()))
        }
        if bound == nil { try fileWriter.write(Array(host.line.utf8), to: hostPath) }
        return id
    }

    private func storedInstanceID() throws -> InstanceID {
        let path = file("instance-id")
        let stored = try AtomicFileWriter.read(path)
        if let stored, let id = Self.parseInstanceID(stored) { return InstanceID(value: id, recovered: nil) }
        let named = Self.instancesNamed(in: [file("spool"), file("spool/quarantine")])
        if named.count == 1, let id = named.first {
            try fileWriter.write(Array((id + "\n").utf8), to: path)
            return InstanceID(value: id, recovered: stored == nil ? "missing" : "damaged")
        }
        if stored != nil {
            throw ConfigurationError(
                "\(path) is damaged (not a UUID) and "
                    + (named.isEmpty
                        ? "no spool segment names this host's instance; if spool/ and spool/quarantine/ are really empty, remove the file and providerd makes a new id"
                        : "spool segments name \(named.count) instances (\(named.sorted().joined(separator: ", "))); write the right one into it"))
        }
        guard named.isEmpty else {
            throw ConfigurationError(
                "\(path) is missing and spool segments name \(named.count) instances (\(named.sorted().joined(separator: ", "))); write the right one into it")
        }
        let id = UUID().uuidString.lowercased()
        try fileWriter.write(Array((id + "\n").utf8), to: path)
        return InstanceID(value: id, recovered: nil)
    }

    /// The instance id and, when the file had to be rewritten, why ("missing",
    /// "damaged"): the daemon logs that.
    package struct InstanceID: Sendable, Equatable {
        package let value: String
        package let recovered: String?
        /// The id this directory had on another host, when it took a new one.
        package var previous: String? = nil
        /// `instance-host` as that other host wrote it.
        package var previousHost: String? = nil
    }

    static func parseInstanceID(_ bytes: [UInt8]) -> String? {
        guard let text = String(validating: bytes, as: UTF8.self)?.trimmingWhitespace(),
            UUID(uuidString: String(text)) != nil
        else { return nil }
        return String(text).lowercased()
    }

    /// Instance ids that spool segment names (`<uuid>-<seq>.ndjson`) carry.
    static func instancesNamed(in directories: [String]) -> Set<String> {
        var found: Set<String> = []
        for directory in directories {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".ndjson") {
                let prefix = String(name.prefix(36))
                if name.count > 37, name.dropFirst(36).first == "-", UUID(uuidString: prefix) != nil {
                    found.insert(prefix.lowercased())
                }
            }
        }
        return found
    }
}
