import Foundation
import ProviderdCore

/// A blocking client for the usage socket: send bytes, read reply lines.
package final class UnixSocketClient: @unchecked Sendable {
    // @unchecked: one test thread uses it at a time.
    package let fd: Int32
    private var buffer: [UInt8] = []
    /// Where the unread part of `buffer` starts: lines are taken without moving the
    /// rest (a client reading a million replies must not copy its buffer per line).
    private var start = 0

    /// `receiveTimeout`: how long one read may wait before it fails with EAGAIN.
    package init(path: String, receiveTimeout: Int = 20) throws {
        // `fd` is set only once connected: an init that throws after every stored
        // property is set still runs deinit, which would close the descriptor a
        // second time, by then perhaps another thread's file.
        fd = try UsageClient.connect(path)
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    package func send(_ text: String) throws { try send(Array(text.utf8)) }

    package func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw TestSupportError("send failed: \(String(cString: strerror(errno)))") }
            offset += count
        }
    }

    /// The next reply line (without the newline), or nil at end of stream.
    package func readLine() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                return line
            }
            buffer.removeSubrange(..<start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return nil }
            guard count > 0 else { throw TestSupportError("recv failed: \(String(cString: strerror(errno)))") }
            buffer += chunk[0..<count]
        }
    }

    /// Sends `line` + newline and returns the reply.
    package func request(_ line: String) throws -> String? {
        try send(line + "\n")
        return try readLine()
    }
}

/// Runs blocking work (socket reads, process waits) on a thread of its own, so
/// that it never ties up the cooperative threads the server under test needs.
package func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
