import Foundation

/// A small tmpfs mounted on a temporary directory, for full-disk tests: `fill()`
/// takes every free byte, `free()` gives them back. Needs root (as `scripts/test`
/// runs in CI); tests that use it are enabled only then.
package final class SmallDisk: @unchecked Sendable {
    // @unchecked: immutable after init; deinit unmounts.
    package let directory: TemporaryDirectory
    package var path: String { directory.path }
    private var filler: String { directory.file(".filler") }

    package static var available: Bool { getuid() == 0 }

    package init(bytes: Int) throws {
        directory = try TemporaryDirectory()
        let output = try ProcessRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes),mode=0755", "tmpfs", directory.path])
        guard output.status == 0 else { throw TestSupportError("mount tmpfs failed: \(output.stderrText)") }
    }

    deinit {
        _ = try? ProcessRunner.run("/bin/umount", ["-l", directory.path])
    }

    /// Writes a filler file until the disk refuses (ENOSPC).
    package func fill() {
        let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x78, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        var byte: UInt8 = 0x78
        while write(fd, &byte, 1) > 0 {}
    }

    package func free() {
        unlink(filler)
    }
}
