import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

#if canImport(Glibc)
    import Glibc
#endif

/// Written before the release and read after it: it lives in a writable private
/// mapping of this executable, which a release that dropped (rather than scanned)
/// such mappings would reset to the file's bytes.
nonisolated(unsafe) private var writtenBeforeRelease: [UInt64] = []

@Suite("Releasing resident pages in this process", .serialized)
struct ResidentPageReleaseTests {
    @Test("resident size falls, code runs on, and what was written stays written")
    func releaseIsSafe() throws {
        writtenBeforeRelease = (0..<4096).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let digestBefore = Fingerprint.sha256Hex(of: Array("providerd".utf8))
        let outcome = try ResidentPageRelease.run()
        #expect(outcome.ranges > 0)
        #expect(outcome.refused == 0)
        #expect(outcome.residentAfterKB < outcome.residentBeforeKB)
        #expect(writtenBeforeRelease == (0..<4096).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 })
        // libcrypto and this executable's code, mapped again on demand.
        #expect(Fingerprint.sha256Hex(of: Array("providerd".utf8)) == digestBefore)
        #expect(try ResidentPageRelease.residentKB() > 0)
    }

    /// One file of `pages` pages on disk (written, then fsynced, so that its page
    /// cache pages are clean), mapped as loaded code is: `PROT_EXEC` makes it code
    /// for the plan.
    final class MappedFile {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages: Int
        let bytes: [UInt8]
        let descriptor: Int32

        init(_ path: String, pages: Int, seed: UInt8) throws {
            self.pages = pages
            bytes = (0..<(pages * pageSize)).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed }
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            try #require(descriptor >= 0)
            try #require(bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == bytes.count)
            try #require(fsync(descriptor) == 0)
        }

        deinit { close(descriptor) }

        func map(_ protection: Int32) throws -> UnsafeMutableRawPointer {
            let address = mmap(nil, pages * pageSize, protection, MAP_PRIVATE, descriptor, 0)
            try #require(address != MAP_FAILED)
            return try #require(address)
        }

        func unmap(_ address: UnsafeMutableRawPointer) { munmap(address, pages * pageSize) }

        /// Which of the mapping's pages are in this process's page table now.
        func present(_ address: UnsafeMutableRawPointer) throws -> [Bool] {
            let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
            try #require(pagemap >= 0)
            defer { close(pagemap) }
            var words = [UInt64](repeating: 0, count: pages)
            let offset = off_t(UInt(bitPattern: address) / UInt(pageSize) * 8)
            try #require(words.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress, $0.count, offset) } == pages * 8)
            return words.map { $0 & PageReleasePlan.PagemapBit.present != 0 }
        }
    }

    @Test("a code file's read-only pages leave the resident set and read back the same; in its writable copy, written pages keep their bytes and clean ones go")
    func mappedCodeFile() throws {
        let directory = try TemporaryDirectory()
        let code = try MappedFile(directory.file("code.so"), pages: 64, seed: 0x5a)
        let data = try MappedFile(directory.file("data.so"), pages: 64, seed: 0xa5)
        let text = try code.map(PROT_READ | PROT_EXEC)
        defer { code.unmap(text) }
        let dataCode = try data.map(PROT_READ | PROT_EXEC)  // makes data.so loaded code; never touched
        defer { data.unmap(dataCode) }
        let writable = try data.map(PROT_READ | PROT_WRITE)
        defer { data.unmap(writable) }
        let pageSize = code.pageSize
        var sum = 0
        for page in 0..<code.pages { sum &+= Int(text.load(fromByteOffset: page * pageSize, as: UInt8.self)) }
        for page in 0..<data.pages {
            if page % 2 == 0 {
                writable.storeBytes(of: 0xEE, toByteOffset: page * pageSize, as: UInt8.self)
            } else {
                sum &+= Int(writable.load(fromByteOffset: page * pageSize, as: UInt8.self))
            }
        }
        #expect(sum != 0)
        #expect(try code.present(text).allSatisfy { $0 })
        #expect(try data.present(writable).allSatisfy { $0 })

        let outcome = try ResidentPageRelease.run()
        #expect(outcome.refused == 0)
        #expect(try code.present(text).filter { $0 }.isEmpty, "the code file's pages are unmapped")
        let writablePresent = try data.present(writable)
        #expect(writablePresent.enumerated().allSatisfy { $0.offset % 2 == 0 ? $0.element : !$0.element }, "written pages stay, clean file pages go")

        #expect(Array(UnsafeRawBufferPointer(start: text, count: code.bytes.count)) == code.bytes)
        for page in 0..<data.pages {
            let expected: UInt8 = page % 2 == 0 ? 0xEE : data.bytes[page * pageSize]
            let actual = writable.load(fromByteOffset: page * pageSize, as: UInt8.self)
            #expect(actual == expected, "page \(page)")
            #expect(writable.load(fromByteOffset: page * pageSize + 1, as: UInt8.self) == data.bytes[page * pageSize + 1])
        }
    }
}
