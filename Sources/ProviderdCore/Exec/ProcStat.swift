#if canImport(Glibc)
    import Glibc
#endif

/// One process as `/proc/PID/stat` shows it: what the reaper and the group check
/// need, and the scan over every process.
package struct ProcStat: Sendable, Equatable {
    package var pid: Int32
    /// R, S, D, Z (zombie), X (dead), ...
    package var state: Character
    package var parent: Int32
    package var group: Int32

    /// A zombie holds nothing (no port, no file, no memory): only its exit status.
    package var hasExited: Bool { state == "Z" || state == "X" }

    /// `pid (comm) S ppid pgrp ...`: the command may hold spaces and parentheses,
    /// so the fields are counted after the last `)`.
    package static func parse(_ text: String, pid: Int32) -> ProcStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count >= 3, let state = rest[0].first, let parent = Int32(rest[1]), let group = Int32(rest[2]) else { return nil }
        return ProcStat(pid: pid, state: state, parent: parent, group: group)
    }

    /// Every process `procRoot` shows; nil when it cannot be read (no /proc).
    package static func all(procRoot: String = "/proc") -> [ProcStat]? {
        guard let directory = opendir(procRoot) else { return nil }
        defer { closedir(directory) }
        var result: [ProcStat] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name), let text = read(procRoot + "/" + name + "/stat"), let stat = parse(text, pid: pid) else { continue }
            result.append(stat)
        }
        return result
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
