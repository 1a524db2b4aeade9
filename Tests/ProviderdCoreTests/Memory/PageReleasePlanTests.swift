import Testing

@testable import ProviderdCore

@Suite("Which resident pages the daemon gives back")
struct PageReleasePlanTests {
    static func mapping(_ start: UInt, _ permissions: String, _ path: String?, rss: Int = 64, anonymous: Int = 0) -> MemoryMapping {
        MemoryMapping(start: start, end: start + 0x10000, permissions: permissions, path: path, residentKB: rss, anonymousKB: anonymous)
    }

    @Test("code and clean read-only data of loaded objects are dropped; written pages never")
    func selection() {
        let exe = "/usr/bin/providerd"
        let libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
        let data = "/var/lib/providerd/ids.table"
        let plan = PageReleasePlan(mappings: [
            Self.mapping(0x10000, "r--p", exe),  // headers, .dynsym: dropped
            Self.mapping(0x20000, "r-xp", exe),  // .text: dropped
            Self.mapping(0x30000, "r--p", exe, anonymous: 64),  // RELRO, relocated: kept
            Self.mapping(0x40000, "rw-p", exe, anonymous: 8),  // .rodata/.data: scanned
            Self.mapping(0x50000, "rw-p", libc, anonymous: 64),  // .data, all written: kept
            Self.mapping(0x60000, "r-xp", libc),  // dropped
            Self.mapping(0x70000, "r-xp", libc, rss: 0),  // nothing resident: skipped
            Self.mapping(0x80000, "r--p", data),  // a data file, not code: kept (SIGBUS if truncated)
            Self.mapping(0x90000, "rw-s", data),  // shared: kept
            Self.mapping(0xa0000, "r-xs", "/dev/shm/jit"),  // shared code: kept
            Self.mapping(0xb0000, "rw-p", nil, anonymous: 64),  // anonymous: kept
            Self.mapping(0xc0000, "r--p", "[vvar]"),  // kernel: kept
            Self.mapping(0xd0000, "r-xp", "[vdso]"),  // kernel: kept
            Self.mapping(0xe0000, "---p", libc, rss: 0),  // guard gap: skipped
        ])
        #expect(plan.drop == [0x10000..<0x20000, 0x20000..<0x30000, 0x60000..<0x70000])
        #expect(plan.scan == [0x40000..<0x50000])
    }

    @Test("pagemap runs: present file pages only, coalesced, inside the range")
    func cleanRuns() {
        let file = PageReleasePlan.PagemapBit.present | PageReleasePlan.PagemapBit.fileOrShared
        let anonymous = PageReleasePlan.PagemapBit.present
        let swappedFile = PageReleasePlan.PagemapBit.fileOrShared
        let entries: [UInt64] = [file, file, anonymous, 0, file, swappedFile, file, file]
        #expect(
            PageReleasePlan.cleanFileRuns(in: 0x1000..<0x9000, entries: entries, pageSize: 0x1000)
                == [0x1000..<0x3000, 0x5000..<0x6000, 0x7000..<0x9000])
        // Fewer entries than pages (a short read): the run ends where the entries do.
        #expect(PageReleasePlan.cleanFileRuns(in: 0x1000..<0x9000, entries: [anonymous, file], pageSize: 0x1000) == [0x2000..<0x3000])
        // More entries than pages: the extra ones are ignored.
        #expect(PageReleasePlan.cleanFileRuns(in: 0x1000..<0x2000, entries: [file, file, file], pageSize: 0x1000) == [0x1000..<0x2000])
        #expect(PageReleasePlan.cleanFileRuns(in: 0x1000..<0x3000, entries: [anonymous, 0], pageSize: 0x1000).isEmpty)
    }
}
