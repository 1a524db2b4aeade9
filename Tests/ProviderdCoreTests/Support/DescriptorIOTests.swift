import Foundation
import Synchronization
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Whole reads and writes through swift-system")
struct DescriptorIOTests {
    @Test("8 MiB through a pipe (64 KiB at a time) arrive whole and in order: short writes and reads are retried")
    func shortWrites() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let payload = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }
        let readEnd = fds[0]
        let reader = Thread.detachNewThreadWithResult {
            defer { close(readEnd) }
            return try DescriptorIO.readAll(readEnd, limit: 16 << 20, path: "pipe")
        }
        try DescriptorIO.writeAll(fds[1], payload, path: "pipe")
        close(fds[1])
        #expect(try reader.value() == payload)
    }

    @Test("more than the limit is EFBIG, named with the path; a closed descriptor is EBADF")
    func errorsNameThePath() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("big")
        try Data(count: 5_000).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        #expect(throws: SystemError("read", path: path, code: EFBIG)) {
            try DescriptorIO.readAll(fd, limit: 4_096, path: path, secret: true)
        }
        #expect(throws: SystemError("write", path: "closed", code: EBADF)) {
            try DescriptorIO.writeAll(-1, [1, 2, 3], path: "closed")
        }
    }
}

extension Thread {
    /// Runs `body` on a thread of its own; `value()` waits for its result.
    static func detachNewThreadWithResult<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> ThreadResult<T> {
        let result = ThreadResult<T>()
        Thread.detachNewThread { result.set(Result { try body() }) }
        return result
    }
}

final class ThreadResult<T: Sendable>: Sendable {
    private let state = Mutex<Result<T, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)
    func set(_ value: Result<T, any Error>) {
        state.withLock { $0 = value }
        done.signal()
    }
    func value() throws -> T {
        done.wait()
        return try state.withLock { $0! }.get()
    }
}
