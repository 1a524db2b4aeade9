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
        (ProcStat.all(procRoot: procRoot) ?? []).filter { $0.state == "Z" && $0.parent == parent }.map(\.pid)
    }
}
