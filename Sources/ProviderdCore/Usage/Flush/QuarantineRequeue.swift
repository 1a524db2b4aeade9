#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// `providerd usage requeue`: puts quarantined usage back into the spool once the
/// cause is fixed (a GRANT, a widened column), so that each record counts exactly
/// once. Each quarantine file becomes a spool segment under a new name (a name
/// never used before, so the flush log cannot mistake it for the segment it came
/// from) by one `rename`: a record is in quarantine or in the spool, never in both,
/// whatever moment a crash picks. Runs with the state directory's lock held, so
/// not beside a running daemon.
package enum QuarantineRequeue {
    package struct Summary: Sendable, Equatable {
        package var files = 0
        package var lines = 0
        package var segments: [String] = []
    }

    package static func requeue(state: StateDirectory, instance: String) throws -> Summary {
        let spool = state.file("spool")
        let quarantine = spool + "/quarantine"
        var summary = Summary()
        let waiting = try SpoolFiles.list(quarantine)
        guard !waiting.isEmpty else { return summary }
        var next = SegmentName.next(after: try SpoolFiles.list(spool).compactMap { SegmentName(parsing: $0)?.sequence }.max() ?? 0)
        for name in waiting {
            let path = quarantine + "/" + name
            // A segment quarantined whole may carry an unacknowledged tail past its
            // `.valid` length: cut it first (idempotent), then drop the marker.
            if let valid = SpoolFiles.readValidLength(path) {
                guard truncate(path, off_t(valid)) == 0 else { throw SystemError("truncate", path: path) }
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd >= 0 {
                    _ = fsync(fd)
                    close(fd)
                }
                _ = unlink(path + ".valid")
            }
            let bytes = try AtomicFileWriter.read(path, limit: 1 << 34) ?? []
            let target = try SegmentName.fresh(instance: instance, sequence: next).description
            next = SegmentName.next(after: next)
            guard rename(path, spool + "/" + target) == 0 else { throw SystemError("move into the spool", path: path) }
            try AtomicFileWriter.syncDirectory(spool)
            try AtomicFileWriter.syncDirectory(quarantine)
            summary.files += 1
            summary.lines += bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            summary.segments.append(target)
        }
        return summary
    }
}
