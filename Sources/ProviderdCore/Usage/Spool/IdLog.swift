#if canImport(Glibc)
    import Glibc
#endif

/// `ids.log` in the state directory: the idempotency ids of flushed segments, so
/// a resend within the window is still a duplicate after its segment left the
/// spool, until the id table (`IdWindow`) holding them has been written out; then
/// the flusher empties it (every minute at most), so it stays small.
///
/// One record per line, `2 <acceptedAt> <id as hex> <check>`: the id is hex so
/// that no byte it holds (a newline, a space) can forge another record, and
/// `check` (the first 8 hex digits of SHA-256 over the three fields before it)
/// rejects a line torn by a crash or damaged on disk. Lines of the first format
/// (`<acceptedAt> <id>`, written before ids were escaped) are still read.
package struct IdLog: Sendable {
    package let path: String

    package init(directory: StateDirectory) {
        path = directory.file("ids.log")
    }

    /// What `load` found: the live entries and how many lines it could not read.
    package struct Contents: Sendable {
        package var live: [(id: String, acceptedAt: Int64)] = []
        package var damagedLines = 0
    }

    /// Live entries (accepted within `window` of `now`); rewrites the file without
    /// the expired and damaged ones when they are the majority.
    package func load(now: Int64, window: Int64) throws -> Contents {
        guard let bytes = try AtomicFileWriter.read(path, limit: 1 << 34) else { return Contents() }
        var contents = Contents()
        var total = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            total += 1
            guard let entry = Self.decode(line) else {
                contents.damagedLines += 1
                continue
            }
            if entry.acceptedAt + window > now { contents.live.append(entry) }
        }
        if contents.damagedLines > 0 || (total > 1_000 && contents.live.count * 2 < total) {
            try AtomicFileWriter(mode: 0o600).write(Self.encode(contents.live), to: path)
        }
        return contents
    }

    /// Appends and fsyncs, before the segment holding these ids is removed.
    package func append(_ entries: [(id: String, acceptedAt: Int64)]) throws(SystemError) {
        guard !entries.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        defer { close(fd) }
        let bytes = Self.encode(entries)
        try DescriptorIO.writeAll(fd, bytes, path: path)
        guard fdatasync(fd) == 0 else { throw SystemError("fdatasync", path: path) }
    }

    /// Empties the log once the id table holding its ids has been written out.
    package func truncate() throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("empty", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError("fsync", path: path) }
    }

    /// Bytes in the log now.
    package var size: Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func encode(_ entries: [(id: String, acceptedAt: Int64)]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries { encode(id: entry.id, acceptedAt: entry.acceptedAt, into: &out) }
        return out
    }

    static func encode(id: String, acceptedAt: Int64, into out: inout [UInt8]) {
        let start = out.count
        out += Array("2 \(acceptedAt) ".utf8)
        Hex.append(id.utf8, to: &out)
        let check = OpenSSL.sha256(Array(out[start...]))
        out.append(UInt8(ascii: " "))
        Hex.append(check.prefix(4), to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// One line as `append` writes it (for the fuzz checks and tests).
    package static func encodeLine(id: String, acceptedAt: Int64) -> [UInt8] {
        var out: [UInt8] = []
        encode(id: id, acceptedAt: acceptedAt, into: &out)
        return out
    }

    package static func decodeLine(_ line: [UInt8]) -> (id: String, acceptedAt: Int64)? { decode(line) }

    /// One line (without its newline), or nil when it is damaged in any way.
    static func decode<Line: Collection>(_ line: Line) -> (id: String, acceptedAt: Int64)? where Line.Element == UInt8, Line.Index == Int {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        if fields[0].elementsEqual("2".utf8) {
            guard fields.count == 4, let at = Self.integer(fields[1]), let raw = Hex.decode(fields[2]), !raw.isEmpty,
                let check = Hex.decode(fields[3]), check.count == 4,
                OpenSSL.sha256(Array(line[line.startIndex..<fields[3].startIndex - 1])).prefix(4).elementsEqual(check),
                let id = String(validating: raw, as: UTF8.self)
            else { return nil }
            return (id, at)
        }
        // The first format: `<acceptedAt> <id>`, a 10-digit Unix time (never the
        // single digit 2, nor what a flipped bit makes of it).
        guard fields.count >= 2, fields[0].count == 10, let at = Self.integer(fields[0]) else { return nil }
        let id = line[(fields[0].endIndex + 1)...]
        guard !id.isEmpty, let text = String(validating: Array(id), as: UTF8.self) else { return nil }
        return (text, at)
    }

    private static func integer<Digits: Collection>(_ digits: Digits) -> Int64? where Digits.Element == UInt8 {
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
    }
}
