#if canImport(Glibc)
    import Glibc
#endif

/// Reaping for `providerd exec` as PID 1 (a container's entrypoint): every
/// orphan in the PID namespace becomes providerd's child, and an exited one stays
/// a zombie until providerd waits for it (consul-template #428).
///
/// It waits only for zombies it did not spawn itself (`SpawnRegistry`), each by
/// its pid, found in `/proc`: a `waitpid(-1)` would take the exit status of the
/// agent or a hook from swift-subprocess, which waits for them itself. A SIGCHLD
/// handler is not used for the same reason (an ignored SIGCHLD reaps everything).
package enum OrphanReaper {
    /// Whether this process is its namespace's init.
    package static var isInit: Bool { getpid() == 1 }

    /// Waits for every zombie child that providerd did not spawn; returns their pids.
    @discardableResult
    package static func reap(registry: SpawnRegistry = .shared, procRoot: String = "/proc") -> [Int32] {
        registry.withChildren { ours in
            let me = getpid()
            var reaped: [Int32] = []
            for pid in zombieChildren(of: me, procRoot: procRoot) where !ours.contains(pid) {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { reaped.append(pid) }
            }
            return reaped
        } ?? []
    }

    /// Pids in `/proc` whose state is Z and whose parent is `parent`.
    static func zombieChildren(of parent: Int32, procRoot: String) -> [Int32] {
        guard let directory = opendir(procRoot) else { return [] }
        defer { closedir(directory) }
        var result: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name) else { continue }
            guard let stat = readStat(procRoot + "/" + name + "/stat"), let fields = parseStat(stat) else { continue }
            if fields.state == "Z", fields.parent == parent { result.append(pid) }
        }
        return result
    }

    /// `pid (comm) S ppid ...`: the command may hold spaces and parentheses, so
    /// the state follows the last `)`.
    static func parseStat(_ text: String) -> (state: Character, parent: Int32)? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count >= 2, let state = rest[0].first, let parent = Int32(rest[1]) else { return nil }
        return (state, parent)
    }

    private static func readStat(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
