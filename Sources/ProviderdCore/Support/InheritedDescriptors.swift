#if canImport(Glibc)
    import Glibc
#endif

/// Descriptors the process was started with beyond stdin, stdout, stderr and the
/// sockets systemd passes (`LISTEN_FDS`): a launcher that does not mark its files
/// close-on-exec (a shell script's `exec 5<file`, a Python `subprocess` with
/// `close_fds=False`, a test runner) leaves them open in providerd, where they
/// count against `RLIMIT_NOFILE` like the daemon's own. The usage socket's
/// connection cap leaves room for them; otherwise idle clients could take the
/// descriptors a render or a flush needs.
package struct InheritedDescriptors: Sendable, Equatable {
    /// The inherited descriptor numbers, ascending.
    package let descriptors: [Int32]

    package var count: Int { descriptors.count }

    package init(descriptors: [Int32]) { self.descriptors = descriptors }

    /// What is open now without close-on-exec, read from `/proc/self/fd`: call it
    /// first thing, before the daemon opens anything of its own. A descriptor that
    /// survived exec has no FD_CLOEXEC, while the runtime's own (libdispatch's epoll
    /// and eventfd, opened before `main`) all have it. `listenDescriptors` is how
    /// many systemd passed from fd 3 on (`sd_listen_fds`), which are not counted.
    /// Empty when `/proc` cannot be read (then nothing is known to be inherited).
    package static func atStart(listenDescriptors: Int) -> InheritedDescriptors {
        guard let directory = opendir("/proc/self/fd") else { return InheritedDescriptors(descriptors: []) }
        defer { closedir(directory) }
        let own = dirfd(directory)
        let passed = 3..<(3 + Int32(max(0, listenDescriptors)))
        var found: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let fd = Int32(name), fd > 2, fd != own, !passed.contains(fd) else { continue }
            let flags = fcntl(fd, F_GETFD)
            guard flags >= 0, flags & FD_CLOEXEC == 0 else { continue }
            found.append(fd)
        }
        return InheritedDescriptors(descriptors: found.sorted())
    }
}
