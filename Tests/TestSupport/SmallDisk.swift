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

    /// `inodes`: how many files the disk holds (`nr_inodes`), for inode-shortage tests.
    package init(bytes: Int, inodes: Int? = nil) throws {
        directory = try TemporaryDirectory()
        let options = "size=\(bytes),mode=0755" + (inodes.map { ",nr_inodes=\($0)" } ?? "")
        let output = try ProcessRunner.run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", directory.path])
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

    /// Creates empty files until the disk has no inode left; returns how many.
    @discardableResult
    package func fillInodes() -> Int {
        var count = 0
        while true {
            let fd = open(directory.file(".inode-\(count)"), O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else { return count }
            close(fd)
            count += 1
        }
    }

    package func freeInodes(_ count: Int) {
        for n in 0..<count { unlink(directory.file(".inode-\(n)")) }
    }
}
