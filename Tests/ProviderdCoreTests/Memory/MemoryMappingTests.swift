import Testing

@testable import ProviderdCore

@Suite("Memory mappings from /proc/self/smaps")
struct MemoryMappingTests {
    static let sample = """
        5613ad25d000-5613ad25f000 r--p 00000000 fe:00 254163                     /usr/bin/providerd
        Size:                  8 kB
        Rss:                   8 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me
        5613ad25f000-5613ad265000 r-xp 00002000 fe:00 254163                     /usr/bin/providerd
        Rss:                  24 kB
        Anonymous:             0 kB
        THPeligible:           0
        7f0000000000-7f0000021000 rw-p 00000000 00:00 0
        Rss:                 132 kB
        Anonymous:           132 kB
        7f1000000000-7f1000001000 r--p 00000000 fe:00 99                         /opt/agent data/model cache.bin (deleted)
        Rss:                   4 kB
        Anonymous:             0 kB
        7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
        Rss:                  16 kB
        Anonymous:            16 kB
        """

    @Test("headers start mappings; Rss and Anonymous fill them in; other lines are skipped")
    func parsesSample() {
        let mappings = MemoryMapping.parse(smaps: Self.sample)
        #expect(
            mappings == [
                MemoryMapping(
                    start: 0x5613_ad25_d000, end: 0x5613_ad25_f000, permissions: "r--p", path: "/usr/bin/providerd", residentKB: 8, anonymousKB: 0),
                MemoryMapping(
                    start: 0x5613_ad25_f000, end: 0x5613_ad26_5000, permissions: "r-xp", path: "/usr/bin/providerd", residentKB: 24, anonymousKB: 0),
                MemoryMapping(start: 0x7f00_0000_0000, end: 0x7f00_0002_1000, permissions: "rw-p", path: nil, residentKB: 132, anonymousKB: 132),
                MemoryMapping(
                    start: 0x7f10_0000_0000, end: 0x7f10_0000_1000, permissions: "r--p", path: "/opt/agent data/model cache.bin (deleted)",
                    residentKB: 4, anonymousKB: 0),
                MemoryMapping(start: 0x7ffd_0000_0000, end: 0x7ffd_0002_1000, permissions: "rw-p", path: "[stack]", residentKB: 16, anonymousKB: 16),
            ])
        #expect(mappings[1].isExecutable && mappings[1].isPrivate && !mappings[1].isWritable && mappings[1].isFile)
        #expect(!mappings[4].isFile && mappings[4].isWritable)
    }

    @Test("fields before any header, and malformed headers, are not mappings")
    func skipsMalformed() {
        let text = """
            Rss:                   8 kB
            zz-10 r--p 00000000 fe:00 1 /x
            20-10 r--p 00000000 fe:00 1 /x
            10-20 rw 00000000 fe:00 1 /x
            1000-2000 r-xs 00000000 fe:00 1 /lib/libz.so.1
            Rss:     four kB
            Anonymous: 4 kB
            """
        #expect(MemoryMapping.parse(smaps: text) == [MemoryMapping(start: 0x1000, end: 0x2000, permissions: "r-xs", path: "/lib/libz.so.1", anonymousKB: 4)])
    }

    @Test("this process's own smaps parses into its executable's mappings")
    func parsesOwnSmaps() throws {
        let text = try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)
        let mappings = MemoryMapping.parse(smaps: text)
        #expect(mappings.count == text.split(separator: "\n").filter { $0.hasPrefix("VmFlags:") }.count)
        #expect(mappings.contains { $0.isExecutable && $0.isFile && $0.residentKB > 0 })
        #expect(mappings.allSatisfy { $0.start < $0.end && $0.anonymousKB <= $0.residentKB })
    }
}
