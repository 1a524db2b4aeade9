import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The state directory (`/var/lib/providerd`): generation, sealed last-known-good
/// state, instance id and the lock. It never holds a key or a secret in clear.
public final class StateDirectory: Sendable {
    public let path: String

    public init(path: String) throws(SystemError) {
        self.path = path
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw SystemError("create state directory", path: path)
        }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SystemError("use state directory", path: path, code: ENOTDIR)
        }
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// A random id made at first start; names this host's usage spool segments.
    public func instanceID() throws -> String {
        let path = file("instance-id")
        if let bytes = try AtomicFileWriter.read(path),
           let text = String(validating: bytes, as: UTF8.self)?.trimmingWhitespace(),
           UUID(uuidString: String(text)) != nil {
            return String(text).lowercased()
        }
        let id = UUID().uuidString.lowercased()
        try AtomicFileWriter(mode: 0o600).write(Array((id + "\n").utf8), to: path)
        return id
    }
}

/// An exclusive `flock` on `lock` in the state directory, held for the process's
/// life. The kernel drops it when the process dies, so a killed providerd never
/// leaves a stale lock.
public final class StateDirectoryLock: Sendable {
    private let fd: Int32

    public struct Held: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let holder: String
        public var description: String {
            "another providerd\(holder.isEmpty ? "" : " (pid \(holder))") is using the state directory \(path); stop it first or use another --state-dir"
        }
    }

    public init(directory: StateDirectory) throws {
        let path = directory.file("lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open", path: path) }
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
