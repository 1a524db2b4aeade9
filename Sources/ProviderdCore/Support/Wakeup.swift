#if canImport(Glibc)
    import Glibc
#endif

/// A self-pipe that interrupts a thread blocked in `poll()` (the LISTEN wait)
/// from async code: shutdown, reload.
///
/// `@unchecked Sendable`: wraps two file descriptors fixed at init; pipe reads and
/// writes are atomic in the kernel, so any thread may signal while another polls.
package final class Wakeup: @unchecked Sendable {
    /// Poll this for readability.
    package let descriptor: Int32
    private let writeEnd: Int32

    package init() throws(SystemError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SystemError("pipe", path: "-") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        descriptor = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    package func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Blocks the calling thread until a signal or `seconds` pass (a relative
    /// `poll()` timeout: a wall-clock step does not lengthen it). Returns whether
    /// it was signalled; the signal stays pending for `drain`.
    @discardableResult
    package func wait(seconds: Double) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, min(seconds, 86_400)) * 1000)
        return poll(&entry, 1, milliseconds) > 0
    }

    /// Clears pending signals; returns whether there were any.
    @discardableResult
    package func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        var any = false
        while buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 { any = true }
        return any
    }
}
