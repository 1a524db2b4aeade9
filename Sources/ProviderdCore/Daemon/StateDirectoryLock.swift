#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on `lock` in the state directory, held for the process's
/// life. The kernel drops it when the process dies, so a killed providerd never
/// leaves a stale lock.
package final class StateDirectoryLock: Sendable {
    private let fd: Int32

    package struct Held: Error, CustomStringConvertible, Sendable {
        package let path: String
        package let holder: String
        package var description: String {
            "another providerd\(holder.isEmpty ? "" : " (pid \(holder))") is using the state directory \(path); stop it first or use another --state-dir"
        }
    }

    package init(directory: StateDirectory) throws {
        let path = directory.file("lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: path) }
        directory.adopt(descriptor: fd)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
            if code == EWOULDBLOCK {
                let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhitespace() : ""
                throw Held(path: directory.path, holder: String(holder))
            }
            throw SystemError("lock", path: path, code: code)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.fd = fd
    }

    deinit {
        close(fd)
    }
}
