#if canImport(Glibc)
    import Glibc
#endif

/// The child's process group, by its leader's pid (the child is spawned as the
/// leader of a group of its own). Signals go to the whole group, so a `sh -c`
/// wrapper cannot keep the real program out of a stop (envconsul #317).
package enum ProcessGroup {
    /// Sends `signal` to every process of the group; false when none is left.
    @discardableResult
    package static func signal(_ leader: Int32, _ signal: Int32) -> Bool {
        guard leader > 1 else { return false }  // never -1 (everyone) or our own group
        return kill(-leader, signal) == 0
    }

    /// Whether any process of the group is still running. Zombies do not count:
    /// an exited process holds no port and no file, only its status, and its
    /// reaping is its parent's (or init's) business; an init that is slow to reap
    /// (or never does) must not hold a restart. Without `/proc`, whatever
    /// `kill(-group, 0)` finds counts.
    package static func isAlive(_ leader: Int32, procRoot: String = "/proc") -> Bool {
        guard leader > 1 else { return false }
        guard kill(-leader, 0) == 0 || errno == EPERM else { return false }
        guard let processes = ProcStat.all(procRoot: procRoot) else { return true }
        return processes.contains { $0.group == leader && !$0.hasExited }
    }
}
