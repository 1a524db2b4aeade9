#if canImport(Glibc)
import Glibc
#endif

/// `ids.log` in the state directory: the idempotency ids of flushed segments
/// (`acceptedAt id` per line), so a resend within the window is still a
/// duplicate after its segment left the spool. Compacted at start.
public struct IdLog: Sendable {
    public let path: String

    public init(directory: StateDirectory) {
        path = directory.file("ids.log")
    }

    /// Live entries (accepted within `window` of `now`); rewrites the file without
    /// the expired ones when they are the majority.
    public func load(now: Int64, window: Int64) throws -> [(id: String, acceptedAt: Int64)] {
        guard let bytes = try AtomicFileWriter.read(path, limit: 1 << 34) else { return [] }
        var live: [(id: String, acceptedAt: Int64)] = []
        var total = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            total += 1
            guard let space = line.firstIndex(of: UInt8(ascii: " ")),
                  let at = Int64(String(decoding: line[line.startIndex..<space], as: UTF8.self)),
                  at + window > now
            else { continue }
            live.append((String(decoding: line[(space + 1)...], as: UTF8.self), at))
        }
        if total > 1_000 && live.count * 2 < total {
            try AtomicFileWriter(mode: 0o600).write(Self.encode(live), to: path)
        }
        return live
    }

    /// Appends and fsyncs, before the segment holding these ids is removed.
    public func append(_ entries: [(id: String, acceptedAt: Int64)]) throws(SystemError) {
        guard !entries.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        defer { close(fd) }
        let bytes = Self.encode(entries)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path)
            }
            offset += written
        }
        guard fdatasync(fd) == 0 else { throw SystemError("fdatasync", path: path) }
    }

    static func encode(_ entries: [(id: String, acceptedAt: Int64)]) -> [UInt8] {
        // Ids are JSON-checked strings without control characters, so no newline.
        entries.reduce(into: [UInt8]()) { $0 += Array("\($1.acceptedAt) \($1.id)\n".utf8) }
    }
}
