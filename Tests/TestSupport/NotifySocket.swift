import Foundation
import ProviderdCore
import Synchronization

/// A real `NOTIFY_SOCKET`: an AF_UNIX datagram socket the test binds, receiving
/// what the daemon sends through libsystemd's `sd_notify`. Each message is kept
/// with the moment it arrived and, for READY=1, whether the watched files existed
/// at that moment.
package final class NotifySocket: Sendable {
    package struct Message: Sendable {
        package let text: String
        package let time: Date
        /// For each watched path: did it exist when the message arrived?
        package let filesPresent: Bool
        package var fields: [String: String] {
            var result: [String: String] = [:]
            for line in text.split(separator: "\n") {
                if let equals = line.firstIndex(of: "=") {
                    result[String(line[..<equals])] = String(line[line.index(after: equals)...])
                }
            }
            return result
        }
    }

    package let path: String
    private let fd: Int32
    private let messages = Mutex<[Message]>([])
    private let watched: [String]

    package init(path: String, watching files: [String] = []) throws {
        self.path = path
        self.watched = files
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket failed") }
        let result = try UnixSocketAddress(path: path).withSockaddr { bind(fd, $0, $1) }
        guard result == 0 else { throw TestSupportError("bind \(path) failed") }
        let thread = Thread { [self] in self.receive() }
        thread.start()
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            let present = watched.allSatisfy { access($0, F_OK) == 0 }
            messages.withLock { $0.append(Message(text: text, time: Date(), filesPresent: present)) }
        }
    }

    package var all: [Message] { messages.withLock { $0 } }

    /// Waits for a message after index `after` that satisfies `predicate`.
    @discardableResult
    package func wait(after: Int = 0, timeout: Double = 15, _ predicate: (Message) -> Bool) throws -> (index: Int, message: Message) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let current = all
            if after < current.count, let index = current.indices.dropFirst(after).first(where: { predicate(current[$0]) }) {
                return (index, current[index])
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw TestSupportError("no matching sd_notify message within \(timeout) s; got: \(all.map(\.text))")
    }
}
