import Foundation
import Synchronization
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Atomic file replacement")
struct AtomicFileWriterTests {
    @Test("a reader polling during 1,000 rewrites never sees a partial or missing file")
    func readerNeverSeesPartialFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("providers.env")
        let writer = AtomicFileWriter(mode: 0o600)
        @Sendable func content(_ n: Int) -> [UInt8] {
            Array(("GENERATION=\(n)\n" + String(repeating: "X", count: 8_000 + n % 97) + "\nEND=\(n)\n").utf8)
        }
        try writer.write(content(0), to: path)
        let stop = Atomic<Bool>(false)
        let reads = Atomic<Int>(0)
        let bad = Mutex<[String]>([])
        let reader = Thread {
            while !stop.load(ordering: .relaxed) {
                guard let bytes = try? AtomicFileWriter.read(path) else {
                    bad.withLock { $0.append("missing") }
                    continue
                }
                let text = String(decoding: bytes, as: UTF8.self)
                let lines = text.split(separator: "\n")
                guard lines.count == 3, let first = lines.first, let last = lines.last,
                    first.dropFirst("GENERATION=".count) == last.dropFirst("END=".count),
                    bytes == content(Int(first.dropFirst("GENERATION=".count)) ?? -1)
                else {
                    bad.withLock { $0.append("partial (\(bytes.count) bytes)") }
                    continue
                }
                reads.add(1, ordering: .relaxed)
            }
        }
        reader.start()
        for n in 1...1_000 { try writer.write(content(n), to: path) }
        stop.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(bad.withLock { $0 }.isEmpty)
        #expect(reads.load(ordering: .relaxed) > 100)
        #expect(try AtomicFileWriter.read(path) == content(1_000))
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["providers.env"])
    }

    @Test("the file has its mode from the first byte, whatever the umask; unchanged bytes are not rewritten")
    func modeAndNoRewrite() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("models.json")
        let old = umask(0)
        defer { umask(old) }
        #expect(try AtomicFileWriter(mode: 0o644).writeIfChanged(Array("a".utf8), to: path))
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o644)
        let inode = info.st_ino
        #expect(try !AtomicFileWriter(mode: 0o644).writeIfChanged(Array("a".utf8), to: path))
        #expect(try AtomicFileWriter(mode: 0o600).writeIfChanged(Array("a".utf8), to: path) == false)
        stat(path, &info)
        #expect(info.st_ino == inode)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(throws: SystemError.self) { try AtomicFileWriter(mode: 0o600).write([1], to: directory.file("no/such/dir")) }
    }
}

@Suite("Atomic writes never follow a symlink at the output path")
struct AtomicFileWriterSymlinkTests {
    @Test("a symlink to an identical file is replaced by a file of ours; the link's target keeps its mode")
    func replacesSymlink() throws {
        let directory = try TemporaryDirectory()
        let target = directory.file("elsewhere")
        try Data("same\n".utf8).write(to: URL(fileURLWithPath: target))
        chmod(target, 0o644)
        symlink(target, directory.file("providers.env"))
        let wrote = try AtomicFileWriter(mode: 0o600).writeIfChanged(Array("same\n".utf8), to: directory.file("providers.env"))
        #expect(wrote)
        var info = stat()
        lstat(directory.file("providers.env"), &info)
        #expect(info.st_mode & S_IFMT == S_IFREG)
        #expect(info.st_mode & 0o777 == 0o600)
        stat(target, &info)
        #expect(info.st_mode & 0o777 == 0o644)
    }

    @Test(
        "a write with the sync deferred is visible at once and leaves no temporary; sync makes it and its directory durable, skips a file gone since, and names a directory it cannot open"
    )
    func deferredSync() throws {
        let directory = try TemporaryDirectory(), path = directory.file("providers.env")
        #expect(try AtomicFileWriter(mode: 0o600).writeIfChanged(Array("A=1\n".utf8), to: path, deferSync: true))
        #expect(try AtomicFileWriter.read(path) == Array("A=1\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["providers.env"])
        #expect(!(try AtomicFileWriter(mode: 0o600).writeIfChanged(Array("A=1\n".utf8), to: path, deferSync: true)))
        try AtomicFileWriter.sync([path, directory.file("gone.json")])
        #expect(throws: SystemError.self) { try AtomicFileWriter.sync([directory.file("missing-dir/file")]) }
    }
}
