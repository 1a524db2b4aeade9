import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// `--from-env-file`: follows the env file a sidecar `providerd run` keeps, and
/// reports each new version of it, read (`EnvFileReader`), to `onChange`.
///
/// inotify on the file's directory sees a replacement at once (providerd renames
/// a new file into place; a Kubernetes volume swaps a `..data` symlink); a `stat`
/// every `interval` seconds catches what inotify cannot see (a network file
/// system). A version is read only when its identity (device, inode, size, times)
/// moved. A missing file is waited for: no child starts before its first version.
/// The wait runs on a thread of its own, woken for shutdown by a `Wakeup`.
package final class EnvFileWatcher: Service, Sendable, CustomStringConvertible {
    package var description: String { "EnvFileWatcher" }

    package let path: String
    private let interval: Double
    private let onChange: @Sendable (Result<ChildEnvironment, ExecError>) -> Void
    private let wakeup: Wakeup
    private let logger: Logger

    package init(
        path: String, interval: Double, logger: Logger, onChange: @escaping @Sendable (Result<ChildEnvironment, ExecError>) -> Void
    ) throws(SystemError) {
        self.path = path
        self.interval = interval
        self.onChange = onChange
        self.wakeup = try Wakeup()
        self.logger = logger
    }

    package func run() async throws {
        let wakeup = self.wakeup
        await withTaskCancellationOrGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let started = DetachedThread.start {
                    self.watch()
                    continuation.resume()
                }
                if !started { continuation.resume() }
            }
        } onCancelOrGracefulShutdown: {
            wakeup.signal()
        }
    }

    /// What decides whether the file is read again.
    struct Identity: Equatable {
        var device: UInt64, inode: UInt64, size: Int64
        var modified: Int, modifiedNanoseconds: Int, changed: Int, changedNanoseconds: Int
    }

    private func watch() {
        let notifications = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { if notifications >= 0 { close(notifications) } }
        let directory = AtomicFileWriter.directory(of: path)
        var watching = false
        var seen: Identity?
        var missingSaid = false
        while true {
            if !watching, notifications >= 0 {
                let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
                watching = inotify_add_watch(notifications, directory, mask) >= 0
            }
            switch identity() {
            case .none:
                if !missingSaid {
                    logger.notice(seen == nil ? "waiting for the env file" : "the env file is gone; the child keeps its values", metadata: ["file": "\(path)"])
                    missingSaid = true
                }
            case .some(let current) where current != seen:
                seen = current
                missingSaid = false
                onChange(read())
            default:
                break
            }
            // Without a watch (no directory yet, no inotify), the stat is the watch.
            var entries = [
                pollfd(fd: wakeup.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: notifications, events: Int16(POLLIN), revents: 0),
            ]
            let timeout = Int32((watching ? interval : min(interval, 1)) * 1000)
            _ = poll(&entries, watching ? 2 : 1, timeout)
            if entries[0].revents != 0 { return }
            if watching, entries[1].revents != 0, drainShowsWatchGone(notifications) { watching = false }
        }
    }

    /// Reads every pending event; true when the directory's watch ended (it was removed or moved).
    private func drainShowsWatchGone(_ descriptor: Int32) -> Bool {
        var gone = false
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return gone }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (mask, length) = buffer.withUnsafeBytes { raw in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.mask, Int(event.len))
                }
                if mask & UInt32(IN_IGNORED) != 0 { gone = true }
                offset += MemoryLayout<inotify_event>.size + length
            }
        }
    }

    private func identity() -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec,
            changed: info.st_ctim.tv_sec, changedNanoseconds: info.st_ctim.tv_nsec)
    }

    private func read() -> Result<ChildEnvironment, ExecError> {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return .failure(ExecError(.envFileUnreadable, "\(path) is not a regular file"))
        }
        do {
            guard let bytes = try AtomicFileWriter.read(path, limit: EnvFileReader.maxBytes + 1) else {
                return .failure(ExecError(.envFileUnreadable, "\(path) is gone"))
            }
            return Result { () throws(ExecError) in try EnvFileReader.parse(bytes, file: path) }
        } catch {
            return .failure(ExecError(.envFileUnreadable, "cannot read \(path): \(error)"))
        }
    }
}
