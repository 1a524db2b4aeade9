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

    /// Whether any process of the group is left (a zombie not yet reaped counts).
    package static func isAlive(_ leader: Int32) -> Bool {
        guard leader > 1 else { return false }
        if kill(-leader, 0) == 0 { return true }
        return errno == EPERM  // one is left, under another user
    }
}
