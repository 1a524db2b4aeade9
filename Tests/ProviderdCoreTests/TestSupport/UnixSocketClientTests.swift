import Foundation
import TestSupport
import Testing

@Suite("The tests' usage-socket client")
struct UnixSocketClientTests {
    /// Tests poll a socket that is not there yet, and the attack tests open a
    /// thousand connections at once, so failed connects are common. A failed
    /// connect closed its descriptor, then the deinit closed the same number
    /// again: by then another test's thread could have opened a file under it,
    /// and its read failed with EBADF (seen in CI, in a budget test reading a
    /// child's output). Here one thread fails to connect while another reads a
    /// file it opened: every read must succeed.
    @Test("a failed connect closes its descriptor once: another thread's open file is never closed under it")
    func failedConnectClosesOnce() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("data")
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let missing = directory.file("no-socket")
        let rounds = 20_000
        async let failures: Int = Task.detached {
            var failures = 0
            for _ in 0..<rounds where (try? UnixSocketClient(path: missing)) == nil { failures += 1 }
            return failures
        }.value
        let badReads = await Task.detached {
            var bad = 0
            for _ in 0..<rounds {
                let fd = open(file, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                var byte: UInt8 = 0
                if pread(fd, &byte, 1, 0) != 1 { bad += 1 }
                // A descriptor closed by someone else fails here, or closes theirs.
                if close(fd) != 0 { bad += 1 }
            }
            return bad
        }.value
        #expect(await failures == rounds, "every connect to a missing socket fails")
        #expect(badReads == 0, "reads of a file this thread opened failed with EBADF")
    }
}
